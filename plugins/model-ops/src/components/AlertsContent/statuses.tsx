import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import {
  AlertRecord,
  MetricStatus,
  MetricTrend,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import RisingIcon from '@material-ui/icons/TrendingUp';
import FallingIcon from '@material-ui/icons/TrendingDown';
import StableIcon from '@material-ui/icons/TrendingFlat';

/** A metric's level against its rule, as an icon and a word. */
export function LevelStatus(props: { level: MetricStatus['level'] }) {
  switch (props.level) {
    case 'ok':
      return <StatusOK>OK</StatusOK>;
    case 'warning':
      return <StatusWarning>Warning</StatusWarning>;
    case 'critical':
      return <StatusError>Critical</StatusError>;
    default:
      return <StatusPending>Unknown</StatusPending>;
  }
}

/** An alert's severity, as an icon and a word. */
export function SeverityStatus(props: { severity: AlertRecord['severity'] }) {
  return props.severity === 'critical' ? (
    <StatusError>Critical</StatusError>
  ) : (
    <StatusWarning>Warning</StatusWarning>
  );
}

/** An alert's lifecycle state, as an icon and a word. */
export function AlertStateStatus(props: { state: AlertRecord['state'] }) {
  switch (props.state) {
    case 'firing':
      return <StatusError>Firing</StatusError>;
    case 'pending':
      return <StatusPending>Pending</StatusPending>;
    default:
      return <StatusOK>Resolved</StatusOK>;
  }
}

const TRENDS: Record<MetricTrend, { word: string; Icon: typeof RisingIcon }> = {
  rising: { word: 'Rising', Icon: RisingIcon },
  falling: { word: 'Falling', Icon: FallingIcon },
  stable: { word: 'Stable', Icon: StableIcon },
};

/** How a metric moved against the previous window, as an arrow and a word. */
export function TrendLabel(props: { trend?: MetricTrend }) {
  if (!props.trend) return null;
  const { word, Icon } = TRENDS[props.trend];
  return (
    <Box display="inline-flex" alignItems="center" data-testid="metric-trend">
      <Icon fontSize="small" aria-hidden="true" style={{ marginRight: 4 }} />
      <Typography variant="body2" component="span">
        {word}
      </Typography>
    </Box>
  );
}
