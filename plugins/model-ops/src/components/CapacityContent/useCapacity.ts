import { useCallback } from 'react';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { CapacityPeriod } from '@model-ops/plugin-model-ops-common';
import { modelOpsApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';

/**
 * How often the report is fetched again. It is computed from hourly figures, so there is nothing
 * new to see much more often; a longer stay on the tab still picks up the new hours.
 */
export const CAPACITY_POLL_MS = 300_000;

/** The periods a report can cover, as the selector offers them. */
export const CAPACITY_PERIODS: ReadonlyArray<{
  id: CapacityPeriod;
  label: string;
}> = [
  { id: '24h', label: '24 h' },
  { id: '7d', label: '7 d' },
  { id: '30d', label: '30 d' },
];

/** The model's capacity report over a period ending now, every {@link CAPACITY_POLL_MS}. */
export function useCapacity(ref: CompoundEntityRef, period: CapacityPeriod) {
  const api = useApi(modelOpsApiRef);
  const load = useCallback(
    () => api.getCapacity(ref, period),
    [api, ref, period],
  );
  return usePolling(load, {
    key: `${ref.kind}:${ref.namespace}/${ref.name}#${period}`,
    intervalMs: CAPACITY_POLL_MS,
  });
}
