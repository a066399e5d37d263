import { createApiRef } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  AvailableVersion,
  CapacityPeriod,
  CapacityReport,
  CreateDeploymentRequest,
  DeploymentRun,
  EnvironmentsResponse,
  SwitchRecord,
  SwitchRequest,
  ListDeploymentsResponse,
  ListModels,
  ListModelsResponse,
  ModelDetails,
  AlertState,
  ListAlertsResponse,
  MetricsResponse,
  ModelStatusResponse,
  AlertRecord,
  ListAlertDeliveriesResponse,
  CreateSilenceRequest,
  IncidentDetails,
  ListIncidentsResponse,
  ListSilencesResponse,
  OpenAlertsResponse,
  Silence,
} from '@model-ops/plugin-model-ops-common';

/**
 * The Model Ops backend, as the frontend sees it.
 *
 * @public
 */
export interface ModelOpsApi {
  /**
   * One page of the models the caller may see, filtered (text, owner, status) and sorted on
   * the server: 50 by entity ref when no query is given.
   */
  listModels(query?: ListModels['query']): Promise<ListModelsResponse>;
  getModel(entity: CompoundEntityRef): Promise<ModelDetails>;
  listDeployments(
    entity: CompoundEntityRef,
    options?: { limit?: number; cursor?: string },
  ): Promise<ListDeploymentsResponse>;
  getDeployment(id: string): Promise<DeploymentRun>;
  createDeployment(request: CreateDeploymentRequest): Promise<DeploymentRun>;
  cancelDeployment(id: string): Promise<DeploymentRun>;
  rollback(
    entity: CompoundEntityRef,
    toVersion?: string,
  ): Promise<DeploymentRun>;
  listArtifacts(
    entity: CompoundEntityRef,
  ): Promise<{ items: AvailableVersion[] }>;
  getEnvironments(entity: CompoundEntityRef): Promise<EnvironmentsResponse>;
  switchEnvironment(
    entity: CompoundEntityRef,
    request?: SwitchRequest,
  ): Promise<SwitchRecord>;
  rollbackSwitch(
    entity: CompoundEntityRef,
    reason?: string,
  ): Promise<SwitchRecord | DeploymentRun>;
  promoteCanary(runId: string): Promise<DeploymentRun>;
  abortCanary(runId: string): Promise<DeploymentRun>;
  getStatus(entity: CompoundEntityRef): Promise<ModelStatusResponse>;
  /** `from` and `to` are Dates or ISO 8601 strings; `step` is 60 (minutes) or 3600 (hourly rollups). */
  getMetrics(
    entity: CompoundEntityRef,
    options: { from: Date | string; to: Date | string; step: 60 | 3600 },
  ): Promise<MetricsResponse>;
  listAlerts(
    entity: CompoundEntityRef,
    state?: AlertState,
  ): Promise<ListAlertsResponse>;
  /** Acknowledges an open alert, with an optional comment; its channels are told. */
  acknowledgeAlert(
    entity: CompoundEntityRef,
    alertId: string,
    comment?: string,
  ): Promise<AlertRecord>;
  /** Resolves an open alert by hand; its channels are told. */
  resolveAlert(
    entity: CompoundEntityRef,
    alertId: string,
    comment?: string,
  ): Promise<AlertRecord>;
  /** The notifications of an alert, each with its attempts. */
  listAlertDeliveries(
    entity: CompoundEntityRef,
    alertId: string,
  ): Promise<ListAlertDeliveriesResponse>;
  /** The model's silences and maintenance windows: active and pending first, then the recently expired. */
  listSilences(entity: CompoundEntityRef): Promise<ListSilencesResponse>;
  /** Mutes the model's matching alerts (or, with kind `maintenance`, all of them) for a while. */
  createSilence(
    entity: CompoundEntityRef,
    request: CreateSilenceRequest,
  ): Promise<Silence>;
  /** Ends a silence or maintenance window made through the API now. */
  expireSilence(entity: CompoundEntityRef, silenceId: string): Promise<Silence>;
  /** The model's incidents, newest first. */
  listIncidents(entity: CompoundEntityRef): Promise<ListIncidentsResponse>;
  /** An incident with its alerts and its timeline. */
  getIncident(
    entity: CompoundEntityRef,
    incidentId: string,
  ): Promise<IncidentDetails>;
  /** The post-incident report of an incident, as Markdown. */
  getIncidentReport(
    entity: CompoundEntityRef,
    incidentId: string,
  ): Promise<string>;
  /** The open incidents of every model the caller may see, and those resolved in the last day. */
  listOpenIncidents(): Promise<ListIncidentsResponse>;
  /** The firing alerts of every model the caller may see. */
  listOpenAlerts(): Promise<OpenAlertsResponse>;
  /**
   * The model's capacity report over a period ending now (the backend's default, 7d, when not
   * given): usage, bottlenecks, a projection, costs and recommendations.
   */
  getCapacity(
    entity: CompoundEntityRef,
    period?: CapacityPeriod,
  ): Promise<CapacityReport>;
}

/**
 * @public
 */
export const modelOpsApiRef = createApiRef<ModelOpsApi>({
  id: 'plugin.model-ops.service',
});
