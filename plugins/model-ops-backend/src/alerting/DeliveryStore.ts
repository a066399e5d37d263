import {
  AlertDeliveryResult,
  AlertNotification,
  AlertNotificationKind,
} from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { DbDate, iso, toDate } from '../lib/rows';

const DELIVERIES = 'model_ops_alert_deliveries';
const ATTEMPTS = 'model_ops_alert_delivery_attempts';

/** A notification for one channel, as the planner writes it. */
export interface NewDelivery {
  /** Two writes with one key are one row: the second is ignored. */
  dedupKey: string;
  channelId: string;
  notification: AlertNotification;
  /** Not sent before this (the route's group wait). */
  notBefore: Date;
}

/** Where a delivery is. */
export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** A delivery and its attempts, as the Alerts tab shows them. */
export interface DeliveryRecord {
  seq: number;
  id: string;
  modelId: string;
  channelId: string;
  route: string;
  kind: AlertNotificationKind;
  alertIds: string[];
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  nextAttemptAt?: string;
  sentAt?: string;
  failedAt?: string;
  lastStatus?: number;
  lastError?: string;
}

/** One attempt to send a delivery. */
export interface DeliveryAttempt {
  attemptedAt: string;
  ok: boolean;
  status?: number;
  detail?: string;
  latencyMs: number;
  worker: string;
}

/** A delivery claimed for sending. */
export interface ClaimedDelivery {
  seq: number;
  channelId: string;
  notification: AlertNotification;
  /** Attempts before this one. */
  attempts: number;
  createdAt: Date;
}

interface DeliveryRow {
  seq: number;
  id: string;
  dedup_key: string;
  model_id: string;
  channel_id: string;
  route: string;
  kind: string;
  alert_ids: string;
  order_key: string;
  payload: string;
  status: string;
  attempts: number;
  created_at: DbDate;
  next_attempt_at: DbDate;
  sent_at: DbDate | null;
  failed_at: DbDate | null;
  lease_owner: string | null;
  lease_expires_at: DbDate | null;
  last_status: number | null;
  last_error: string | null;
}

/** The notification as stored: dates as ISO strings. */
function serialize(notification: AlertNotification): string {
  return JSON.stringify(notification);
}

function deserialize(payload: string): AlertNotification {
  const raw = JSON.parse(payload);
  return {
    ...raw,
    createdAt: new Date(raw.createdAt),
    alerts: (raw.alerts ?? []).map((a: any) => ({
      ...a,
      startsAt: new Date(a.startsAt),
      endsAt: a.endsAt ? new Date(a.endsAt) : undefined,
    })),
  };
}

/**
 * The outbox of alert notifications. Rows are written inside the transaction of the alert
 * transition they tell of (see `enqueue`), claimed by one replica at a time under a lease,
 * and finished by the claim that holds them, so that no row is sent twice by two replicas and
 * none is lost when a replica dies: an expired claim is taken again.
 *
 * Per alert and channel, rows are sent in the order they were written (an alert's firing
 * message before its acknowledgement before its resolution): a row is not claimed while an
 * earlier one of its order key and channel is still pending or being sent. The order key is the
 * first alert of the first row about the alerts, so a resolution follows the grouped message its
 * alert went out in.
 *
 * @internal
 */
export class DeliveryStore {
  constructor(private readonly db: Knex) {}

