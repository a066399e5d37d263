import {
  CapacityHourPoint,
  CapacityUtilization,
} from '@model-ops/plugin-model-ops-common';
import { HOUR_MS } from './analysis';
import { ProjectionOptions, dailyTotals, project } from './projection';

const NOW = new Date('2026-12-01T10:30:00Z');
const FIRST_DAY = Date.parse('2026-11-01T00:00:00Z');

/** Hourly points of 30 days before NOW's day, each day's total spread evenly over its hours. */
function days(total: (x: number) => number, count = 30): CapacityHourPoint[] {
  const hours: CapacityHourPoint[] = [];
  for (let x = 30 - count; x < 30; x++) {
    for (let h = 0; h < 24; h++) {
      hours.push({
        t: new Date(FIRST_DAY + (x * 24 + h) * HOUR_MS).toISOString(),
        requests: total(x) / 24,
      });
    }
  }
  return hours;
}

const overall: CapacityUtilization[] = [
  { resource: 'cpu', average: 30, p95: 40, limit: 80 },
  { resource: 'memory', average: 20, p95: 25, limit: 85 },
  { resource: 'disk', average: 10, p95: 10 },
];

const options = (
  extra: Partial<ProjectionOptions> = {},
): ProjectionOptions => ({
  now: NOW,
  timeZone: 'UTC',
  fitDays: 30,
  minDays: 3,
  overall,
  instances: 1,
  targetUtilization: 70,
  costModel: { name: 'default', instanceHourUsd: 0.1, instances: 1 },
  ...extra,
});

