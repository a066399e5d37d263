import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  AlertRecord,
  AlertmanagerWebhook,
  AlertmanagerWebhookResponse,
  Incident,
  IncidentDetails,
  Silence,
  modelOpsAlertUpdatePermission,
  parseModelSpec,
} from '@model-ops/plugin-model-ops-common';
import { Incidents, incidentReport } from './Incidents';
import { Silences, parseSilenceRequest } from './Silences';
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
  listSilences(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<Silence[]>;
  createSilence(
    ref: CompoundEntityRef,
    body: unknown,
    caller: Caller,
  ): Promise<Silence>;
  expireSilence(
    ref: CompoundEntityRef,
    silenceId: string,
    caller: Caller,
  ): Promise<Silence>;
  listIncidents(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<Incident[]>;
  getIncident(
    ref: CompoundEntityRef,
    incidentId: string,
    credentials: BackstageCredentials,
  ): Promise<IncidentDetails>;
  /** The incident's post-incident report, as Markdown. */
  incidentReport(
    ref: CompoundEntityRef,
    incidentId: string,
    credentials: BackstageCredentials,
  ): Promise<string>;
  /** Open incidents (and those resolved in the last day) of every model the caller may see. */
  openIncidents(credentials: BackstageCredentials): Promise<Incident[]>;
  /** Firing alerts of every model the caller may see. */
  openAlerts(credentials: BackstageCredentials): Promise<AlertRecord[]>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
      silences: Silences;
      incidents: Incidents;
      /** The portal's base URL, for the report's link to the Alerts tab. */
      baseUrl?: string;
      now?: () => Date;
    },
  ) {}

  async listSilences(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<Silence[]> {
    const model = await this.deps.models.resolve(ref, credentials, {
      lenient: true,
    });
    return this.deps.silences.list(
      { modelId: model.spec.modelId, entityRef: model.entityRef },
      this.now(),
    );
  }

  async createSilence(
    ref: CompoundEntityRef,
    body: unknown,
    caller: Caller,
  ): Promise<Silence> {
    const now = this.now();
    const silence = parseSilenceRequest(body, now);
    const model = await this.deps.models.resolve(ref, caller.credentials, {
      lenient: true,
    });
    return this.deps.guard.run(
      {
        eventId: 'alert-silence',
        permission: modelOpsAlertUpdatePermission,
        entityRef: model.entityRef,
        meta: {
          kind: silence.kind,
          endsAt: silence.endsAt.toISOString(),
        },
      },
      caller,
      () =>
        this.deps.silences.create(
          { modelId: model.spec.modelId, entityRef: model.entityRef },
          silence,
          principalOf(caller.credentials) ?? 'unknown',
          now,
        ),
    );
  }

  async expireSilence(
    ref: CompoundEntityRef,
    silenceId: string,
    caller: Caller,
  ): Promise<Silence> {
    const model = await this.deps.models.resolve(ref, caller.credentials, {
      lenient: true,
    });
    const now = this.now();
    const existing = UUID.test(silenceId)
      ? await this.deps.silences.get(model.spec.modelId, silenceId, now)
      : undefined;
    if (!existing) {
      throw new NotFoundError(
        silenceId.startsWith('maintenance:')
          ? `${silenceId} comes from configuration (modelOps.alerts.maintenanceWindows); change it there`
          : `No silence ${silenceId} of model ${model.spec.modelId}`,
      );
    }
    return this.deps.guard.run(
      {
        eventId: 'alert-silence-expire',
        permission: modelOpsAlertUpdatePermission,
        entityRef: model.entityRef,
        meta: { silenceId },
      },
      caller,
      () =>
        this.deps.silences.expire(
          model.spec.modelId,
          silenceId,
          principalOf(caller.credentials) ?? 'unknown',
          now,
        ),
    );
  }

  async listIncidents(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<Incident[]> {
    const model = await this.deps.models.resolve(ref, credentials, {
      lenient: true,
    });
    return this.deps.incidents.list({ modelIds: [model.spec.modelId] });
  }

  async getIncident(
    ref: CompoundEntityRef,
    incidentId: string,
    credentials: BackstageCredentials,
  ): Promise<IncidentDetails> {
    const model = await this.deps.models.resolve(ref, credentials, {
      lenient: true,
    });
    if (!UUID.test(incidentId)) {
      throw new NotFoundError(
        `No incident ${incidentId} of model ${model.spec.modelId}`,
      );
    }
    return this.deps.incidents.details(model.spec.modelId, incidentId, {
      runbook: model.spec.runbook,
      alerts: id => this.deps.alerts.list({ incidentId: id, limit: 500 }),
      now: this.now(),
    });
  }

  async incidentReport(
    ref: CompoundEntityRef,
    incidentId: string,
    credentials: BackstageCredentials,
  ): Promise<string> {
    const details = await this.getIncident(ref, incidentId, credentials);
    const entity = parseEntityRef(details.incident.entityRef);
    return incidentReport(details, {
      url: this.deps.baseUrl
        ? `${this.deps.baseUrl.replace(/\/$/, '')}/catalog/${
            entity.namespace
          }/${entity.kind}/${entity.name}/alerts`
        : undefined,
      generatedAt: this.now(),
    });
  }

  async openIncidents(credentials: BackstageCredentials): Promise<Incident[]> {
    const modelIds = await this.visibleModelIds(credentials);
    if (modelIds.length === 0) return [];
    return this.deps.incidents.list({
      modelIds,
      openOrResolvedAfter: new Date(this.now().getTime() - 24 * 3600_000),
      limit: 200,
    });
  }

  async openAlerts(credentials: BackstageCredentials): Promise<AlertRecord[]> {
    const modelIds = await this.visibleModelIds(credentials);
    if (modelIds.length === 0) return [];
    return this.deps.alerts.list({
      modelId: modelIds,
      state: 'firing',
      limit: 500,
    });
  }

  /** The model ids owned by an entity the caller may see. */
  private async visibleModelIds(
    credentials: BackstageCredentials,
  ): Promise<string[]> {
    const entities = await this.deps.models.listVisible(credentials);
    const context = this.deps.models.specContext();
    const declared = entities.flatMap(entity => {
      const spec = parseModelSpec(entity, context).spec;
      return spec
        ? [{ entityRef: stringifyEntityRef(entity), modelId: spec.modelId }]
        : [];
    });
    const claims = await this.deps.models.claims(declared);
    return [
      ...new Set(
        declared.flatMap((d, i) =>
          claims[i]?.ownerRef === d.entityRef ? [d.modelId] : [],
        ),
      ),
    ];
  }

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
