import { JsonObject } from '@backstage/types';
import {
  CanaryState,
  DeploymentRun,
  DeploymentStrategy,
  RunStatus,
  StageCheck,
  StageMetrics,
  StageName,
  StageStatus,
} from '@model-ops/plugin-model-ops-common';

/**
 * A run as the worker sees it: the API shape plus its lease.
 *
 * @internal
 */
export interface StoredRun extends DeploymentRun {
  leaseOwner?: string;
  leaseExpiresAt?: Date;
}

/**
 * What a new run is made of.
 *
 * @internal
 */
export interface NewRun {
  id: string;
  modelId: string;
  entityRef: string;
  kind: 'deploy' | 'rollback';
  version: string;
  artifact: { uri: string; sha256?: string };
  config: Record<string, unknown>;
  strategy: DeploymentStrategy;
  runtime: string;
  /** Default `default`. */
  rules?: string;
  previousVersion?: string;
  createdBy?: string;
  stages: StageName[];
}

/**
 * Changes to a stage; lists replace the stored ones.
 *
 * @internal
 */
export interface StageUpdate {
  status?: StageStatus;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  checks?: StageCheck[];
  errors?: string[];
  metrics?: StageMetrics;
}

/**
 * Changes to a run, made by the worker that holds its lease.
 *
 * @internal
 */
export interface RunChanges {
  status?: RunStatus;
  stage?: StageName | null;
  error?: string | null;
  startedAt?: Date;
  finishedAt?: Date;
  previousVersion?: string | null;
}

/**
 * A version that reached production in a succeeded run, with the artifact it came from.
 *
 * @internal
 */
export interface SucceededVersion {
  version: string;
  uri: string;
  sha256?: string;
  finishedAt: string;
  /** The runtime configuration the run deployed it with (`config.runtime`). */
  runtimeConfig: JsonObject;
}

/**
 * Persistence of deployment runs and their stages, with the lease that makes a run executed by
 * exactly one backend replica at a time.
 *
 * @internal
 */
export interface RunStore {
  /** Creates a pending run; a ConflictError when the model already has an active run. */
  createRun(run: NewRun): Promise<StoredRun>;
  getRun(id: string): Promise<StoredRun | undefined>;
  /** A NotFoundError when there is no such run. */
  getRunOrThrow(id: string): Promise<StoredRun>;
  getActiveRun(modelId: string): Promise<StoredRun | undefined>;
  /** Runs of a model, newest first, with a cursor for the next page. */
  listRuns(
    modelId: string,
    options: { limit: number; cursor?: string },
  ): Promise<{ items: StoredRun[]; nextCursor?: string }>;
  /**
   * Claims one run that needs a worker: pending, or running with an expired lease (its replica
   * died). Atomic across replicas; leases are given and compared on the database's clock.
   */
  claimNextRun(owner: string, leaseMs: number): Promise<StoredRun | undefined>;
  /** Extends the lease; false when another replica has taken the run over. */
  renewLease(id: string, owner: string, leaseMs: number): Promise<boolean>;
  releaseLease(id: string, owner: string): Promise<void>;
  /** Updates a run while holding its lease; false when the lease was lost. */
  updateRun(id: string, owner: string, changes: RunChanges): Promise<boolean>;
  /** Updates a stage while `owner` holds the run's lease; false (and nothing written) otherwise. */
  updateStage(
    runId: string,
    name: StageName,
    update: StageUpdate,
    owner: string,
  ): Promise<boolean>;
  /** Marks an active run for cancellation; the worker stops at the next safe point. */
  requestCancel(id: string): Promise<StoredRun>;
  isCancelRequested(id: string): Promise<boolean>;
  /** Stores the canary state of a run while holding its lease; false when the lease was lost. */
  setCanary(id: string, owner: string, canary: CanaryState): Promise<boolean>;
  /** Asks the worker of an active canary run to promote or abort it. */
  requestCanaryCommand(
    id: string,
    command: 'promote' | 'abort',
  ): Promise<StoredRun>;
  /** Reads and clears the pending canary command. */
  takeCanaryCommand(id: string): Promise<'promote' | 'abort' | undefined>;
  /** The newest run of a model that carries canary state. */
  latestCanaryRun(modelId: string): Promise<StoredRun | undefined>;
  /** Versions that reached production in a succeeded run, newest first. */
  listSucceededVersions(modelId: string): Promise<SucceededVersion[]>;
}
