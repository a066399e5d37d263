import { DEFAULT_RULE_SET } from '@model-ops/plugin-model-ops-common';
import { DateTime } from 'luxon';
import {
  HOUR_MS,
  SlotHour,
  TOKENS_NOT_MEASURED,
  bottlenecks,
  costAnalysis,
  modelHours,
  requestPatterns,
  slotHourCost,
  utilization,
} from './analysis';
import { CostModel } from './costs';

const T0 = Date.parse('2026-11-02T00:00:00Z'); // a Monday
const cheap: CostModel = {
  name: 'default',
  instanceHourUsd: 0.1,
  instances: 1,
};

function hour(i: number, fields: Partial<SlotHour> = {}): SlotHour {
  return {
    slot: 'blue',
    t: T0 + i * HOUR_MS,
    fraction: 1,
    version: '1.0.0',
    throughput: 1,
    ...fields,
  };
}

describe('request patterns', () => {
  it('finds the peak hour and weekday of a weekly pattern, in the report time zone', () => {
    const zone = 'Europe/Berlin';
    // Two weeks; Wednesdays busiest, 14:00 Berlin time the busiest hour of every day.
    const slotHours = Array.from({ length: 14 * 24 }, (_, i) => {
      const local = DateTime.fromMillis(T0 + i * HOUR_MS, { zone });
      const hourFactor = local.hour === 14 ? 5 : 1 + local.hour / 100;
      const dayFactor = local.weekday === 3 ? 2 : 1;
      return hour(i, { throughput: (hourFactor * dayFactor * 100) / 3600 });
    });
    const hours = modelHours(slotHours, cheap);
    const patterns = requestPatterns(hours, slotHours, zone);
    expect(patterns.peakHour).toBe(14);
    expect(patterns.peakWeekday).toBe(3);
    expect(patterns.byHourOfDay).toHaveLength(24);
    expect(patterns.byWeekday.map(w => w.weekday)).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(patterns.profile).toHaveLength(168);
    const wednesday14 = patterns.profile.find(
      c => c.weekday === 3 && c.hour === 14,
    )!;
    expect(wednesday14).toEqual({
      weekday: 3,
      hour: 14,
      requests: expect.closeTo(1000, 6),
      samples: 2,
    });
    expect(patterns.total).toBeCloseTo(
      slotHours.reduce((s, h) => s + h.throughput! * 3600, 0),
      6,
    );
    expect(patterns.averagePerHour).toBeCloseTo(patterns.total / (14 * 24), 6);
    expect(patterns.peakToAverage).toBeCloseTo(
      1000 / patterns.averagePerHour,
      6,
    );
  });

  it('splits the requests by version, and counts the elapsed part of the current hour', () => {
    const slotHours = [
      hour(0, { throughput: 10 }),
      hour(0, { slot: 'green', version: '2.0.0', throughput: 30 }),
      hour(1, {
        slot: 'green',
        version: '2.0.0',
        throughput: 40,
        fraction: 0.25,
      }),
    ];
    const hours = modelHours(slotHours, cheap);
    expect(hours.map(h => h.requests)).toEqual([144_000, 36_000]);
    const patterns = requestPatterns(hours, slotHours, 'UTC');
    expect(patterns.byVersion).toEqual([
      { version: '2.0.0', requests: 144_000, share: 0.8 },
      { version: '1.0.0', requests: 36_000, share: 0.2 },
    ]);
  });

  it('has no peaks without requests', () => {
    const patterns = requestPatterns([], [], 'UTC');
    expect(patterns).toMatchObject({ total: 0, peakToAverage: 0 });
    expect(patterns.peakHour).toBeUndefined();
    expect(patterns.peakWeekday).toBeUndefined();
  });
});

