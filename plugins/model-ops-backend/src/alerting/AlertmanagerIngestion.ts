import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AlertmanagerAlert,
  AlertmanagerWebhook,
  AlertmanagerWebhookResponse,
  SLOT_NAMES,
  SlotName,
  modelOpsAlertUpdatePermission,
} from '@model-ops/plugin-model-ops-common';
import { createHash } from 'node:crypto';
import type { ModelIndex, ModelStore } from '../models';
import type { AlertStore, AlertTransition } from '../monitoring';
import { ActionGuard, Caller } from '../lib/guard';
import { DeliveryPlanner, alertModelContext } from './DeliveryPlanner';

/** How alerts of an existing Alertmanager are read. */
export interface AlertmanagerIngestionOptions {
  /** The label that names the model id. Default `model_id`. */
  modelLabel: string;
}

const SEVERITY_CRITICAL = new Set(['critical', 'page', 'error', 'high']);

/** The fingerprint of an Alertmanager alert in Model Ops: its own, under its model. */
function fingerprintOf(modelId: string, alert: AlertmanagerAlert): string {
  const identity =
    alert.fingerprint ??
    JSON.stringify(
      Object.entries(alert.labels).sort(([a], [b]) => a.localeCompare(b)),
    );
  return createHash('sha256')
    .update(JSON.stringify(['alertmanager', modelId, identity]))
    .digest('hex');
}

function numberOf(value: string | undefined): number {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) ? n : 0;
}

function dateOf(value: string | undefined, fallback: Date): Date {
  const t = value ? Date.parse(value) : NaN;
  // Alertmanager's zero time (0001-01-01) means "not set".
  return Number.isFinite(t) && t > 0 ? new Date(t) : fallback;
}

/**
 * Alerts from an existing Prometheus stack: Alertmanager's webhook payload, mapped onto the
 * models its alerts name by label, applied as the plugin's own alert transitions (so they are
 * routed, grouped, escalated and shown the same way), each model's under
 * `model-ops.alert.update` on its entity, audited.
 *
 * @internal
 */
export class AlertmanagerIngestion {
  constructor(
    private readonly deps: {
      models: ModelIndex;
      store: ModelStore;
      alerts: AlertStore;
      planner: DeliveryPlanner;
      guard: ActionGuard;
      options: AlertmanagerIngestionOptions;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  async ingest(
    body: AlertmanagerWebhook,
    caller: Caller,
  ): Promise<AlertmanagerWebhookResponse> {
    if (!body || !Array.isArray(body.alerts)) {
      throw new InputError('alerts must be a list of Alertmanager alerts');
    }
    // Before anything, also for a payload that names no model.
    await this.deps.guard.assertMayMutate('alertmanager-ingest', caller);
    const { modelLabel } = this.deps.options;
    const skipped: AlertmanagerWebhookResponse['skipped'] = [];
    const byModel = new Map<string, AlertmanagerAlert[]>();
    body.alerts.forEach((alert, index) => {
      const modelId = alert.labels?.[modelLabel];
      if (!modelId) {
        skipped.push({
          fingerprint: alert.fingerprint,
          reason: `alerts[${index}] has no ${modelLabel} label`,
        });
        return;
      }
      const list = byModel.get(modelId) ?? [];
      list.push(alert);
      byModel.set(modelId, list);
    });

    let accepted = 0;
    const refusals: Error[] = [];
    for (const [modelId, alerts] of byModel) {
      const model = await this.deps.models.get(modelId);
      if (!model?.spec) {
        for (const alert of alerts) {
          skipped.push({
            fingerprint: alert.fingerprint,
            reason: model
              ? `model ${modelId} has problems: ${model.problems
                  .map(p => p.message)
                  .join('; ')}`
              : `no model ${modelId} in the catalog`,
          });
        }
        continue;
      }
      try {
        accepted += await this.deps.guard.run(
          {
            eventId: 'alertmanager-ingest',
            permission: modelOpsAlertUpdatePermission,
            entityRef: model.entityRef,
            meta: { alerts: alerts.length, receiver: body.receiver ?? null },
          },
          caller,
          () => this.apply(model.spec!, model.entity.spec?.owner, alerts),
        );
      } catch (error) {
        if (!(error instanceof NotAllowedError)) throw error;
        refusals.push(error);
        for (const alert of alerts) {
          skipped.push({
            fingerprint: alert.fingerprint,
            reason: error.message,
          });
        }
      }
    }
    // Refused for every model it names: a 403, as any refused mutation.
    if (refusals.length > 0 && refusals.length === byModel.size && !accepted) {
      throw refusals[0];
    }
    return { accepted, skipped };
  }

  private async apply(
    spec: NonNullable<Awaited<ReturnType<ModelIndex['get']>>>['spec'] & {},
    owner: unknown,
    alerts: AlertmanagerAlert[],
  ): Promise<number> {
    const now = this.now();
    const open = new Map(
      (await this.deps.alerts.listOpen(spec.modelId)).map(a => [
        a.fingerprint,
        a,
      ]),
    );
    const transitions: AlertTransition[] = [];
    const seen = new Set<string>();
    for (const alert of alerts) {
      const fingerprint = fingerprintOf(spec.modelId, alert);
      if (seen.has(fingerprint)) continue;
      seen.add(fingerprint);
      const current = open.get(fingerprint);
      const labels = alert.labels;
      const annotations = alert.annotations ?? {};
      const severity = SEVERITY_CRITICAL.has(
        (labels.severity ?? '').toLowerCase(),
      )
        ? 'critical'
        : 'warning';
      const summary = (
        annotations.summary ??
        annotations.description ??
        `${labels.alertname ?? 'alert'} from Alertmanager`
      ).slice(0, 2000);
      const value = numberOf(annotations.value);
      const threshold = numberOf(annotations.threshold);
      if (alert.status === 'resolved') {
        if (current?.state === 'firing') {
          transitions.push({
            type: 'resolve',
            id: current.id,
            fingerprint,
            at: dateOf(alert.endsAt, now),
          });
        }
        continue;
      }
      if (current) {
        transitions.push({
          type: 'update',
          id: current.id,
          fingerprint,
          state: current.state === 'pending' ? 'pending' : 'firing',
          severity,
          value,
          threshold,
          summary,
        });
        continue;
      }
      const slot = (SLOT_NAMES as readonly string[]).includes(labels.slot ?? '')
        ? (labels.slot as SlotName)
        : undefined;
      const startsAt = dateOf(alert.startsAt, now);
      transitions.push({
        type: 'open',
        alert: {
          fingerprint,
          modelId: spec.modelId,
          entityRef: spec.entityRef,
          alertType: (labels.alertname ?? 'alertmanager').slice(0, 63),
          metric: 'external',
          slot,
          severity,
          state: 'firing',
          value,
          threshold,
          summary,
          startsAt,
          firingAt: startsAt,
        },
      });
    }
    const context = alertModelContext(
      spec,
      owner,
      await this.deps.store.getSlots(spec.modelId),
    );
    const applied = await this.deps.alerts.apply(transitions, {
      within: async (tx, changes) => {
        await this.deps.planner.plan(tx, changes, context, now);
      },
    });
    return (
      applied.opened.length +
      applied.resolved.length +
      transitions.filter(t => t.type === 'update').length
    );
  }
}
