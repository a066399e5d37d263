import { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';

/**
 * The budgets a version must meet in testing and production verification.
 *
 * @internal
 */
export interface PipelineBudgets {
  performance: { requests: number; p95BudgetMs: number };
  load: {
    concurrency: number;
    durationSeconds: number;
    maxErrorRatePct: number;
    minThroughputRps: number;
  };
  verification: { probes: number; maxErrorRatePct: number };
}

/**
 * Settings of the deployment pipeline (`modelOps.pipeline`).
 *
 * @internal
 */
export interface PipelineOptions {
  defaults: PipelineBudgets;
  perModel: Map<string, PipelineBudgets>;
  leaseSeconds: number;
  pollIntervalSeconds: number;
  /** 0 makes a replica that serves the API but executes no runs. */
  maxConcurrentRuns: number;
  /** Relative `file:` artifacts resolve against it. */
  fileRoot: string;
  /** The folders `file:` artifacts may come from (checked by real path); `[fileRoot]` when absent. */
  fileRoots?: string[];
  /** The most bytes an artifact may have, per file and in total; 200 MiB when absent. */
  maxArtifactBytes?: number;
  cacheDir: string;
  /** Production-like inputs sent through the router when verifying a new version. */
  verificationInputs: string[];
  verificationFile?: string;
}

/**
 * The budgets when config sets none.
 *
 * @internal
 */
export const DEFAULT_BUDGETS: PipelineBudgets = {
  performance: { requests: 50, p95BudgetMs: 100 },
  load: {
    concurrency: 4,
    durationSeconds: 3,
    maxErrorRatePct: 1,
    minThroughputRps: 20,
  },
  verification: { probes: 10, maxErrorRatePct: 0 },
};

/**
 * How a canary release steps and what its analysis allows (`modelOps.canary`).
 *
 * @internal
 */
export interface CanaryOptions {
  /** Traffic weights of the steps; the last must be 100. */
  steps: number[];
  /** How long each step's traffic is analysed before the next. */
  stepSeconds: number;
  /** Pause between the analysis requests of a step. */
  analysisIntervalMs: number;
  /** The canary's p95 may be at most this many times the stable color's (plus 20 ms). */
  maxLatencyRatio: number;
  /** The canary's error rate may exceed the stable color's by at most this many points. */
  maxErrorRateIncreasePct: number;
}

/**
 * The canary settings when config sets none.
 *
 * @internal
 */
export const DEFAULT_CANARY_OPTIONS: CanaryOptions = {
  steps: [10, 50, 100],
  stepSeconds: 10,
  analysisIntervalMs: 20,
  maxLatencyRatio: 2,
  maxErrorRateIncreasePct: 1,
};

/**
 * Everything the deployments capability is configured with; config.ts builds it.
 *
 * @internal
 */
export interface DeploymentsOptions {
  pipeline: PipelineOptions;
  canary: CanaryOptions;
  /** The JSON file listing the artifacts offered in the Deploy dialog, resolved; none by default. */
  artifactIndexFile?: string;
  /** When production is compared with what the runtime runs (in every replica). */
  reconcileSchedule: SchedulerServiceTaskScheduleDefinition;
  /** Gives every demo model a first version; off unless `bootstrap`. */
  demo?: {
    bootstrap: boolean;
    /** The version of each model to deploy from the artifact index. */
    version: string;
    /** Once across replicas. */
    schedule: SchedulerServiceTaskScheduleDefinition;
  };
}
