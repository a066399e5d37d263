import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import {
  CanaryState,
  EnvironmentSlot,
  SwitchKind,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';

/** "blue" → "Blue". */
export function colorName(slot?: string): string {
  return slot ? slot.charAt(0).toUpperCase() + slot.slice(1) : '—';
}

/** A color's live health as an icon and a word. */
export function HealthStatus(props: { health?: EnvironmentSlot['health'] }) {
  switch (props.health) {
    case 'healthy':
      return <StatusOK>Healthy</StatusOK>;
    case 'unhealthy':
      return <StatusError>Unhealthy</StatusError>;
    case 'starting':
      return <StatusRunning>Starting</StatusRunning>;
    case 'absent':
      return <StatusAborted>Absent</StatusAborted>;
    default:
      return <StatusPending>Unknown</StatusPending>;
  }
}

/** A switch's outcome as an icon and a word. */
export function SwitchStatus(props: { status: SwitchRecord['status'] }) {
  switch (props.status) {
    case 'succeeded':
      return <StatusOK>Succeeded</StatusOK>;
    case 'failed':
      return <StatusError>Failed</StatusError>;
    case 'rolled_back':
      return <StatusWarning>Rolled back</StatusWarning>;
    case 'in_progress':
      return <StatusRunning>In progress</StatusRunning>;
    default:
      return <StatusPending>{props.status}</StatusPending>;
  }
}

/** A canary's state as an icon and a word. */
export function CanaryStatus(props: { status: CanaryState['status'] }) {
  switch (props.status) {
    case 'progressing':
      return <StatusRunning>Progressing</StatusRunning>;
    case 'paused':
      return <StatusPending>Paused</StatusPending>;
    case 'promoted':
      return <StatusOK>Promoted</StatusOK>;
    case 'aborted':
      return <StatusAborted>Aborted</StatusAborted>;
    default:
      return <StatusPending>{props.status}</StatusPending>;
  }
}

export const SWITCH_KIND_LABELS: Record<SwitchKind, string> = {
  switch: 'Switch',
  'rollback-switch': 'Rollback switch',
  deployment: 'Deployment',
  'canary-promotion': 'Canary promotion',
  'canary-abort': 'Canary abort',
  repair: 'Repair',
};

export function formatTime(iso?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
