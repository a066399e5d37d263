import { ConflictError } from '@backstage/errors';
import {
  SlotName,
  StageCheck,
  SwitchKind,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import { TrafficWeights } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import {
  DbDate,
  fromJson,
  isUniqueViolation,
  toDate,
  toOptionalDate,
} from '../lib/rows';
import { databaseNow, secondsAfter } from '../lib/databaseClock';
import {
  DEFAULT_SWITCH_LEASE_SECONDS,
  processSwitchOwner,
} from './switchOwner';
import {
  ActiveColor,
  NewSwitch,
  SwitchCommit,
  SwitchIntent,
  SwitchOutcome,
  SwitchStore,
  TakenOverSwitch,
} from './SwitchStore';

type SwitchRow = {
  id: string;
  model_id: string;
  kind: string;
  from_slot: string | null;
  to_slot: string;
  from_version: string | null;
  to_version: string | null;
  requested_by: string | null;
  reason: string | null;
  run_id: string | null;
  status: string;
  error: string | null;
  checks: string;
  started_at: DbDate;
  finished_at: DbDate | null;
  owner: string | null;
  lease_expires_at: DbDate | null;
  weights: string | null;
};

const TABLE = 'model_ops_switches';

/**
 * The knex implementation of {@link SwitchStore}, on SQLite or PostgreSQL. The tables come from
 * the plugin's migrations, which the models store applies.
 *
 * @internal
 */
export class DatabaseSwitchStore implements SwitchStore {
  static create(options: {
    knex: Knex;
    /** The clock of the history's times; leases always use the database's. */
    now?: () => Date;
    /** Who holds the switches begun without an owner; this process by default. */
    owner?: string;
    /** How long those are held without renewing. */
    leaseSeconds?: number;
  }): DatabaseSwitchStore {
    return new DatabaseSwitchStore(
      options.knex,
      options.now ?? (() => new Date()),
      options.owner ?? processSwitchOwner(),
      options.leaseSeconds ?? DEFAULT_SWITCH_LEASE_SECONDS,
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
    private readonly defaultOwner: string,
    private readonly defaultLeaseSeconds: number,
  ) {}

  async begin(record: NewSwitch): Promise<SwitchRecord> {
    const dbNow = await databaseNow(this.db);
    try {
      await this.db(TABLE).insert({
        id: record.id,
        model_id: record.modelId,
        kind: record.kind,
        from_slot: record.from ?? null,
        to_slot: record.to,
        from_version: record.fromVersion ?? null,
        to_version: record.toVersion ?? null,
        requested_by: record.requestedBy ?? null,
        reason: record.reason ?? null,
        run_id: record.runId ?? null,
        status: 'in_progress',
        checks: '[]',
        started_at: this.now(),
        owner: record.owner ?? this.defaultOwner,
        lease_expires_at: secondsAfter(
          dbNow,
          record.leaseSeconds ?? this.defaultLeaseSeconds,
        ),
        weights: record.weights ? JSON.stringify(record.weights) : null,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          `A traffic switch of ${record.modelId} is already in progress; try again when it has finished`,
        );
      }
      throw error;
    }
    return (await this.get(record.id))!;
  }

  async recordChecks(id: string, checks: StageCheck[]): Promise<void> {
    await this.db(TABLE)
      .where({ id })
      .update({ checks: JSON.stringify(checks) });
  }

  async commit(id: string, change: SwitchCommit): Promise<void> {
    await this.db.transaction(async tx => {
      // First the switch itself, so that a commit by an owner who lost the switch changes nothing.
      await this.finish(tx, id, change.owner, {
        status: 'succeeded',
        checks: JSON.stringify(change.checks),
      });
      const query = tx('model_ops_models').where({ model_id: change.modelId });
      if (change.from) query.andWhere({ active_slot: change.from });
      else query.whereNull('active_slot');
      const updated = await query.update({
        active_slot: change.to,
        production_version: change.toVersion ?? null,
        updated_at: this.now(),
      });
      if (updated !== 1) {
        throw new ConflictError(
          `The active color of ${
            change.modelId
          } changed during the switch; it was not ${
            change.from ?? 'empty'
          } any more`,
        );
      }
      await tx('model_ops_slots')
        .where({ model_id: change.modelId, slot: change.to })
        .update({
          traffic_weight: 100,
          warm_until: null,
          updated_at: this.now(),
        });
      if (change.from && change.from !== change.to) {
        await tx('model_ops_slots')
          .where({ model_id: change.modelId, slot: change.from })
          .update({
            traffic_weight: 0,
            warm_until: change.warmUntil ?? null,
            updated_at: this.now(),
          });
      }
    });
  }

  async close(id: string, checks: StageCheck[], owner?: string): Promise<void> {
    await this.finish(this.db, id, owner, {
      status: 'succeeded',
      checks: JSON.stringify(checks),
    });
  }

  async fail(id: string, outcome: SwitchOutcome): Promise<void> {
    await this.finish(this.db, id, outcome.owner, {
      status: outcome.status,
      error: outcome.error,
      checks: JSON.stringify(outcome.checks),
    });
  }

  async renew(id: string, owner: string, seconds: number): Promise<boolean> {
    const dbNow = await databaseNow(this.db);
    const updated = await this.db(TABLE)
      .where({ id, owner, status: 'in_progress' })
      .update({ lease_expires_at: secondsAfter(dbNow, seconds) });
    return updated === 1;
  }

  async takeOverExpired(options: {
    owner: string;
    leaseSeconds: number;
    modelId?: string;
  }): Promise<TakenOverSwitch[]> {
    const dbNow = await databaseNow(this.db);
    const expired = (query: Knex.QueryBuilder) =>
      query
        .where({ status: 'in_progress' })
        .andWhere(q =>
          q
            .whereNull('lease_expires_at')
            .orWhere('lease_expires_at', '<', dbNow),
        );
    const candidates: SwitchRow[] = await expired(this.db(TABLE)).modify(q => {
      if (options.modelId) q.andWhere({ model_id: options.modelId });
    });
    const taken: TakenOverSwitch[] = [];
    for (const row of candidates) {
      // Compare-and-set on the owner seen: of two that try, the first moves the lease on.
      const updated = await expired(this.db(TABLE))
        .andWhere({ id: row.id })
        .modify(q => {
          if (row.owner === null) q.whereNull('owner');
          else q.andWhere({ owner: row.owner });
        })
        .update({
          owner: options.owner,
          lease_expires_at: secondsAfter(dbNow, options.leaseSeconds),
        });
      if (updated === 1) {
        taken.push({
          ...DatabaseSwitchStore.toIntent({
            ...row,
            owner: options.owner,
            lease_expires_at: secondsAfter(dbNow, options.leaseSeconds),
          }),
          previousOwner: row.owner ?? undefined,
        });
      }
    }
    return taken;
  }

  async discard(id: string, owner: string): Promise<void> {
    await this.db(TABLE).where({ id, owner, status: 'in_progress' }).delete();
  }

  async inProgress(modelId: string): Promise<SwitchIntent | undefined> {
    const row: SwitchRow | undefined = await this.db(TABLE)
      .where({ model_id: modelId, status: 'in_progress' })
      .first();
    return row ? DatabaseSwitchStore.toIntent(row) : undefined;
  }

  async activeColor(modelId: string): Promise<ActiveColor | undefined> {
    const row = await this.db('model_ops_models')
      .select('entity_ref', 'active_slot', 'production_version')
      .where({ model_id: modelId })
      .first();
    return row
      ? {
          entityRef: row.entity_ref,
          slot: (row.active_slot as SlotName | null) ?? undefined,
          version: row.production_version ?? undefined,
        }
      : undefined;
  }

  async get(id: string): Promise<SwitchRecord | undefined> {
    const row: SwitchRow | undefined = await this.db(TABLE)
      .where({ id })
      .first();
    return row ? DatabaseSwitchStore.toRecord(row) : undefined;
  }

  async list(modelId: string, limit = 20): Promise<SwitchRecord[]> {
    const rows: SwitchRow[] = await this.db(TABLE)
      .where({ model_id: modelId })
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(DatabaseSwitchStore.toRecord);
  }

  async lastSucceeded(modelId: string): Promise<SwitchRecord | undefined> {
    const row: SwitchRow | undefined = await this.db(TABLE)
      .where({ model_id: modelId, status: 'succeeded' })
      .orderBy([
        { column: 'finished_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first();
    return row ? DatabaseSwitchStore.toRecord(row) : undefined;
  }

  async expiredWarmSlots(): Promise<
    Array<{ modelId: string; slot: SlotName }>
  > {
    const rows = await this.db('model_ops_slots')
      .select('model_id', 'slot')
      .whereNotNull('warm_until')
      .andWhere('warm_until', '<', this.now())
      .andWhere('traffic_weight', 0);
    return rows.map(r => ({ modelId: r.model_id, slot: r.slot as SlotName }));
  }

  async warmUntil(modelId: string, slot: SlotName): Promise<Date | undefined> {
    const row = await this.db('model_ops_slots')
      .select('warm_until')
      .where({ model_id: modelId, slot })
      .first();
    return toOptionalDate(row?.warm_until);
  }

  async clearWarm(
    modelId: string,
    slot: SlotName,
    version?: string,
  ): Promise<void> {
    await this.db('model_ops_slots')
      .where({ model_id: modelId, slot })
      .modify(q => {
        if (version !== undefined) q.andWhere({ version });
      })
      .update({
        warm_until: null,
        state: 'stopped',
        version: null,
        endpoint: null,
      });
  }

  /**
   * Ends a switch in progress; with an owner, only while that owner holds it (a ConflictError
   * otherwise, which also rolls back the transaction it runs in).
   */
  private async finish(
    db: Knex | Knex.Transaction,
    id: string,
    owner: string | undefined,
    change: { status: string; checks: string; error?: string },
  ): Promise<void> {
    const updated = await db(TABLE)
      .where({ id, status: 'in_progress' })
      .modify(q => {
        if (owner !== undefined) q.andWhere({ owner });
      })
      .update({
        ...change,
        finished_at: this.now(),
        lease_expires_at: null,
      });
    if (updated !== 1 && owner !== undefined) {
      throw new ConflictError(
        `Switch ${id} is no longer held by ${owner}: its lease ran out and it was taken over`,
      );
    }
  }

  private static toIntent(row: SwitchRow): SwitchIntent {
    return {
      record: DatabaseSwitchStore.toRecord(row),
      weights: row.weights
        ? fromJson<TrafficWeights>(row.weights, {})
        : undefined,
      owner: row.owner ?? undefined,
      leaseExpiresAt: toOptionalDate(row.lease_expires_at),
    };
  }

  private static toRecord(row: SwitchRow): SwitchRecord {
    const startedAt = toDate(row.started_at).toISOString();
    const finishedAt = toOptionalDate(row.finished_at)?.toISOString();
    return {
      id: row.id,
      modelId: row.model_id,
      kind: row.kind as SwitchKind,
      from: (row.from_slot as SlotName | null) ?? undefined,
      to: row.to_slot as SlotName,
      fromVersion: row.from_version ?? undefined,
      toVersion: row.to_version ?? undefined,
      requestedBy: row.requested_by ?? undefined,
      reason: row.reason ?? undefined,
      runId: row.run_id ?? undefined,
      status: row.status as SwitchRecord['status'],
      error: row.error ?? undefined,
      checks: fromJson(row.checks, []),
      startedAt,
      finishedAt,
      durationMs: finishedAt
        ? new Date(finishedAt).getTime() - new Date(startedAt).getTime()
        : undefined,
    };
  }
}
