import { InfoCard } from '@backstage/core-components';
import {
  DeploymentRun,
  DeploymentStage,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Step from '@material-ui/core/Step';
import StepContent from '@material-ui/core/StepContent';
import StepLabel from '@material-ui/core/StepLabel';
import Stepper from '@material-ui/core/Stepper';
import Typography from '@material-ui/core/Typography';
import CheckIcon from '@material-ui/icons/CheckCircleOutline';
import CrossIcon from '@material-ui/icons/HighlightOff';
import Alert from '@material-ui/lab/Alert';
import { RunStatus } from '../RunStatus';

/** Stage figures shown as chips, with the unit each carries. */
const FIGURES: Array<[string, string, string]> = [
  ['p50Ms', 'p50', 'ms'],
  ['p95Ms', 'p95', 'ms'],
  ['p95BudgetMs', 'p95 budget', 'ms'],
  ['throughputRps', 'throughput', 'req/s'],
  ['errorRatePct', 'error rate', '%'],
  ['loadP95Ms', 'p95 under load', 'ms'],
  ['loadRequests', 'load requests', ''],
  ['functionalPassed', 'cases passed', ''],
  ['functionalFailed', 'cases failed', ''],
  ['verificationRequests', 'verification requests', ''],
  ['verificationErrorRatePct', 'verification error rate', '%'],
  ['strategy', 'strategy', ''],
  ['slot', 'slot', ''],
  ['restoring', 'restored', ''],
];

export function formatDuration(ms?: number): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function StageBody(props: { stage: DeploymentStage }) {
  const { stage } = props;
  const figures = FIGURES.filter(([key]) => stage.metrics[key] !== undefined);
  return (
    <Box data-testid={`stage-${stage.name}`}>
      {figures.length > 0 && (
        <Box mb={1}>
          {figures.map(([key, label, unit]) => (
            <Chip
              key={key}
              size="small"
              variant="outlined"
              style={{ marginRight: 4, marginBottom: 4 }}
              label={`${label}: ${stage.metrics[key]}${unit ? ` ${unit}` : ''}`}
            />
          ))}
        </Box>
      )}
      {stage.errors.map(error => (
        <Alert key={error} severity="error" style={{ marginBottom: 4 }}>
          {error}
        </Alert>
      ))}
      {stage.checks.map((check, index) => (
        <Box
          key={`${check.name}-${index}`}
          display="flex"
          alignItems="flex-start"
          mb={0.5}
        >
          {check.ok ? (
            <CheckIcon
              fontSize="small"
              style={{ color: '#2e7d32', marginRight: 6 }}
              aria-label="passed"
            />
          ) : (
            <CrossIcon
              fontSize="small"
              color="error"
              style={{ marginRight: 6 }}
              aria-label="failed"
            />
          )}
          <Typography variant="body2">
            <strong>{check.name}</strong>
            {check.detail ? ` — ${check.detail}` : ''}
            {check.durationMs !== undefined
              ? ` (${formatDuration(check.durationMs)})`
              : ''}
          </Typography>
        </Box>
      ))}
    </Box>
  );
}

/** A run's stage timeline: status, duration, checks, errors and measured figures per stage. */
export function RunDetails(props: { run: DeploymentRun }) {
  const { run } = props;
  const activeIndex = Math.max(
    0,
    run.stages.findIndex(s => s.status === 'running' || s.status === 'failed'),
  );
  return (
    <InfoCard
      title={`${run.kind === 'rollback' ? 'Rollback to' : 'Deploy'} ${
        run.version
      }`}
      subheader={`Run ${run.id} · ${run.strategy} · started by ${
        run.createdBy ?? 'unknown'
      }`}
    >
      <Box display="flex" alignItems="center" mb={1}>
        <RunStatus status={run.status} />
        {run.error && (
          <Typography variant="body2" color="error" style={{ marginLeft: 12 }}>
            {run.error}
          </Typography>
        )}
      </Box>
      <Stepper orientation="vertical" activeStep={activeIndex} nonLinear>
        {run.stages.map(stage => (
          <Step
            key={stage.name}
            expanded
            completed={stage.status === 'succeeded'}
          >
            <StepLabel error={stage.status === 'failed'}>
              <Box display="flex" alignItems="center" style={{ gap: 12 }}>
                <Typography
                  variant="subtitle2"
                  style={{ textTransform: 'capitalize' }}
                >
                  {stage.name}
                </Typography>
                <RunStatus status={stage.status} />
                <Typography variant="caption" color="textSecondary">
                  {formatDuration(stage.durationMs)}
                </Typography>
              </Box>
            </StepLabel>
            <StepContent>
              <StageBody stage={stage} />
            </StepContent>
          </Step>
        ))}
      </Stepper>
    </InfoCard>
  );
}
