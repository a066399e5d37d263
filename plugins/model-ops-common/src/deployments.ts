import type { CanaryState } from './environments';
import { DeploymentStrategy } from './spec';

/**
 * The state of a deployment run.
 *
 * @public
 */
export type RunStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'rolled_back'
  | 'cancelled';

/**
 * Run statuses that mean the run is still going.
 *
 * @public
 */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['pending', 'running'];

/**
 * The stages of a deployment run, in order.
 *
 * @public
 */
export type StageName = 'validation' | 'testing' | 'staging' | 'production';

/**
 * Every stage, in the order a deploy run goes through them.
 *
 * @public
 */
export const STAGE_NAMES: readonly StageName[] = [
  'validation',
  'testing',
  'staging',
  'production',
];

/**
 * The state of one stage of a run.
 *
 * @public
 */
export type StageStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';

/**
 * One check a stage made: what was checked, whether it held, and the detail.
 *
 * @public
 */
export interface StageCheck {
  name: string;
  ok: boolean;
  detail?: string;
  /** When the check ran; ISO 8601. */
  at: string;
  durationMs?: number;
}

/**
 * Figures a stage measured, e.g. `p95Ms`, `throughputRps`, `errorRatePct`.
 *
 * @public
 */
export type StageMetrics = Record<string, number | string>;

/**
 * One stage of a run.
 *
 * @public
 */
export interface DeploymentStage {
  name: StageName;
  status: StageStatus;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  checks: StageCheck[];
  errors: string[];
  metrics: StageMetrics;
}

/**
 * A deployment or rollback run of a model.
 *
 * @public
 */
export interface DeploymentRun {
  id: string;
  modelId: string;
  entityRef: string;
  kind: 'deploy' | 'rollback';
  version: string;
  artifact: { uri: string; sha256?: string };
  config: Record<string, unknown>;
  strategy: DeploymentStrategy;
  /** The runtime the model named when the run was created. */
  runtime: string;
  /** The rule set that judges the run's health watches and canary analyses. */
  rules: string;
  /** The canary release of this run, when its strategy is canary. */
  canary?: CanaryState;
  /** A promote or abort asked for and not yet carried out. */
  canaryCommand?: 'promote' | 'abort';
  status: RunStatus;
  stage?: StageName;
  previousVersion?: string;
  error?: string;
  createdBy?: string;
  cancelRequested: boolean;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  stages: DeploymentStage[];
}

/**
 * `POST /deployments`.
 *
 * @public
 */
export interface CreateDeploymentRequest {
  entityRef: string;
  version: string;
  artifact: { uri: string; sha256?: string };
  config?: Record<string, unknown>;
  strategy?: DeploymentStrategy;
}

/**
 * `POST /entities/:kind/:namespace/:name/rollback`.
 *
 * @public
 */
export interface RollbackRequest {
  toVersion?: string;
}

/**
 * `GET /entities/:kind/:namespace/:name/deployments`.
 *
 * @public
 */
export interface ListDeploymentsResponse {
  items: DeploymentRun[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
}

/**
 * A version offered in the Deploy dialog: the versions an artifact index lists for a model.
 *
 * @public
 */
export interface AvailableVersion {
  version: string;
  uri: string;
  sha256?: string;
  summary?: string;
}