describe('utilization and bottlenecks', () => {
  it('weights the slots by throughput overall, and gives each slot its own', () => {
    const slotHours = [
      hour(0, { throughput: 9, cpu: 80, memory: 50 }),
      hour(0, { slot: 'green', throughput: 1, cpu: 10, memory: 50 }),
      hour(1, { throughput: 0, cpu: 20 }),
      hour(1, { slot: 'green', throughput: 0, cpu: 40 }),
    ];
    const hours = modelHours(slotHours, cheap);
    expect(hours.map(h => h.cpu)).toEqual([73, 30]);
    const usage = utilization(hours, slotHours, DEFAULT_RULE_SET);
    expect(usage).toEqual([
      { resource: 'cpu', average: 51.5, p95: 73 - 0.05 * 43, limit: 80 },
      { resource: 'memory', average: 50, p95: 50, limit: 85 },
      { resource: 'cpu', slot: 'blue', average: 50, p95: 77, limit: 80 },
      { resource: 'memory', slot: 'blue', average: 50, p95: 50, limit: 85 },
      { resource: 'cpu', slot: 'green', average: 25, p95: 38.5, limit: 80 },
      { resource: 'memory', slot: 'green', average: 50, p95: 50, limit: 85 },
    ]);
  });

  it('lists each watched resource closest to its limit first: ok, near from 80 %, over past it', () => {
    const limits = (cpu: number, memory: number) =>
      bottlenecks([
        { resource: 'cpu', average: cpu, p95: cpu, limit: 80 },
        { resource: 'memory', average: memory, p95: memory, limit: 85 },
        { resource: 'disk', average: 99, p95: 99 },
        { resource: 'cpu', slot: 'blue', average: 99, p95: 99, limit: 80 },
      ]);
    expect(limits(40, 68)).toEqual([
      {
        resource: 'memory',
        p95: 68,
        average: 68,
        limit: 85,
        headroom: 17,
        usedShare: 0.8,
        level: 'near',
      },
      {
        resource: 'cpu',
        p95: 40,
        average: 40,
        limit: 80,
        headroom: 40,
        usedShare: 0.5,
        level: 'ok',
      },
    ]);
    expect(limits(63.9, 10)[0]).toMatchObject({ resource: 'cpu', level: 'ok' });
    expect(limits(80, 10)[0]).toMatchObject({ level: 'near', headroom: 0 });
    expect(limits(88, 10)[0]).toMatchObject({
      level: 'over',
      headroom: -8,
      usedShare: 1.1,
    });
  });
});

describe('cost', () => {
  const model: CostModel = {
    name: 'llm',
    currency: 'EUR',
    instanceHourUsd: 0.5,
    instances: 2,
    gpuHourUsd: 2,
    gpusPerInstance: 4,
    per1kRequestsUsd: 0.03,
    per1kTokensUsd: 0.002,
  };

  it('prices a slot-hour with every field of the cost model', () => {
    // 2 instances × (0.5 + 4 × 2) + 36 × 0.03
    expect(slotHourCost(hour(0, { throughput: 10 }), model)).toBeCloseTo(
      18.08,
      10,
    );
    // + 360 × 0.002 for 100 tokens a second
    expect(
      slotHourCost(hour(0, { throughput: 10, tokens: 100 }), model),
    ).toBeCloseTo(18.8, 10);
    expect(
      slotHourCost(hour(0, { throughput: 10, fraction: 0.5 }), model),
    ).toBeCloseTo(9.04, 10);
  });

  it('totals per request, day, version, slot and date, and notes unmeasured tokens', () => {
    const slotHours = [
      hour(0, { throughput: 10 }),
      hour(1, { throughput: 10 }),
      hour(1, { slot: 'green', version: '2.0.0', throughput: 0 }),
      hour(24, { throughput: 10 }),
    ];
    const cost = costAnalysis(slotHours, model, 'UTC');
    const busy = 18.08;
    const idle = 17;
    expect(cost.currency).toBe('EUR');
    expect(cost.total).toBeCloseTo(3 * busy + idle, 10);
    expect(cost.perRequest).toBeCloseTo((3 * busy + idle) / 108_000, 12);
    // Three hours with data: a day of them costs 8 times as much.
    expect(cost.perDay).toBeCloseTo(((3 * busy + idle) * 24) / 3, 10);
    expect(cost.byVersion).toEqual([
      {
        version: '1.0.0',
        cost: expect.closeTo(3 * busy, 10),
        requests: 108_000,
        perRequest: expect.closeTo(busy / 36_000, 12),
      },
      { version: '2.0.0', cost: expect.closeTo(idle, 10), requests: 0 },
    ]);
    expect(cost.bySlot).toEqual([
      { slot: 'blue', cost: expect.closeTo(3 * busy, 10), instanceHours: 6 },
      { slot: 'green', cost: expect.closeTo(idle, 10), instanceHours: 2 },
    ]);
    expect(cost.daily).toEqual([
      {
        date: '2026-11-02',
        version: '1.0.0',
        cost: expect.closeTo(2 * busy, 10),
      },
      { date: '2026-11-02', version: '2.0.0', cost: expect.closeTo(idle, 10) },
      { date: '2026-11-03', version: '1.0.0', cost: expect.closeTo(busy, 10) },
    ]);
    expect(cost.notes).toEqual([TOKENS_NOT_MEASURED]);
    expect(costAnalysis([hour(0, { tokens: 1 })], model, 'UTC').notes).toEqual(
      [],
    );
    expect(costAnalysis(slotHours, cheap, 'UTC').notes).toEqual([]);
  });

  it('has no cost per request when nothing was answered', () => {
    const cost = costAnalysis([hour(0, { throughput: 0 })], cheap, 'UTC');
    expect(cost.perRequest).toBeUndefined();
    expect(cost.total).toBeCloseTo(0.1, 12);
  });
});
