import { InfoCard } from '@backstage/core-components';
import {
  CanaryAnalysis,
  CanaryState,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Step from '@material-ui/core/Step';
import StepLabel from '@material-ui/core/StepLabel';
import Stepper from '@material-ui/core/Stepper';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableContainer from '@material-ui/core/TableContainer';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import CheckIcon from '@material-ui/icons/CheckCircleOutline';
import CrossIcon from '@material-ui/icons/HighlightOff';
import { CompactTime, noWrap } from '../CompactText';
import { GuardedButton } from '../GuardedButton';
import { CanaryStatus, colorName } from './statuses';

function figure(value: number | undefined, unit: string): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  return `${Number(value.toFixed(2))} ${unit}`;
}

function AnalysisRow(props: { analysis: CanaryAnalysis }) {
  const { analysis: a } = props;
  return (
    <TableRow data-testid={`canary-analysis-${a.step}`}>
      <TableCell>{a.step + 1}</TableCell>
      <TableCell style={noWrap}>{a.weight} %</TableCell>
      <TableCell style={noWrap}>
        <CompactTime iso={a.at} />
      </TableCell>
      <TableCell style={noWrap}>
        {a.canary.requests} / {a.stable.requests}
      </TableCell>
      <TableCell style={noWrap}>
        {figure(a.canary.errorRatePct, '%')} vs{' '}
        {figure(a.stable.errorRatePct, '%')}
      </TableCell>
      <TableCell style={noWrap}>
        {figure(a.canary.p95Ms, 'ms')} vs {figure(a.stable.p95Ms, 'ms')}
      </TableCell>
      <TableCell style={noWrap}>
        <Box display="flex" alignItems="center">
          {a.ok ? (
            <CheckIcon
              fontSize="small"
              style={{ color: '#2e7d32', marginRight: 4 }}
              aria-hidden
            />
          ) : (
            <CrossIcon
              fontSize="small"
              color="error"
              style={{ marginRight: 4 }}
              aria-hidden
            />
          )}
          <span>{a.ok ? 'ok' : 'breach'}</span>
        </Box>
      </TableCell>
      <TableCell style={{ minWidth: 240 }}>
        {a.reasons.length === 0
          ? '—'
          : a.reasons.map(reason => (
              <Typography key={reason} variant="body2" component="div">
                {reason}
              </Typography>
            ))}
      </TableCell>
    </TableRow>
  );
}

/** A canary release: its steps, where it is, what each analysis found, and promote / abort. */
export function CanaryProgress(props: {
  canary: CanaryState;
  canPromote: boolean;
  canAbort: boolean;
  onPromote: () => void;
  onAbort: () => void;
}) {
  const { canary } = props;
  const ended = canary.status === 'promoted' || canary.status === 'aborted';
  const steps = canary.steps.length > 0 ? canary.steps : [canary.weight];
  const current = Math.max(0, Math.min(canary.step, steps.length - 1));
  const breached = new Set(canary.analyses.filter(a => !a.ok).map(a => a.step));
  return (
    <InfoCard
      title={`Canary ${canary.version}`}
      subheader={`Run ${canary.runId} · on ${colorName(canary.slot)}`}
    >
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 16 }}
      >
        <CanaryStatus status={canary.status} />
        <Typography variant="body1" data-testid="canary-position">
          Step {current + 1} of {steps.length} · {canary.weight} % of traffic on
          the canary
        </Typography>
      </Box>
      <Stepper
        activeStep={canary.status === 'promoted' ? steps.length : current}
        alternativeLabel
        aria-label="Canary steps"
      >
        {steps.map((weight, index) => (
          <Step
            key={`${index}-${weight}`}
            completed={canary.status === 'promoted' || index < current}
          >
            <StepLabel
              error={
                breached.has(index) ||
                (canary.status === 'aborted' && index === current)
              }
              optional={
                <Typography variant="caption">
                  {[
                    index === current && !ended ? 'current' : '',
                    breached.has(index) ? 'breach' : '',
                  ]
                    .filter(Boolean)
                    .join(', ')}
                </Typography>
              }
            >
              {weight} %
            </StepLabel>
          </Step>
        ))}
      </Stepper>
      <Typography variant="subtitle2" gutterBottom>
        Analyses
      </Typography>
      {canary.analyses.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          No analysis yet: the first runs once the current step has had traffic.
        </Typography>
      ) : (
        <TableContainer>
          <Table size="small" aria-label="Canary analyses">
            <TableHead>
              <TableRow>
                <TableCell>Step</TableCell>
                <TableCell>Weight</TableCell>
                <TableCell>At</TableCell>
                <TableCell>Requests (canary / stable)</TableCell>
                <TableCell>Error rate (canary vs stable)</TableCell>
                <TableCell>p95 (canary vs stable)</TableCell>
                <TableCell>Result</TableCell>
                <TableCell>Reasons</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {canary.analyses.map((analysis, index) => (
                <AnalysisRow
                  key={`${analysis.step}-${analysis.at}-${index}`}
                  analysis={analysis}
                />
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
      {!ended && (
        <Box mt={2}>
          <GuardedButton
            color="primary"
            allowed={props.canPromote}
            denied="You may not switch this model's traffic"
            onClick={props.onPromote}
          >
            Promote
          </GuardedButton>
          <GuardedButton
            color="secondary"
            allowed={props.canAbort}
            denied="You may not roll this model back"
            onClick={props.onAbort}
          >
            Abort
          </GuardedButton>
        </Box>
      )}
    </InfoCard>
  );
}
