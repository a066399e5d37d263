import { MetricStatus, ModelMetric } from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Card from '@material-ui/core/Card';
import CardContent from '@material-ui/core/CardContent';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import { formatValue, metricTitle, metricUnit } from './format';
import { Sparkline } from './Sparkline';
import { LevelStatus, TrendLabel } from './statuses';

/** The thresholds of a metric in words, or that it has none. */
export function thresholdsText(
  status: Pick<MetricStatus, 'warning' | 'critical'>,
  unit: string,
) {
  const parts: string[] = [];
  if (status.warning !== undefined)
    parts.push(`Warning at ${formatValue(status.warning, unit)}`);
  if (status.critical !== undefined)
    parts.push(`Critical at ${formatValue(status.critical, unit)}`);
  return parts.length > 0 ? parts.join(' · ') : 'No threshold';
}

/**
 * One metric: its current value with unit (or "not reported"), thresholds, level, trend and a
 * sparkline of the last hour. Level and trend are always written out, never colour alone.
 */
export function MetricTile(props: {
  metric: ModelMetric;
  status?: MetricStatus;
}) {
  const { metric } = props;
  const status: MetricStatus = props.status ?? {
    metric,
    unit: metricUnit(metric),
    level: 'unknown',
    sparkline: [],
  };
  const theme = useTheme();
  const title = metricTitle(metric);
  const unit = status.unit || metricUnit(metric);
  const titleId = `model-ops-metric-${metric}-title`;
  const accent: Record<MetricStatus['level'], string> = {
    ok: theme.palette.success?.main ?? '#4caf50',
    warning: theme.palette.warning?.main ?? '#ff9800',
    critical: theme.palette.error.main,
    unknown: theme.palette.divider,
  };
  return (
    <Card
      component="section"
      aria-labelledby={titleId}
      variant="outlined"
      data-testid={`metric-tile-${metric}`}
      style={{
        borderLeft: `4px solid ${accent[status.level]}`,
        height: '100%',
      }}
    >
      <CardContent>
        <Box
          display="flex"
          justifyContent="space-between"
          alignItems="flex-start"
        >
          <Typography id={titleId} variant="subtitle2" component="h3">
            {title}
          </Typography>
          <LevelStatus level={status.level} />
        </Box>
        <Box display="flex" alignItems="baseline" flexWrap="wrap" my={1}>
          {status.value === undefined ? (
            <Typography variant="h6" component="p" color="textSecondary">
              not reported
            </Typography>
          ) : (
            <Typography
              variant="h5"
              component="p"
              data-testid="metric-value"
              style={{ marginRight: 12 }}
            >
              {formatValue(status.value, unit)}
            </Typography>
          )}
          <TrendLabel trend={status.trend} />
        </Box>
        <Typography variant="caption" color="textSecondary" component="p">
          {thresholdsText(status, unit)}
        </Typography>
        <Box mt={1}>
          <Sparkline points={status.sparkline} label={`${title}, last hour`} />
        </Box>
      </CardContent>
    </Card>
  );
}
