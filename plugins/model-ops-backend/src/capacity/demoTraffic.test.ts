import fs from 'node:fs';
import path from 'node:path';
import { MetricSample } from '@model-ops/plugin-model-ops-node';
import {
  DEMO_TRAFFIC,
  DemoRange,
  dayProfile,
  demoSamples,
  growthPerDay,
  weekdayFactor,
} from './demoTraffic';
import { findRepoRoot } from '../runtimes/local';

const DAY = 86_400_000;
const TO = new Date('2026-12-04T09:17:00.000Z');

/** The least-squares slope of `ys` against 0, 1, 2, ... */
function slope(ys: number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  ys.forEach((y, i) => {
    sxy += (i - mx) * (y - my);
    sxx += (i - mx) ** 2;
  });
  return sxy / sxx;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function range(overrides: Partial<DemoRange> = {}): DemoRange {
  return {
    modelId: 'fraud-detector',
    slot: 'green',
    from: new Date(TO.getTime() - 30 * DAY),
    to: TO,
    instances: 2,
    ...overrides,
  };
}

/** Requests per complete UTC day of the history. */
function dailyTotals(samples: MetricSample[]): number[] {
  const byDay = new Map<number, number>();
  for (const s of samples) {
    if (s.metric !== 'throughput') continue;
    const day = Math.floor(s.timestamp.getTime() / DAY);
    byDay.set(day, (byDay.get(day) ?? 0) + s.value * 60);
  }
  // Without the partial first and last days.
  return [...byDay.entries()]
    .sort(([a], [b]) => a - b)
    .slice(1, -1)
    .map(([, total]) => total);
}

describe('demo traffic', () => {
  it("has the traffic generator's daily shape", () => {
    // The generator's documented landmarks.
    expect(dayProfile(3)).toBeCloseTo(0.25, 1);
    expect(dayProfile(11)).toBeCloseTo(1.84, 1);
    expect(dayProfile(20)).toBeCloseTo(1.5, 1);
    let sum = 0;
    for (let minute = 0; minute < 24 * 60; minute++) {
      sum += dayProfile(minute / 60);
    }
    expect(sum / (24 * 60)).toBeCloseTo(1, 9);
    // The formula is the generator's, word for word (the backend may not import examples/).
    const formula = (file: string) => {
      const text = fs.readFileSync(file, 'utf8');
      return ['function bump(', 'function rawProfile('].map(start => {
        const from = text.indexOf(start);
        expect(from).toBeGreaterThanOrEqual(0);
        return text
          .slice(from, text.indexOf('\n}\n', from))
          .replace(/\s+/g, ' ');
      });
    };
    expect(formula(path.join(__dirname, 'demoTraffic.ts'))).toEqual(
      formula(
        path.join(
          findRepoRoot(__dirname),
          'examples/traffic-generator/src/profile.ts',
        ),
      ),
    );
  });

  it('is quieter at weekends, averaging 1 over a week', () => {
    const week = [0, 1, 2, 3, 4, 5, 6].map(weekdayFactor);
    expect(mean(week)).toBeCloseTo(1, 12);
    const weekend = Math.max(week[0], week[6]);
    expect(weekend).toBeLessThan(0.8 * Math.min(...week.slice(1, 6)));
  });

  it.each([0, 1, 2, 3, 4, 5, 6])(
    'grows by the configured share of the mean a month whatever the weekday (+%i days)',
    shift => {
      const to = new Date(TO.getTime() + shift * DAY);
      const r = range({ from: new Date(to.getTime() - 30 * DAY), to });
      const totals = dailyTotals(
        demoSamples(DEMO_TRAFFIC['fraud-detector'], r, r.from, r.to),
      );
      expect(totals).toHaveLength(29);
      const growth = (30 * slope(totals)) / mean(totals);
      expect(Math.abs(growth - 0.3)).toBeLessThan(0.02);
      // Rising towards the end, where the multiplier is 1.
      expect(growthPerDay(0.3, r.from, r.to)).toBeGreaterThan(0);
    },
  );

  it('gives the same samples however the history is cut', () => {
    const traffic = DEMO_TRAFFIC['sentiment-classifier'];
    const r = range({ from: new Date(TO.getTime() - 2 * DAY) });
    const whole = demoSamples(traffic, r, r.from, r.to);
    const cut = new Date('2026-12-03T00:00:00.000Z');
    const parts = [
      ...demoSamples(traffic, r, new Date(0), cut),
      ...demoSamples(traffic, r, cut, new Date(TO.getTime() + DAY)),
    ];
    expect(parts).toEqual(whole);
    expect(demoSamples(traffic, r, r.from, r.to)).toEqual(whole);
    // One sample per metric and minute, on the range's slot, at the minute's start.
    expect(whole).toHaveLength(2 * 24 * 60 * 7);
    expect(new Set(whole.map(s => s.slot))).toEqual(new Set(['green']));
    expect(whole[0].timestamp).toEqual(r.from);
    expect(whole[whole.length - 1].timestamp).toEqual(
      new Date(TO.getTime() - 60_000),
    );
    expect(new Set(whole.map(s => s.metric))).toEqual(
      new Set([
        'throughput',
        'responseTimeP50',
        'responseTimeP95',
        'errorRate',
        'cpu',
        'memory',
        'disk',
      ]),
    );
  });

  it("prices each minute's requests with the cost function and loads each instance", () => {
    const traffic = DEMO_TRAFFIC['fraud-detector'];
    const calls: Array<{ requests: number; minutes: number }> = [];
    const r = range({
      from: new Date(TO.getTime() - DAY),
      costPerRequest: ({ window, requests, slot }) => {
        expect(slot).toBe('green');
        calls.push({
          requests,
          minutes: (window.to.getTime() - window.from.getTime()) / 60_000,
        });
        return 1 / requests;
      },
    });
    const samples = demoSamples(traffic, r, r.from, r.to);
    expect(calls).toHaveLength(24 * 60);
    expect(calls.every(c => c.minutes === 1 && c.requests > 0)).toBe(true);
    const values = (metric: string, list = samples) =>
      list.filter(s => s.metric === metric).map(s => s.value);
    const throughput = values('throughput');
    expect(values('costPerRequest')).toEqual(
      throughput.map(rps => 1 / (rps * 60)),
    );
    // The same traffic on one instance instead of two uses more CPU and memory, and is slower.
    const single = demoSamples(traffic, { ...r, instances: 1 }, r.from, r.to);
    expect(mean(values('cpu', single))).toBeGreaterThan(
      mean(values('cpu')) + 10,
    );
    expect(mean(values('memory', single))).toBeGreaterThan(
      mean(values('memory')),
    );
    expect(mean(values('responseTimeP95', single))).toBeGreaterThan(
      mean(values('responseTimeP95')),
    );
    // CPU follows the load within a day: the busiest minute uses the most.
    const cpu = values('cpu');
    const busiest = throughput.indexOf(Math.max(...throughput));
    const quietest = throughput.indexOf(Math.min(...throughput));
    expect(cpu[busiest]).toBeGreaterThan(cpu[quietest] + 20);
    for (const metric of ['cpu', 'memory', 'disk', 'errorRate']) {
      for (const v of values(metric)) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(100);
      }
    }
  });
});
