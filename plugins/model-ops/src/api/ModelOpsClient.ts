import { CompoundEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ListModelsResponse,
  ModelDetails,
  entityRoutePath,
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

  private async get<T>(path: string): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('model-ops');
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}
