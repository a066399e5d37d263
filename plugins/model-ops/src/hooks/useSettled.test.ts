import { renderHook } from '@testing-library/react';
import { useSettled } from './useSettled';

describe('useSettled', () => {
  it('calls back each time busy turns false, not when it starts idle', () => {
    const onSettled = jest.fn();
    const { rerender } = renderHook(busy => useSettled(busy, onSettled), {
      initialProps: false,
    });
    expect(onSettled).not.toHaveBeenCalled();

    rerender(true);
    rerender(true);
    expect(onSettled).not.toHaveBeenCalled();
    rerender(false);
    expect(onSettled).toHaveBeenCalledTimes(1);
    rerender(false);
    rerender(true);
    rerender(false);
    expect(onSettled).toHaveBeenCalledTimes(2);
  });
});
