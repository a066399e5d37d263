import {
  AuthService,
  BackstageCredentials,
  LoggerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_MODEL_ID,
  ModelSpec,
  ModelSpecContext,
  parseModelSpec,
} from '@model-ops/plugin-model-ops-common';
import { PluginTask } from '../lib/tasks';
import {
  Claimant,
  claimOf,
  claimProblems,
  claimTable,
  isKnownClaim,
} from './claims';
import { ClaimStore } from './ClaimStore';
import {
  IndexedModel,
  ModelClaim,
  ModelIndex,
  ModelIndexOptions,
  ResolvedModel,
} from './types';

/** The entity fields the plugin reads; the rest of an entity is never fetched. */
export const MODEL_ENTITY_FIELDS = [
  'kind',
  'metadata.uid',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.description',
  'metadata.annotations',
  'spec.owner',
];

/** The catalog filter that finds models: the id annotation is present. */
export const MODEL_ENTITY_FILTER = {
  [`metadata.annotations.${ANNOTATION_MODEL_ID}`]: CATALOG_FILTER_EXISTS,
};

/**
 * The {@link ModelIndex} on Backstage's catalog: one streamed read of every model entity per
 * refresh, with the plugin's own service credentials; readers share it, and concurrent
 * readers of a stale index share one refresh.
 *
 * @internal
 */
export class DefaultModelIndex implements ModelIndex {
  private models: IndexedModel[] = [];
  private byModelId = new Map<string, IndexedModel>();
  private claimsById = new Map<string, ModelClaim>();
  private refreshedAt?: number;
  private inFlight?: Promise<void>;

  static create(deps: {
    catalog: CatalogService;
    auth: AuthService;
    logger: LoggerService;
    specContext: () => ModelSpecContext;
    options: ModelIndexOptions;
    /** Where owners of model ids are recorded; without it, the first by uid owns an id. */
    claims?: ClaimStore;
    now?: () => number;
  }): DefaultModelIndex {
    return new DefaultModelIndex(deps);
  }