describe('the projection', () => {
  it('gives a linear series its exact slope, growth and limit date', () => {
    const { projection, currentLevel, earliestLimit } = project(
      days(x => 1000 + 100 * x),
      options(),
    );
    expect(projection).toMatchObject({
      status: 'ok',
      daysAvailable: 30,
      daysNeeded: 3,
      confidence: 0.95,
      method:
        'least-squares linear fit of daily request totals over the 30 days before today',
    });
    expect(projection.r2).toBe(1);
    expect(projection.slopePerDay).toBeCloseTo(100, 8);
    // Today (x = 30) the line is at 4,000 a day.
    expect(currentLevel).toBeCloseTo(4000, 8);
    expect(projection.growthPerWeek).toBeCloseTo(700 / 4000, 10);
    expect(projection.growthPerMonth).toBeCloseTo(3000 / 4000, 10);
    // CPU's p95 of 40 doubles to its limit of 80 at 8,000 a day: 40 days from today.
    expect(projection.limits).toEqual([
      { resource: 'cpu', limit: 80, reached: false, date: '2027-01-10' },
      // 25 → 85 at 13,600 a day: 96 days.
      { resource: 'memory', limit: 85, reached: false, date: '2027-03-07' },
    ]);
    expect(earliestLimit).toBe('2027-01-10');
    expect(projection.horizons).toEqual([
      {
        days: 30,
        date: '2026-12-31',
        requestsPerDay: expect.closeTo(7000, 6),
        requestsPerDayLow: expect.closeTo(7000, 6),
        requestsPerDayHigh: expect.closeTo(7000, 6),
        // CPU 40 × 1.75 = 70: exactly one instance at the 70 % target.
        instances: 1,
        monthlyCost: expect.closeTo(72, 8),
        monthlyCostLow: expect.closeTo(72, 8),
        monthlyCostHigh: expect.closeTo(72, 8),
      },
      {
        days: 90,
        date: '2027-03-01',
        requestsPerDay: expect.closeTo(13000, 6),
        requestsPerDayLow: expect.closeTo(13000, 6),
        requestsPerDayHigh: expect.closeTo(13000, 6),
        // CPU 40 × 3.25 = 130: two instances.
        instances: 2,
        monthlyCost: expect.closeTo(144, 8),
        monthlyCostLow: expect.closeTo(144, 8),
        monthlyCostHigh: expect.closeTo(144, 8),
      },
    ]);
    const series = projection.series!;
    expect(series).toHaveLength(30 + 91);
    expect(series[0]).toEqual({
      date: '2026-11-01',
      requests: expect.closeTo(1000, 6),
      low: expect.closeTo(1000, 6),
      high: expect.closeTo(1000, 6),
      actual: expect.closeTo(1000, 6),
    });
    expect(series[30]).toEqual({
      date: '2026-12-01',
      requests: expect.closeTo(4000, 6),
      low: expect.closeTo(4000, 6),
      high: expect.closeTo(4000, 6),
    });
    expect(series[120].date).toBe('2027-03-01');
  });

  it('gives a flat series zero growth and no limit date', () => {
    const { projection, earliestLimit } = project(
      days(() => 5000),
      options(),
    );
    expect(projection.status).toBe('ok');
    expect(projection.slopePerDay).toBeCloseTo(0, 8);
    expect(projection.growthPerWeek).toBeCloseTo(0, 10);
    expect(projection.growthPerMonth).toBeCloseTo(0, 10);
    expect(projection.r2).toBe(1);
    expect(projection.limits).toEqual([
      { resource: 'cpu', limit: 80, reached: false },
      { resource: 'memory', limit: 85, reached: false },
    ]);
    expect(earliestLimit).toBeUndefined();
    expect(projection.horizons![1]).toMatchObject({
      requestsPerDay: expect.closeTo(5000, 6),
      instances: 1,
    });
  });

  it('marks a resource already past its limit as reached, dated today', () => {
    const { projection, earliestLimit } = project(
      days(x => 1000 + 10 * x),
      options({
        overall: [{ resource: 'cpu', average: 70, p95: 85, limit: 80 }],
      }),
    );
    expect(projection.limits).toEqual([
      { resource: 'cpu', limit: 80, reached: true },
    ]);
    expect(earliestLimit).toBe('2026-12-01');
  });

  it('widens the interval with the scatter, the t quantile of n - 2 degrees of freedom', () => {
    // +50 on even days, -50 on odd ones around 1,000 a day.
    const { projection } = project(
      days(x => 1000 + (x % 2 === 0 ? 50 : -50)),
      options(),
    );
    const h30 = projection.horizons![0];
    expect(h30.requestsPerDayLow).toBeLessThan(h30.requestsPerDay);
    expect(h30.requestsPerDayHigh).toBeGreaterThan(h30.requestsPerDay);
    expect(h30.monthlyCostHigh).toBeGreaterThanOrEqual(h30.monthlyCost);
    // s ≈ 51.7 (SSE of 30 residuals of about 50, 28 degrees of freedom), t = 2.048:
    // the half-width 30 days out is about 2.048 · s · sqrt(1 + 1/30 + 45.5²/2247.5).
    const half = (h30.requestsPerDayHigh - h30.requestsPerDayLow) / 2;
    expect(half).toBeGreaterThan(140);
    expect(half).toBeLessThan(170);
    expect(projection.r2).toBeLessThan(0.1);
  });

  it.each([
    [0, 'not enough data (0 days of 3 needed)'],
    [1, 'not enough data (1 days of 3 needed)'],
    [2, 'not enough data (2 days of 3 needed)'],
  ])('says there is not enough data with %i full days', (count, message) => {
    const { projection } = project(
      days(x => 1000 + x, count),
      options(),
    );
    expect(projection).toEqual({
      status: 'insufficient',
      message,
      daysAvailable: count,
      daysNeeded: 3,
    });
  });

  it('fits from 3 full days, or the configured minimum', () => {
    expect(
      project(
        days(x => x, 3),
        options(),
      ).projection.status,
    ).toBe('ok');
    expect(
      project(
        days(x => x, 3),
        options({ minDays: 7 }),
      ).projection,
    ).toMatchObject({
      status: 'insufficient',
      message: 'not enough data (3 days of 7 needed)',
    });
  });

  it('counts a day with three quarters of its hours, scaled to the whole day', () => {
    const hours = days(() => 2400, 2).filter(h => !h.t.includes('T0'));
    // Each day keeps hours 10 to 23: 14 of 24 is too few.
    expect(
      dailyTotals(hours, { now: NOW, timeZone: 'UTC', fitDays: 30 }).days,
    ).toEqual([]);
    const most = days(() => 2400, 2).filter(h => !/T0[0-5]/.test(h.t));
    expect(
      dailyTotals(most, { now: NOW, timeZone: 'UTC', fitDays: 30 }).days,
    ).toEqual([
      { date: '2026-11-29', x: 28, requests: expect.closeTo(2400, 8) },
      { date: '2026-11-30', x: 29, requests: expect.closeTo(2400, 8) },
    ]);
  });

  it('cuts days at midnight of the report time zone, 25 hours on the day summer time ends', () => {
    // 100 requests every UTC hour, seen from New York (UTC-4, then UTC-5 from 1 November).
    const totals = dailyTotals(
      days(() => 2400),
      {
        now: NOW,
        timeZone: 'America/New_York',
        fitDays: 30,
      },
    ).days;
    expect(totals.map(d => d.date)).toEqual(
      Array.from(
        { length: 30 },
        (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`,
      ),
    );
    expect(totals[0].requests).toBeCloseTo(2500, 8);
    // The last local day lacks its last 5 hours (19 of 24): scaled to the whole day.
    expect(totals.slice(1).every(d => Math.abs(d.requests - 2400) < 1e-6)).toBe(
      true,
    );
  });
});
