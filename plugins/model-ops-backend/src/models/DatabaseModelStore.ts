import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  ModelStatus,
  ModelVersion,
  SlotName,
  SlotState,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { toDate } from '../lib/rows';
import { ModelStore, StoredModel } from './ModelStore';

const migrationsDir = resolvePackagePath(
  '@model-ops/plugin-model-ops-backend',
  'migrations',
);

type ModelRow = {
  model_id: string;
  entity_ref: string;
  production_version: string | null;
  active_slot: string | null;
  status: string;
  status_changed_at: Date | string | null;
  updated_at: Date | string;
};

type SlotRow = {
  model_id: string;
  slot: string;
  version: string | null;
  endpoint: string | null;
  state: string;
  traffic_weight: number;
  updated_at: Date | string;
};

type VersionRow = {
  model_id: string;
  version: string;
  artifact_uri: string;
  sha256: string | null;
  status: string;
  registered_at: Date | string;
  last_deployed_at: Date | string | null;
};

/** Above this many ids, getModels reads the whole table once instead of in chunks of 500. */
const WHOLE_TABLE_ABOVE = 1000;

function toIso(value: Date | string | number): string {
  return toDate(value).toISOString();
}

/**
 * Applies the plugin's migrations to a database. Replicas starting together on a new database
 * take turns: knex refuses a second migrator while the first holds its lock table, so a
 * replica that meets the lock tries again, once a second for at most `lockWaitMs`, and then
 * finds the migrations applied.
 *
 * @internal
 */
