import {
  BackstageCredentials,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef, Entity } from '@backstage/catalog-model';
import {
  ListModelsResponse,
  ModelDetails,
  ModelSpec,
  ModelSpecContext,
  ModelSpecProblem,
  ModelStatus,
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
  /**
   * Undefined when the annotations have problems, or when another entity owns the model id
   * (so no task monitors, deploys or reconciles a model through a second claimant).
   */
  spec?: ModelSpec;
  /** The annotations' problems, and the model id's claim problem when there is one. */
  problems: ModelSpecProblem[];
  /** Who owns the model id; undefined when the id is missing or invalid. */
  claim?: ModelClaim;
}

/**
 * Who owns a model id. The first entity by `metadata.uid` that declares an id owns it; every
 * other entity declaring it is a rival, refused every action on the model, so that declaring
 * someone else's id gives no way around their ownership.
 *
 * @internal
 */
export interface ModelClaim {
  modelId: string;
  /** The entity that owns the id. */
  ownerRef: string;
  /** The other entities that declare the id, by uid. */
  rivals: string[];
}

/**
 * A model that a caller may see and whose annotations are good.
 *
 * @internal
 */
export interface ResolvedModel {
  entity: Entity;
  /** The entity that owns the model id, the one permissions are checked against. */
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
  /** The models with good annotations that own their ids, as of the last refresh. */
  specs(): Promise<ModelSpec[]>;
  /** The model that owns an id, as of the last refresh. */
  get(modelId: string): Promise<IndexedModel | undefined>;
  /**
   * The model an entity declares, for a caller who may see the entity (the catalog is asked
   * with the caller's credentials). 404 when there is no such entity or it is no model, 409
   * naming the owner when another entity owns the model id (for reads as well as writes, so
   * nothing of another entity's model is reached through a rival), 400 naming every bad
   * annotation (`lenient` accepts a model whose id is good but another annotation is bad, for
   * read-only views). `field` prefixes the messages with the request field that named the
   * entity; `purpose` is said in the bad-annotations message ("cannot be deployed").
   */
  resolve(
    ref: CompoundEntityRef | string,
    credentials: BackstageCredentials,
    options?: { field?: string; purpose?: string; lenient?: boolean },
  ): Promise<ResolvedModel>;
  /**
   * Who owns the model id each entity declares (the entities' own valid ids, in order). An
   * entity the index does not know yet makes it read the catalog once first, so a newly
   * registered rival is never taken for an owner.
   */
  claims(
    declared: Array<{ entityRef: string; modelId: string }>,
  ): Promise<ModelClaim[]>;
  /** One model by id as of the last refresh, without waiting (undefined before the first). */
  peek(modelId: string): IndexedModel | undefined;
  /**
   * One entity as the caller may see it (the catalog asked with the caller's credentials). A ref
   * that cannot name an entity is a NotFoundError (path parts) or an InputError (a string).
   */
  getVisible(
    entityRef: CompoundEntityRef | string,
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
 * The fields `GET /models` sorts by.
 *
 * @internal
 */
export const MODEL_SORT_FIELDS = [
  'entityRef',
  'name',
  'owner',
  'status',
  'openAlerts',
  'projectedMonthlyCost',
  'productionVersion',
  'updatedAt',
] as const;

/** @internal */
export type ModelSortField = (typeof MODEL_SORT_FIELDS)[number];

/**
 * One page of the model list: filtered by text, owner and status, sorted, then paged.
 *
 * @internal
 */
export interface ListModelsQuery {
  /** Text the name, title, entity ref, description or owner contains (any case). */
  q?: string;
  /** An owner's entity ref; a bare name is a group in the default namespace. */
  owner?: string;
  status?: ModelStatus;
  /** entityRef when absent; ties are broken by entity ref. */
  sort?: ModelSortField;
  order?: 'asc' | 'desc';
  offset?: number;
  /** 1 to 500; 50 when absent. */
  limit?: number;
}

/**
 * The model list and one model's details, for the routes.
 *
 * @internal
 */
export interface ModelsService {
  /** One page of the models the caller may see, with how many match and the filter values. */
  listModels(
    credentials: BackstageCredentials,
    query?: ListModelsQuery,
  ): Promise<ListModelsResponse>;
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
