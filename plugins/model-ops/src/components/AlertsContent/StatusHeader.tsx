import { ModelStatusResponse } from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { ModelStatusChip } from '../ModelStatusChip';
import { formatRelative, formatTimestamp } from './format';

/**
 * The model's overall health as an icon and a word, when its metrics were last collected, and
 * how many alerts fire. `refreshError` is a failed refresh while an older answer is shown.
 */
export function StatusHeader(props: {
  status: ModelStatusResponse;
  refreshError?: Error;
}) {
  const { status, refreshError } = props;
  const firing = status.alerts.filter(a => a.state === 'firing').length;
  return (
    <Box data-testid="model-health">
      <Box display="flex" alignItems="center" flexWrap="wrap">
        <Typography variant="h5" component="p" style={{ marginRight: 16 }}>
          <ModelStatusChip status={status.status} />
        </Typography>
        {status.collectedAt && (
          <>
            <Typography variant="body2" color="textSecondary">
              collected{' '}
              <time
                dateTime={status.collectedAt}
                title={formatTimestamp(status.collectedAt)}
              >
                {formatRelative(status.collectedAt)}
              </time>
            </Typography>
            <Typography
              variant="body2"
              color={firing > 0 ? 'error' : 'textSecondary'}
              style={{ marginLeft: 16 }}
            >
              {firing === 1 ? '1 alert firing' : `${firing} alerts firing`}
            </Typography>
          </>
        )}
      </Box>
      {!status.collectedAt && (
        <Typography variant="body2" color="textSecondary">
          No metrics have been collected for this model yet, so its rules have
          nothing to judge.
        </Typography>
      )}
      {refreshError && (
        <Box mt={1}>
          <Alert severity="warning">
            Could not refresh the status: {refreshError.message}. Showing the
            last answer.
          </Alert>
        </Box>
      )}
    </Box>
  );
}
