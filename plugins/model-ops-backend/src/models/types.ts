import {
  BackstageCredentials,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef, Entity } from '@backstage/catalog-model';
import {
  ModelDetails,
  ModelSpec,
  ModelSpecContext,
  ModelSpecProblem,
  ModelSummary,
} from '@model-ops/plugin-model-ops-common';

/**
 * A model as the index holds it: its entity, and its spec when the annotations are good.
 *
 * @internal
 */
export interface IndexedModel {
  entityRef: string;
  modelId: string;
  entity: Entity;
  /** Undefined when the annotations have problems. */
  spec?: ModelSpec;
  problems: ModelSpecProblem[];
}

/**
 * A model that a caller may see and whose annotations are good.
 *
 * @internal
 */
export interface ResolvedModel {
  entity: Entity;
  entityRef: string;
  spec: ModelSpec;
}

/**
 * Every model the catalog declares, refreshed on a schedule (and on demand), so the catalog is
 * read once per interval however many tasks and routes ask.
 *
 * @internal
 */
export interface ModelIndex {
  /** Every model as of the last refresh (refreshes first when none has happened yet). */
  list(): Promise<IndexedModel[]>;
  /** The models with good annotations, as of the last refresh. */
  specs(): Promise<ModelSpec[]>;
  /** One model by id, as of the last refresh. */
  get(modelId: string): Promise<IndexedModel | undefined>;
  /**
   * The model an entity declares, for a caller who may see the entity (the catalog is asked
   * with the caller's credentials). 404 when there is no such entity or it is no model, 400
   * naming every bad annotation (`lenient` accepts a model whose id is good but another
   * annotation is bad, for read-only views). `field` prefixes the messages with the request field that named
   * the entity; `purpose` is said in the bad-annotations message ("cannot be deployed").
   */
  resolve(
    ref: CompoundEntityRef | string,
    credentials: BackstageCredentials,
    options?: { field?: string; purpose?: string; lenient?: boolean },
  ): Promise<ResolvedModel>;
  /** One model by id as of the last refresh, without waiting (undefined before the first). */
  peek(modelId: string): IndexedModel | undefined;
  /** One entity as the caller may see it (the catalog asked with the caller's credentials). */
  getVisible(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Entity | undefined>;
  /** The model entities the caller may see, read with the caller's credentials. */
  listVisible(credentials: BackstageCredentials): Promise<Entity[]>;
  /** What annotations may name: runtimes, metric sources, rule sets, routes, cost models. */
  specContext(): ModelSpecContext;
  /** Reads the catalog now. */
  refresh(): Promise<void>;
}

/**
 * The model list and one model's details, for the routes.
 *
 * @internal
 */
export interface ModelsService {
  listModels(credentials: BackstageCredentials): Promise<ModelSummary[]>;
  getModel(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<ModelDetails>;
}

/**
 * Options of the models capability, from `modelOps.models` config.
 *
 * @internal
 */
export interface ModelIndexOptions {
  /** How old the index may be before a reader refreshes it itself. */
  maxAgeMs: number;
  /** The schedule of the refresh task (every replica). */
  schedule: SchedulerServiceTaskScheduleDefinition;
}
