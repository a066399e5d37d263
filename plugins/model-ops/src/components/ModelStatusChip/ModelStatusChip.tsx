import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import { ModelStatus } from '@model-ops/plugin-model-ops-common';

const LABELS: Record<ModelStatus, string> = {
  unknown: 'Unknown',
  healthy: 'Healthy',
  warning: 'Warning',
  critical: 'Critical',
};

/** A model's status as an icon and a word, so it reads without colour too. */
export function ModelStatusChip(props: { status: ModelStatus }) {
  const { status } = props;
  const label = LABELS[status];
  switch (status) {
    case 'healthy':
      return <StatusOK>{label}</StatusOK>;
    case 'warning':
      return <StatusWarning>{label}</StatusWarning>;
    case 'critical':
      return <StatusError>{label}</StatusError>;
    default:
      return <StatusPending>{label}</StatusPending>;
  }
}
