import { resolve } from 'node:path';
import { createPlanner } from './planner.ts';
import type { PlannerOptions } from './planner.ts';
import { dayProfile } from './profile.ts';
import { loadTexts, splitTexts } from './texts.ts';

const texts = splitTexts([
  'Great value.',
  'Broke after a day.',
  'Works fine.',
  'I bought this for my daughter and she has used it every single day for three months without a problem.',
  'The battery died after two weeks and the seller has ignored every one of my messages since then.',
]);

const base: PlannerOptions = {
  targets: [{ name: 'a' }, { name: 'b', weight: 0.5 }],
  baseRps: 4,
  dayPeriodMs: 20 * 60_000,
  startHour: 8,
  noise: 0,
  seed: 7,
  texts,
  longShare: 0.4,
};

/** Plans `durationMs` from `fromMs` in `tickMs` steps (like the runner does). */
function simulate(
  options: PlannerOptions,
  fromMs: number,
  durationMs: number,
  tickMs = 100,
) {
  const planner = createPlanner(options);
  const planned = [];
  for (let t = fromMs + tickMs; t <= fromMs + durationMs; t += tickMs) {
    planned.push(...planner.plan(t, tickMs));
  }
  return { planner, planned };
}

describe('createPlanner', () => {
  it('sends at the profile rate over a simulated minute', () => {
    // a simulated minute at the start: 08:00 to 09:12 of the compressed day
    const { planner, planned } = simulate(base, 0, 60_000);
    let expectedA = 0;
    for (let t = 50; t < 60_000; t += 100)
      expectedA += planner.expectedRateAt('a', t) * 0.1;
    const countA = planned.filter(p => p.target === 'a').length;
    const countB = planned.filter(p => p.target === 'b').length;
    expect(Math.abs(countA - expectedA)).toBeLessThanOrEqual(1);
    expect(Math.abs(countB - expectedA / 2)).toBeLessThanOrEqual(1);
  });

  it('stays within the noise of the profile rate', () => {
    const options = { ...base, noise: 0.15 };
    for (const fromMs of [0, 3 * 60_000, 7 * 60_000]) {
      const { planner, planned } = simulate(options, fromMs, 60_000);
      let expected = 0;
      for (let t = fromMs + 50; t < fromMs + 60_000; t += 100)
        expected += planner.expectedRateAt('a', t) * 0.1;
      const count = planned.filter(p => p.target === 'a').length;
      expect(count).toBeGreaterThanOrEqual(Math.floor(expected * 0.85) - 1);
      expect(count).toBeLessThanOrEqual(Math.ceil(expected * 1.15) + 1);
      for (let t = fromMs; t < fromMs + 60_000; t += 1000) {
        const ratio = planner.rateAt('a', t) / planner.expectedRateAt('a', t);
        expect(ratio).toBeGreaterThanOrEqual(0.85 - 1e-9);
        expect(ratio).toBeLessThanOrEqual(1.15 + 1e-9);
      }
    }
  });

  it('follows the day: far more traffic at the morning peak than at night', () => {
    // with a 24-minute day one simulated hour is one minute; startHour 0
    const options = { ...base, dayPeriodMs: 24 * 60_000, startHour: 0 };
    const night = simulate(options, 3 * 60_000, 60_000).planned.length;
    const peak = simulate(options, 11 * 60_000, 60_000).planned.length;
    expect(peak).toBeGreaterThan(4 * night);
    expect(night).toBeGreaterThan(0);
    const expectedPeak = 4 * 1.5 * 60 * dayProfile(11.5);
    expect(Math.abs(peak - expectedPeak) / expectedPeak).toBeLessThan(0.05);
  });

  it('is reproducible with the same seed and differs with another', () => {
    const options = { ...base, noise: 0.15 };
    const one = simulate(options, 0, 30_000).planned;
    const two = simulate(options, 0, 30_000).planned;
    expect(two).toEqual(one);
    const other = simulate({ ...options, seed: 8 }, 0, 30_000).planned;
    expect(other).not.toEqual(one);
  });

  it('sends valid single-input bodies with a mix of short and long texts outside bursts', () => {
    const { planned } = simulate(base, 0, 120_000);
    expect(planned.every(p => !p.malformed)).toBe(true);
    const inputs = planned.map(p => JSON.parse(p.body).input as string);
    expect(
      inputs.every(i => texts.short.includes(i) || texts.long.includes(i)),
    ).toBe(true);
    const longShare =
      inputs.filter(i => texts.long.includes(i)).length / inputs.length;
    expect(longShare).toBeGreaterThan(0.3);
    expect(longShare).toBeLessThan(0.5);
  });

  it('malforms the burst share of one target only during bursts', () => {
    const options: PlannerOptions = {
      ...base,
      burst: {
        target: 'a',
        share: 0.3,
        everyMs: 240_000,
        durationMs: 60_000,
        offsetMs: 30_000,
      },
    };
    const planner = createPlanner(options);
    const inBurst = { a: 0, aBad: 0, b: 0, bBad: 0 };
    let badOutside = 0;
    for (let t = 100; t <= 480_000; t += 100) {
      const active = planner.burstAt(t)!.active;
      for (const p of planner.plan(t, 100)) {
        if (!active) {
          if (p.malformed) badOutside++;
          continue;
        }
        if (p.target === 'a') {
          inBurst.a++;
          if (p.malformed) inBurst.aBad++;
        } else {
          inBurst.b++;
          if (p.malformed) inBurst.bBad++;
        }
      }
    }
    expect(badOutside).toBe(0);
    expect(inBurst.bBad).toBe(0);
    expect(inBurst.a).toBeGreaterThan(400);
    expect(inBurst.aBad / inBurst.a).toBeGreaterThan(0.25);
    expect(inBurst.aBad / inBurst.a).toBeLessThan(0.35);
  });

  it('makes malformed bodies the model server refuses', () => {
    const planner = createPlanner({
      ...base,
      baseRps: 50,
      burst: {
        target: 'a',
        share: 1,
        everyMs: 1000,
        durationMs: 1000,
        offsetMs: 0,
      },
    });
    const bad = planner.plan(2000, 2000).filter(p => p.target === 'a');
    expect(bad.length).toBeGreaterThan(50);
    for (const { body, malformed } of bad) {
      expect(malformed).toBe(true);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        continue; // not JSON: refused
      }
      const valid =
        typeof parsed === 'object' &&
        parsed !== null &&
        !Array.isArray(parsed) &&
        Object.keys(parsed).length === 1 &&
        typeof (parsed as { input?: unknown }).input === 'string' &&
        (parsed as { input: string }).input.trim() !== '';
      expect(valid).toBe(false);
    }
  });

  it('rejects a burst target that is not a target', () => {
    expect(() =>
      createPlanner({
        ...base,
        burst: {
          target: 'zzz',
          share: 0.3,
          everyMs: 1,
          durationMs: 1,
          offsetMs: 0,
        },
      }),
    ).toThrow(/not a target/);
  });
});

describe('loadTexts', () => {
  it('reads the model server reviews, short and long', () => {
    const pool = loadTexts(
      resolve(__dirname, '../../../packages/model-server/data'),
    );
    expect(pool.short.length).toBeGreaterThan(300);
    expect(pool.long.length).toBeGreaterThan(50);
    expect(new Set([...pool.short, ...pool.long]).size).toBe(
      pool.short.length + pool.long.length,
    );
  });
});
