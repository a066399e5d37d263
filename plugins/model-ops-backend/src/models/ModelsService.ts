import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import {
  ANNOTATION_MODEL_ID,
  ModelDetails,
  ModelSpec,
  ModelSummary,
  parseModelSpec,
} from '@model-ops/plugin-model-ops-common';
import { claimProblems } from './claims';
import { ModelClaim, ModelIndex, ModelsService } from './types';
import { ModelStore, StoredModel } from './ModelStore';

/**
 * Models as the catalog declares them, joined with what the plugin has stored. The catalog is
 * always asked with the caller's credentials, so a user only sees the models they may see.
 *
 * @internal
 */
export class DefaultModelsService implements ModelsService {
  constructor(
    private readonly deps: {
      index: ModelIndex;
      store: ModelStore;
      logger: LoggerService;
      /** Firing alerts per model. */
      openAlertCounts?: (modelIds: string[]) => Promise<Map<string, number>>;
      /** The stable production endpoint the model's runtime reports, if it runs. */
      productionEndpoint?: (spec: ModelSpec) => Promise<string | undefined>;
    },
  ) {}

  async listModels(credentials: BackstageCredentials): Promise<ModelSummary[]> {
    const entities = await this.deps.index.listVisible(credentials);
    const context = this.deps.index.specContext();
    const parsed = entities.map(entity => ({
      entity,
      entityRef: stringifyEntityRef(entity),
      result: parseModelSpec(entity, context),
    }));
    const declared = parsed.flatMap(({ entityRef, result }) =>
      result.spec ? [{ entityRef, modelId: result.spec.modelId }] : [],
    );
    const claims = new Map(
      (await this.deps.index.claims(declared)).map((claim, i) => [
        declared[i].entityRef,
        claim,
      ]),
    );
    // Only owners are joined with stored state: a rival shows none of the owner's model.
    const ownedId = (entityRef: string) => {
      const claim = claims.get(entityRef);
      return claim?.ownerRef === entityRef ? claim.modelId : undefined;
    };
    const ownedIds = parsed.flatMap(p => {
      const id = ownedId(p.entityRef);
      return id ? [id] : [];
    });
    const stored = await this.deps.store.getModels(ownedIds);
    const alerts = this.deps.openAlertCounts
      ? await this.deps.openAlertCounts([...stored.keys()])
      : undefined;
    return parsed
      .map(({ entity, entityRef, result }) => {
        const id = ownedId(entityRef);
        return {
          ...this.toSummary(
            entity,
            result,
            claims.get(entityRef),
            id ? stored.get(id) : undefined,
          ),
          openAlerts: alerts && id ? alerts.get(id) ?? 0 : undefined,
        };
      })
      .sort((a, b) => a.entityRef.localeCompare(b.entityRef));
  }

  async getModel(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<ModelDetails> {
    const entity = await this.deps.index.getVisible(ref, credentials);
    const entityRef = stringifyEntityRef(ref);
    if (!entity) {
      throw new NotFoundError(`No entity ${entityRef} in the catalog`);
    }
    // The same test as the catalog filter of listModels (the annotation is present, even if
    // empty), so every listed model has details; a bad id is reported as a problem below.
    if (entity.metadata.annotations?.[ANNOTATION_MODEL_ID] === undefined) {
      throw new NotFoundError(
        `${entityRef} is not a model: it has no ${ANNOTATION_MODEL_ID} annotation`,
      );
    }
    const declaredBy = stringifyEntityRef(entity);
    const result = parseModelSpec(entity, this.deps.index.specContext());
    const [claim] = result.spec
      ? await this.deps.index.claims([
          { entityRef: declaredBy, modelId: result.spec.modelId },
        ])
      : [];
    // A rival shows its problem and nothing stored: the state belongs to the owner's model.
    const modelId =
      claim?.ownerRef === declaredBy ? result.spec?.modelId : undefined;
    const [stored, slots, versions] = modelId
      ? await Promise.all([
          this.deps.store.getModel(modelId),
          this.deps.store.getSlots(modelId),
          this.deps.store.getVersions(modelId),
        ])
      : [undefined, [], []];
    if (stored && stored.entityRef !== declaredBy) {
      // The state was written under another ref (the entity was renamed, or a rival acted on
      // the id before ids had owners): say so in the log.
      this.deps.logger.warn(
        `Model id ${modelId} is owned by ${declaredBy} but its state was written by ${stored.entityRef}`,
      );
    }
    const productionEndpoint =
      stored?.productionVersion && result.spec && this.deps.productionEndpoint
        ? await this.deps.productionEndpoint(result.spec).catch(() => undefined)
        : undefined;
    return {
      ...this.toSummary(entity, result, claim, stored),
      productionEndpoint,
      slots,
      versions,
      strategy: result.spec?.strategy,
    };
  }

  private toSummary(
    entity: Entity,
    result: ReturnType<typeof parseModelSpec>,
    claim: ModelClaim | undefined,
    stored: StoredModel | undefined,
  ): ModelSummary {
    const { kind, namespace, name } = getCompoundEntityRef(entity);
    const owner =
      typeof entity.spec?.owner === 'string'
        ? stringifyEntityRef(
            parseEntityRef(entity.spec.owner, {
              defaultKind: 'group',
              defaultNamespace: namespace,
            }),
          )
        : undefined;
    return {
      entityRef: stringifyEntityRef(entity),
      kind,
      namespace,
      name,
      title: entity.metadata.title,
      description: entity.metadata.description,
      owner,
      spec: result.spec,
      problems: [
        ...result.problems,
        ...claimProblems(claim, stringifyEntityRef(entity)),
      ],
      status: stored?.status ?? 'unknown',
      productionVersion: stored?.productionVersion,
      activeSlot: stored?.activeSlot,
      updatedAt: stored?.updatedAt.toISOString(),
    };
  }
}
