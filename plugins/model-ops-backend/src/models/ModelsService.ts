import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import {
  ANNOTATION_MODEL_ID,
  ListModelsResponse,
  ModelDetails,
  ModelSpec,
  ModelCapacitySummary,
  ModelStatus,
  ModelSummary,
  parseModelSpec,
} from '@model-ops/plugin-model-ops-common';
import { claimProblems } from './claims';
import {
  IndexedModel,
  ListModelsQuery,
  MODEL_SORT_FIELDS,
  ModelClaim,
  ModelIndex,
  ModelSortField,
  ModelsService,
} from './types';
import { ModelStore, StoredModel } from './ModelStore';

/**
 * The catalog's read permission (as `@backstage/plugin-catalog-common` defines it): its
 * decision for a caller is what the catalog filters the caller's reads by.
 */
const catalogEntityReadPermission = createPermission({
  name: 'catalog.entity.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
});

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const MAX_QUERY_LENGTH = 200;
const ALERT_COUNT_CHUNK = 5000;
const MODEL_STATUSES: ModelStatus[] = [
  'unknown',
  'healthy',
  'warning',
  'critical',
];
/** Status sorts by severity. */
const STATUS_ORDER: Record<ModelStatus, number> = {
  unknown: 0,
  healthy: 1,
  warning: 2,
  critical: 3,
};

/** One model of a refresh of the index, with what filtering and sorting read. */
interface SnapshotRow {
  /** The position by entity ref (the index is sorted by it). */
  rank: number;
  /** The summary without stored state. */
  summary: ModelSummary;
  owner?: string;
  ownerKey?: string;
  /** The model id when the entity owns it (only owners are joined with stored state). */
  ownedId?: string;
  /** Name, title, ref, description and owner, lower-cased, for the text filter. */
  text: string;
  nameRank: number;
  ownerRank: number;
}

interface Snapshot {
  source: IndexedModel[];
  rows: SnapshotRow[];
  byRef: Map<string, SnapshotRow>;
  owners: string[];
}

const collator = new Intl.Collator('en', { numeric: true });

function ownersOf(owners: Array<string | undefined>): string[] {
  return [...new Set(owners.filter((o): o is string => !!o))].sort((a, b) =>
    collator.compare(a, b),
  );
}

/** Numbers each row by a string field's order, equal values sharing a number. */
function rankBy(
  rows: SnapshotRow[],
  value: (row: SnapshotRow) => string | undefined,
  field: 'nameRank' | 'ownerRank',
) {
  const values = [
    ...new Set(rows.map(value).filter((v): v is string => v !== undefined)),
  ].sort((a, b) => collator.compare(a, b));
  const ranks = new Map(values.map((v, i) => [v, i]));
  for (const row of rows) {
    const v = value(row);
    row[field] = v === undefined ? Number.NaN : ranks.get(v)!;
  }
}

type SortValue = number | string | undefined;

function sortKey(
  sort: ModelSortField,
  stored: {
    status: (row: SnapshotRow) => number;
    openAlerts: (row: SnapshotRow) => number | undefined;
    projectedMonthlyCost: (row: SnapshotRow) => number | undefined;
    productionVersion: (row: SnapshotRow) => string | undefined;
    updatedAt: (row: SnapshotRow) => number | undefined;
  },
): (row: SnapshotRow) => SortValue {
  switch (sort) {
    case 'name':
      return row => row.nameRank;
    case 'owner':
      return row => (Number.isNaN(row.ownerRank) ? undefined : row.ownerRank);
    case 'status':
      return stored.status;
    case 'openAlerts':
      return stored.openAlerts;
    case 'projectedMonthlyCost':
      return stored.projectedMonthlyCost;
    case 'productionVersion':
      return stored.productionVersion;
    case 'updatedAt':
      return stored.updatedAt;
    default:
      return row => row.rank;
  }
}

/** Sorted by the key (absent values last, in either order), ties by entity ref. */
function sortRows(
  rows: SnapshotRow[],
  key: (row: SnapshotRow) => SortValue,
  order: 'asc' | 'desc',
): SnapshotRow[] {
  const sign = order === 'desc' ? -1 : 1;
  return rows
    .map(row => ({ row, value: key(row) }))
    .sort((a, b) => {
      if (a.value !== b.value) {
        if (a.value === undefined) return 1;
        if (b.value === undefined) return -1;
        const c =
          typeof a.value === 'string' && typeof b.value === 'string'
            ? collator.compare(a.value, b.value)
            : (a.value as number) - (b.value as number);
        if (c !== 0) return sign * c;
      }
      return a.row.rank - b.row.rank;
    })
    .map(({ row }) => row);
}

