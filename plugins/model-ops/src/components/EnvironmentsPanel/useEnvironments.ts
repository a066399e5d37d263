import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  EnvironmentsResponse,
  ModelDetails,
} from '@model-ops/plugin-model-ops-common';
import { modelOpsApiRef } from '../../api';

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
 * each answer while traffic is moving, else {@link ENVIRONMENTS_IDLE_POLL_MS}; at most one
 * request and one timer at a time, and none after unmount. `onSettled` fires when traffic
 * stops moving, so the rest of the tab can refresh.
 */
export function useEnvironments(
  model: Pick<ModelDetails, 'kind' | 'namespace' | 'name'>,
  options: { onSettled?: () => void } = {},
) {
  const api = useApi(modelOpsApiRef);
  const { kind, namespace, name } = model;
  const [value, setValue] = useState<EnvironmentsResponse>();
  const [error, setError] = useState<Error>();
  const [tick, setTick] = useState(0);
  // Bumped on every answer, so the poll timer re-arms once per answer.
  const [answers, setAnswers] = useState(0);
  const wasLive = useRef(false);
  const onSettled = useRef(options.onSettled);
  onSettled.current = options.onSettled;

  const refresh = useCallback(() => setTick(t => t + 1), []);

  useEffect(() => {
    let cancelled = false;
    api
      .getEnvironments({ kind, namespace, name })
      .then(result => {
        if (cancelled) return;
        const live = isLive(result);
        if (wasLive.current && !live) onSettled.current?.();
        wasLive.current = live;
        setValue(result);
        setError(undefined);
      })
      .catch(e => {
        if (!cancelled) setError(e);
      })
      .finally(() => {
        if (!cancelled) setAnswers(a => a + 1);
      });
    return () => {
      cancelled = true;
    };
  }, [api, kind, namespace, name, tick]);

  const live = isLive(value);
  useEffect(() => {
    if (answers === 0) return undefined;
    const timer = setTimeout(
      refresh,
      live ? ENVIRONMENTS_LIVE_POLL_MS : ENVIRONMENTS_IDLE_POLL_MS,
    );
    return () => clearTimeout(timer);
  }, [answers, live, refresh]);

  return {
    value,
    error,
    loading: value === undefined && error === undefined,
    live,
    refresh,
  };
}
