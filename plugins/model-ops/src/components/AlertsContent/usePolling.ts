import { useEffect, useRef, useState } from 'react';

/**
 * Loads a value now and again every `intervalMs`, while the page is visible; loads again as soon
 * as it becomes visible. A change of `key` (e.g. a new range) loads at once; answers to stale
 * requests are dropped. The interval and listener are removed on unmount.
 */
export function usePolling<T>(
  load: () => Promise<T>,
  intervalMs: number,
  key: string,
) {
  const [state, setState] = useState<{
    value?: T;
    valueKey?: string;
    error?: Error;
  }>({});
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let cancelled = false;
    loadRef.current().then(
      value => {
        if (!cancelled) setState({ value, valueKey: key });
      },
      error => {
        if (!cancelled) setState(previous => ({ ...previous, error }));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [key, tick]);

  useEffect(() => {
    const refreshIfVisible = () => {
      if (!document.hidden) setTick(t => t + 1);
    };
    const timer = setInterval(refreshIfVisible, intervalMs);
    document.addEventListener('visibilitychange', refreshIfVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', refreshIfVisible);
    };
  }, [intervalMs]);

  return {
    /** The latest answer, possibly for a previous key while the new one loads. */
    value: state.value,
    error: state.error,
    /** Whether the answer for the current key is still awaited. */
    loading: state.valueKey !== key && !state.error,
  };
}
