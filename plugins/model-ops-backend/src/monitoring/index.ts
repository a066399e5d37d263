/**
 * The monitoring capability: collection ticks over every model's metric source, per-minute
 * samples with hourly rollups and retention, threshold rules into alert states and the model's
 * status, and the reads of the Alerts tab.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { RuleSet } from '@model-ops/plugin-model-ops-common';
import { MetricSource } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { Capability } from '../lib/tasks';
import type { ModelIndex, ModelStore } from '../models';
import { AlertStore, DatabaseAlertStore } from './AlertStore';
import type { DeliveryPlanner } from '../alerting/DeliveryPlanner';
import { DatabaseMetricsStore, DatabaseMonitoringState } from './MetricsStore';
import { DefaultMonitoringService } from './MonitoringService';
import { RuleEvaluator } from './RuleEvaluator';
import { MetricsRetentionTask, MonitoringTickTask } from './tasks';
import { MonitoringOptions, MonitoringService } from './types';

export {
  DatabaseMetricsStore,
  DatabaseMonitoringState,
  SLOT_AGGREGATION,
  combineSlots,
} from './MetricsStore';
export type {
  LatestSample,
  MetricsStore,
  MonitoringState,
} from './MetricsStore';
export {
  RuleEvaluator,
  TREND_TOLERANCE,
  alertFingerprint,
  ruleLevel,
  trend,
} from './RuleEvaluator';
export type {
  AlertReading,
  AlertTransition,
  Evaluation,
  ModelHealth,
  NewAlert,
  RuleLevel,
  SlotValue,
} from './RuleEvaluator';
export { DatabaseAlertStore } from './AlertStore';
export type { AlertStore, AppliedTransitions } from './AlertStore';
export type { MonitoringOptions, MonitoringService, TickResult } from './types';

/**
 * Creates the monitoring capability: its service, the collection tick and the retention task.
 *
 * @internal
 */
export function createMonitoring(deps: {
  knex: Knex;
  /** The alert store, when another capability shares it. */
  alerts?: AlertStore;
  /** Writes the notifications of alert changes (the alerting capability). */
  planner?: DeliveryPlanner;
  models: ModelIndex;
  store: ModelStore;
  logger: LoggerService;
  ruleSets: Map<string, RuleSet>;
  getMetricSource: (id: string) => MetricSource | undefined;
  options: MonitoringOptions;
}): Capability<MonitoringService> {
  const metrics = DatabaseMetricsStore.create({ knex: deps.knex });
  const alerts = deps.alerts ?? DatabaseAlertStore.create({ knex: deps.knex });
  const service = new DefaultMonitoringService({
    models: deps.models,
    logger: deps.logger,
    store: deps.store,
    metrics,
    alerts,
    planner: deps.planner,
    evaluator: new RuleEvaluator(),
    ruleSets: deps.ruleSets,
    getMetricSource: deps.getMetricSource,
    intervalSeconds: deps.options.intervalSeconds,
    // The last tick and the sources' counters in the database: a tick is right on any replica.
    state: DatabaseMonitoringState.create({ knex: deps.knex }),
  });
  return {
    service,
    tasks: [
      new MonitoringTickTask(service, deps.options.schedule),
      new MetricsRetentionTask({
        metrics,
        alerts,
        schedule: deps.options.retentionSchedule,
        retention: deps.options,
      }),
    ],
  };
}
