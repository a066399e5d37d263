import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * How long to wait after an answer before asking again: a number of milliseconds, or a function
 * of the latest value (e.g. fast while a run is active); `undefined` stops the polling until the
 * next answer or {@link Polled.refresh}.
 *
 * @internal
 */
export type PollingInterval<T> =
  | number
  | undefined
  | ((value: T | undefined) => number | undefined);

/**
 * What {@link usePolling} returns.
 *
 * @internal
 */
export interface Polled<T> {
  /** The latest good answer, possibly for a previous key while the new one loads. */
  value?: T;
  /** Why the latest request failed; cleared by the next good answer, `value` is kept meanwhile. */
  error?: Error;
  /** Whether the current key has had no answer yet, good or bad. */
  loading: boolean;
  /** Asks again now; an answer still awaited is dropped. */
  refresh: () => void;
}

interface State<T> {
  value?: T;
  error?: Error;
  /** The key the latest answer, good or bad, was for. */
  answeredKey?: string;
  /** The number of the request the latest answer was for. */
  answered: number;
}

/**
 * Loads a value now, and again `intervalMs` after each answer, so there is never more than one
 * request in flight and a slow backend is not piled on. While the page is hidden the polling
 * pauses, and it loads again as soon as the page shows. A change of `key` (another entity, another
 * range) loads at once; answers to stale requests are dropped. Nothing runs after unmount.
 *
 * @internal
 */
export function usePolling<T>(
  load: () => Promise<T>,
  options: { key: string; intervalMs: PollingInterval<T> },
): Polled<T> {
  const { key } = options;
  const [state, setState] = useState<State<T>>({ answered: 0 });
  const [refreshes, setRefreshes] = useState(0);
  // Numbers the requests, so the timer knows whether the latest one has been answered.
  const started = useRef(0);
  // The latest `load` is called without making it a dependency: callers pass inline closures.
  const loadRef = useRef(load);
  loadRef.current = load;

  const refresh = useCallback(() => setRefreshes(r => r + 1), []);

  useEffect(() => {
    const request = ++started.current;
    let cancelled = false;
    loadRef.current().then(
      value => {
        if (!cancelled) {
          setState({ value, answeredKey: key, answered: request });
        }
      },
      error => {
        if (!cancelled) {
          setState(s => ({ ...s, error, answeredKey: key, answered: request }));
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [key, refreshes]);

  const intervalMs =
    typeof options.intervalMs === 'function'
      ? options.intervalMs(state.value)
      : options.intervalMs;

  // Re-run on every request and answer: the timer is armed only while no request is in flight.
  useEffect(() => {
    if (intervalMs === undefined || state.answered !== started.current) {
      return undefined;
    }
    // A tick while the page is hidden is skipped, not re-armed: showing the page loads again.
    const timer = setTimeout(() => {
      if (!document.hidden) refresh();
    }, intervalMs);
    return () => clearTimeout(timer);
  }, [key, refreshes, state.answered, intervalMs, refresh]);

  const polling = intervalMs !== undefined;
  useEffect(() => {
    if (!polling) return undefined;
    const refreshIfVisible = () => {
      if (!document.hidden) refresh();
    };
    document.addEventListener('visibilitychange', refreshIfVisible);
    return () => {
      document.removeEventListener('visibilitychange', refreshIfVisible);
    };
  }, [polling, refresh]);

  return {
    value: state.value,
    error: state.error,
    loading: state.answeredKey !== key,
    refresh,
  };
}
