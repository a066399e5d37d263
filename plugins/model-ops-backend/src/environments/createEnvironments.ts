import {
  LoggerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { RuleSet } from '@model-ops/plugin-model-ops-common';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { ActionGuard } from '../lib/guard';
import { Capability } from '../lib/tasks';
import { ModelIndex, ModelStore } from '../models';
import { DatabaseSwitchStore } from './DatabaseSwitchStore';
import { DefaultEnvironmentsService } from './DefaultEnvironmentsService';
import {
  EnvironmentsDeployments,
  EnvironmentsService,
} from './EnvironmentsService';
import { SwitchStore } from './SwitchStore';
import { SwitchOptions, TrafficSwitcher } from './TrafficSwitcher';
import { TrafficSwitching } from './TrafficSwitching';
import { WarmColorCooldown } from './WarmColorCooldown';

/**
 * What traffic switching is built from.
 *
 * @internal
 */
export interface TrafficSwitchingDeps {
  logger: LoggerService;
  /** The plugin's database, migrated (the models store applies the migrations). */
  knex: Knex;
  options: SwitchOptions;
  /** The configured rule sets (`modelOps.rules`), where the health limits come from. */
  ruleSets: ReadonlyMap<string, RuleSet>;
  /** Replaces the database switch store (tests). */
  switches?: SwitchStore;
}

/**
 * Traffic switching between a model's colors, which the pipeline's strategies and the
 * environments routes both use. It has no tasks of its own.
 *
 * @internal
 */
export function createTrafficSwitching(
  deps: TrafficSwitchingDeps,
): Capability<TrafficSwitching> {
  return {
    service: new TrafficSwitcher({
      switches:
        deps.switches ?? DatabaseSwitchStore.create({ knex: deps.knex }),
      logger: deps.logger,
      options: deps.options,
      ruleSets: deps.ruleSets,
    }),
    tasks: [],
  };
}

/**
 * What the environments capability is built from.
 *
 * @internal
 */
export interface EnvironmentsDeps {
  logger: LoggerService;
  guard: ActionGuard;
  models: ModelIndex;
  store: ModelStore;
  knex: Knex;
  getRuntime: (id: string) => ModelRuntime | undefined;
  switching: TrafficSwitching;
  deployments: EnvironmentsDeployments;
  options: {
    /** When idle colors past their warm period are stopped (once across replicas). */
    cooldownSchedule: SchedulerServiceTaskScheduleDefinition;
  };
  /** Replaces the database switch store (tests). */
  switches?: SwitchStore;
}

/**
 * The environments routes' service and the task that stops idle colors once they have cooled.
 *
 * @internal
 */
export function createEnvironments(
  deps: EnvironmentsDeps,
): Capability<EnvironmentsService> {
  const service = new DefaultEnvironmentsService({
    models: deps.models,
    store: deps.store,
    switches: deps.switches ?? DatabaseSwitchStore.create({ knex: deps.knex }),
    switching: deps.switching,
    deployments: deps.deployments,
    guard: deps.guard,
    logger: deps.logger,
    getRuntime: deps.getRuntime,
  });
  return {
    service,
    tasks: [new WarmColorCooldown(service, deps.options.cooldownSchedule)],
  };
}
