import { ReactElement, cloneElement } from 'react';

/** The size charts get in tests, where jsdom lays nothing out. */
export const TEST_CHART_SIZE = { width: 600, height: 200 };

/**
 * recharts with a minimal `ResponsiveContainer`: jsdom gives it zero size (and no
 * ResizeObserver), so it hands its chart a fixed size instead. Everything else is the real
 * library. Use as `jest.mock('recharts', () => require('./__testUtils__/rechartsMock').rechartsMock())`.
 */
export function rechartsMock() {
  const actual = jest.requireActual('recharts');
  return {
    ...actual,
    ResponsiveContainer: (props: { children: ReactElement }) =>
      cloneElement(props.children, TEST_CHART_SIZE),
  };
}