  /** Runs `fn` in a transaction of the outbox's database. */
  transaction<T>(fn: (tx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /**
   * Writes deliveries in the caller's transaction. A firing notification whose model, route and
   * channel already have a firing row that is still waiting out its group wait joins that row
   * (one message for alerts that fire together); otherwise each is a new row, and a row whose
   * key exists is left alone.
   */
  async enqueue(
    tx: Knex.Transaction | Knex,
    deliveries: NewDelivery[],
    now: Date,
  ): Promise<number> {
    let written = 0;
    for (const delivery of deliveries) {
      const n = delivery.notification;
      if (n.kind === 'firing') {
        const waiting: DeliveryRow | undefined = await tx(DELIVERIES)
          .where({
            model_id: n.modelId,
            channel_id: delivery.channelId,
            route: n.route,
            kind: 'firing',
            status: 'pending',
            attempts: 0,
          })
          .andWhere('next_attempt_at', '>', now)
          .orderBy('seq', 'desc')
          .first();
        if (waiting) {
          const joined = deserialize(waiting.payload);
          const known = new Set(joined.alerts.map(a => a.id));
          const added = n.alerts.filter(a => !known.has(a.id));
          joined.alerts.push(...added);
          if (n.severity === 'critical') joined.severity = 'critical';
          joined.title = n.title.replace(
            /: [^:]+$/,
            `: ${[...new Set(joined.alerts.map(a => a.alertType))].join(', ')}`,
          );
          const updated = await tx(DELIVERIES)
            .where({ seq: waiting.seq, status: 'pending', attempts: 0 })
            .update({
              payload: serialize(joined),
              alert_ids: JSON.stringify(joined.alerts.map(a => a.id)),
            });
          if (updated === 1) {
            written += 1;
            continue;
          }
        }
      }
      const orderKey = await this.orderKey(tx, delivery.channelId, n);
      const inserted = await tx(DELIVERIES)
        .insert({
          order_key: orderKey,
          id: n.id,
          dedup_key: delivery.dedupKey,
          model_id: n.modelId,
          channel_id: delivery.channelId,
          route: n.route,
          kind: n.kind,
          alert_ids: JSON.stringify(n.alerts.map(a => a.id)),
          payload: serialize(n),
          status: 'pending',
          attempts: 0,
          created_at: now,
          next_attempt_at: delivery.notBefore,
        })
        .onConflict('dedup_key')
        .ignore()
        .returning('seq');
      written += inserted.length;
    }
    return written;
  }

  /**
   * Claims up to `limit` due rows for `owner` until `leaseMs` from now: pending rows whose time
   * has come, and rows being sent whose claim expired (their replica died). Rows another replica
   * claims at the same moment are skipped: the update checks the row's state again.
   */
  async claim(options: {
    owner: string;
    limit: number;
    leaseMs: number;
    now: Date;
  }): Promise<ClaimedDelivery[]> {
    const { owner, limit, leaseMs, now } = options;
    const due = (builder: Knex.QueryBuilder) =>
      builder.where(b =>
        b
          .where(p =>
            p.where('status', 'pending').andWhere('next_attempt_at', '<=', now),
          )
          .orWhere(s =>
            s.where('status', 'sending').andWhere('lease_expires_at', '<', now),
          ),
      );
    return this.db.transaction(async tx => {
      const candidatesQuery = due(tx({ d: DELIVERIES }).select('d.seq'))
        .whereNotExists(
          tx({ e: DELIVERIES })
            .select(tx.raw('1'))
            .whereRaw('e.order_key = d.order_key')
            .andWhereRaw('e.channel_id = d.channel_id')
            .andWhereRaw('e.seq < d.seq')
            .whereIn('e.status', ['pending', 'sending']),
        )
        .orderBy('d.seq')
        .limit(limit);
      // On PostgreSQL, rows another replica is claiming right now are skipped, not waited for
      // (SQLite has one writer at a time anyway).
      const candidates: Array<{ seq: number }> =
        tx.client.config.client === 'pg'
          ? await candidatesQuery.forUpdate('d').skipLocked()
          : await candidatesQuery;
      if (candidates.length === 0) return [];
      const seqs = candidates.map(c => c.seq);
      await due(tx(DELIVERIES).whereIn('seq', seqs)).update({
        status: 'sending',
        lease_owner: owner,
        lease_expires_at: new Date(now.getTime() + leaseMs),
      });
      const rows: DeliveryRow[] = await tx(DELIVERIES)
        .whereIn('seq', seqs)
        .andWhere({ status: 'sending', lease_owner: owner })
        .orderBy('seq');
      return DeliveryStore.toClaimed(rows);
    });
  }

  private static toClaimed(rows: DeliveryRow[]): ClaimedDelivery[] {
    return rows.map(row => ({
      seq: row.seq,
      channelId: row.channel_id,
      notification: deserialize(row.payload),
      attempts: row.attempts,
      createdAt: toDate(row.created_at),
    }));
  }

  /**
   * Records an attempt and finishes it: sent, back to pending until `retryAt`, or failed. Only
   * the claim that holds the row may finish it; returns false when the claim was lost (the
   * attempt is still recorded).
   */
  async finish(options: {
    seq: number;
    owner: string;
    result: AlertDeliveryResult;
    latencyMs: number;
    attemptedAt: Date;
    /** When to try again; undefined makes a failed attempt final. */
    retryAt?: Date;
  }): Promise<boolean> {
    const { seq, owner, result, latencyMs, attemptedAt, retryAt } = options;
    return this.db.transaction(async tx => {
      await tx(ATTEMPTS).insert({
        delivery_seq: seq,
        attempted_at: attemptedAt,
        ok: result.ok,
        status: result.status ?? null,
        detail: result.detail?.slice(0, 2000) ?? null,
        latency_ms: Math.round(latencyMs),
        worker: owner,
      });
      const base = {
        attempts: tx.raw('attempts + 1'),
        lease_owner: null,
        lease_expires_at: null,
        last_status: result.status ?? null,
        last_error: result.ok ? null : result.detail?.slice(0, 2000) ?? null,
      };
      let changes: Record<string, unknown>;
      if (result.ok) {
        changes = { ...base, status: 'sent', sent_at: attemptedAt };
      } else if (retryAt) {
        changes = { ...base, status: 'pending', next_attempt_at: retryAt };
      } else {
        changes = { ...base, status: 'failed', failed_at: attemptedAt };
      }
      const updated = await tx(DELIVERIES)
        .where({ seq, status: 'sending', lease_owner: owner })
        .update(changes);
      return updated === 1;
    });
  }

  /** The deliveries of some alerts, oldest first. */
  async listForAlerts(alertIds: string[]): Promise<DeliveryRecord[]> {
    if (alertIds.length === 0) return [];
    const wanted = new Set(alertIds);
    const rows: DeliveryRow[] = await this.db(DELIVERIES)
      .where(builder => {
        for (const id of alertIds.slice(0, 200)) {
          builder.orWhere('alert_ids', 'like', `%"${id}"%`);
        }
      })
      .orderBy('seq');
    return rows
      .filter(row =>
        (JSON.parse(row.alert_ids) as string[]).some(id => wanted.has(id)),
      )
      .map(DeliveryStore.toRecord);
  }

  /** The deliveries of a model, newest first. */
  async listForModel(modelId: string, limit = 200): Promise<DeliveryRecord[]> {
    const rows: DeliveryRow[] = await this.db(DELIVERIES)
      .where({ model_id: modelId })
      .orderBy('seq', 'desc')
      .limit(limit);
    return rows.map(DeliveryStore.toRecord);
  }

  async attempts(seq: number): Promise<DeliveryAttempt[]> {
    const rows = await this.db(ATTEMPTS)
      .where({ delivery_seq: seq })
      .orderBy('id');
    return rows.map(row => ({
      attemptedAt: iso(row.attempted_at)!,
      ok: Boolean(row.ok),
      status: row.status ?? undefined,
      detail: row.detail ?? undefined,
      latencyMs: Number(row.latency_ms),
      worker: row.worker,
    }));
  }

  /** The order key of a new row: that of the newest row of the channel about its first alert. */
  private async orderKey(
    tx: Knex.Transaction | Knex,
    channelId: string,
    notification: AlertNotification,
  ): Promise<string> {
    const first = notification.alerts[0]?.id ?? notification.id;
    const earlier: Pick<DeliveryRow, 'order_key'> | undefined = await tx(
      DELIVERIES,
    )
      .where({ channel_id: channelId, model_id: notification.modelId })
      .andWhere('alert_ids', 'like', `%"${first}"%`)
      .orderBy('seq', 'desc')
      .first('order_key');
    return earlier?.order_key ?? first;
  }

  /** When a model, route and channel last had a firing message sent (the group interval). */
  async lastSent(
    tx: Knex.Transaction | Knex,
    modelId: string,
    route: string,
    channelId: string,
  ): Promise<Date | undefined> {
    const row = await tx(DELIVERIES)
      .where({ model_id: modelId, route, channel_id: channelId })
      .whereIn('kind', ['firing', 'repeat'])
      .whereNotNull('sent_at')
      .max({ last: 'sent_at' })
      .first();
    return row?.last ? toDate(row.last) : undefined;
  }

  /** Deletes finished deliveries (and their attempts) created before a date. */
  async prune(createdBefore: Date): Promise<number> {
    let deleted = 0;
    await this.db.transaction(async tx => {
      const old = tx(DELIVERIES)
        .select('seq')
        .whereIn('status', ['sent', 'failed'])
        .andWhere('created_at', '<', createdBefore);
      await tx(ATTEMPTS).whereIn('delivery_seq', old).delete();
      deleted = await tx(DELIVERIES)
        .whereIn('status', ['sent', 'failed'])
        .andWhere('created_at', '<', createdBefore)
        .delete();
    });
    return deleted;
  }

  private static toRecord(row: DeliveryRow): DeliveryRecord {
    return {
      seq: row.seq,
      id: row.id,
      modelId: row.model_id,
      channelId: row.channel_id,
      route: row.route,
      kind: row.kind as AlertNotificationKind,
      alertIds: JSON.parse(row.alert_ids),
      status: row.status as DeliveryStatus,
      attempts: row.attempts,
      createdAt: iso(row.created_at)!,
      nextAttemptAt:
        row.status === 'pending' ? iso(row.next_attempt_at) : undefined,
      sentAt: iso(row.sent_at),
      failedAt: iso(row.failed_at),
      lastStatus: row.last_status ?? undefined,
      lastError: row.last_error ?? undefined,
    };
  }
}
