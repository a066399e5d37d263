import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  AlertRecord,
  AlertState,
  AvailableVersion,
  CapacityPeriod,
  CapacityReport,
  CreateDeploymentRequest,
  CreateSilenceRequest,
  DefaultApiClient,
  DeploymentRun,
  EnvironmentsResponse,
  IncidentDetails,
  ListAlertDeliveriesResponse,
  ListAlertsResponse,
  ListDeploymentsResponse,
  ListIncidentsResponse,
  ListModels,
  ListModelsResponse,
  ListSilencesResponse,
  MetricsResponse,
  ModelDetails,
  ModelStatusResponse,
  OpenAlertsResponse,
  Silence,
  SwitchRecord,
  SwitchRequest,
  TypedResponse,
} from '@model-ops/plugin-model-ops-common';
import { ModelOpsApi } from './ModelOpsApi';

/**
 * The path parameters of an entity route: the kind and namespace lower-cased as in an entity
 * ref, so that `Component:default/x` and `component:default/x` reach the same URL.
 */
function entityPath(entity: CompoundEntityRef): CompoundEntityRef {
  return parseEntityRef(stringifyEntityRef(entity));
}

/**
 * Talks to the Model Ops backend over HTTP with the signed-in user's credentials.
 *
 * @remarks
 * The requests come from the client generated from the backend's OpenAPI spec; this class
 * keeps the {@link ModelOpsApi} shape and turns error responses into `ResponseError`s.
 *
 * @public
 */
