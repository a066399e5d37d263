import { parseEntityRef } from '@backstage/catalog-model';
import {
  AlertRecord,
  AlertRoute,
  AlertRouteEntry,
  ModelSpec,
} from '@model-ops/plugin-model-ops-common';
import {
  AlertMessage,
  AlertNotification,
  AlertNotificationKind,
} from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { DeliveryStore, NewDelivery } from './DeliveryStore';
import { Incidents, precedingChange } from './Incidents';
import { Silences } from './Silences';

const ALERTS = 'model_ops_alerts';

/** What the planner needs to know of the model an alert is about. */
export interface AlertModelContext {
  modelId: string;
  entityRef: string;
  /** The model's alert route (`model-ops/alert-route`). */
  route: string;
  /** The entity's owner, for channels that notify people. */
  owner?: string;
  runbook?: string;
  /** The version each slot serves, so messages say what was serving. */
  versions?: Partial<Record<string, string>>;
}

/**
 * The context of a model's alert messages from its spec, its entity's owner and the slots that
 * serve (only slots with a version count).
 *
 * @internal
 */
export function alertModelContext(
  spec: ModelSpec,
  owner: unknown,
  slots: Iterable<{ slot: string; version?: string }>,
): AlertModelContext {
  const versions: Record<string, string> = {};
  for (const slot of slots) {
    if (slot.version) versions[slot.slot] = slot.version;
  }
  return {
    modelId: spec.modelId,
    entityRef: spec.entityRef,
    route: spec.alertRoute,
    owner: typeof owner === 'string' ? owner : undefined,
    runbook: spec.runbook,
    versions,
  };
}

/** The alert changes of one transaction, as the alert store applied them. */
export interface AlertChanges {
  newlyFiring: AlertRecord[];
  /** Firing alerts whose severity went from warning to critical. */
  escalated: AlertRecord[];
  resolved: AlertRecord[];
}

/** What a plan wrote. */
export interface PlanResult {
  deliveries: number;
  /** Alerts that escalated, with why. */
  escalations: Array<{ alertId: string; reason: string }>;
  /** Channel ids routes name that are not configured (nothing is written for them). */
  unknownChannels: string[];
}

/**
 * The entry of a route an alert goes by: its type's entry when that entry matches the alert's
 * severity and slot, else the route's fallback (when it matches), else none.
 *
 * @internal
 */
export function routeEntryFor(
  route: AlertRoute,
  alert: Pick<AlertRecord, 'alertType' | 'severity' | 'slot'>,
): AlertRouteEntry | undefined {
  const matches = (entry: AlertRouteEntry | undefined) =>
    !!entry &&
    (!entry.match?.severity || entry.match.severity.includes(alert.severity)) &&
    (!entry.match?.slot ||
      (alert.slot !== undefined && entry.match.slot.includes(alert.slot)));
  const typed = route.byType[alert.alertType];
  if (matches(typed)) return typed;
  return matches(route.fallback) ? route.fallback : undefined;
}

/**
 * Turns alert transitions into outbox rows, inside the transaction that applied them, so a
 * transition and its notifications are written together or not at all: one row per channel the
 * model's route names for the alert, alerts of one model and channel grouped into one message,
 * first messages held for the route's group wait (and its group interval after the last one),
 * and one escalation per alert type and model and window when the type fired as often as the
 * route's threshold.
 *
 * @internal
 */
export class DeliveryPlanner {
  private readonly newId: () => string;

  constructor(
    private readonly deps: {
      store: DeliveryStore;
      routes: Map<string, AlertRoute>;
      /** The configured channel ids. */
      channelIds: () => Set<string>;
      /** The portal's base URL, for links to the model's Alerts tab. */
      baseUrl?: string;
      newId?: () => string;
      /** What mutes alerts: muted alerts are recorded, not notified. */
      silences?: Silences;
      /** The incidents alerts join when they are first notified. */
      incidents?: Incidents;
      /** How long before an alert fires a deployment or switch counts as its preceding change. */
      changeWindowMs?: number;
    },
  ) {
    this.newId = deps.newId ?? randomUUID;
  }

  /**
   * Records what an alert fired into, in its transaction: the version its slot served and the
   * change that preceded it.
   */
  private async recordContext(
    tx: Knex.Transaction,
    alerts: AlertRecord[],
    model: AlertModelContext,
  ): Promise<void> {
    for (const alert of alerts) {
      const version =
        model.versions?.[alert.slot ?? 'production'] ?? alert.version;
      const change = await precedingChange(
        tx,
        model.modelId,
        new Date(alert.firingAt ?? alert.startsAt),
        this.deps.changeWindowMs ?? 30 * 60_000,
      );
      if (!version && !change) continue;
      await tx(ALERTS)
        .where({ id: alert.id })
        .update({
          version: version ?? null,
          change: change ? JSON.stringify(change) : null,
        });
      alert.version = version;
      alert.change = change;
    }
  }

