import { InputError } from '@backstage/errors';
import {
  formatRoutes,
  liveRoutes,
  routesForWeights,
  sameRoutes,
  weightsOf,
} from './routes';
import { emptyState, ModelStateFile, SlotRecord } from './state';

/** A pid no process has. */
const GONE = 2 ** 30;

function slot(
  name: SlotRecord['slot'],
  port: number,
  pid = process.pid,
): SlotRecord {
  return {
    slot: name,
    pid,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    version: '1.0.0',
    startedAt: '2026-01-02T03:04:05.000Z',
    command: ['node'],
    artifactPath: '/artifacts/1.0.0',
    specHash: 'hash',
  };
}

function state(slots: ModelStateFile['slots']): ModelStateFile {
  return { ...emptyState('m'), slots };
}

describe('route tables', () => {
  it('routes the weighted slots to their running servers', () => {
    const s = state({ blue: slot('blue', 9001), green: slot('green', 9002) });
    expect(routesForWeights('m', s, { blue: 90, green: 10 })).toEqual({
      blue: { url: 'http://127.0.0.1:9001', weight: 90 },
      green: { url: 'http://127.0.0.1:9002', weight: 10 },
    });
  });

  it('leaves out a slot without a server at 0, and refuses one with traffic', () => {
    const s = state({
      blue: slot('blue', 9001),
      green: slot('green', 9002, GONE),
    });
    expect(
      routesForWeights('m', s, { blue: 100, green: 0, staging: 0 }),
    ).toEqual({
      blue: { url: 'http://127.0.0.1:9001', weight: 100 },
    });
    expect(() => routesForWeights('m', s, { blue: 50, green: 50 })).toThrow(
      InputError,
    );
    expect(() => routesForWeights('m', s, { blue: 50, staging: 50 })).toThrow(
      'Invalid traffic weights for m: slot staging is not deployed (deployed: blue, green)',
    );
    expect(() => routesForWeights('m', state({}), { blue: 100 })).toThrow(
      '(deployed: none)',
    );
  });

  it('keeps the recorded routes of the slots that are left, at their current servers', () => {
    const s = state({ green: slot('green', 9003) });
    expect(
      liveRoutes(s, {
        blue: { url: 'http://127.0.0.1:9001', weight: 40 },
        green: { url: 'http://127.0.0.1:9002', weight: 60 },
      }),
    ).toEqual({ green: { url: 'http://127.0.0.1:9003', weight: 60 } });
  });

  it('compares tables whatever the order of their slots', () => {
    const a = {
      blue: { url: 'u1', weight: 50 },
      green: { url: 'u2', weight: 50 },
    };
    expect(sameRoutes(a, { green: a.green, blue: a.blue })).toBe(true);
    expect(sameRoutes(undefined, {})).toBe(true);
    expect(sameRoutes(a, { blue: a.blue })).toBe(false);
    expect(sameRoutes(a, { ...a, green: { url: 'u3', weight: 50 } })).toBe(
      false,
    );
    expect(sameRoutes(a, { ...a, green: { url: 'u2', weight: 40 } })).toBe(
      false,
    );
  });

  it('reads the weights of a router table and formats a table for logs', () => {
    expect(
      weightsOf({
        blue: { url: 'u1', weight: 70 },
        green: { url: 'u2', weight: 30 },
        other: { url: 'u3', weight: 0 },
      }),
    ).toEqual({ blue: 70, green: 30 });
    expect(weightsOf(undefined)).toEqual({});
    expect(
      formatRoutes({
        blue: { url: 'u1', weight: 70 },
        green: { url: 'u2', weight: 30 },
      }),
    ).toBe('blue 70%, green 30%');
  });
});
