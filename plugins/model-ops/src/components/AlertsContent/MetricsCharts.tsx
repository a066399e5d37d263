import {
  MetricSeries,
  MetricsResponse,
  ModelMetric,
  ModelStatusResponse,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatNumber, formatValue, metricTitle, metricUnit } from './format';
import { thresholdsText } from './MetricTile';
import { METRICS_RANGES, MetricsRange } from './useMonitoring';

/** The metrics charted, in order. */
export const CHARTED_METRICS: readonly ModelMetric[] = [
  'throughput',
  'responseTimeP95',
  'errorRate',
  'cpu',
  'memory',
];

export const CHART_HEIGHT = 200;

/** The 1 h / 24 h / 7 d choice. */
export function RangeSelector(props: {
  value: MetricsRange;
  onChange: (range: MetricsRange) => void;
}) {
  return (
    <ToggleButtonGroup
      exclusive
      size="small"
      value={props.value.id}
      aria-label="Chart range"
      onChange={(_, id: MetricsRange['id'] | null) => {
        const range = METRICS_RANGES.find(r => r.id === id);
        if (range) props.onChange(range);
      }}
    >
      {METRICS_RANGES.map(range => (
        <ToggleButton key={range.id} value={range.id}>
          {range.label}
        </ToggleButton>
      ))}
    </ToggleButtonGroup>
  );
}

function tickFormatter(range: MetricsRange) {
  return (t: number) => {
    const date = new Date(t);
    return range.step === 3600
      ? date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
      : date.toLocaleTimeString(undefined, {
          hour: '2-digit',
          minute: '2-digit',
        });
  };
}

/** One metric over the range, with dashed lines at its warning and critical levels. */
export function MetricChart(props: {
  metric: ModelMetric;
  series?: MetricSeries;
  warning?: number;
  critical?: number;
  range: MetricsRange;
  from?: string;
  to?: string;
}) {
  const { metric, series, warning, critical, range } = props;
  const theme = useTheme();
  const title = metricTitle(metric);
  const unit = series?.unit || metricUnit(metric);
  const titleId = `model-ops-chart-${metric}-title`;
  const data = (series?.points ?? []).map(p => ({
    t: Date.parse(p.t),
    value: p.value,
  }));
  const from = props.from ? Date.parse(props.from) : undefined;
  const to = props.to ? Date.parse(props.to) : undefined;
  const domain: [number | 'dataMin', number | 'dataMax'] = [
    from !== undefined && !Number.isNaN(from) ? from : 'dataMin',
    to !== undefined && !Number.isNaN(to) ? to : 'dataMax',
  ];
  const formatTick = tickFormatter(range);
  return (
    <Box
      component="section"
      aria-labelledby={titleId}
      data-testid={`metric-chart-${metric}`}
    >
      <Typography id={titleId} variant="subtitle2" component="h3">
        {title} ({unit})
      </Typography>
      <Typography variant="caption" color="textSecondary" component="p">
        {thresholdsText({ warning, critical }, unit)}
      </Typography>
      {data.length === 0 ? (
        <Box
          height={CHART_HEIGHT}
          display="flex"
          alignItems="center"
          justifyContent="center"
        >
          <Typography variant="body2" color="textSecondary">
            No samples in this range
          </Typography>
        </Box>
      ) : (
        <Box role="img" aria-label={`${title} over the last ${range.label}`}>
          <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
            <LineChart
              data={data}
              margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
            >
              <CartesianGrid
                strokeDasharray="3 3"
                stroke={theme.palette.divider}
              />
              <XAxis
                dataKey="t"
                type="number"
                scale="time"
                domain={domain}
                tickFormatter={formatTick}
                tick={{ fontSize: 11 }}
                minTickGap={24}
              />
              <YAxis
                width={56}
                tick={{ fontSize: 11 }}
                tickFormatter={(v: number) => formatNumber(v)}
              />
              <Tooltip
                labelFormatter={(t: number) => new Date(t).toLocaleString()}
                formatter={(v: number) => [formatValue(v, unit), title]}
              />
              <Line
                type="monotone"
                dataKey="value"
                name={title}
                stroke={theme.palette.primary.main}
                dot={false}
                isAnimationActive={false}
              />
              {warning !== undefined && (
                <ReferenceLine
                  y={warning}
                  ifOverflow="extendDomain"
                  stroke={theme.palette.warning?.main ?? '#ff9800'}
                  strokeDasharray="6 3"
                  label={{
                    value: 'Warning',
                    position: 'insideTopLeft',
                    fontSize: 11,
                  }}
                />
              )}
              {critical !== undefined && (
                <ReferenceLine
                  y={critical}
                  ifOverflow="extendDomain"
                  stroke={theme.palette.error.main}
                  strokeDasharray="6 3"
                  label={{
                    value: 'Critical',
                    position: 'insideTopLeft',
                    fontSize: 11,
                  }}
                />
              )}
            </LineChart>
          </ResponsiveContainer>
        </Box>
      )}
    </Box>
  );
}

/** The charted metrics over the chosen range, with the thresholds of the current status. */
export function MetricsCharts(props: {
  metrics?: MetricsResponse;
  status?: ModelStatusResponse;
  range: MetricsRange;
  loading: boolean;
  error?: Error;
}) {
  const { metrics, status, range, loading, error } = props;
  return (
    <Box>
      {loading && <LinearProgress aria-label="Loading metrics" />}
      {error && (
        <Box mb={2}>
          <Alert severity="warning">
            Could not load the metrics: {error.message}
          </Alert>
        </Box>
      )}
      <Grid container spacing={3}>
        {CHARTED_METRICS.map(metric => {
          const rule = status?.metrics.find(m => m.metric === metric);
          return (
            <Grid item xs={12} lg={6} key={metric}>
              <MetricChart
                metric={metric}
                series={metrics?.series.find(s => s.metric === metric)}
                warning={rule?.warning}
                critical={rule?.critical}
                range={range}
                from={metrics?.from}
                to={metrics?.to}
              />
            </Grid>
          );
        })}
      </Grid>
    </Box>
  );
}