  /** Splits alerts into those a silence or maintenance window mutes (noted on them) and the rest. */
  private async partitionMuted(
    tx: Knex.Transaction,
    alerts: AlertRecord[],
    model: AlertModelContext,
    now: Date,
    note: boolean,
  ): Promise<{ muted: AlertRecord[]; audible: AlertRecord[] }> {
    const muted: AlertRecord[] = [];
    const audible: AlertRecord[] = [];
    for (const alert of alerts) {
      const by = this.deps.silences
        ? await this.deps.silences.mutedBy(model, alert, now, tx)
        : undefined;
      if (!by) {
        audible.push(alert);
        continue;
      }
      muted.push(alert);
      if (note && alert.silencedBy !== by) {
        await tx(ALERTS).where({ id: alert.id }).update({ silenced_by: by });
        alert.silencedBy = by;
      }
    }
    return { muted, audible };
  }

  /** The ids of the alerts that were ever notified (a firing message was written). */
  private async notified(
    tx: Knex.Transaction,
    alerts: AlertRecord[],
  ): Promise<Set<string>> {
    if (alerts.length === 0) return new Set();
    const rows: Array<{ id: string }> = await tx(ALERTS)
      .whereIn(
        'id',
        alerts.map(a => a.id),
      )
      .whereNotNull('last_notified_at')
      .select('id');
    return new Set(rows.map(r => r.id));
  }

