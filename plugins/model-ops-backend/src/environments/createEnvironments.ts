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
import { SwitchRecovery } from './SwitchRecovery';
import { SwitchStore } from './SwitchStore';
import { TrafficReconciler } from './TrafficReconciler';
import { SwitchOptions, TrafficSwitcher } from './TrafficSwitcher';
import { TrafficSwitching } from './TrafficSwitching';
import { WarmColorCooldown } from './WarmColorCooldown';
import {
  DEFAULT_SWITCH_LEASE_SECONDS,
  processSwitchOwner,
} from './switchOwner';

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
  /** Who holds this process's switches (tests run several in one process). */
  owner?: string;
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
      owner: deps.owner,
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
    /**
     * When expired switches are taken over and runtime traffic is compared with the active
     * colors (once across replicas). Without it there is no reconciler (tests of the service).
     */
    reconcileSchedule?: SchedulerServiceTaskScheduleDefinition;
    /** The lease of the switches the reconciler takes over or repairs with. Default 30. */
    leaseSeconds?: number;
  };
  /** Replaces the database switch store (tests). */
  switches?: SwitchStore;
  /** Who holds this process's switches (tests run several in one process). */
  owner?: string;
}

/**
 * The environments routes' service, the task that stops idle colors once they have cooled, and
 * the reconciler that recovers abandoned switches and keeps runtime traffic on the active color.
 *
 * @internal
 */
export function createEnvironments(
  deps: EnvironmentsDeps,
): Capability<EnvironmentsService> {
  const switches =
    deps.switches ?? DatabaseSwitchStore.create({ knex: deps.knex });
  const service = new DefaultEnvironmentsService({
    models: deps.models,
    store: deps.store,
    switches,
    switching: deps.switching,
    deployments: deps.deployments,
    guard: deps.guard,
    logger: deps.logger,
    getRuntime: deps.getRuntime,
  });
  const tasks: Capability<EnvironmentsService>['tasks'] = [
    new WarmColorCooldown(service, deps.options.cooldownSchedule),
  ];
  const { reconcileSchedule } = deps.options;
  if (reconcileSchedule) {
    const owner = deps.owner ?? processSwitchOwner();
    const leaseSeconds =
      deps.options.leaseSeconds ?? DEFAULT_SWITCH_LEASE_SECONDS;
    tasks.push(
      new TrafficReconciler(
        {
          switches,
          recovery: new SwitchRecovery({
            switches,
            logger: deps.logger,
            owner,
            leaseSeconds,
          }),
          store: deps.store,
          deployments: deps.deployments,
          // The runtime the model's annotation names, as the cooldown uses.
          runtimeOf: async modelId =>
            deps.getRuntime(
              (await deps.models.get(modelId))?.spec?.runtime ?? 'local',
            ),
          logger: deps.logger,
          owner,
          leaseSeconds,
        },
        reconcileSchedule,
      ),
    );
  }
  return { service, tasks };
}
