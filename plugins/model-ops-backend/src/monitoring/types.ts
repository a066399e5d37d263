import {
  BackstageCredentials,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  AlertRecord,
  MetricsResponse,
  ModelStatusResponse,
} from '@model-ops/plugin-model-ops-common';
import type { MetricCollectProblem } from '@model-ops/plugin-model-ops-node';

/**
 * What one monitoring tick did.
 *
 * @internal
 */
export interface TickResult {
  models: number;
  samples: number;
  newlyFiring: AlertRecord[];
  resolved: AlertRecord[];
  durationMs: number;
  /** What the metric sources could not collect in this tick (its data is missing). */
  problems: TickProblem[];
}

/**
 * A part of a tick's collection that failed: a source's query or target, or the whole source.
 *
 * @internal
 */
export interface TickProblem extends MetricCollectProblem {
  /** The metric source's id. */
  source: string;
}

/**
 * The monitoring capability's service: collection ticks, and the reads of the Alerts tab.
 *
 * @internal
 */
export interface MonitoringService {
  /** One collection and evaluation across all models. */
  tick(): Promise<TickResult>;
  status(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<ModelStatusResponse>;
  series(
    ref: CompoundEntityRef,
    query: { from?: unknown; to?: unknown; step?: unknown },
    credentials: BackstageCredentials,
  ): Promise<MetricsResponse>;
  listAlerts(
    ref: CompoundEntityRef,
    state: unknown,
    credentials: BackstageCredentials,
  ): Promise<AlertRecord[]>;
  /** Firing alerts per model, for the model list. */
  openAlertCounts(modelIds: string[]): Promise<Map<string, number>>;
}

/**
 * Options of the monitoring capability, from `modelOps.monitoring`.
 *
 * @internal
 */
export interface MonitoringOptions {
  schedule: SchedulerServiceTaskScheduleDefinition;
  intervalSeconds: number;
  sampleRetentionDays: number;
  rollupRetentionDays: number;
  /** How long resolved alerts are kept. */
  alertRetentionDays: number;
  retentionSchedule: SchedulerServiceTaskScheduleDefinition;
}