export class ModelOpsClient implements ModelOpsApi {
  private readonly client: DefaultApiClient;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.client = new DefaultApiClient(options);
  }

  listModels(query: ListModels['query'] = {}): Promise<ListModelsResponse> {
    return this.body(this.client.listModels({ query }));
  }

  getModel(entity: CompoundEntityRef): Promise<ModelDetails> {
    return this.body(this.client.getModel({ path: entityPath(entity) }));
  }

  listDeployments(
    entity: CompoundEntityRef,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<ListDeploymentsResponse> {
    return this.body(
      this.client.listDeployments({
        path: entityPath(entity),
        // An empty cursor or a zero limit means "not given", as it always has.
        query: {
          limit: options.limit || undefined,
          cursor: options.cursor || undefined,
        },
      }),
    );
  }

  getDeployment(id: string): Promise<DeploymentRun> {
    return this.body(this.client.getDeployment({ path: { id } }));
  }

  createDeployment(request: CreateDeploymentRequest): Promise<DeploymentRun> {
    return this.body(this.client.createDeployment({ body: request }));
  }

  cancelDeployment(id: string): Promise<DeploymentRun> {
    return this.body(this.client.cancelDeployment({ path: { id } }));
  }

  rollback(
    entity: CompoundEntityRef,
    toVersion?: string,
  ): Promise<DeploymentRun> {
    return this.body(
      this.client.rollbackModel({
        path: entityPath(entity),
        body: toVersion ? { toVersion } : {},
      }),
    );
  }

  listArtifacts(
    entity: CompoundEntityRef,
  ): Promise<{ items: AvailableVersion[] }> {
    return this.body(this.client.listArtifacts({ path: entityPath(entity) }));
  }

  getEnvironments(entity: CompoundEntityRef): Promise<EnvironmentsResponse> {
    return this.body(this.client.getEnvironments({ path: entityPath(entity) }));
  }

  switchEnvironment(
    entity: CompoundEntityRef,
    request: SwitchRequest = {},
  ): Promise<SwitchRecord> {
    return this.body(
      this.client.switchEnvironment({
        path: entityPath(entity),
        body: request,
      }),
    );
  }

  rollbackSwitch(
    entity: CompoundEntityRef,
    reason?: string,
  ): Promise<SwitchRecord | DeploymentRun> {
    return this.body(
      this.client.rollbackSwitch({
        path: entityPath(entity),
        body: reason ? { reason } : {},
      }),
    );
  }

  promoteCanary(runId: string): Promise<DeploymentRun> {
    return this.body(this.client.promoteCanary({ path: { id: runId } }));
  }

  abortCanary(runId: string): Promise<DeploymentRun> {
    return this.body(this.client.abortCanary({ path: { id: runId } }));
  }

  getStatus(entity: CompoundEntityRef): Promise<ModelStatusResponse> {
    return this.body(this.client.getStatus({ path: entityPath(entity) }));
  }

  getMetrics(
    entity: CompoundEntityRef,
    options: { from: Date | string; to: Date | string; step: 60 | 3600 },
  ): Promise<MetricsResponse> {
    return this.body(
      this.client.getMetrics({
        path: entityPath(entity),
        query: {
          from: new Date(options.from).toISOString(),
          to: new Date(options.to).toISOString(),
          step: options.step,
        },
      }),
    );
  }

  listAlerts(
    entity: CompoundEntityRef,
    state?: AlertState,
  ): Promise<ListAlertsResponse> {
    return this.body(
      this.client.listAlerts({ path: entityPath(entity), query: { state } }),
    );
  }

  acknowledgeAlert(
    entity: CompoundEntityRef,
    alertId: string,
    comment?: string,
  ): Promise<AlertRecord> {
    return this.body(
      this.client.acknowledgeAlert({
        path: { ...entityPath(entity), alertId },
        body: comment ? { comment } : {},
      }),
    );
  }

  resolveAlert(
    entity: CompoundEntityRef,
    alertId: string,
    comment?: string,
  ): Promise<AlertRecord> {
    return this.body(
      this.client.resolveAlert({
        path: { ...entityPath(entity), alertId },
        body: comment ? { comment } : {},
      }),
    );
  }

  listAlertDeliveries(
    entity: CompoundEntityRef,
    alertId: string,
  ): Promise<ListAlertDeliveriesResponse> {
    return this.body(
      this.client.listAlertDeliveries({
        path: { ...entityPath(entity), alertId },
      }),
    );
  }

  listSilences(entity: CompoundEntityRef): Promise<ListSilencesResponse> {
    return this.body(this.client.listSilences({ path: entityPath(entity) }));
  }

  createSilence(
    entity: CompoundEntityRef,
    request: CreateSilenceRequest,
  ): Promise<Silence> {
    return this.body(
      this.client.createSilence({ path: entityPath(entity), body: request }),
    );
  }

  expireSilence(
    entity: CompoundEntityRef,
    silenceId: string,
  ): Promise<Silence> {
    return this.body(
      this.client.expireSilence({
        path: { ...entityPath(entity), silenceId },
      }),
    );
  }

  listIncidents(entity: CompoundEntityRef): Promise<ListIncidentsResponse> {
    return this.body(this.client.listIncidents({ path: entityPath(entity) }));
  }

  getIncident(
    entity: CompoundEntityRef,
    incidentId: string,
  ): Promise<IncidentDetails> {
    return this.body(
      this.client.getIncident({ path: { ...entityPath(entity), incidentId } }),
    );
  }

  async getIncidentReport(
    entity: CompoundEntityRef,
    incidentId: string,
  ): Promise<string> {
    // The report is Markdown, not JSON: the generated client's response is read as text.
    const response = await this.client.getIncidentReport({
      path: { ...entityPath(entity), incidentId },
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.text();
  }

  listOpenIncidents(): Promise<ListIncidentsResponse> {
    return this.body(this.client.listOpenIncidents());
  }

  listOpenAlerts(): Promise<OpenAlertsResponse> {
    return this.body(this.client.listOpenAlerts());
  }

  getCapacity(
    entity: CompoundEntityRef,
    period?: CapacityPeriod,
  ): Promise<CapacityReport> {
    return this.body(
      this.client.getCapacity({ path: entityPath(entity), query: { period } }),
    );
  }

  /** The body of a successful response; any other becomes a `ResponseError`. */
  private async body<T>(pending: Promise<TypedResponse<T>>): Promise<T> {
    const response = await pending;
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.json();
  }
}
