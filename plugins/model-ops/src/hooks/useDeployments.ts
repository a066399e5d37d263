import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  ACTIVE_RUN_STATUSES,
  DeploymentRun,
} from '@model-ops/plugin-model-ops-common';
import { modelOpsApiRef } from '../api';
import { usePolling } from './usePolling';
import { useSettled } from './useSettled';

/** How often the runs are fetched again while one is active. */
export const LIVE_POLL_MS = 1500;

function hasActiveRun(runs?: DeploymentRun[]): boolean {
  return runs?.some(r => ACTIVE_RUN_STATUSES.includes(r.status)) ?? false;
}

/**
 * The model's runs, newest first. While a run is active they are fetched again every
 * {@link LIVE_POLL_MS}, so progress shows without a reload; `onSettled` fires when an active
 * run ends so the rest of the tab can refresh.
 */
export function useDeployments(options: { onSettled?: () => void } = {}) {
  const { entity } = useEntity();
  const api = useApi(modelOpsApiRef);
  const { value, error, refresh } = usePolling(
    () => api.listDeployments(getCompoundEntityRef(entity), { limit: 20 }),
    {
      key: stringifyEntityRef(entity),
      intervalMs: result =>
        hasActiveRun(result?.items) ? LIVE_POLL_MS : undefined,
    },
  );
  const runs = value?.items;
  const active = hasActiveRun(runs);
  useSettled(active, options.onSettled);

  return {
    runs,
    error,
    loading: runs === undefined && !error,
    active,
    refresh,
  };
}