export async function applyDatabaseMigrations(
  knex: Knex,
  options: { lockWaitMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.lockWaitMs ?? 120_000);
  for (;;) {
    try {
      await knex.migrate.latest({ directory: migrationsDir });
      return;
    } catch (error) {
      if (
        !/Migration table is already locked/.test(String(error)) ||
        Date.now() >= deadline
      ) {
        throw error;
      }
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
  }
}

/**
 * The knex implementation of {@link ModelStore}, on SQLite or PostgreSQL.
 *
 * @internal
 */
export class DatabaseModelStore implements ModelStore {
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
  }): Promise<DatabaseModelStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip && !options.skipMigrations) {
      await applyDatabaseMigrations(client);
    }
    return new DatabaseModelStore(client);
  }

  private constructor(private readonly db: Knex) {}

  async getModels(modelIds: string[]): Promise<Map<string, StoredModel>> {
    const result = new Map<string, StoredModel>();
    if (modelIds.length > WHOLE_TABLE_ABOVE) {
      // Many ids (the model list of a large catalog): one read of the table beats many lookups.
      const wanted = new Set(modelIds);
      const rows: ModelRow[] = await this.db('model_ops_models');
      for (const row of rows) {
        if (wanted.has(row.model_id)) {
          result.set(row.model_id, this.toModel(row));
        }
      }
      return result;
    }
    // Stay well under SQLite's bound-parameter limit on large catalogs.
    for (let i = 0; i < modelIds.length; i += 500) {
      const rows: ModelRow[] = await this.db('model_ops_models').whereIn(
        'model_id',
        modelIds.slice(i, i + 500),
      );
      for (const row of rows) {
        result.set(row.model_id, this.toModel(row));
      }
    }
    return result;
  }

  async getModel(modelId: string): Promise<StoredModel | undefined> {
    const row: ModelRow | undefined = await this.db('model_ops_models')
      .where({ model_id: modelId })
      .first();
    return row ? this.toModel(row) : undefined;
  }

  async listProductionModels(): Promise<StoredModel[]> {
    const rows: ModelRow[] = await this.db('model_ops_models')
      .whereNotNull('production_version')
      .whereNotNull('active_slot')
      .orderBy('model_id');
    return rows.map(row => this.toModel(row));
  }

  async getSlots(modelId: string): Promise<SlotState[]> {
    const [model, rows] = await Promise.all([
      this.getModel(modelId),
      this.db<SlotRow>('model_ops_slots')
        .where({ model_id: modelId })
        .orderBy('slot'),
    ]);
    return rows.map(row => this.toSlot(row, model));
  }

  async getSlotsMany(modelIds: string[]): Promise<Map<string, SlotState[]>> {
    const result = new Map<string, SlotState[]>(modelIds.map(id => [id, []]));
    const models = await this.getModels(modelIds);
    for (let i = 0; i < modelIds.length; i += 500) {
      const rows: SlotRow[] = await this.db<SlotRow>('model_ops_slots')
        .whereIn('model_id', modelIds.slice(i, i + 500))
        .orderBy(['model_id', 'slot']);
      for (const row of rows) {
        result
          .get(row.model_id)
          ?.push(this.toSlot(row, models.get(row.model_id)));
      }
    }
    return result;
  }

  private toSlot(row: SlotRow, model: StoredModel | undefined): SlotState {
    return {
      slot: row.slot as SlotName,
      version: row.version ?? undefined,
      endpoint: row.endpoint ?? undefined,
      state: row.state as SlotState['state'],
      trafficWeight: Number(row.traffic_weight),
      active: model?.activeSlot === row.slot,
      updatedAt: toIso(row.updated_at),
    };
  }

  async getVersions(modelId: string): Promise<ModelVersion[]> {
    const rows: VersionRow[] = await this.db('model_ops_versions')
      .where({ model_id: modelId })
      .orderBy('registered_at', 'desc')
      .orderBy('version', 'desc');
    return rows.map(row => ({
      version: row.version,
      artifactUri: row.artifact_uri,
      sha256: row.sha256 ?? undefined,
      status: row.status as ModelVersion['status'],
      registeredAt: toIso(row.registered_at),
      lastDeployedAt: row.last_deployed_at
        ? toIso(row.last_deployed_at)
        : undefined,
    }));
  }

  async upsertModel(model: {
    modelId: string;
    entityRef: string;
    productionVersion?: string | null;
    activeSlot?: SlotName | null;
    status?: ModelStatus;
  }): Promise<void> {
    const now = new Date();
    const changes: Partial<ModelRow> = {
      entity_ref: model.entityRef,
      updated_at: now,
    };
    if (model.productionVersion !== undefined) {
      changes.production_version = model.productionVersion;
    }
    if (model.activeSlot !== undefined) {
      changes.active_slot = model.activeSlot;
    }
    if (model.status !== undefined) {
      changes.status = model.status;
      changes.status_changed_at = now;
    }
    await this.db('model_ops_models')
      .insert({ model_id: model.modelId, ...changes })
      .onConflict('model_id')
      .merge(changes);
  }

  async upsertSlot(
    modelId: string,
    slot: Omit<SlotState, 'active' | 'updatedAt'>,
  ): Promise<void> {
    const row = {
      version: slot.version ?? null,
      endpoint: slot.endpoint ?? null,
      state: slot.state,
      traffic_weight: slot.trafficWeight,
      updated_at: new Date(),
    };
    await this.db('model_ops_slots')
      .insert({ model_id: modelId, slot: slot.slot, ...row })
      .onConflict(['model_id', 'slot'])
      .merge(row);
  }

  async upsertVersion(
    modelId: string,
    version: Omit<ModelVersion, 'registeredAt'> & { registeredAt?: string },
  ): Promise<void> {
    const row = {
      artifact_uri: version.artifactUri,
      sha256: version.sha256 ?? null,
      status: version.status,
      last_deployed_at: version.lastDeployedAt
        ? new Date(version.lastDeployedAt)
        : null,
    };
    await this.db('model_ops_versions')
      .insert({
        model_id: modelId,
        version: version.version,
        registered_at: version.registeredAt
          ? new Date(version.registeredAt)
          : new Date(),
        ...row,
      })
      .onConflict(['model_id', 'version'])
      .merge(row);
  }

  private toModel(row: ModelRow): StoredModel {
    return {
      modelId: row.model_id,
      entityRef: row.entity_ref,
      productionVersion: row.production_version ?? undefined,
      activeSlot: (row.active_slot as SlotName | null) ?? undefined,
      status: row.status as ModelStatus,
      statusChangedAt: row.status_changed_at
        ? toDate(row.status_changed_at)
        : undefined,
      updatedAt: toDate(row.updated_at),
    };
  }
}
