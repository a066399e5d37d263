import {
  CapacityProjection,
  CapacityUtilization,
} from '@model-ops/plugin-model-ops-common';
import { DateTime } from 'luxon';
import {
  RecommendationInput,
  SEED_THRESHOLDS,
  actBy,
  recommendations,
  rightSizing,
} from './recommendations';

const today = DateTime.fromISO('2026-12-01', { zone: 'UTC' });
const insufficient: CapacityProjection = {
  status: 'insufficient',
  message: 'not enough data (1 days of 3 needed)',
  daysAvailable: 1,
  daysNeeded: 3,
};
const growing = (growthPerMonth: number): CapacityProjection => ({
  status: 'ok',
  daysAvailable: 30,
  daysNeeded: 3,
  growthPerMonth,
  growthPerWeek: (growthPerMonth * 7) / 30,
  slopePerDay: 10,
  horizons: [
    {
      days: 30,
      date: '2026-12-31',
      requestsPerDay: 1200,
      requestsPerDayLow: 1100,
      requestsPerDayHigh: 1300,
      instances: 1,
      monthlyCost: 72,
      monthlyCostLow: 72,
      monthlyCostHigh: 72,
    },
  ],
});

function input(
  overall: Partial<Record<'cpu' | 'memory', number>>,
  extra: Partial<RecommendationInput> = {},
): RecommendationInput {
  const usage: CapacityUtilization[] = Object.entries(overall).map(
    ([resource, average]) => ({
      resource: resource as 'cpu' | 'memory',
      average: average!,
      p95: average!,
    }),
  );
  return {
    today,
    instances: 1,
    targetUtilization: 70,
    actLeadDays: 14,
    overall: usage,
    currency: 'USD',
    requestsPerDay: 1000,
    projection: insufficient,
    ...extra,
  };
}

const ids = (i: RecommendationInput) =>
  recommendations(i, undefined).map(r => r.id);

describe('the seed rules, each just below and just above its threshold', () => {
  it('CPU average over 70 %: scaling, high', () => {
    expect(ids(input({ cpu: 70 }))).toEqual([]);
    const [rec] = recommendations(input({ cpu: 70.1 }), undefined);
    expect(rec).toMatchObject({
      id: 'high-cpu',
      type: 'scaling',
      priority: 'high',
      title: 'High CPU Usage',
      description: 'Average CPU usage is 70.1%, consider scaling up',
      action: expect.stringContaining('2 instances'),
      expectedImpact: expect.stringContaining('35.0%'),
      figures: {
        cpuAverage: 70.1,
        threshold: 70,
        instances: 1,
        neededInstances: 2,
      },
    });
    expect(rec.actBy).toBeUndefined();
  });

  it('memory average over 80 %: scaling, high', () => {
    expect(ids(input({ memory: 80 }))).toEqual([]);
    expect(recommendations(input({ memory: 80.1 }), undefined)).toEqual([
      expect.objectContaining({
        id: 'high-memory',
        type: 'scaling',
        priority: 'high',
        title: 'High Memory Usage',
        description:
          'Average memory usage is 80.1%, consider increasing memory allocation',
        figures: { memoryAverage: 80.1, memoryP95: 80.1, threshold: 80 },
      }),
    ]);
  });

  it('cost per request over $0.01: cost optimization, medium', () => {
    expect(ids(input({}, { costPerRequest: 0.01 }))).toEqual([]);
    expect(
      recommendations(input({}, { costPerRequest: 0.0101 }), undefined),
    ).toEqual([
      expect.objectContaining({
        id: 'cost-per-request',
        type: 'cost_optimization',
        priority: 'medium',
        title: 'High Cost Per Request',
        description: 'Cost per request is $0.0101, consider optimization',
        // (0.0101 - 0.01) × 30,000 requests a month
        expectedImpact: expect.stringContaining('$3.00 less'),
        figures: {
          costPerRequest: 0.0101,
          threshold: SEED_THRESHOLDS.costPerRequest,
          requestsPerDay: 1000,
        },
      }),
    ]);
    expect(
      recommendations(
        input({}, { costPerRequest: 0.02, currency: 'EUR' }),
        undefined,
      )[0].description,
    ).toBe('Cost per request is 0.0200 EUR, consider optimization');
  });

  it('growth over 20 % a month: planning, medium', () => {
    expect(ids(input({}, { projection: growing(0.2) }))).toEqual([]);
    expect(
      recommendations(input({}, { projection: growing(0.201) }), undefined),
    ).toEqual([
      expect.objectContaining({
        id: 'growth',
        type: 'planning',
        priority: 'medium',
        title: 'High Growth Rate',
        description: 'Growth rate is 20.1%, plan for capacity increase',
        action: expect.stringContaining('2026-12-31'),
        figures: {
          growthPerMonth: expect.closeTo(20.1, 10),
          threshold: 20,
          slopePerDay: 10,
          requestsPerDayIn30Days: 1200,
        },
      }),
    ]);
  });

  it('puts high priority first, and dates the scaling and planning by the earliest limit', () => {
    const recs = recommendations(
      input(
        { cpu: 90, memory: 90 },
        {
          costPerRequest: 0.5,
          projection: growing(0.5),
          earliestLimit: '2027-01-10',
        },
      ),
      undefined,
    );
    expect(recs.map(r => [r.id, r.priority, r.actBy])).toEqual([
      ['high-cpu', 'high', '2026-12-27'],
      ['high-memory', 'high', '2026-12-27'],
      ['cost-per-request', 'medium', undefined],
      ['growth', 'medium', '2026-12-27'],
    ]);
  });
});

describe('right-sizing and the date to act', () => {
  it('sizes for the projected load in 30 days, or for today without a projection', () => {
    const projection = growing(0.5);
    projection.horizons![0].instances = 3;
    const sizing = rightSizing({
      instances: 2,
      targetUtilization: 70,
      overall: [{ resource: 'cpu', average: 50, p95: 80 }],
      projection,
    })!;
    expect(sizing).toEqual({
      currentInstances: 2,
      neededInstances: 3,
      targetUtilization: 70,
      basis: expect.stringContaining('projected load in 30 days'),
    });
    const recs = recommendations(
      input({}, { instances: 2, earliestLimit: '2026-12-20' }),
      sizing,
    );
    expect(recs).toEqual([
      expect.objectContaining({
        id: 'right-size',
        type: 'right_sizing',
        priority: 'high',
        actBy: '2026-12-06',
        figures: {
          currentInstances: 2,
          neededInstances: 3,
          targetUtilization: 70,
        },
      }),
    ]);

    // p95 35 % on 4 instances is 140 instance-percent: 2 instances at 70 %.
    const current = rightSizing({
      instances: 4,
      targetUtilization: 70,
      overall: [{ resource: 'cpu', average: 20, p95: 35 }],
      projection: insufficient,
    })!;
    expect(current).toMatchObject({ currentInstances: 4, neededInstances: 2 });
    expect(current.basis).toMatch(/no projection/);
    expect(recommendations(input({}, { instances: 4 }), current)).toEqual([
      expect.objectContaining({ id: 'right-size', priority: 'low' }),
    ]);
    expect(
      rightSizing({
        instances: 1,
        targetUtilization: 70,
        overall: [],
        projection: insufficient,
      }),
    ).toBeUndefined();
  });

  it('acts the lead time before the limit, never before today', () => {
    expect(actBy(today, '2027-01-10', 14)).toBe('2026-12-27');
    expect(actBy(today, '2026-12-05', 14)).toBe('2026-12-01');
    expect(actBy(today, undefined, 14)).toBeUndefined();
  });
});
