import { useCallback } from 'react';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { modelOpsApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';

/** How often the status and the alerts are fetched again. */
export const STATUS_POLL_MS = 15_000;

/** How often the charts are fetched again. */
export const METRICS_POLL_MS = 60_000;

/** A range of the charts: how far back, and the bucket size asked for. */
export interface MetricsRange {
  id: '1h' | '24h' | '7d';
  label: string;
  durationMs: number;
  step: 60 | 3600;
}

const HOUR_MS = 3_600_000;

/** The ranges of the charts: minute samples up to a day, hourly rollups for a week. */
export const METRICS_RANGES: readonly MetricsRange[] = [
  { id: '1h', label: '1 h', durationMs: HOUR_MS, step: 60 },
  { id: '24h', label: '24 h', durationMs: 24 * HOUR_MS, step: 60 },
  { id: '7d', label: '7 d', durationMs: 7 * 24 * HOUR_MS, step: 3600 },
];

function refKey(ref: CompoundEntityRef): string {
  return `${ref.kind}:${ref.namespace}/${ref.name}`;
}

/** The model's live status (levels, trends, sparklines), every {@link STATUS_POLL_MS}. */
export function useModelStatus(ref: CompoundEntityRef) {
  const api = useApi(modelOpsApiRef);
  const load = useCallback(() => api.getStatus(ref), [api, ref]);
  return usePolling(load, { key: refKey(ref), intervalMs: STATUS_POLL_MS });
}

/** The model's alerts in every state, every {@link STATUS_POLL_MS}. */
export function useModelAlerts(ref: CompoundEntityRef) {
  const api = useApi(modelOpsApiRef);
  const load = useCallback(() => api.listAlerts(ref), [api, ref]);
  return usePolling(load, { key: refKey(ref), intervalMs: STATUS_POLL_MS });
}

/** The model's metrics over the chosen range up to now, every {@link METRICS_POLL_MS}. */
export function useModelMetrics(ref: CompoundEntityRef, range: MetricsRange) {
  const api = useApi(modelOpsApiRef);
  const load = useCallback(() => {
    const to = new Date();
    const from = new Date(to.getTime() - range.durationMs);
    return api.getMetrics(ref, { from, to, step: range.step });
  }, [api, ref, range]);
  return usePolling(load, {
    key: `${refKey(ref)}#${range.id}`,
    intervalMs: METRICS_POLL_MS,
  });
}

/** The model's silences and maintenance windows, every {@link STATUS_POLL_MS}. */
export function useModelSilences(ref: CompoundEntityRef) {
  const api = useApi(modelOpsApiRef);
  const load = useCallback(() => api.listSilences(ref), [api, ref]);
  return usePolling(load, { key: refKey(ref), intervalMs: STATUS_POLL_MS });
}

/** The model's incidents, every {@link STATUS_POLL_MS}. */
export function useModelIncidents(ref: CompoundEntityRef) {
  const api = useApi(modelOpsApiRef);
  const load = useCallback(() => api.listIncidents(ref), [api, ref]);
  return usePolling(load, { key: refKey(ref), intervalMs: STATUS_POLL_MS });
}

/** One incident with its alerts and timeline: every {@link STATUS_POLL_MS} while it is open. */
export function useIncident(ref: CompoundEntityRef, incidentId: string) {
  const api = useApi(modelOpsApiRef);
  const load = useCallback(
    () => api.getIncident(ref, incidentId),
    [api, ref, incidentId],
  );
  return usePolling(load, {
    key: `${refKey(ref)}#${incidentId}`,
    intervalMs: value =>
      value && value.incident.state === 'resolved' ? undefined : STATUS_POLL_MS,
  });
}
