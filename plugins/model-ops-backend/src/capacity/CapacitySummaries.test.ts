import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import {
  CapacityReport,
  ModelCapacitySummary,
  ModelSpec,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../models/DatabaseModelStore';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  CapacitySummaryTask,
  DatabaseCapacitySummaryStore,
  summarizeReport,
} from './CapacitySummaries';

jest.setTimeout(60_000);

const databases = createTestDatabases();

/** The parts of a report a summary reads; the rest is left out. */
function report(parts: {
  projection: Partial<CapacityReport['projection']>;
  perDay?: number;
  recommendations?: Array<Partial<CapacityReport['recommendations'][number]>>;
  seeded?: boolean;
}): CapacityReport {
  return {
    period: '7d',
    generatedAt: '2026-12-04T10:00:00.000Z',
    cost: {
      currency: 'EUR',
      total: 7 * (parts.perDay ?? 0),
      perDay: parts.perDay,
    },
    projection: { daysAvailable: 7, daysNeeded: 3, ...parts.projection },
    recommendations: parts.recommendations ?? [],
    ...(parts.seeded
      ? { seeded: { from: 'a', to: 'b', note: 'seeded as demo history' } }
      : {}),
  } as unknown as CapacityReport;
}

const growth = {
  id: 'growth',
  type: 'planning' as const,
  priority: 'medium' as const,
  title: 'Plan for growth',
  description: 'd',
  action: 'a',
  expectedImpact: 'e',
  actBy: '2026-12-27',
  figures: { growthPerMonth: 0.75 },
};

describe('summarizeReport', () => {
  it('takes the projected 30 days and the first recommendation', () => {
    expect(
      summarizeReport(
        report({
          projection: {
            status: 'ok',
            horizons: [
              { days: 90, monthlyCost: 300 } as any,
              { days: 30, monthlyCost: 123.456 } as any,
            ],
          },
          perDay: 2,
          recommendations: [
            growth,
            { ...growth, id: 'right-size', priority: 'low' },
          ],
          seeded: true,
        }),
      ),
    ).toEqual({
      period: '7d',
      computedAt: '2026-12-04T10:00:00.000Z',
      projectedMonthlyCost: {
        amount: 123.46,
        currency: 'EUR',
        basis: 'projection',
      },
      topRecommendation: {
        id: 'growth',
        type: 'planning',
        priority: 'medium',
        title: 'Plan for growth',
        actBy: '2026-12-27',
      },
      recommendations: 2,
      seeded: true,
    });
  });

  it('falls back to the cost per day times 30 without a projection', () => {
    const summary = summarizeReport(
      report({
        projection: { status: 'insufficient', message: 'not enough data' },
        perDay: 2.4,
      }),
    );
    expect(summary.projectedMonthlyCost).toEqual({
      amount: 72,
      currency: 'EUR',
      basis: 'current',
    });
    expect(summary.topRecommendation).toBeUndefined();
    expect(summary).toMatchObject({ recommendations: 0, seeded: false });
    // Nothing measured at all: a cost of 0, not a missing number.
    expect(
      summarizeReport(report({ projection: { status: 'insufficient' } }))
        .projectedMonthlyCost.amount,
    ).toBe(0);
  });
});

const summary = (
  amount: number,
  computedAt: string,
  extra: Partial<ModelCapacitySummary> = {},
): ModelCapacitySummary => ({
  period: '7d',
  computedAt,
  projectedMonthlyCost: { amount, currency: 'USD', basis: 'projection' },
  recommendations: 0,
  seeded: false,
  ...extra,
});

