import { CompoundEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  AvailableVersion,
  CreateDeploymentRequest,
  DeploymentRun,
  EnvironmentsResponse,
  SwitchRecord,
  SwitchRequest,
  ListDeploymentsResponse,
  ListModelsResponse,
  ModelDetails,
  entityRoutePath,
  AlertState,
  ListAlertsResponse,
  MetricsResponse,
  ModelStatusResponse,
} from '@model-ops/plugin-model-ops-common';
import { ModelOpsApi } from './ModelOpsApi';

/**
 * Talks to the Model Ops backend over HTTP with the signed-in user's credentials.
 *
 * @public
 */
export class ModelOpsClient implements ModelOpsApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  listModels(): Promise<ListModelsResponse> {
    return this.get<ListModelsResponse>('/models');
  }

  getModel(entity: CompoundEntityRef): Promise<ModelDetails> {
    return this.get<ModelDetails>(entityRoutePath(stringifyEntityRef(entity)));
  }

  listDeployments(
    entity: CompoundEntityRef,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<ListDeploymentsResponse> {
    const query = new URLSearchParams();
    if (options.limit) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    const suffix = query.toString() ? `?${query}` : '';
    return this.get(
      `${entityRoutePath(stringifyEntityRef(entity))}/deployments${suffix}`,
    );
  }

  getDeployment(id: string): Promise<DeploymentRun> {
    return this.get(`/deployments/${encodeURIComponent(id)}`);
  }

  createDeployment(request: CreateDeploymentRequest): Promise<DeploymentRun> {
    return this.post('/deployments', request);
  }

  cancelDeployment(id: string): Promise<DeploymentRun> {
    return this.post(`/deployments/${encodeURIComponent(id)}/cancel`, {});
  }

  rollback(entity: CompoundEntityRef, toVersion?: string): Promise<DeploymentRun> {
    return this.post(
      `${entityRoutePath(stringifyEntityRef(entity))}/rollback`,
      toVersion ? { toVersion } : {},
    );
  }

  listArtifacts(entity: CompoundEntityRef): Promise<{ items: AvailableVersion[] }> {
    return this.get(`${entityRoutePath(stringifyEntityRef(entity))}/artifacts`);
  }

  getEnvironments(entity: CompoundEntityRef): Promise<EnvironmentsResponse> {
    return this.get(`${entityRoutePath(stringifyEntityRef(entity))}/environments`);
  }

  switchEnvironment(
    entity: CompoundEntityRef,
    request: SwitchRequest = {},
  ): Promise<SwitchRecord> {
    return this.post(`${entityRoutePath(stringifyEntityRef(entity))}/environments/switch`, request);
  }

  rollbackSwitch(
    entity: CompoundEntityRef,
    reason?: string,
  ): Promise<SwitchRecord | DeploymentRun> {
    return this.post(
      `${entityRoutePath(stringifyEntityRef(entity))}/environments/rollback-switch`,
      reason ? { reason } : {},
    );
  }

  promoteCanary(runId: string): Promise<DeploymentRun> {
    return this.post(`/deployments/${encodeURIComponent(runId)}/promote`, {});
  }

  abortCanary(runId: string): Promise<DeploymentRun> {
    return this.post(`/deployments/${encodeURIComponent(runId)}/abort`, {});
  }

  getStatus(entity: CompoundEntityRef): Promise<ModelStatusResponse> {
    return this.get(`${entityRoutePath(stringifyEntityRef(entity))}/status`);
  }

  getMetrics(
    entity: CompoundEntityRef,
    options: { from: Date | string; to: Date | string; step: 60 | 3600 },
  ): Promise<MetricsResponse> {
    const query = new URLSearchParams({
      from: new Date(options.from).toISOString(),
      to: new Date(options.to).toISOString(),
      step: String(options.step),
    });
    return this.get(`${entityRoutePath(stringifyEntityRef(entity))}/metrics?${query}`);
  }

  listAlerts(entity: CompoundEntityRef, state?: AlertState): Promise<ListAlertsResponse> {
    const suffix = state ? `?${new URLSearchParams({ state })}` : '';
    return this.get(`${entityRoutePath(stringifyEntityRef(entity))}/alerts${suffix}`);
  }

  private get<T>(path: string): Promise<T> {
    return this.request<T>(path);
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  private async request<T>(path: string, init?: RequestInit): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('model-ops');
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, init);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}
