import { useEffect, useRef } from 'react';

/**
 * Calls `onSettled` each time `busy` turns from true to false (a run ended, traffic stopped
 * moving), so the rest of a tab can fetch what that changed. The latest callback is used.
 *
 * @internal
 */
export function useSettled(busy: boolean, onSettled?: () => void) {
  const wasBusy = useRef(busy);
  const callback = useRef(onSettled);
  callback.current = onSettled;
  useEffect(() => {
    if (wasBusy.current && !busy) callback.current?.();
    wasBusy.current = busy;
  }, [busy]);
}
