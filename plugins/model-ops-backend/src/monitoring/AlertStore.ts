import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  AlertRecord,
  AlertState,
  ModelMetric,
  SlotName,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { fromJson } from '../lib/rows';
import { DbDate, iso } from './dates';
import { AlertTransition, ModelHealth } from './RuleEvaluator';

const ALERTS = 'model_ops_alerts';
const OPEN_STATES: AlertState[] = ['pending', 'firing'];

type AlertRow = {
  id: string;
  fingerprint: string;
  model_id: string;
  entity_ref: string;
  alert_type: string;
  metric: string;
  slot: string | null;
  severity: string;
  state: string;
  value: number | string;
  threshold: number | string;
  summary: string;
  starts_at: DbDate;
  firing_at: DbDate | null;
  resolved_at: DbDate | null;
  acknowledged_by: string | null;
  acknowledged_at: DbDate | null;
  acknowledged_comment?: string | null;
  escalated_at?: DbDate | null;
  escalation?: string | null;
  incident_id?: string | null;
  version?: string | null;
  change?: string | null;
  silenced_by?: string | null;
  updated_at: DbDate;
};

/** What applying a tick's transitions changed; each alert is in at most one list per change. */
export interface AppliedTransitions {
  /** Alerts this call inserted (pending, or firing when their rule has no `for`). */
  opened: AlertRecord[];
  /**
   * Alerts that became firing in this call: pending ones that fired and new ones that opened
   * firing. Of replicas applying the same tick only one gets each alert here, so notifying for
   * these sends one notification per alert.
   */
  newlyFiring: AlertRecord[];
  /** Firing alerts (not newly firing) whose severity went from warning to critical here. */
  escalated: AlertRecord[];
  /** Alerts this call resolved. */
  resolved: AlertRecord[];
  /** Ids of pending alerts this call discarded. */
  discarded: string[];
}

/** Work in the transaction of a change of one alert, with the alert as changed. */
export type AlertWithin = (
  tx: Knex.Transaction,
  alert: AlertRecord,
) => Promise<void>;

/** What else happens in the transaction of a set of transitions. */
export interface ApplyOptions {
  /**
   * Called inside the transaction with what it changed, before it commits: the outbox rows of
   * the changes are written here, so a change and its notifications commit together.
   */
  within?: (tx: Knex.Transaction, applied: AppliedTransitions) => Promise<void>;
}

/**
 * Persistence of alerts: the transitions of {@link RuleEvaluator}, applied atomically and so that
 * concurrent replicas apply each change once, plus acknowledgement, manual resolution and the
 * model status column.
 *
 * @internal
 */
export interface AlertStore {
  /**
   * Applies transitions in one transaction, each conditional on the state it expects, so a
   * change another replica already made is skipped and not reported.
   */
  apply(
    transitions: AlertTransition[],
    options?: ApplyOptions,
  ): Promise<AppliedTransitions>;
  get(id: string): Promise<AlertRecord | undefined>;
  getOrThrow(id: string): Promise<AlertRecord>;
  list(filter?: {
    modelId?: string | string[];
    state?: AlertState | AlertState[];
    incidentId?: string;
    limit?: number;
  }): Promise<AlertRecord[]>;
  listOpen(modelId: string): Promise<AlertRecord[]>;
  /** The pending and firing alerts of many models, by model id (every id has an entry). */
  listOpenMany(modelIds: string[]): Promise<Map<string, AlertRecord[]>>;
  /**
   * Acknowledges an open alert (again: the latest wins); `within` runs in its transaction with
   * the alert as acknowledged. A ConflictError when the alert is resolved.
   */
  acknowledge(
    id: string,
    by: string,
    options?: { comment?: string; within?: AlertWithin },
  ): Promise<AlertRecord>;
  /**
   * Resolves an open alert by hand; `within` runs in its transaction when this call resolved
   * it. A resolved alert is returned as it is.
   */
  resolve(id: string, options?: { within?: AlertWithin }): Promise<AlertRecord>;
  pruneResolved(resolvedBefore: Date): Promise<number>;
  /** Sets the model's status column; true when it changed. */
  setModelStatus(modelId: string, status: ModelHealth): Promise<boolean>;
  /** Sets the status column of many models, a few statements for all; how many changed. */
  setModelStatuses(statuses: Map<string, ModelHealth>): Promise<number>;
}

/**
 * The knex implementation of {@link AlertStore}, on SQLite or PostgreSQL.
 *
 * @internal
 */
