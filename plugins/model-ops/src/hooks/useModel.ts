import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { modelOpsApiRef } from '../api';

/** The current entity's model details from the backend. */
export function useModel() {
  const { entity } = useEntity();
  const api = useApi(modelOpsApiRef);
  const ref = getCompoundEntityRef(entity);
  const state = useAsyncRetry(
    () => api.getModel(ref),
    [api, ref.kind, ref.namespace, ref.name],
  );
  return { entity, ...state };
}
