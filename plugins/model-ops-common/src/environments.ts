import { SlotName } from './api';
import { StageCheck } from './deployments';

/**
 * One production color of a model as the environments panel shows it.
 *
 * @public
 */
export interface EnvironmentSlot {
  slot: 'blue' | 'green';
  version?: string;
  endpoint?: string;
  state: 'empty' | 'starting' | 'running' | 'stopped' | 'failed';
  /** Share of production traffic, 0 to 100. */
  trafficWeight: number;
  /** Exactly one color is active (serves production) at any moment. */
  active: boolean;
  /** Live health from the runtime, when it answered. */
  health?: 'healthy' | 'unhealthy' | 'starting' | 'absent';
  /** The idle color stays running until then, for instant rollback; ISO 8601. */
  warmUntil?: string;
}

/**
 * Why traffic moved.
 *
 * @public
 */
export type SwitchKind =
  | 'switch'
  | 'rollback-switch'
  | 'deployment'
  | 'canary-promotion'
  | 'canary-abort';

/**
 * One traffic switch between colors, as recorded in the switch history.
 *
 * @public
 */
export interface SwitchRecord {
  id: string;
  modelId: string;
  kind: SwitchKind;
  from?: SlotName;
  to: SlotName;
  fromVersion?: string;
  toVersion?: string;
  /** Who asked (a user or service ref), and why. */
  requestedBy?: string;
  reason?: string;
  /** The deployment run that switched, if any. */
  runId?: string;
  status: 'in_progress' | 'succeeded' | 'failed' | 'rolled_back';
  error?: string;
  checks: StageCheck[];
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
}

/**
 * One analysis of a canary step: the canary's live figures against the rules and the stable color.
 *
 * @public
 */
export interface CanaryAnalysis {
  step: number;
  weight: number;
  at: string;
  ok: boolean;
  canary: { requests: number; errorRatePct: number; p95Ms: number };
  stable: { requests: number; errorRatePct: number; p95Ms: number };
  reasons: string[];
}

/**
 * A canary release in progress or just ended.
 *
 * @public
 */
export interface CanaryState {
  runId: string;
  version: string;
  slot: 'blue' | 'green';
  /** Traffic weights of the steps, e.g. [10, 50, 100]. */
  steps: number[];
  /** Index into steps of the step running now. */
  step: number;
  weight: number;
  status: 'progressing' | 'paused' | 'promoted' | 'aborted';
  analyses: CanaryAnalysis[];
}

/**
 * `GET /entities/:kind/:namespace/:name/environments`.
 *
 * @public
 */
export interface EnvironmentsResponse {
  productionEndpoint?: string;
  activeSlot?: 'blue' | 'green';
  slots: EnvironmentSlot[];
  history: SwitchRecord[];
  canary?: CanaryState;
}

/**
 * `POST /entities/:kind/:namespace/:name/environments/switch`.
 *
 * @public
 */
export interface SwitchRequest {
  /** The color to switch to; the idle one when absent. */
  to?: 'blue' | 'green';
  reason?: string;
}
