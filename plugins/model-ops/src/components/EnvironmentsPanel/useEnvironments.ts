import { useApi } from '@backstage/core-plugin-api';
import {
  EnvironmentsResponse,
  ModelDetails,
} from '@model-ops/plugin-model-ops-common';
import { modelOpsApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { useSettled } from '../../hooks/useSettled';

/** How often the environments are fetched again while a switch or a canary is under way. */
export const ENVIRONMENTS_LIVE_POLL_MS = 1500;

/** How often the environments are fetched again otherwise (health, warm windows). */
export const ENVIRONMENTS_IDLE_POLL_MS = 10000;

/** Whether traffic is moving: a switch in progress, or a canary that has not ended. */
export function isLive(environments?: EnvironmentsResponse): boolean {
  if (!environments) return false;
  return (
    environments.history.some(record => record.status === 'in_progress') ||
    environments.canary?.status === 'progressing' ||
    environments.canary?.status === 'paused'
  );
}

/**
 * The model's production environments. Fetched again {@link ENVIRONMENTS_LIVE_POLL_MS} after
 * each answer while traffic is moving, else {@link ENVIRONMENTS_IDLE_POLL_MS}. `onSettled`
 * fires when traffic stops moving, so the rest of the tab can refresh.
 */
export function useEnvironments(
  model: Pick<ModelDetails, 'kind' | 'namespace' | 'name'>,
  options: { onSettled?: () => void } = {},
) {
  const api = useApi(modelOpsApiRef);
  const { kind, namespace, name } = model;
  const { value, error, loading, refresh } = usePolling(
    () => api.getEnvironments({ kind, namespace, name }),
    {
      key: `${kind}:${namespace}/${name}`,
      intervalMs: result =>
        isLive(result) ? ENVIRONMENTS_LIVE_POLL_MS : ENVIRONMENTS_IDLE_POLL_MS,
    },
  );
  const live = isLive(value);
  useSettled(live, options.onSettled);
  return {
    value,
    error,
    loading: loading && value === undefined,
    live,
    refresh,
  };
}
