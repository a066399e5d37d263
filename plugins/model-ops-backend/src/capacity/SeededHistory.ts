import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { DbDate, toDate, toOptionalDate } from '../lib/rows';

/**
 * Which stored samples of a model were seeded as demo history rather than measured. The demo
 * history task records the range it filled per model (table `model_ops_seeded_history`); the
 * capacity report marks the hours inside it.
 *
 * @internal
 */
export interface SeededRange {
  modelId: string;
  /** The first seeded minute. */
  from: Date;
  /** The end of the seeded range (exclusive): measured samples start here. */
  to: Date;
  /** When the history was seeded. */
  seededAt: Date;
}

/**
 * Reads and records seeded ranges.
 *
 * @internal
 */
export interface SeededHistoryStore {
  /** The seeded range of a model, if any of its history was seeded. */
  seededRange(modelId: string): Promise<SeededRange | undefined>;
  /** The seeded ranges of many models at once. */
  seededRanges(modelIds: string[]): Promise<Map<string, SeededRange>>;
  /**
   * Records a finished seeded range of a model that has none yet; true when this call recorded
   * it, false when the model already had one (which is kept).
   */
  record(
    range: SeededRange,
    options?: { source?: string; note?: string },
  ): Promise<boolean>;
}

const TABLE = 'model_ops_seeded_history';
/** Model ids per query: well under SQLite's bound-parameter limit. */
const IDS_CHUNK = 500;
/** What produced the samples when nobody says. */
export const DEFAULT_SEED_SOURCE = 'demo-traffic';

type SeededRow = {
  model_id: string;
  seeded_from: DbDate;
  seeded_to: DbDate;
  seeded_at: DbDate;
  completed_at: DbDate | null;
  source: string;
  note: string | null;
  lease_owner: string | null;
  lease_expires_at: DbDate | null;
};

/**
 * A seeded range with what the seeding task needs to know of it: whether all of it is stored,
 * and who is storing it until when.
 *
 * @internal
 */
export interface SeededRangeState extends SeededRange {
  /** When every sample of the range was stored; undefined while it is being seeded. */
  completedAt?: Date;
  source: string;
  note?: string;
  leaseOwner?: string;
  leaseExpiresAt?: Date;
}

function fromRow(row: SeededRow): SeededRangeState {
  return {
    modelId: row.model_id,
    from: toDate(row.seeded_from),
    to: toDate(row.seeded_to),
    seededAt: toDate(row.seeded_at),
    completedAt: toOptionalDate(row.completed_at),
    source: row.source,
    note: row.note ?? undefined,
    leaseOwner: row.lease_owner ?? undefined,
    leaseExpiresAt: toOptionalDate(row.lease_expires_at),
  };
}

function plain(state: SeededRangeState): SeededRange {
  return {
    modelId: state.modelId,
    from: state.from,
    to: state.to,
    seededAt: state.seededAt,
  };
}

/**
 * {@link SeededHistoryStore} in `model_ops_seeded_history`, one row per model. The row is
 * written before the samples: its key decides which process seeds a model (an insert that
 * ignores a conflict, read back by owner), a lease that the seeding process renews says it is
 * still at work, and an unfinished seeding whose lease ran out is taken over by an update that
 * names the owner it replaces, so two replicas never both take it.
 *
 * @internal
 */
