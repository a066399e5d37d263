import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import {
  RunStatus as RunStatusValue,
  StageStatus,
} from '@model-ops/plugin-model-ops-common';

const LABELS: Record<RunStatusValue | StageStatus, string> = {
  pending: 'Pending',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  rolled_back: 'Rolled back',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
};

/** A run's or a stage's status as an icon and a word. */
export function RunStatus(props: { status: RunStatusValue | StageStatus }) {
  const label = LABELS[props.status] ?? props.status;
  switch (props.status) {
    case 'succeeded':
      return <StatusOK>{label}</StatusOK>;
    case 'failed':
      return <StatusError>{label}</StatusError>;
    case 'rolled_back':
      return <StatusWarning>{label}</StatusWarning>;
    case 'running':
      return <StatusRunning>{label}</StatusRunning>;
    case 'cancelled':
    case 'skipped':
      return <StatusAborted>{label}</StatusAborted>;
    default:
      return <StatusPending>{label}</StatusPending>;
  }
}
