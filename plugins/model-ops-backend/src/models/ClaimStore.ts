import { Knex } from 'knex';
import { Claimant, byUidOrder } from './claims';
import { toDate } from '../lib/rows';

const TABLE = 'model_ops_model_claims';

/** How long an owner may be missing from the catalog before another claimant takes its id. */
export const DEFAULT_CLAIM_TRANSFER_MS = 15 * 60 * 1000;

interface ClaimRow {
  model_id: string;
  entity_ref: string;
  entity_uid: string | null;
  claimed_at: Date | string;
  owner_absent_since: Date | string | null;
}

/**
 * The recorded owner of each model id, kept in the plugin's database so that ownership does
 * not depend on the order entities are read in, or on their uids: the first entity seen
 * declaring an id owns it until it leaves the catalog for longer than the transfer delay.
 *
 * @internal
 */
export interface ClaimStore {
  /**
   * Settles the owners of the ids the claimants declare and returns them by model id. An id
   * whose recorded owner is missing from the claimants maps to that owner until the transfer
   * delay has passed (so nobody owns it meanwhile), then to the claimant that takes it over.
   */
  settle(claimants: Claimant[]): Promise<Map<string, string>>;
}

/**
 * The knex {@link ClaimStore}. Every change is an insert that ignores a conflict or an update
 * that names the owner it replaces, so replicas settling at once agree on one owner.
 *
 * @internal
 */
/** Rows per insert: 4 columns × 200 bound parameters stay far below SQLite's and PostgreSQL's limits. */
const INSERT_CHUNK = 200;

export class DatabaseClaimStore implements ClaimStore {
  constructor(
    private readonly db: Knex,
    private readonly options: {
      now?: () => Date;
      transferAfterMs?: number;
    } = {},
  ) {}

  async settle(claimants: Claimant[]): Promise<Map<string, string>> {
    const byId = new Map<string, Claimant[]>();
    for (const claimant of claimants) {
      const list = byId.get(claimant.modelId) ?? [];
      list.push(claimant);
      byId.set(claimant.modelId, list);
    }
    const ids = [...byId.keys()];
    const rows = await this.read(ids);
    const unclaimed = ids.filter(id => !rows.has(id));
    if (unclaimed.length) {
      // Ids with state from before claims were recorded keep the entity that state names.
      const known = await this.knownEntities(unclaimed);
      // One multi-row insert per chunk: a replica racing us keeps its claim (ignore).
      const claimedAt = this.now();
      const inserts = unclaimed.map(id => {
        const first = pickFirst(byId.get(id)!, known.get(id));
        return {
          model_id: id,
          entity_ref: first.entityRef,
          entity_uid: first.uid ?? null,
          claimed_at: claimedAt,
        };
      });
      for (let i = 0; i < inserts.length; i += INSERT_CHUNK) {
        await this.db(TABLE)
          .insert(inserts.slice(i, i + INSERT_CHUNK))
          .onConflict('model_id')
          .ignore();
      }
      for (const [id, row] of await this.read(unclaimed)) rows.set(id, row);
    }

    const owners = new Map<string, string>();
    const now = this.now();
    const transferAfter =
      this.options.transferAfterMs ?? DEFAULT_CLAIM_TRANSFER_MS;
    for (const id of ids) {
      const row = rows.get(id)!;
      const present = byId.get(id)!;
      if (present.some(c => c.entityRef === row.entity_ref)) {
        if (row.owner_absent_since) {
          await this.db(TABLE)
            .where({ model_id: id, entity_ref: row.entity_ref })
            .update({ owner_absent_since: null });
        }
        owners.set(id, row.entity_ref);
        continue;
      }
      if (!row.owner_absent_since) {
        await this.db(TABLE)
          .where({ model_id: id, entity_ref: row.entity_ref })
          .whereNull('owner_absent_since')
          .update({ owner_absent_since: now });
        owners.set(id, row.entity_ref);
        continue;
      }
      const absentMs = now.getTime() - toDate(row.owner_absent_since).getTime();
      if (absentMs < transferAfter) {
        owners.set(id, row.entity_ref);
        continue;
      }
      const next = pickFirst(present, undefined);
      await this.db(TABLE)
        .where({ model_id: id, entity_ref: row.entity_ref })
        .update({
          entity_ref: next.entityRef,
          entity_uid: next.uid ?? null,
          claimed_at: now,
          owner_absent_since: null,
        });
      // Whoever won, if another replica moved it first.
      owners.set(
        id,
        (await this.read([id])).get(id)?.entity_ref ?? next.entityRef,
      );
    }
    return owners;
  }

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }

  private async read(ids: string[]): Promise<Map<string, ClaimRow>> {
    const result = new Map<string, ClaimRow>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows: ClaimRow[] = await this.db(TABLE).whereIn(
        'model_id',
        ids.slice(i, i + 500),
      );
      for (const row of rows) result.set(row.model_id, row);
    }
    return result;
  }

  private async knownEntities(ids: string[]): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows: Array<{ model_id: string; entity_ref: string }> =
        await this.db('model_ops_models')
          .whereIn('model_id', ids.slice(i, i + 500))
          .select('model_id', 'entity_ref');
      for (const row of rows) result.set(row.model_id, row.entity_ref);
    }
    return result;
  }
}

/**
 * The claimant that takes an id nobody holds: the entity the model's state already names, else
 * (claimants first seen in the same read) the lowest uid, so every replica picks the same.
 */
function pickFirst(claimants: Claimant[], known: string | undefined): Claimant {
  const stateOwner = known && claimants.find(c => c.entityRef === known);
  if (stateOwner) return stateOwner;
  return [...claimants].sort(byUidOrder)[0];
}
