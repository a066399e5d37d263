import { useCallback, useEffect, useState } from 'react';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  ACTIVE_RUN_STATUSES,
  DeploymentRun,
} from '@model-ops/plugin-model-ops-common';
import { modelOpsApiRef } from '../api';

/** How often the runs are fetched again while one is active. */
export const LIVE_POLL_MS = 1500;

/**
 * The model's runs, newest first. While a run is active they are fetched again every
 * {@link LIVE_POLL_MS}, so progress shows without a reload; `onSettled` fires when an active
 * run ends so the rest of the tab can refresh.
 */
export function useDeployments(options: { onSettled?: () => void } = {}) {
  const { entity } = useEntity();
  const api = useApi(modelOpsApiRef);
  const ref = getCompoundEntityRef(entity);
  const [runs, setRuns] = useState<DeploymentRun[]>();
  const [error, setError] = useState<Error>();
  const [tick, setTick] = useState(0);
  const { onSettled } = options;

  const refresh = useCallback(() => setTick(t => t + 1), []);

  useEffect(() => {
    let cancelled = false;
    api
      .listDeployments(ref, { limit: 20 })
      .then(result => {
        if (cancelled) return;
        setRuns(previous => {
          const wasActive = previous?.some(r => ACTIVE_RUN_STATUSES.includes(r.status));
          const isActive = result.items.some(r => ACTIVE_RUN_STATUSES.includes(r.status));
          if (wasActive && !isActive) onSettled?.();
          return result.items;
        });
        setError(undefined);
      })
      .catch(e => !cancelled && setError(e));
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, ref.kind, ref.namespace, ref.name, tick]);

  const active = runs?.some(r => ACTIVE_RUN_STATUSES.includes(r.status)) ?? false;
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(refresh, LIVE_POLL_MS);
    return () => clearInterval(timer);
  }, [active, refresh]);

  return { runs, error, loading: runs === undefined && !error, active, refresh };
}