describe.each(databases.eachSupportedId())(
  'DatabaseCapacitySummaryStore on %s',
  databaseId => {
    let knex: Knex;
    let store: DatabaseCapacitySummaryStore;

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      await applyDatabaseMigrations(knex);
      await knex('model_ops_capacity_summaries').delete();
      store = DatabaseCapacitySummaryStore.create({ knex });
    });

    it('stores a summary and reads it back as written', async () => {
      const written = summary(99.5, '2026-12-04T10:00:00.000Z', {
        topRecommendation: {
          id: 'high-cpu',
          type: 'scaling',
          priority: 'high',
          title: 'Scale out: CPU is high',
        },
        recommendations: 3,
        seeded: true,
      });
      await store.put('fraud', written);
      await store.put('churn', summary(0, '2026-12-04T10:00:00.000Z'));
      const read = await store.get(['fraud', 'churn', 'unknown']);
      expect([...read.keys()].sort()).toEqual(['churn', 'fraud']);
      expect(read.get('fraud')).toEqual(written);
      expect(read.get('churn')!.topRecommendation).toBeUndefined();
    });

    it('keeps the newer of two computations, whichever is written last', async () => {
      await store.put('fraud', summary(2, '2026-12-04T11:00:00.000Z'));
      await store.put('fraud', summary(1, '2026-12-04T10:00:00.000Z'));
      expect(
        (await store.get(['fraud'])).get('fraud')!.projectedMonthlyCost.amount,
      ).toBe(2);
      await store.put('fraud', summary(3, '2026-12-04T12:00:00.000Z'));
      expect(
        (await store.get(['fraud'])).get('fraud')!.projectedMonthlyCost.amount,
      ).toBe(3);
      // Two writers at once: one row, the later computation.
      await Promise.all([
        store.put('race', summary(5, '2026-12-04T12:00:00.000Z')),
        store.put('race', summary(6, '2026-12-04T12:00:01.000Z')),
      ]);
      expect(
        (await store.get(['race'])).get('race')!.projectedMonthlyCost.amount,
      ).toBe(6);
    });

    it('reads many models at once and removes those no longer known', async () => {
      const ids = Array.from({ length: 1200 }, (_, i) => `m${i}`);
      await knex.batchInsert(
        'model_ops_capacity_summaries',
        ids.map(id => ({
          model_id: id,
          period: '7d',
          computed_at: new Date('2026-12-04T10:00:00.000Z'),
          monthly_cost: 1,
          currency: 'USD',
          cost_basis: 'current',
          top_recommendation: null,
          recommendations: 0,
          seeded: false,
        })),
        200,
      );
      expect((await store.get(ids)).size).toBe(1200);
      expect(await store.retainOnly(ids.slice(0, 100))).toBe(1100);
      expect((await store.get(ids)).size).toBe(100);
    });
  },
);

describe('CapacitySummaryTask', () => {
  it('summarizes every model, goes on past a failure and drops unknown models', async () => {
    const written = new Map<string, ModelCapacitySummary>([
      ['gone', summary(1, '2026-12-01T00:00:00.000Z')],
    ]);
    const logger = mockServices.logger.mock();
    const spec = (modelId: string) => ({ modelId } as ModelSpec);
    const task = new CapacitySummaryTask(
      {
        specs: async () => [spec('a'), spec('broken'), spec('b')],
        modelIds: async () => ['a', 'broken', 'b', 'bad-annotations'],
        summarize: async s => {
          if (s.modelId === 'broken') throw new Error('series unreadable');
          return summary(s.modelId === 'a' ? 10 : 20, '2026-12-04T10:00:00Z');
        },
        store: {
          put: async (id, s) => {
            written.set(id, s);
          },
          get: async () => new Map(),
          retainOnly: async ids => {
            const gone = [...written.keys()].filter(id => !ids.includes(id));
            gone.forEach(id => written.delete(id));
            return gone.length;
          },
        },
        logger,
      },
      { frequency: { minutes: 15 }, timeout: { minutes: 14 } },
    );
    expect(task.scope).toBe('global');
    expect(await task.runOnce()).toEqual({
      computed: 2,
      failed: 1,
      removed: 1,
    });
    expect([...written.keys()].sort()).toEqual(['a', 'b']);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('Capacity summary of broken failed'),
    );
  });
});
