/**
 * The models capability: what the catalog declares (the {@link ModelIndex}, the one reader of
 * the catalog for every task and route, which also decides who owns each model id), what the
 * plugin has stored of each model, and the model list and detail routes.
 */
import {
  AuthService,
  DatabaseService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import {
  BUILT_IN_METRIC_SOURCES,
  BUILT_IN_RUNTIMES,
  ModelCapacitySummary,
  ModelSpec,
  ModelSpecContext,
} from '@model-ops/plugin-model-ops-common';
import { Capability } from '../lib/tasks';
import { ClaimStore } from './ClaimStore';
import { DatabaseModelStore } from './DatabaseModelStore';
import { DefaultModelIndex, ModelIndexRefresher } from './ModelIndex';
import { DefaultModelsService } from './ModelsService';
import { ModelIndex, ModelIndexOptions, ModelsService } from './types';
import { ModelStore } from './ModelStore';

export type { ModelStore, StoredModel } from './ModelStore';
export type {
  IndexedModel,
  ListModelsQuery,
  ModelClaim,
  ModelIndex,
  ModelIndexOptions,
  ModelsService,
  ResolvedModel,
} from './types';
export { applyDatabaseMigrations } from './DatabaseModelStore';
export { DatabaseClaimStore } from './ClaimStore';
export { assertDeployable, isExternalModel } from './external';
export type { ClaimStore } from './ClaimStore';

/**
 * The store of what the plugin knows of each model; its creation applies the plugin's
 * migrations, so it is built first.
 *
 * @internal
 */
export async function createModelStore(deps: {
  database: DatabaseService;
}): Promise<ModelStore> {
  return DatabaseModelStore.create({ database: deps.database });
}

/**
 * The index of the catalog's models and the task that keeps it fresh.
 *
 * @internal
 */
export function createModelIndex(deps: {
  catalog: CatalogService;
  auth: AuthService;
  logger: LoggerService;
  options: ModelIndexOptions;
  /** Where owners of model ids are recorded (the plugin's database). */
  claims?: ClaimStore;
  /** The ids the installed extensions add to the built-in runtimes and metric sources. */
  extensions: { runtimeIds(): string[]; metricSourceIds(): string[] };
  /** The named rule sets, alert routes and cost models in config. */
  names: { ruleSets: string[]; alertRoutes: string[]; costModels: string[] };
}): Capability<ModelIndex> {
  // Read at each use: modules may add runtimes and sources until the plugin starts.
  const specContext = (): ModelSpecContext => ({
    runtimes: [
      ...new Set([...BUILT_IN_RUNTIMES, ...deps.extensions.runtimeIds()]),
    ],
    metricSources: [
      ...new Set([
        ...BUILT_IN_METRIC_SOURCES,
        ...deps.extensions.metricSourceIds(),
      ]),
    ],
    // The sources installed and configured: an external model's source must be among them.
    configuredMetricSources: deps.extensions.metricSourceIds(),
    ruleSets: deps.names.ruleSets,
    alertRoutes: deps.names.alertRoutes,
    costModels: deps.names.costModels,
  });
  const index = DefaultModelIndex.create({
    catalog: deps.catalog,
    auth: deps.auth,
    logger: deps.logger,
    specContext,
    options: deps.options,
    claims: deps.claims,
  });
  return {
    service: index,
    tasks: [new ModelIndexRefresher(index, deps.options.schedule)],
  };
}

/**
 * The model list and details for the routes.
 *
 * @internal
 */
export function createModels(deps: {
  index: ModelIndex;
  store: ModelStore;
  logger: LoggerService;
  /** Firing alerts per model (the monitoring service). */
  alerts?: {
    openAlertCounts(modelIds: string[]): Promise<Map<string, number>>;
  };
  /** Each model's last capacity summary (the capacity service). */
  capacity?: {
    capacitySummaries(
      modelIds: string[],
    ): Promise<Map<string, ModelCapacitySummary>>;
  };
  /** The runtimes, for the stable production endpoint a model's runtime reports. */
  getRuntime?: (id: string) => ModelRuntime | undefined;
  /**
   * Decides whether a caller may read every catalog entity, so the model list is served from
   * the index; without it, the catalog is asked with the caller's credentials each time.
   */
  permissions?: PermissionsService;
}): Capability<ModelsService> {
  const getRuntime = deps.getRuntime;
  const alerts = deps.alerts;
  const capacity = deps.capacity;
  return {
    service: new DefaultModelsService({
      index: deps.index,
      store: deps.store,
      logger: deps.logger,
      permissions: deps.permissions,
      openAlertCounts: alerts ? ids => alerts.openAlertCounts(ids) : undefined,
      capacitySummaries: capacity
        ? ids => capacity.capacitySummaries(ids)
        : undefined,
      productionEndpoint: getRuntime
        ? async (spec: ModelSpec) =>
            (
              await getRuntime(spec.runtime)?.describe({
                model: { modelId: spec.modelId, entityRef: spec.entityRef },
              })
            )?.productionEndpoint
        : undefined,
    }),
    tasks: [],
  };
}
