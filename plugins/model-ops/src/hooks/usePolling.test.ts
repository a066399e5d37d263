import { act, renderHook } from '@testing-library/react';
import { PollingInterval, usePolling } from './usePolling';

/** A load whose answers the test settles one by one. */
function controlledLoad() {
  const pending: Array<{
    resolve: (value: string) => void;
    reject: (error: Error) => void;
  }> = [];
  const load = jest.fn(
    () =>
      new Promise<string>((resolve, reject) => {
        pending.push({ resolve, reject });
      }),
  );
  const settle = async (
    outcome: { value: string } | { error: Error },
    index = pending.length - 1,
  ) => {
    await act(async () => {
      if ('value' in outcome) pending[index].resolve(outcome.value);
      else pending[index].reject(outcome.error);
    });
  };
  return { load, settle };
}

async function advance(ms: number) {
  await act(async () => {
    jest.advanceTimersByTime(ms);
  });
}

function render(
  load: () => Promise<string>,
  initial: { key: string; intervalMs: PollingInterval<string> },
) {
  return renderHook(props => usePolling(load, props), {
    initialProps: initial,
  });
}

describe('usePolling', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('loads at once, then again the interval after each answer, one request at a time', async () => {
    const { load, settle } = controlledLoad();
    const { result } = render(load, { key: 'a', intervalMs: 1000 });
    expect(load).toHaveBeenCalledTimes(1);
    expect(result.current.loading).toBe(true);

    // The answer is slow: no second request is sent meanwhile.
    await advance(5000);
    expect(load).toHaveBeenCalledTimes(1);
    await settle({ value: 'one' });
    expect(result.current).toMatchObject({ value: 'one', loading: false });

    await advance(999);
    expect(load).toHaveBeenCalledTimes(1);
    await advance(1);
    expect(load).toHaveBeenCalledTimes(2);
    await settle({ value: 'two' });
    expect(result.current.value).toBe('two');
  });

  it('polls at the interval the latest value asks for, and not at all when it asks for none', async () => {
    const { load, settle } = controlledLoad();
    const intervalMs = (value?: string) => (value === 'busy' ? 100 : undefined);
    const { result } = render(load, { key: 'a', intervalMs });
    await settle({ value: 'busy' });
    await advance(100);
    expect(load).toHaveBeenCalledTimes(2);

    await settle({ value: 'idle' });
    await advance(10_000);
    expect(load).toHaveBeenCalledTimes(2);

    // Asked on demand, it loads even though it does not poll.
    act(() => result.current.refresh());
    expect(load).toHaveBeenCalledTimes(3);
    await settle({ value: 'busy' });
    await advance(100);
    expect(load).toHaveBeenCalledTimes(4);
  });

  it('drops the answer a refresh overtakes', async () => {
    const { load, settle } = controlledLoad();
    const { result } = render(load, { key: 'a', intervalMs: 1000 });
    act(() => result.current.refresh());
    expect(load).toHaveBeenCalledTimes(2);

    await settle({ value: 'new' }, 1);
    await settle({ value: 'stale' }, 0);
    expect(result.current.value).toBe('new');
  });

  it('keeps the last good value with the error, and clears the error on the next answer', async () => {
    const { load, settle } = controlledLoad();
    const { result } = render(load, { key: 'a', intervalMs: 1000 });
    await settle({ value: 'good' });

    await advance(1000);
    await settle({ error: new Error('backend unavailable') });
    expect(result.current.value).toBe('good');
    expect(result.current.error?.message).toBe('backend unavailable');
    expect(result.current.loading).toBe(false);

    // An error does not stop the polling.
    await advance(1000);
    expect(load).toHaveBeenCalledTimes(3);
    await settle({ value: 'better' });
    expect(result.current.value).toBe('better');
    expect(result.current.error).toBeUndefined();
  });

  it('loads at once for a new key and keeps the old value until it answers', async () => {
    const { load, settle } = controlledLoad();
    const { result, rerender } = render(load, { key: 'a', intervalMs: 1000 });
    await settle({ value: 'for a' });

    rerender({ key: 'b', intervalMs: 1000 });
    expect(load).toHaveBeenCalledTimes(2);
    expect(result.current).toMatchObject({ value: 'for a', loading: true });

    // The request for the new key is in flight: the old key's timer was not kept.
    await advance(1000);
    expect(load).toHaveBeenCalledTimes(2);
    await settle({ value: 'for b' });
    expect(result.current).toMatchObject({ value: 'for b', loading: false });
  });

  it('pauses while the page is hidden and loads as soon as it shows', async () => {
    const { load, settle } = controlledLoad();
    render(load, { key: 'a', intervalMs: 1000 });
    await settle({ value: 'one' });
    const hidden = jest.spyOn(document, 'hidden', 'get').mockReturnValue(true);
    try {
      await advance(10_000);
      expect(load).toHaveBeenCalledTimes(1);

      hidden.mockReturnValue(false);
      await act(async () => {
        document.dispatchEvent(new Event('visibilitychange'));
      });
      expect(load).toHaveBeenCalledTimes(2);
    } finally {
      hidden.mockRestore();
    }
  });

  it('stops on unmount and ignores an answer that comes after', async () => {
    const { load, settle } = controlledLoad();
    const { result, unmount } = render(load, { key: 'a', intervalMs: 1000 });
    await settle({ value: 'one' });
    await advance(1000);
    expect(load).toHaveBeenCalledTimes(2);

    unmount();
    await settle({ value: 'late' });
    await advance(10_000);
    document.dispatchEvent(new Event('visibilitychange'));
    expect(load).toHaveBeenCalledTimes(2);
    expect(result.current.value).toBe('one');
  });
});
