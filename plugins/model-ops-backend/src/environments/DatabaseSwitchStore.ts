import { ConflictError } from '@backstage/errors';
import {
  SlotName,
  StageCheck,
  SwitchKind,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import {
  DbDate,
  fromJson,
  isUniqueViolation,
  toDate,
  toOptionalDate,
} from '../lib/rows';
import { NewSwitch, SwitchCommit, SwitchStore } from './SwitchStore';

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
};

/**
 * The knex implementation of {@link SwitchStore}, on SQLite or PostgreSQL. The tables come from
 * the plugin's migrations, which the models store applies.
 *
 * @internal
 */
export class DatabaseSwitchStore implements SwitchStore {
  static create(options: {
    knex: Knex;
    now?: () => Date;
  }): DatabaseSwitchStore {
    return new DatabaseSwitchStore(
      options.knex,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async begin(record: NewSwitch): Promise<SwitchRecord> {
    try {
      await this.db('model_ops_switches').insert({
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
    await this.db('model_ops_switches')
      .where({ id })
      .update({ checks: JSON.stringify(checks) });
  }

  async commit(id: string, change: SwitchCommit): Promise<void> {
    await this.db.transaction(async tx => {
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
      await tx('model_ops_switches')
        .where({ id })
        .update({
          status: 'succeeded',
          checks: JSON.stringify(change.checks),
          finished_at: this.now(),
        });
    });
  }

  async close(id: string, checks: StageCheck[]): Promise<void> {
    await this.db('model_ops_switches')
      .where({ id })
      .update({
        status: 'succeeded',
        checks: JSON.stringify(checks),
        finished_at: this.now(),
      });
  }

  async fail(
    id: string,
    outcome: {
      status: 'failed' | 'rolled_back';
      error: string;
      checks: StageCheck[];
    },
  ): Promise<void> {
    await this.db('model_ops_switches')
      .where({ id })
      .update({
        status: outcome.status,
        error: outcome.error,
        checks: JSON.stringify(outcome.checks),
        finished_at: this.now(),
      });
  }

  async get(id: string): Promise<SwitchRecord | undefined> {
    const row: SwitchRow | undefined = await this.db('model_ops_switches')
      .where({ id })
      .first();
    return row ? DatabaseSwitchStore.toRecord(row) : undefined;
  }

  async list(modelId: string, limit = 20): Promise<SwitchRecord[]> {
    const rows: SwitchRow[] = await this.db('model_ops_switches')
      .where({ model_id: modelId })
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(DatabaseSwitchStore.toRecord);
  }

  async lastSucceeded(modelId: string): Promise<SwitchRecord | undefined> {
    const row: SwitchRow | undefined = await this.db('model_ops_switches')
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

  async clearWarm(modelId: string, slot: SlotName): Promise<void> {
    await this.db('model_ops_slots').where({ model_id: modelId, slot }).update({
      warm_until: null,
      state: 'stopped',
      version: null,
      endpoint: null,
    });
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
