import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  AlertRecord,
  AlertmanagerWebhook,
  AlertmanagerWebhookResponse,
  modelOpsAlertUpdatePermission,
} from '@model-ops/plugin-model-ops-common';
import { AlertmanagerIngestion } from './AlertmanagerIngestion';
import type { ModelIndex, ModelStore, ResolvedModel } from '../models';
import type { AlertStore } from '../monitoring';
import { ActionGuard, Caller, principalOf } from '../lib/guard';
import {
  AlertModelContext,
  DeliveryPlanner,
  alertModelContext,
} from './DeliveryPlanner';
import {
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryStore,
} from './DeliveryStore';

/** A delivery with its attempts, as the API answers it. */
export interface DeliveryWithHistory
  extends Omit<DeliveryRecord, 'seq' | 'modelId'> {
  history: Array<Omit<DeliveryAttempt, 'worker'>>;
}

/**
 * What people do with alerts: acknowledge and resolve (checked against
 * `model-ops.alert.update` on the model's entity, audited, and notified to the channels the
 * alert went to, in the transaction of the change), and read an alert's deliveries.
 *
 * @internal
 */
export interface AlertingService {
  acknowledge(
    ref: CompoundEntityRef,
    alertId: string,
    body: unknown,
    caller: Caller,
  ): Promise<AlertRecord>;
  resolve(
    ref: CompoundEntityRef,
    alertId: string,
    body: unknown,
    caller: Caller,
  ): Promise<AlertRecord>;
  deliveries(
    ref: CompoundEntityRef,
    alertId: string,
    credentials: BackstageCredentials,
  ): Promise<DeliveryWithHistory[]>;
  /** Alerts from an existing Alertmanager (its webhook payload). */
  ingestAlertmanager(
    body: AlertmanagerWebhook,
    caller: Caller,
  ): Promise<AlertmanagerWebhookResponse>;
}

function parseComment(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new InputError('The request body must be a JSON object');
  }
  const { comment } = body as { comment?: unknown };
  if (comment === undefined) return undefined;
  if (typeof comment !== 'string' || comment.length > 2000) {
    throw new InputError('comment must be a string of at most 2000 characters');
  }
  return comment.trim() || undefined;
}

/** @internal */
export class DefaultAlertingService implements AlertingService {
  constructor(
    private readonly deps: {
      models: ModelIndex;
      store: ModelStore;
      alerts: AlertStore;
      deliveries: DeliveryStore;
      planner: DeliveryPlanner;
      guard: ActionGuard;
      ingestion: AlertmanagerIngestion;
      now?: () => Date;
    },
  ) {}

  ingestAlertmanager(
    body: AlertmanagerWebhook,
    caller: Caller,
  ): Promise<AlertmanagerWebhookResponse> {
    return this.deps.ingestion.ingest(body, caller);
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  async acknowledge(
    ref: CompoundEntityRef,
    alertId: string,
    body: unknown,
    caller: Caller,
  ): Promise<AlertRecord> {
    const comment = parseComment(body);
    const model = await this.deps.models.resolve(ref, caller.credentials, {
      lenient: true,
    });
    await this.alertOf(model, alertId);
    return this.deps.guard.run(
      {
        eventId: 'alert-acknowledge',
        permission: modelOpsAlertUpdatePermission,
        entityRef: model.entityRef,
        meta: { alertId },
      },
      caller,
      async () => {
        const context = await this.context(model);
        const by = principalOf(caller.credentials) ?? 'unknown';
        return this.deps.alerts.acknowledge(alertId, by, {
          comment,
          within: async (tx, alert) => {
            await this.deps.planner.planAcknowledged(
              tx,
              alert,
              context,
              comment,
              this.now(),
            );
          },
        });
      },
    );
  }

  async resolve(
    ref: CompoundEntityRef,
    alertId: string,
    body: unknown,
    caller: Caller,
  ): Promise<AlertRecord> {
    parseComment(body);
    const model = await this.deps.models.resolve(ref, caller.credentials, {
      lenient: true,
    });
    await this.alertOf(model, alertId);
    return this.deps.guard.run(
      {
        eventId: 'alert-resolve',
        permission: modelOpsAlertUpdatePermission,
        entityRef: model.entityRef,
        meta: { alertId },
      },
      caller,
      async () => {
        const context = await this.context(model);
        return this.deps.alerts.resolve(alertId, {
          within: async (tx, alert) => {
            await this.deps.planner.planResolved(
              tx,
              alert,
              context,
              this.now(),
            );
          },
        });
      },
    );
  }

  async deliveries(
    ref: CompoundEntityRef,
    alertId: string,
    credentials: BackstageCredentials,
  ): Promise<DeliveryWithHistory[]> {
    const model = await this.deps.models.resolve(ref, credentials, {
      lenient: true,
    });
    await this.alertOf(model, alertId);
    const rows = await this.deps.deliveries.listForAlerts([alertId]);
    return Promise.all(
      rows.map(async ({ seq, modelId: _modelId, ...row }) => ({
        ...row,
        history: (await this.deps.deliveries.attempts(seq)).map(
          ({ worker: _worker, ...attempt }) => attempt,
        ),
      })),
    );
  }

  /** The alert, when it is one of the model's; a 404 otherwise (another model's included). */
  private async alertOf(
    model: ResolvedModel,
    alertId: string,
  ): Promise<AlertRecord> {
    const alert = await this.deps.alerts.get(alertId);
    if (!alert || alert.modelId !== model.spec.modelId) {
      throw new NotFoundError(
        `No alert ${alertId} of model ${model.spec.modelId}`,
      );
    }
    return alert;
  }

  private async context(model: ResolvedModel): Promise<AlertModelContext> {
    return alertModelContext(
      model.spec,
      model.entity.spec?.owner,
      await this.deps.store.getSlots(model.spec.modelId),
    );
  }
}
