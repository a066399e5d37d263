import { createApiRef } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  ListModelsResponse,
  ModelDetails,
} from '@model-ops/plugin-model-ops-common';

/**
 * The Model Ops backend, as the frontend sees it.
 *
 * @public
 */
export interface ModelOpsApi {
  listModels(): Promise<ListModelsResponse>;
  getModel(entity: CompoundEntityRef): Promise<ModelDetails>;
}

/**
 * @public
 */
export const modelOpsApiRef = createApiRef<ModelOpsApi>({
  id: 'plugin.model-ops.service',
});