  /** Runs `fn` in a transaction of the outbox's database. */
  transaction<T>(fn: (tx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.deps.store.transaction(fn);
  }

  route(name: string): AlertRoute {
    return (
      this.deps.routes.get(name) ??
      this.deps.routes.get('default') ?? {
        name: 'default',
        byType: {},
        fallback: { channels: [] },
        groupWaitSeconds: 0,
        groupIntervalSeconds: 0,
        repeatIntervalSeconds: 4 * 3600,
      }
    );
  }

  /** Plans the notifications of a tick's changes for one model. */
  async plan(
    tx: Knex.Transaction,
    changes: AlertChanges,
    model: AlertModelContext,
    now: Date,
  ): Promise<PlanResult> {
    const route = this.route(model.route);
    const result: PlanResult = {
      deliveries: 0,
      escalations: [],
      unknownChannels: [],
    };
    const deliveries: NewDelivery[] = [];

    // What the newly firing alerts fired into; then which of them a silence mutes. Muted
    // alerts are recorded and shown but not notified, and join no incident until they are.
    await this.recordContext(tx, changes.newlyFiring, model);
    const fresh = await this.partitionMuted(
      tx,
      changes.newlyFiring,
      model,
      now,
      true,
    );
    const raised = await this.partitionMuted(
      tx,
      changes.escalated,
      model,
      now,
      false,
    );
    const wasNotified = await this.notified(tx, raised.audible);
    const newlyFiringAudible = fresh.audible;
    await this.deps.incidents?.attach(tx, model, newlyFiringAudible, now);

    // Firing, and warning to critical: grouped per channel.
    const firing = [
      ...newlyFiringAudible,
      ...raised.audible.filter(a => wasNotified.has(a.id)),
    ];
    for (const [channelId, alerts] of this.byChannel(route, firing, result)) {
      const lastSent = await this.deps.store.lastSent(
        tx,
        model.modelId,
        route.name,
        channelId,
      );
      const notBefore = new Date(
        Math.max(
          now.getTime() + route.groupWaitSeconds * 1000,
          lastSent ? lastSent.getTime() + route.groupIntervalSeconds * 1000 : 0,
        ),
      );
      const newlyFiring = new Set(newlyFiringAudible.map(a => a.id));
      deliveries.push({
        dedupKey: `firing:${alerts
          .map(a => (newlyFiring.has(a.id) ? a.id : `${a.id}/critical`))
          .sort()
          .join(',')}:${channelId}`,
        channelId,
        notification: this.notification('firing', alerts, model, route, now),
        notBefore,
      });
    }
    if (newlyFiringAudible.length) {
      await tx(ALERTS)
        .whereIn(
          'id',
          newlyFiringAudible.map(a => a.id),
        )
        .update({ last_notified_at: now });
    }

    // Resolved: at once, grouped per channel; only what anybody was told of.
    const told = await this.notified(tx, changes.resolved);
    for (const [channelId, alerts] of this.byChannel(
      route,
      changes.resolved.filter(a => told.has(a.id)),
      result,
    )) {
      deliveries.push({
        dedupKey: `resolved:${alerts
          .map(a => a.id)
          .sort()
          .join(',')}:${channelId}`,
        channelId,
        notification: this.notification('resolved', alerts, model, route, now),
        notBefore: now,
      });
    }

    if (changes.resolved.length) {
      await this.deps.incidents?.settle(tx, model.modelId, now);
    }

    // Escalation: the type fired `threshold` times in the window (muted alerts count too), and
    // has not escalated in it; a muted alert does not escalate.
    for (const alert of newlyFiringAudible) {
      const entry = routeEntryFor(route, alert);
      const escalation = entry?.escalation;
      if (!escalation) continue;
      const since = new Date(now.getTime() - escalation.windowSeconds * 1000);
      const counted: Array<{ id: string; escalated_at: unknown }> = await tx(
        ALERTS,
      )
        .where({ model_id: alert.modelId, alert_type: alert.alertType })
        .andWhere('firing_at', '>=', since)
        .select('id', 'escalated_at');
      if (counted.length < escalation.threshold) continue;
      const already = await tx(ALERTS)
        .where({ model_id: alert.modelId, alert_type: alert.alertType })
        .andWhere('escalated_at', '>=', since)
        .first('id');
      if (already) continue;
      const reason = `${alert.alertType} fired ${counted.length} times for ${
        alert.modelId
      } within ${formatWindow(escalation.windowSeconds)} (threshold ${
        escalation.threshold
      })`;
      await tx(ALERTS)
        .where({ id: alert.id })
        .update({ escalated_at: now, escalation: reason });
      result.escalations.push({ alertId: alert.id, reason });
      for (const channelId of this.known(escalation.channels, result)) {
        deliveries.push({
          dedupKey: `escalation:${alert.id}:${channelId}`,
          channelId,
          notification: {
            ...this.notification('escalation', [alert], model, route, now),
            severity: 'critical',
            title: `[escalated] ${alert.modelId}: ${alert.alertType}`,
            escalation: {
              reason,
              count: counted.length,
              threshold: escalation.threshold,
              windowSeconds: escalation.windowSeconds,
            },
          },
          notBefore: now,
        });
      }
    }

    result.deliveries = await this.deps.store.enqueue(tx, deliveries, now);
    return result;
  }

  /** Plans the message of an acknowledgement, to the channels the alert's firing went to. */
  async planAcknowledged(
    tx: Knex.Transaction,
    alert: AlertRecord,
    model: AlertModelContext,
    comment: string | undefined,
    now: Date,
  ): Promise<PlanResult> {
    await this.deps.incidents?.acknowledged(tx, alert, now);
    return this.planOne(tx, 'acknowledged', alert, model, now, {
      acknowledgedBy: alert.acknowledgedBy,
      comment,
    });
  }

  /** Plans the message of an alert resolved by hand. */
  async planResolved(
    tx: Knex.Transaction,
    alert: AlertRecord,
    model: AlertModelContext,
    now: Date,
  ): Promise<PlanResult> {
    await this.deps.incidents?.settle(tx, model.modelId, now);
    return this.planOne(tx, 'resolved', alert, model, now, {});
  }

  /**
   * Plans a `repeat` of each firing alert of the model last notified a repeat interval ago, and
   * notes when; the condition on the last time makes a replica racing another write it once.
   */
  async planRepeats(
    tx: Knex.Transaction,
    firing: AlertRecord[],
    model: AlertModelContext,
    now: Date,
  ): Promise<PlanResult> {
    const route = this.route(model.route);
    const result: PlanResult = {
      deliveries: 0,
      escalations: [],
      unknownChannels: [],
    };
    const cutoff = new Date(now.getTime() - route.repeatIntervalSeconds * 1000);
    const due: AlertRecord[] = [];
    // Alerts muted when they fired whose silence has ended: their first message now.
    const unmuted: AlertRecord[] = [];
    const { audible } = await this.partitionMuted(
      tx,
      firing,
      model,
      now,
      false,
    );
    for (const alert of audible) {
      const updated = await tx(ALERTS)
        .where({ id: alert.id, state: 'firing' })
        .andWhere('last_notified_at', '<=', cutoff)
        .update({ last_notified_at: now });
      if (updated === 1) {
        due.push(alert);
        continue;
      }
      const first = await tx(ALERTS)
        .where({ id: alert.id, state: 'firing' })
        .whereNull('last_notified_at')
        .update({ last_notified_at: now });
      if (first === 1) unmuted.push(alert);
    }
    const deliveries: NewDelivery[] = [];
    await this.deps.incidents?.attach(tx, model, unmuted, now);
    for (const [channelId, alerts] of this.byChannel(route, unmuted, result)) {
      deliveries.push({
        dedupKey: `firing:${alerts
          .map(a => a.id)
          .sort()
          .join(',')}:${channelId}`,
        channelId,
        notification: this.notification('firing', alerts, model, route, now),
        notBefore: now,
      });
    }
    for (const [channelId, alerts] of this.byChannel(route, due, result)) {
      deliveries.push({
        dedupKey: `repeat:${alerts
          .map(a => a.id)
          .sort()
          .join(',')}:${now.toISOString()}:${channelId}`,
        channelId,
        notification: this.notification('repeat', alerts, model, route, now),
        notBefore: now,
      });
    }
    result.deliveries = await this.deps.store.enqueue(tx, deliveries, now);
    return result;
  }

  private async planOne(
    tx: Knex.Transaction,
    kind: AlertNotificationKind,
    alert: AlertRecord,
    model: AlertModelContext,
    now: Date,
    extra: Partial<AlertMessage>,
  ): Promise<PlanResult> {
    const route = this.route(model.route);
    const result: PlanResult = {
      deliveries: 0,
      escalations: [],
      unknownChannels: [],
    };
    const deliveries: NewDelivery[] = [];
    // Nobody was told of an alert that was muted all along: nothing to follow up on.
    if (!(await this.notified(tx, [alert])).has(alert.id)) return result;
    for (const [channelId, alerts] of this.byChannel(route, [alert], result)) {
      const notification = this.notification(kind, alerts, model, route, now);
      notification.alerts = notification.alerts.map(a => ({ ...a, ...extra }));
      deliveries.push({
        dedupKey: `${kind}:${alert.id}:${now.toISOString()}:${channelId}`,
        channelId,
        notification,
        notBefore: now,
      });
    }
    result.deliveries = await this.deps.store.enqueue(tx, deliveries, now);
    return result;
  }

  /** The alerts each configured channel gets, by the route's entries. */
  private byChannel(
    route: AlertRoute,
    alerts: AlertRecord[],
    result: PlanResult,
  ): Map<string, AlertRecord[]> {
    const byChannel = new Map<string, AlertRecord[]>();
    for (const alert of alerts) {
      const entry = routeEntryFor(route, alert);
      for (const channelId of this.known(entry?.channels ?? [], result)) {
        const list = byChannel.get(channelId) ?? [];
        if (!list.some(a => a.id === alert.id)) list.push(alert);
        byChannel.set(channelId, list);
      }
    }
    return byChannel;
  }

  private known(channelIds: string[], result: PlanResult): string[] {
    const configured = this.deps.channelIds();
    for (const id of channelIds) {
      if (!configured.has(id) && !result.unknownChannels.includes(id)) {
        result.unknownChannels.push(id);
      }
    }
    return channelIds.filter(id => configured.has(id));
  }

  private notification(
    kind: AlertNotificationKind,
    alerts: AlertRecord[],
    model: AlertModelContext,
    route: AlertRoute,
    now: Date,
  ): AlertNotification {
    const severity = alerts.some(a => a.severity === 'critical')
      ? 'critical'
      : 'warning';
    const types = [...new Set(alerts.map(a => a.alertType))].join(', ');
    const label: Record<AlertNotificationKind, string> = {
      firing: severity,
      repeat: `still ${severity}`,
      escalation: 'escalated',
      acknowledged: 'acknowledged',
      resolved: 'resolved',
    };
    const ref = parseEntityRef(model.entityRef);
    return {
      id: this.newId(),
      kind,
      modelId: model.modelId,
      entityRef: model.entityRef,
      owner: model.owner,
      route: route.name,
      url: this.deps.baseUrl
        ? `${this.deps.baseUrl.replace(/\/$/, '')}/catalog/${ref.namespace}/${
            ref.kind
          }/${ref.name}/alerts`
        : undefined,
      runbook: model.runbook,
      severity,
      title: `[${label[kind]}] ${model.modelId}: ${types}`,
      alerts: alerts.map(a => ({
        id: a.id,
        fingerprint: a.fingerprint,
        alertType: a.alertType,
        severity: a.severity,
        state: a.state === 'resolved' ? 'resolved' : 'firing',
        metric: a.metric,
        summary: a.summary,
        value: a.value,
        threshold: a.threshold,
        slot: a.slot,
        version: a.version ?? (a.slot ? model.versions?.[a.slot] : undefined),
        change: a.change
          ? {
              kind: a.change.kind,
              id: a.change.id,
              at: new Date(a.change.at),
              summary: a.change.summary,
            }
          : undefined,
        startsAt: new Date(a.firingAt ?? a.startsAt),
        endsAt: a.resolvedAt ? new Date(a.resolvedAt) : undefined,
        acknowledgedBy: a.acknowledgedBy,
      })),
      createdAt: now,
    };
  }
}

function formatWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