/** The query with its defaults, or a 400 naming the parameter that is wrong. */
function checkedQuery(
  query: ListModelsQuery,
): Required<Pick<ListModelsQuery, 'sort' | 'order' | 'offset' | 'limit'>> &
  Pick<ListModelsQuery, 'q' | 'owner' | 'status'> {
  const integer = (name: string, value: unknown, min: number, max: number) => {
    const n = typeof value === 'string' ? Number(value) : value;
    if (
      typeof n !== 'number' ||
      !Number.isInteger(n) ||
      n < min ||
      n > max ||
      (typeof value === 'string' && value.trim() === '')
    ) {
      throw new InputError(
        `${name} must be an integer from ${min}${
          max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`
        }`,
      );
    }
    return n;
  };
  const oneOf = <T extends string>(
    name: string,
    value: unknown,
    allowed: readonly T[],
  ): T | undefined => {
    if (value === undefined) return undefined;
    if (!allowed.includes(value as T)) {
      throw new InputError(`${name} must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  };
  const text = (name: string, value: unknown, max: number) => {
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || value.length > max) {
      throw new InputError(
        `${name} must be a string of at most ${max} characters`,
      );
    }
    return value;
  };
  const owner = text('owner', query.owner, 255);
  let ownerKey: string | undefined;
  if (owner !== undefined) {
    try {
      ownerKey = stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: 'default',
        }),
      ).toLocaleLowerCase('en-US');
    } catch (error) {
      throw new InputError(
        `owner is not an entity ref: ${(error as Error).message}`,
      );
    }
  }
  return {
    q: text('q', query.q, MAX_QUERY_LENGTH),
    owner: ownerKey,
    status: oneOf('status', query.status, MODEL_STATUSES),
    sort: oneOf('sort', query.sort, MODEL_SORT_FIELDS) ?? 'entityRef',
    order: oneOf('order', query.order, ['asc', 'desc'] as const) ?? 'asc',
    offset:
      query.offset === undefined
        ? 0
        : integer('offset', query.offset, 0, Number.MAX_SAFE_INTEGER),
    limit:
      query.limit === undefined
        ? DEFAULT_LIMIT
        : integer('limit', query.limit, 1, MAX_LIMIT),
  };
}

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
      /** The last capacity summary per model. */
      capacitySummaries?: (
        modelIds: string[],
      ) => Promise<Map<string, ModelCapacitySummary>>;
      /** The stable production endpoint the model's runtime reports, if it runs. */
      productionEndpoint?: (spec: ModelSpec) => Promise<string | undefined>;
      /** Decides, as the catalog does, whether the caller may read every entity. */
      permissions?: PermissionsService;
    },
  ) {}

  private cached?: Snapshot;

  async listModels(
    credentials: BackstageCredentials,
    query: ListModelsQuery = {},
  ): Promise<ListModelsResponse> {
    const page = checkedQuery(query);
    const snapshot = this.snapshot(await this.deps.index.list());
    const visible = await this.visibleRows(snapshot, credentials);
    const owners =
      visible === snapshot.rows
        ? snapshot.owners
        : ownersOf(visible.map(row => row.owner));

    const text = page.q?.toLocaleLowerCase('en-US');
    const matched = visible.filter(
      row =>
        (text === undefined || row.text.includes(text)) &&
        (page.owner === undefined || row.ownerKey === page.owner),
    );
    // Only owners are joined with stored state: a rival shows none of the owner's model.
    const stored = await this.deps.store.getModels(
      matched.flatMap(row => (row.ownedId ? [row.ownedId] : [])),
    );
    const statusOf = (row: SnapshotRow): ModelStatus =>
      (row.ownedId && stored.get(row.ownedId)?.status) || 'unknown';
    const statusCounts: Record<ModelStatus, number> = {
      unknown: 0,
      healthy: 0,
      warning: 0,
      critical: 0,
    };
    for (const row of matched) statusCounts[statusOf(row)] += 1;
    const filtered =
      page.status === undefined
        ? matched
        : matched.filter(row => statusOf(row) === page.status);

    // Firing alerts are counted for every model only when they order the list.
    const counted = (rows: SnapshotRow[]) =>
      this.alertCounts(
        rows.flatMap(row =>
          row.ownedId && stored.has(row.ownedId) ? [row.ownedId] : [],
        ),
      );
    let alerts =
      page.sort === 'openAlerts' ? await counted(filtered) : undefined;
    const openAlertsOf = (row: SnapshotRow) =>
      alerts && row.ownedId ? alerts.get(row.ownedId) ?? 0 : undefined;
    // Likewise capacity summaries: for every model when they order the list, else for the page
    // (a model that was never deployed has a cost too: its measured or configured series).
    const summarized = (rows: SnapshotRow[]) =>
      this.summaries(rows.flatMap(row => (row.ownedId ? [row.ownedId] : [])));
    let summaries =
      page.sort === 'projectedMonthlyCost'
        ? await summarized(filtered)
        : undefined;
    const capacityOf = (row: SnapshotRow) =>
      summaries && row.ownedId ? summaries.get(row.ownedId) : undefined;
    const key = sortKey(page.sort, {
      status: row => STATUS_ORDER[statusOf(row)],
      openAlerts: openAlertsOf,
      projectedMonthlyCost: row => capacityOf(row)?.projectedMonthlyCost.amount,
      productionVersion: row =>
        row.ownedId ? stored.get(row.ownedId)?.productionVersion : undefined,
      updatedAt: row =>
        row.ownedId ? stored.get(row.ownedId)?.updatedAt.getTime() : undefined,
    });
    const sorted = sortRows(filtered, key, page.order);
    const items = sorted.slice(page.offset, page.offset + page.limit);
    if (this.deps.openAlertCounts && !alerts) alerts = await counted(items);
    if (this.deps.capacitySummaries && !summaries) {
      summaries = await summarized(items);
    }
    return {
      items: items.map(row => {
        const state = row.ownedId ? stored.get(row.ownedId) : undefined;
        return {
          ...row.summary,
          status: state?.status ?? 'unknown',
          productionVersion: state?.productionVersion,
          activeSlot: state?.activeSlot,
          updatedAt: state?.updatedAt.toISOString(),
          openAlerts: openAlertsOf(row),
          capacity: capacityOf(row),
        };
      }),
      totalCount: filtered.length,
      offset: page.offset,
      limit: page.limit,
      owners,
      statusCounts,
    };
  }

  /** Capacity summaries per model (the store reads them in chunks). */
  private async summaries(
    modelIds: string[],
  ): Promise<Map<string, ModelCapacitySummary> | undefined> {
    return this.deps.capacitySummaries?.(modelIds);
  }

  /** Firing alerts per model, asked in chunks that stay under SQLite's parameter limit. */
  private async alertCounts(
    modelIds: string[],
  ): Promise<Map<string, number> | undefined> {
    const openAlertCounts = this.deps.openAlertCounts;
    if (!openAlertCounts) return undefined;
    const counts = new Map<string, number>();
    for (let i = 0; i < modelIds.length; i += ALERT_COUNT_CHUNK) {
      const chunk = await openAlertCounts(
        modelIds.slice(i, i + ALERT_COUNT_CHUNK),
      );
      for (const [id, count] of chunk) counts.set(id, count);
    }
    return counts;
  }

  /**
   * The rows of the models the caller may see. The catalog answers a read of its entities by
   * the `catalog.entity.read` decision for the caller: when that is an unconditional allow (or
   * deny), every model of the index (or none) is visible and the catalog is not read again;
   * when it is conditional, the catalog is asked with the caller's credentials, as before.
   */
  private async visibleRows(
    snapshot: Snapshot,
    credentials: BackstageCredentials,
  ): Promise<SnapshotRow[]> {
    if (this.deps.permissions) {
      const [decision] = await this.deps.permissions.authorizeConditional(
        [{ permission: catalogEntityReadPermission }],
        { credentials },
      );
      if (decision.result === AuthorizeResult.ALLOW) return snapshot.rows;
      if (decision.result === AuthorizeResult.DENY) return [];
    }
    const refs = (await this.deps.index.listVisible(credentials)).map(entity =>
      stringifyEntityRef(entity),
    );
    let current = snapshot;
    if (refs.some(ref => !current.byRef.has(ref))) {
      // A model registered since the last refresh: read the catalog once, as claims() does.
      await this.deps.index.refresh();
      current = this.snapshot(await this.deps.index.list());
    }
    return refs
      .flatMap(ref => {
        const row = current.byRef.get(ref);
        return row ? [row] : [];
      })
      .sort((a, b) => a.rank - b.rank);
  }

  /** What a refresh of the index gives every request, computed once per refresh. */
  private snapshot(models: IndexedModel[]): Snapshot {
    if (this.cached?.source === models) return this.cached;
    const context = this.deps.index.specContext();
    const rows: SnapshotRow[] = models.map((model, rank) => {
      // The declared spec, also when an annotation has a problem (the index keeps only good ones).
      const result = parseModelSpec(model.entity, context);
      const summary = this.toSummary(
        model.entity,
        result,
        model.claim,
        undefined,
      );
      return {
        rank,
        summary,
        owner: summary.owner,
        ownerKey: summary.owner?.toLocaleLowerCase('en-US'),
        ownedId:
          result.spec && model.claim?.ownerRef === model.entityRef
            ? result.spec.modelId
            : undefined,
        text: [
          summary.name,
          summary.title,
          summary.entityRef,
          summary.description,
          summary.owner,
        ]
          .filter(Boolean)
          .join('\n')
          .toLocaleLowerCase('en-US'),
        nameRank: 0,
        ownerRank: 0,
      };
    });
    rankBy(rows, row => row.summary.name, 'nameRank');
    rankBy(rows, row => row.owner, 'ownerRank');
    this.cached = {
      source: models,
      rows,
      byRef: new Map(rows.map(row => [row.summary.entityRef, row])),
      owners: ownersOf(rows.map(row => row.owner)),
    };
    return this.cached;
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