export class DatabaseAlertStore implements AlertStore {
  static create(options: {
    knex: Knex;
    now?: () => Date;
    newId?: () => string;
  }): DatabaseAlertStore {
    return new DatabaseAlertStore(
      options.knex,
      options.now ?? (() => new Date()),
      options.newId ?? randomUUID,
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
    private readonly newId: () => string,
  ) {}

  /**
   * Applies transitions in one transaction. Every change is conditional on the state it expects
   * (an insert is skipped when the fingerprint already has an open alert), so a change another
   * replica has already made is skipped and not reported.
   */
  async apply(
    transitions: AlertTransition[],
    options: ApplyOptions = {},
  ): Promise<AppliedTransitions> {
    const result: AppliedTransitions = {
      opened: [],
      newlyFiring: [],
      escalated: [],
      resolved: [],
      discarded: [],
    };
    if (transitions.length === 0) {
      return result;
    }
    const now = this.now();
    const changed = new Map<
      string,
      keyof Omit<AppliedTransitions, 'discarded'> | 'opened+firing'
    >();

    await this.db.transaction(async tx => {
      for (const t of transitions) {
        switch (t.type) {
          case 'open': {
            const id = this.newId();
            await tx(ALERTS)
              .insert({
                id,
                fingerprint: t.alert.fingerprint,
                model_id: t.alert.modelId,
                entity_ref: t.alert.entityRef,
                alert_type: t.alert.alertType,
                metric: t.alert.metric,
                slot: t.alert.slot ?? null,
                severity: t.alert.severity,
                state: t.alert.state,
                value: t.alert.value,
                threshold: t.alert.threshold,
                summary: t.alert.summary,
                starts_at: t.alert.startsAt,
                firing_at: t.alert.firingAt ?? null,
                resolved_at: null,
                updated_at: now,
              })
              .onConflict()
              .ignore();
            const inserted = await tx(ALERTS).where({ id }).first('id');
            if (inserted) {
              changed.set(
                id,
                t.alert.state === 'firing' ? 'opened+firing' : 'opened',
              );
            }
            break;
          }
          case 'fire': {
            const updated = await tx(ALERTS)
              .where({ id: t.id, state: 'pending' })
              .update({
                state: 'firing',
                firing_at: t.at,
                severity: t.severity,
                value: t.value,
                threshold: t.threshold,
                summary: t.summary,
                updated_at: now,
              });
            if (updated === 1) {
              changed.set(t.id, 'newlyFiring');
            }
            break;
          }
          case 'update': {
            const before: Pick<AlertRow, 'severity'> | undefined = await tx(
              ALERTS,
            )
              .where({ id: t.id, state: t.state })
              .first('severity');
            if (!before) {
              break;
            }
            const updated = await tx(ALERTS)
              .where({ id: t.id, state: t.state, severity: before.severity })
              .update({
                severity: t.severity,
                value: t.value,
                threshold: t.threshold,
                summary: t.summary,
                updated_at: now,
              });
            if (
              updated === 1 &&
              t.state === 'firing' &&
              before.severity === 'warning' &&
              t.severity === 'critical' &&
              !changed.has(t.id)
            ) {
              changed.set(t.id, 'escalated');
            }
            break;
          }
          case 'resolve': {
            const changes: Record<string, unknown> = {
              state: 'resolved',
              resolved_at: t.at,
              updated_at: now,
            };
            if (t.value !== undefined) {
              changes.value = t.value;
            }
            const updated = await tx(ALERTS)
              .where({ id: t.id, state: 'firing' })
              .update(changes);
            if (updated === 1) {
              changed.set(t.id, 'resolved');
            }
            break;
          }
          case 'discard': {
            const deleted = await tx(ALERTS)
              .where({ id: t.id, state: 'pending' })
              .delete();
            if (deleted === 1) {
              result.discarded.push(t.id);
            }
            break;
          }
          default:
            break;
        }
      }

      const records = await this.getMany([...changed.keys()], tx);
      for (const [id, what] of changed) {
        const record = records.get(id);
        if (!record) {
          continue;
        }
        if (what === 'opened+firing') {
          result.opened.push(record);
          result.newlyFiring.push(record);
        } else {
          result[what].push(record);
        }
      }
      await options.within?.(tx, result);
    });
    return result;
  }

  async get(id: string): Promise<AlertRecord | undefined> {
    return (await this.getMany([id])).get(id);
  }

  async getOrThrow(id: string): Promise<AlertRecord> {
    const alert = await this.get(id);
    if (!alert) {
      throw new NotFoundError(`No alert ${id}`);
    }
    return alert;
  }

  /**
   * Alerts, newest first (by start), of one or more models and states; by default all states.
   */
  async list(
    filter: {
      modelId?: string | string[];
      state?: AlertState | AlertState[];
      incidentId?: string;
      limit?: number;
    } = {},
  ): Promise<AlertRecord[]> {
    const query = this.db<AlertRow>(ALERTS).orderBy([
      { column: 'starts_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]);
    if (filter.modelId !== undefined) {
      query.whereIn('model_id', ([] as string[]).concat(filter.modelId));
    }
    if (filter.state !== undefined) {
      query.whereIn('state', ([] as string[]).concat(filter.state));
    }
    if (filter.incidentId !== undefined) {
      query.where('incident_id', filter.incidentId);
    }
    if (filter.limit !== undefined) {
      query.limit(filter.limit);
    }
    return (await query).map(DatabaseAlertStore.toRecord);
  }

  /** The pending and firing alerts of a model, for {@link RuleEvaluator.evaluate}. */
  async listOpen(modelId: string): Promise<AlertRecord[]> {
    return this.list({ modelId, state: OPEN_STATES });
  }

  async listOpenMany(modelIds: string[]): Promise<Map<string, AlertRecord[]>> {
    const result = new Map<string, AlertRecord[]>(modelIds.map(id => [id, []]));
    for (let i = 0; i < modelIds.length; i += 500) {
      const rows: AlertRow[] = await this.db<AlertRow>(ALERTS)
        .whereIn('model_id', modelIds.slice(i, i + 500))
        .whereIn('state', OPEN_STATES)
        .orderBy([
          { column: 'starts_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ]);
      for (const row of rows) {
        result.get(row.model_id)?.push(DatabaseAlertStore.toRecord(row));
      }
    }
    return result;
  }

  async acknowledge(
    id: string,
    by: string,
    options: { comment?: string; within?: AlertWithin } = {},
  ): Promise<AlertRecord> {
    const now = this.now();
    return this.db.transaction(async tx => {
      const updated = await tx(ALERTS)
        .where({ id })
        .whereIn('state', OPEN_STATES)
        .update({
          acknowledged_by: by,
          acknowledged_at: now,
          acknowledged_comment: options.comment ?? null,
          updated_at: now,
        });
      if (updated !== 1) {
        const exists = await tx(ALERTS).where({ id }).first('state');
        if (!exists) throw new NotFoundError(`No alert ${id}`);
        throw new ConflictError(
          `Alert ${id} is resolved; only an open alert can be acknowledged`,
        );
      }
      const alert = (await this.getMany([id], tx)).get(id)!;
      await options.within?.(tx, alert);
      return alert;
    });
  }

  async resolve(
    id: string,
    options: { within?: AlertWithin } = {},
  ): Promise<AlertRecord> {
    const now = this.now();
    return this.db.transaction(async tx => {
      const updated = await tx(ALERTS)
        .where({ id })
        .whereIn('state', OPEN_STATES)
        .update({ state: 'resolved', resolved_at: now, updated_at: now });
      const alert = (await this.getMany([id], tx)).get(id);
      if (!alert) throw new NotFoundError(`No alert ${id}`);
      if (updated === 1) await options.within?.(tx, alert);
      return alert;
    });
  }

  /** Deletes alerts resolved before a date; returns how many. */
  async pruneResolved(resolvedBefore: Date): Promise<number> {
    return this.db(ALERTS)
      .where({ state: 'resolved' })
      .andWhere('resolved_at', '<', resolvedBefore)
      .delete();
  }

  /**
   * Stores a model's status in `model_ops_models.status` (and `status_changed_at` when it
   * changes). Returns true when it changed; false when it was already so or the model has no row.
   */
  async setModelStatus(modelId: string, status: ModelHealth): Promise<boolean> {
    const updated = await this.db('model_ops_models')
      .where({ model_id: modelId })
      .andWhereNot({ status })
      .update({ status, status_changed_at: this.now() });
    return updated === 1;
  }

  async setModelStatuses(statuses: Map<string, ModelHealth>): Promise<number> {
    const byStatus = new Map<ModelHealth, string[]>();
    for (const [modelId, status] of statuses) {
      byStatus.set(status, [...(byStatus.get(status) ?? []), modelId]);
    }
    const now = this.now();
    let changed = 0;
    for (const [status, ids] of byStatus) {
      for (let i = 0; i < ids.length; i += 500) {
        changed += await this.db('model_ops_models')
          .whereIn('model_id', ids.slice(i, i + 500))
          .andWhereNot({ status })
          .update({ status, status_changed_at: now });
      }
    }
    return changed;
  }

  private async getMany(
    ids: string[],
    db: Knex | Knex.Transaction = this.db,
  ): Promise<Map<string, AlertRecord>> {
    const result = new Map<string, AlertRecord>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows: AlertRow[] = await db(ALERTS).whereIn(
        'id',
        ids.slice(i, i + 500),
      );
      for (const row of rows) {
        result.set(row.id, DatabaseAlertStore.toRecord(row));
      }
    }
    return result;
  }

  private static toRecord(row: AlertRow): AlertRecord {
    return {
      id: row.id,
      fingerprint: row.fingerprint,
      modelId: row.model_id,
      entityRef: row.entity_ref,
      alertType: row.alert_type,
      metric: row.metric as ModelMetric,
      slot: (row.slot as SlotName | null) ?? undefined,
      severity: row.severity as AlertRecord['severity'],
      state: row.state as AlertState,
      value: Number(row.value),
      threshold: Number(row.threshold),
      summary: row.summary,
      startsAt: iso(row.starts_at)!,
      firingAt: iso(row.firing_at),
      resolvedAt: iso(row.resolved_at),
      acknowledgedBy: row.acknowledged_by ?? undefined,
      acknowledgedAt: iso(row.acknowledged_at),
      acknowledgedComment: row.acknowledged_comment ?? undefined,
      escalatedAt: iso(row.escalated_at),
      escalation: row.escalation ?? undefined,
      version: row.version ?? undefined,
      change: fromJson<AlertRecord['change']>(row.change, undefined),
      incidentId: row.incident_id ?? undefined,
      silencedBy: row.silenced_by ?? undefined,
    };
  }
}