export class DatabaseSeededHistoryStore implements SeededHistoryStore {
  static create(options: { knex: Knex }): DatabaseSeededHistoryStore {
    return new DatabaseSeededHistoryStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async seededRange(modelId: string): Promise<SeededRange | undefined> {
    return (await this.seededRanges([modelId])).get(modelId);
  }

  /** Every recorded range, finished or still being seeded (its samples are seeded either way). */
  async seededRanges(modelIds: string[]): Promise<Map<string, SeededRange>> {
    const result = new Map<string, SeededRange>();
    for (const [id, state] of await this.states(modelIds)) {
      result.set(id, plain(state));
    }
    return result;
  }

  /** The recorded ranges with their completion and lease. */
  async states(modelIds: string[]): Promise<Map<string, SeededRangeState>> {
    const result = new Map<string, SeededRangeState>();
    const ids = [...new Set(modelIds)];
    for (let i = 0; i < ids.length; i += IDS_CHUNK) {
      const rows: SeededRow[] = await this.db(TABLE).whereIn(
        'model_id',
        ids.slice(i, i + IDS_CHUNK),
      );
      for (const row of rows) result.set(row.model_id, fromRow(row));
    }
    return result;
  }

  async record(
    range: SeededRange,
    options: { source?: string; note?: string } = {},
  ): Promise<boolean> {
    return this.insert(range, {
      ...options,
      completedAt: range.seededAt,
    });
  }

  /**
   * Claims the seeding of a model that has no range yet: true when this call wrote the row
   * (and so seeds the model) with `owner` holding it until `leaseExpiresAt`.
   */
  async claim(
    range: SeededRange,
    lease: { owner: string; expiresAt: Date },
    options: { source?: string; note?: string } = {},
  ): Promise<boolean> {
    return this.insert(range, { ...options, lease });
  }

  /**
   * Takes over an unfinished seeding whose lease ran out before `now` (its process stopped):
   * true when this call took it; the range stays as recorded and is seeded again.
   */
  async takeOver(
    state: SeededRangeState,
    lease: { owner: string; expiresAt: Date },
    now: Date,
  ): Promise<boolean> {
    const query = this.db(TABLE)
      .where('model_id', state.modelId)
      .whereNull('completed_at')
      .andWhere(q =>
        q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', now),
      );
    if (state.leaseOwner === undefined) query.whereNull('lease_owner');
    else query.andWhere('lease_owner', state.leaseOwner);
    const updated = await query.update({
      lease_owner: lease.owner,
      lease_expires_at: lease.expiresAt,
      seeded_at: now,
    });
    return updated === 1;
  }

  /** Extends the lease of `owner`'s seedings; returns the models it still holds. */
  async renew(
    modelIds: string[],
    lease: { owner: string; expiresAt: Date },
  ): Promise<string[]> {
    if (modelIds.length === 0) return [];
    await this.db(TABLE)
      .whereIn('model_id', modelIds)
      .andWhere('lease_owner', lease.owner)
      .whereNull('completed_at')
      .update({ lease_expires_at: lease.expiresAt });
    return this.db(TABLE)
      .whereIn('model_id', modelIds)
      .andWhere('lease_owner', lease.owner)
      .whereNull('completed_at')
      .orderBy('model_id')
      .pluck('model_id');
  }

  /** Marks `owner`'s seeding of a model finished; false when it no longer held it. */
  async complete(
    modelId: string,
    owner: string,
    completedAt: Date,
  ): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where('model_id', modelId)
      .andWhere('lease_owner', owner)
      .whereNull('completed_at')
      .update({ completed_at: completedAt, lease_expires_at: null });
    return updated === 1;
  }

  private async insert(
    range: SeededRange,
    options: {
      source?: string;
      note?: string;
      completedAt?: Date;
      lease?: { owner: string; expiresAt: Date };
    },
  ): Promise<boolean> {
    // Who wrote the row is read back rather than taken from the insert's result, which the
    // drivers report differently for an ignored conflict.
    const token = options.lease?.owner ?? `record:${randomUUID()}`;
    await this.db(TABLE)
      .insert({
        model_id: range.modelId,
        seeded_from: range.from,
        seeded_to: range.to,
        seeded_at: range.seededAt,
        completed_at: options.completedAt ?? null,
        source: options.source ?? DEFAULT_SEED_SOURCE,
        note: options.note ?? null,
        lease_owner: token,
        lease_expires_at: options.lease?.expiresAt ?? null,
      })
      .onConflict('model_id')
      .ignore();
    const [row] = (await this.db(TABLE)
      .select('lease_owner')
      .where('model_id', range.modelId)) as Array<
      Pick<SeededRow, 'lease_owner'>
    >;
    if (row?.lease_owner !== token) return false;
    if (!options.lease) {
      // A finished range has nobody holding it.
      await this.db(TABLE)
        .where({ model_id: range.modelId, lease_owner: token })
        .update({ lease_owner: null });
    }
    return true;
  }
}