  private constructor(
    private readonly deps: {
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
      specContext: () => ModelSpecContext;
      options: ModelIndexOptions;
      claims?: ClaimStore;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  specContext(): ModelSpecContext {
    return this.deps.specContext();
  }

  async list(): Promise<IndexedModel[]> {
    await this.fresh();
    return this.models;
  }

  async specs(): Promise<ModelSpec[]> {
    return (await this.list()).flatMap(m => (m.spec ? [m.spec] : []));
  }

  async get(modelId: string): Promise<IndexedModel | undefined> {
    await this.fresh();
    return this.byModelId.get(modelId);
  }

  peek(modelId: string): IndexedModel | undefined {
    return this.byModelId.get(modelId);
  }

  async claims(
    declared: Array<{ entityRef: string; modelId: string }>,
  ): Promise<ModelClaim[]> {
    await this.fresh();
    if (
      declared.some(d => !isKnownClaim(this.claimsById, d.entityRef, d.modelId))
    ) {
      await this.refresh();
    }
    return declared.map(d => claimOf(this.claimsById, d.entityRef, d.modelId));
  }

  async resolve(
    ref: CompoundEntityRef | string,
    credentials: BackstageCredentials,
    options: { field?: string; purpose?: string; lenient?: boolean } = {},
  ): Promise<ResolvedModel> {
    const prefix = options.field ? `${options.field}: ` : '';
    const entityRef = checkedRef(ref, prefix);
    // Asked with the caller's credentials, so nobody reaches a model they may not see.
    const entity = await this.getVisible(entityRef, credentials);
    if (!entity) {
      throw new NotFoundError(`No entity ${entityRef} in the catalog`);
    }
    if (entity.metadata.annotations?.[ANNOTATION_MODEL_ID] === undefined) {
      const message = `${entityRef} is not a model: it has no ${ANNOTATION_MODEL_ID} annotation`;
      throw options.field
        ? new InputError(`${prefix}${message}`)
        : new NotFoundError(message);
    }
    const declaredBy = stringifyEntityRef(entity);
    const result = parseModelSpec(entity, this.specContext());
    if (result.spec) {
      // Checked first: a rival reaches nothing of the owner's model, not even its problems.
      const [claim] = await this.claims([
        { entityRef: declaredBy, modelId: result.spec.modelId },
      ]);
      if (claim.ownerRef !== declaredBy) {
        throw new ConflictError(
          `${prefix}model id ${claim.modelId} is already declared by ${claim.ownerRef}`,
        );
      }
    }
    if (options.lenient && result.spec) {
      return { entity, entityRef: declaredBy, spec: result.spec };
    }
    if (options.lenient) {
      throw new InputError(`${prefix}${entityRef} has no valid model id`);
    }
    if (!result.ok || !result.spec) {
      const what = options.purpose ? ` and ${options.purpose}` : '';
      throw new InputError(
        `${prefix}${declaredBy} has bad annotations${what}: ${result.problems
          .map(p => `${p.annotation}: ${p.message}`)
          .join('; ')}`,
      );
    }
    // The owner, since a rival was refused above: permissions are checked against it.
    return { entity, entityRef: declaredBy, spec: result.spec };
  }

  /** One entity as the caller may see it, or undefined. */
  async getVisible(
    entityRef: CompoundEntityRef | string,
    credentials: BackstageCredentials,
  ): Promise<Entity | undefined> {
    return this.deps.catalog.getEntityByRef(checkedRef(entityRef, ''), {
      credentials,
    });
  }

  /** The model entities a caller may see, read with the caller's credentials. */
  async listVisible(credentials: BackstageCredentials): Promise<Entity[]> {
    const entities: Entity[] = [];
    for await (const page of this.deps.catalog.streamEntities(
      { filter: MODEL_ENTITY_FILTER, fields: MODEL_ENTITY_FIELDS },
      { credentials },
    )) {
      entities.push(...page);
    }
    return entities;
  }

  async refresh(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.load().finally(() => {
        this.inFlight = undefined;
      });
    }
    await this.inFlight;
  }

  private async fresh(): Promise<void> {
    if (
      this.refreshedAt === undefined ||
      this.now() - this.refreshedAt > this.deps.options.maxAgeMs
    ) {
      await this.refresh();
    }
  }

  private async load(): Promise<void> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const entities: Entity[] = [];
    for await (const page of this.deps.catalog.streamEntities(
      { filter: MODEL_ENTITY_FILTER, fields: MODEL_ENTITY_FIELDS },
      { credentials },
    )) {
      entities.push(...page);
    }
    const context = this.specContext();
    const parsed = entities.map(entity => ({
      entity,
      entityRef: stringifyEntityRef(entity),
      result: parseModelSpec(entity, context),
    }));
    const claimants: Claimant[] = parsed.flatMap(p =>
      p.result.spec
        ? [
            {
              entityRef: p.entityRef,
              uid: p.entity.metadata.uid,
              modelId: p.result.spec.modelId,
            },
          ]
        : [],
    );
    const owners = await this.deps.claims?.settle(claimants);
    const claimsById = claimTable(claimants, owners);
    const models: IndexedModel[] = parsed
      .map(({ entity, entityRef, result }) => {
        const claim = result.spec && claimsById.get(result.spec.modelId);
        const owns = !claim || claim.ownerRef === entityRef;
        return {
          entity,
          entityRef,
          modelId:
            result.spec?.modelId ??
            entity.metadata.annotations?.[ANNOTATION_MODEL_ID] ??
            '',
          spec: result.ok && owns ? result.spec : undefined,
          problems: [...result.problems, ...claimProblems(claim, entityRef)],
          claim,
        };
      })
      .sort((a, b) => a.entityRef.localeCompare(b.entityRef));
    const byModelId = new Map<string, IndexedModel>();
    for (const model of models) {
      if (model.claim?.ownerRef === model.entityRef) {
        byModelId.set(model.modelId, model);
      }
    }
    this.models = models;
    this.byModelId = byModelId;
    this.claimsById = claimsById;
    this.refreshedAt = this.now();
  }
}

/**
 * Keeps the index fresh in every replica, so that readers seldom wait for the catalog.
 *
 * @internal
 */
export class ModelIndexRefresher implements PluginTask {
  readonly id = 'model-ops-model-index';
  readonly scope = 'local' as const;

  constructor(
    private readonly index: ModelIndex,
    readonly schedule: SchedulerServiceTaskScheduleDefinition,
  ) {}

  async run(): Promise<void> {
    await this.index.refresh();
  }
}

/**
 * The ref in its full form, refusing one that names no entity: a path part with `:` or `/` (no
 * entity's kind, namespace or name has one) is a 404, a malformed ref in a body a 400.
 */
function checkedRef(ref: CompoundEntityRef | string, prefix: string): string {
  if (typeof ref !== 'string') {
    const parts = [ref.kind, ref.namespace, ref.name];
    if (parts.some(part => part === '' || /[:/]/.test(part))) {
      throw new NotFoundError(
        `No entity ${parts.join(
          '/',
        )} in the catalog: a kind, namespace or name has no ':' or '/'`,
      );
    }
    return stringifyEntityRef(ref);
  }
  try {
    return stringifyEntityRef(parseEntityRef(ref));
  } catch (error) {
    throw new InputError(
      `${prefix}${JSON.stringify(ref.slice(0, 200))} is not an entity ref: ${
        (error as Error).message
      }`,
    );
  }
}
