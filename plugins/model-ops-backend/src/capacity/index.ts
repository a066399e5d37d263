/**
 * The capacity capability: the cost model arithmetic that monitoring's cost per request is
 * measured with, capacity planning of each model from monitoring's stored series (usage,
 * bottlenecks, projections, costs and recommendations), and the demo history that seeds 30
 * days of samples for the demo models.
 */
import {
  LoggerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { RuleSet } from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { Capability } from '../lib/tasks';
import type { ModelIndex, ModelStore } from '../models';
import { DatabaseCapacitySeries, VersionSources } from './CapacityData';
import { CapacityService, DefaultCapacityService } from './CapacityService';
import { CostModel } from './costs';
import { CapacityOptions } from './report';
import type { SeededHistoryStore } from './SeededHistory';
import {
  CapacitySummaryTask,
  DatabaseCapacitySummaryStore,
} from './CapacitySummaries';

export {
  costOf,
  costPerRequest,
  createCostPerRequest,
  currencyOf,
  instanceHourPrice,
} from './costs';
export type { CostModel } from './costs';
export { DefaultCapacityService } from './CapacityService';
export type { CapacityService } from './CapacityService';
export { DEFAULT_CAPACITY_OPTIONS } from './report';
export type { CapacityOptions } from './report';
export type { SeededHistoryStore, SeededRange } from './SeededHistory';
export { DatabaseSeededHistoryStore } from './SeededHistory';
export { createDemoHistory } from './DemoHistory';
export {
  CapacitySummaryTask,
  DatabaseCapacitySummaryStore,
  SUMMARY_PERIOD,
  summarizeReport,
} from './CapacitySummaries';
export type { CapacitySummaryStore } from './CapacitySummaries';

/**
 * Creates the capacity capability: its service, and the task that stores each model's summary
 * for the Model Ops page (once per cluster).
 *
 * @internal
 */
export function createCapacity(deps: {
  knex: Knex;
  models: ModelIndex;
  store: ModelStore;
  /** The switch history (the environments capability's switch store). */
  switches: VersionSources['switches'];
  /** Where demo history is recorded, when it is. */
  seeded?: SeededHistoryStore;
  costModels: Map<string, CostModel>;
  ruleSets: Map<string, RuleSet>;
  options: CapacityOptions;
  summarySchedule: SchedulerServiceTaskScheduleDefinition;
  logger: LoggerService;
}): Capability<CapacityService> {
  const summaries = DatabaseCapacitySummaryStore.create({ knex: deps.knex });
  const service = new DefaultCapacityService({
    models: deps.models,
    store: deps.store,
    series: DatabaseCapacitySeries.create({ knex: deps.knex }),
    switches: deps.switches,
    seeded: deps.seeded,
    costModels: deps.costModels,
    ruleSets: deps.ruleSets,
    options: deps.options,
    summaries,
    logger: deps.logger,
  });
  return {
    service,
    tasks: [
      new CapacitySummaryTask(
        {
          specs: () => deps.models.specs(),
          modelIds: async () => (await deps.models.list()).map(m => m.modelId),
          summarize: spec => service.summarize(spec),
          store: summaries,
          logger: deps.logger,
        },
        deps.summarySchedule,
      ),
    ],
  };
}
