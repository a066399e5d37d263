import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ModelOpsConfig, readModelOpsConfig } from '../config/config';
import { DatabaseModelStore } from '../models/DatabaseModelStore';
import { DatabaseMetricsStore } from '../monitoring';
import { findRepoRoot } from '../runtimes/local';
import { createTestDatabases } from '../__testUtils__/databases';
import { testModelIndex } from '../__testUtils__/models';
import {
  DemoHistory,
  DemoHistoryResult,
  createDemoHistory,
} from './DemoHistory';
import { DatabaseSeededHistoryStore } from './SeededHistory';

// Seeding 30 days of three models takes seconds on SQLite and tens of seconds on PostgreSQL.
jest.setTimeout(240_000);

const databases = createTestDatabases();
const repoRoot = findRepoRoot(__dirname);

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A Friday morning; the history ends at its minute. */
const NOW = new Date('2026-12-04T09:17:30.000Z');
const END = new Date('2026-12-04T09:17:00.000Z');
const DEMO_MODELS = [
  'churn-predictor',
  'fraud-detector',
  'sentiment-classifier',
];

/** `modelOps` as the embedded defaults (app-config.yaml) set it. */
async function embeddedDefaults(): Promise<ModelOpsConfig> {
  const file = 'app-config.yaml';
  const data = parse(await fs.readFile(path.join(repoRoot, file), 'utf8'));
  return readModelOpsConfig(
    ConfigReader.fromConfigs([{ context: file, data }]),
    {
      workingDirectory: path.join(repoRoot, 'packages/backend'),
    },
  );
}

/** The demo catalog's model entities (examples/models.yaml). */
async function demoEntities(): Promise<Entity[]> {
  const text = await fs.readFile(
    path.join(repoRoot, 'examples/models.yaml'),
    'utf8',
  );
  return parseAllDocuments(text)
    .map(doc => doc.toJS() as Entity)
    .filter(e => e?.kind === 'Component')
    .map(e => ({
      ...e,
      metadata: { namespace: 'default', ...e.metadata },
    }));
}

function entity(name: string, annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'model-ops/model-id': name, ...annotations },
    },
    spec: { type: 'model', lifecycle: 'production', owner: 'group:default/x' },
  } as Entity;
}

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

describe.each(databases.eachSupportedId())('demo history on %s', databaseId => {
  let knex: Knex;
  let options: ModelOpsConfig;

  async function world(
    entities: Entity[],
    overrides: Partial<ConstructorParameters<typeof DemoHistory>[0]> = {},
  ) {
    const store = await DatabaseModelStore.create({
      database: mockServices.database({ knex }),
    });
    const models = testModelIndex(entities, {
      ruleSets: [...options.ruleSets.keys()],
      alertRoutes: [...options.alertRoutes.keys()],
      costModels: [...options.costModels.keys()],
    });
    const metrics = DatabaseMetricsStore.create({ knex });
    const seeded = DatabaseSeededHistoryStore.create({ knex });
    const make = (owner: string) =>
      new DemoHistory({
        models,
        store,
        metrics,
        // A transaction a day, as the plugin runs it.
        transaction: work =>
          knex.transaction(trx =>
            work(DatabaseMetricsStore.create({ knex: trx })),
          ),
        seeded,
        logger: mockServices.logger.mock(),
        costModels: options.costModels,
        retention: options.monitoring,
        schedule: options.demo.historySchedule,
        owner,
        now: () => NOW,
        ...overrides,
      });
    return { store, metrics, seeded, make };
  }

  /** Stored rows of a model and metric, per table. */
  async function rows(
    table: 'model_ops_samples' | 'model_ops_samples_hourly',
    modelId: string,
    metric = 'throughput',
  ) {
    return (
      await knex(table)
        .where({ model_id: modelId, metric })
        .orderBy('bucket_start')
    ).map(row => ({
      ...row,
      bucket: new Date(row.bucket_start).getTime(),
    }));
  }

  beforeAll(async () => {
    options = await embeddedDefaults();
  });

  it('is on with the embedded defaults, as one global task', () => {
    expect(options.demo.history).toBe(true);
    const capability = createDemoHistory({
      knex: {} as Knex,
      models: testModelIndex([]),
      store: {} as DatabaseModelStore,
      logger: mockServices.logger.mock(),
      costModels: options.costModels,
      options: {
        enabled: true,
        schedule: options.demo.historySchedule,
        sampleRetentionDays: options.monitoring.sampleRetentionDays,
        rollupRetentionDays: options.monitoring.rollupRetentionDays,
      },
    });
    expect(capability.tasks.map(t => [t.id, t.scope])).toEqual([
      ['model-ops-demo-history', 'global'],
    ]);
    expect(
      createDemoHistory({
        knex: {} as Knex,
        models: testModelIndex([]),
        store: {} as DatabaseModelStore,
        logger: mockServices.logger.mock(),
        costModels: options.costModels,
        options: {
          enabled: false,
          schedule: options.demo.historySchedule,
          sampleRetentionDays: options.monitoring.sampleRetentionDays,
          rollupRetentionDays: options.monitoring.rollupRetentionDays,
        },
      }).tasks,
    ).toEqual([]);
  });

  describe('the first start with the embedded defaults', () => {
    let first: DemoHistoryResult;
    let w: Awaited<ReturnType<typeof world>>;

    beforeAll(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      w = await world(await demoEntities());
      // sentiment-classifier already runs on green.
      await w.store.upsertModel({
        modelId: 'sentiment-classifier',
        entityRef: 'component:default/sentiment-classifier',
        productionVersion: '1.0.0',
        activeSlot: 'green',
      });
      first = await w.make('replica-a').seed();
    });

    it('seeds each demo model, and only those', () => {
      expect([...first.seeded].sort()).toEqual(DEMO_MODELS);
      expect(first.skipped).toEqual([]);
      expect(first.samples).toBe(3 * 30 * 24 * 60 * 8);
    });

    it('leaves hourly rollups for 30 days and minute samples for the last 7', async () => {
      const firstHour = new Date('2026-11-04T09:00:00.000Z').getTime();
      const lastHour = new Date('2026-12-04T09:00:00.000Z').getTime();
      for (const modelId of DEMO_MODELS) {
        for (const metric of [
          'throughput',
          'responseTimeP50',
          'responseTimeP95',
          'errorRate',
          'cpu',
          'memory',
          'disk',
          'costPerRequest',
        ]) {
          const hourly = await rows(
            'model_ops_samples_hourly',
            modelId,
            metric,
          );
          expect(hourly).toHaveLength(30 * 24 + 1);
          expect(hourly[0].bucket).toBe(firstHour);
          expect(hourly[hourly.length - 1].bucket).toBe(lastHour);
          // Every whole hour was rolled up from its 60 minutes, also where they are pruned now.
          expect(hourly[0].sample_count).toBe(43);
          expect(hourly[hourly.length - 1].sample_count).toBe(17);
          expect(
            hourly.slice(1, -1).every(h => Number(h.sample_count) === 60),
          ).toBe(true);
          const minutes = await rows('model_ops_samples', modelId, metric);
          expect(minutes).toHaveLength(7 * 24 * 60);
          expect(minutes[0].bucket).toBe(END.getTime() - 7 * DAY);
          expect(minutes[minutes.length - 1].bucket).toBe(
            END.getTime() - MINUTE,
          );
        }
      }
      // The reads of the tabs see them.
      const [throughput] = await w.metrics.series(
        'fraud-detector',
        ['throughput'],
        new Date(END.getTime() - 30 * DAY),
        NOW,
        3600,
      );
      expect(throughput.points).toHaveLength(30 * 24 + 1);
    });

    it('writes on the production color, with the cost function monitoring uses', async () => {
      const slots = await knex('model_ops_samples')
        .distinct('model_id', 'slot')
        .orderBy('model_id');
      expect(slots).toEqual([
        { model_id: 'churn-predictor', slot: 'blue' },
        { model_id: 'fraud-detector', slot: 'blue' },
        { model_id: 'sentiment-classifier', slot: 'green' },
      ]);
      // fraud-detector's cost model (gpu-small) runs 2 instances at 0.90 an hour: a minute's
      // requests cost 2 × 0.90 / 60 between them.
      const throughput = await rows('model_ops_samples', 'fraud-detector');
      const cost = await rows(
        'model_ops_samples',
        'fraud-detector',
        'costPerRequest',
      );
      for (const i of [0, 1000, throughput.length - 1]) {
        expect(cost[i].bucket).toBe(throughput[i].bucket);
        expect(cost[i].value * throughput[i].value * 60).toBeCloseTo(
          (2 * 0.9) / 60,
          9,
        );
      }
    });

    it('records the seeded range of each model', async () => {
      const ranges = await w.seeded.seededRanges(DEMO_MODELS);
      for (const modelId of DEMO_MODELS) {
        expect(ranges.get(modelId)).toEqual({
          modelId,
          from: new Date(END.getTime() - 30 * DAY),
          to: END,
          seededAt: END,
        });
      }
      const states = await w.seeded.states(DEMO_MODELS);
      expect(states.get('fraud-detector')).toMatchObject({
        completedAt: NOW,
        source: 'demo-traffic',
        leaseOwner: 'replica-a',
        leaseExpiresAt: undefined,
      });
      expect(states.get('fraud-detector')?.note).toMatch(/30 % a month/);
    });

    /** Requests per complete UTC day, from the hourly rollups, by day. */
    async function dailyTotals(modelId: string) {
      const byDay = new Map<number, number>();
      for (const h of await rows('model_ops_samples_hourly', modelId)) {
        const day = Math.floor(h.bucket / DAY);
        byDay.set(day, (byDay.get(day) ?? 0) + Number(h.value_avg) * 3600);
      }
      return [...byDay.entries()]
        .sort(([a], [b]) => a - b)
        .slice(1, -1)
        .map(([day, total]) => ({
          weekday: new Date(day * DAY).getUTCDay(),
          total,
        }));
    }

    it('grows fraud-detector by about 30 % a month and keeps the others about flat', async () => {
      const growth = async (modelId: string) => {
        const totals = (await dailyTotals(modelId)).map(d => d.total);
        expect(totals).toHaveLength(29);
        return (30 * slope(totals)) / mean(totals);
      };
      expect(Math.abs((await growth('fraud-detector')) - 0.3)).toBeLessThan(
        0.03,
      );
      expect(Math.abs(await growth('sentiment-classifier'))).toBeLessThan(0.1);
      expect(Math.abs(await growth('churn-predictor'))).toBeLessThan(0.1);
    });

    it('has quieter weekends and the daily shape of the demo traffic', async () => {
      for (const modelId of DEMO_MODELS) {
        const days = await dailyTotals(modelId);
        const weekend = days.filter(d => d.weekday === 0 || d.weekday === 6);
        const weekdays = days.filter(d => d.weekday !== 0 && d.weekday !== 6);
        expect(weekend.length).toBeGreaterThanOrEqual(8);
        expect(mean(weekend.map(d => d.total))).toBeLessThan(
          0.8 * mean(weekdays.map(d => d.total)),
        );
        const atHour = async (hour: number) =>
          mean(
            (await rows('model_ops_samples_hourly', modelId))
              .filter(h => new Date(h.bucket).getUTCHours() === hour)
              .map(h => Number(h.value_avg)),
          );
        expect(await atHour(11)).toBeGreaterThan(3 * (await atHour(3)));
      }
    });

    it('takes the growing model towards its CPU limit, below the warning level', async () => {
      const cpu = await rows(
        'model_ops_samples_hourly',
        'fraud-detector',
        'cpu',
      );
      const week = (from: number) =>
        mean(cpu.slice(from, from + 7 * 24).map(h => Number(h.value_avg)));
      expect(week(cpu.length - 7 * 24)).toBeGreaterThan(week(0) + 3);
      const strict = options.ruleSets
        .get('strict')!
        .rules.find(r => r.metric === 'cpu')!;
      const peak = Math.max(...cpu.map(h => Number(h.value_max)));
      expect(peak).toBeGreaterThan(strict.warning - 15);
      // Seeded values never raise an alert of their own.
      expect(peak).toBeLessThan(strict.warning);
    });

    it('does nothing on later runs', async () => {
      const before = await knex('model_ops_samples_hourly').count({ n: '*' });
      const again = await w.make('replica-b').seed();
      expect(again.seeded).toEqual([]);
      expect(again.samples).toBe(0);
      expect(again.skipped.map(s => s.reason)).toEqual([
        'already seeded',
        'already seeded',
        'already seeded',
      ]);
      expect(await knex('model_ops_samples_hourly').count({ n: '*' })).toEqual(
        before,
      );
    });
  });

  describe('with other replicas and measured data', () => {
    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
    });

    it('seeds each model once when two replicas run at once', async () => {
      const w = await world(await demoEntities(), { days: 2 });
      const [a, b] = await Promise.all([
        w.make('replica-a').seed(),
        w.make('replica-b').seed(),
      ]);
      expect([...a.seeded, ...b.seeded].sort()).toEqual(DEMO_MODELS);
      expect(a.samples + b.samples).toBe(3 * 2 * 24 * 60 * 8);
      for (const modelId of DEMO_MODELS) {
        expect(await rows('model_ops_samples', modelId)).toHaveLength(
          2 * 24 * 60,
        );
        expect(await rows('model_ops_samples_hourly', modelId)).toHaveLength(
          2 * 24 + 1,
        );
      }
      const states = await w.seeded.states(DEMO_MODELS);
      expect([...states.values()].every(s => s.completedAt)).toBe(true);
    });

    it('skips a model with measured history and ends the history where measured samples start', async () => {
      const w = await world(await demoEntities(), { days: 2 });
      const measured = (modelId: string, at: Date) => ({
        modelId,
        slot: 'blue' as const,
        metric: 'throughput',
        value: 1234,
        timestamp: at,
      });
      const recentStart = new Date(END.getTime() - 3 * HOUR + 20_000);
      await w.metrics.writeSamples([
        // churn-predictor has been measured for longer than a day.
        measured('churn-predictor', new Date(NOW.getTime() - 2 * DAY)),
        measured('churn-predictor', new Date(NOW.getTime() - MINUTE)),
        // sentiment-classifier for three hours.
        measured('sentiment-classifier', recentStart),
        measured('sentiment-classifier', new Date(NOW.getTime() - MINUTE)),
      ]);
      const result = await w.make('replica-a').seed();
      expect(result.seeded.sort()).toEqual([
        'fraud-detector',
        'sentiment-classifier',
      ]);
      expect(result.skipped).toEqual([
        { modelId: 'churn-predictor', reason: 'has measured history' },
      ]);
      expect(await w.seeded.seededRange('churn-predictor')).toBeUndefined();
      expect(await rows('model_ops_samples', 'churn-predictor')).toHaveLength(
        2,
      );

      const to = new Date(END.getTime() - 3 * HOUR);
      expect(await w.seeded.seededRange('sentiment-classifier')).toEqual({
        modelId: 'sentiment-classifier',
        from: new Date(to.getTime() - 2 * DAY),
        to,
        seededAt: END,
      });
      const sentiment = await rows('model_ops_samples', 'sentiment-classifier');
      expect(sentiment).toHaveLength(2 * 24 * 60 + 2);
      // The measured samples are kept as they were.
      expect(sentiment.filter(s => s.bucket >= to.getTime())).toEqual([
        expect.objectContaining({ value: 1234, bucket: to.getTime() }),
        expect.objectContaining({ value: 1234 }),
      ]);
      expect(sentiment.filter(s => s.value === 1234)).toHaveLength(2);
    });

    it('redoes a seeding whose process stopped and leaves one still at work', async () => {
      const w = await world(await demoEntities(), { days: 2 });
      const range = (modelId: string) => ({
        modelId,
        from: new Date(END.getTime() - DAY),
        to: new Date(END.getTime() - HOUR),
        seededAt: new Date(END.getTime() - 10 * MINUTE),
      });
      await w.seeded.claim(range('fraud-detector'), {
        owner: 'stopped',
        expiresAt: new Date(NOW.getTime() - MINUTE),
      });
      await w.seeded.claim(range('churn-predictor'), {
        owner: 'busy',
        expiresAt: new Date(NOW.getTime() + MINUTE),
      });
      const result = await w.make('replica-a').seed();
      expect(result.seeded.sort()).toEqual([
        'fraud-detector',
        'sentiment-classifier',
      ]);
      expect(result.skipped).toEqual([
        { modelId: 'churn-predictor', reason: 'being seeded by busy' },
      ]);
      // The taken-over range is seeded as recorded.
      const fraud = await rows('model_ops_samples', 'fraud-detector');
      expect(fraud).toHaveLength(23 * 60);
      expect(fraud[0].bucket).toBe(END.getTime() - DAY);
      expect(await w.seeded.states(['fraud-detector'])).toEqual(
        new Map([
          [
            'fraud-detector',
            expect.objectContaining({
              ...range('fraud-detector'),
              seededAt: END,
              completedAt: NOW,
              leaseOwner: 'replica-a',
            }),
          ],
        ]),
      );
      expect(await rows('model_ops_samples', 'churn-predictor')).toEqual([]);
    });

    it('seeds only demo models Model Ops runs', async () => {
      const w = await world(
        [
          entity('churn-predictor', { 'model-ops/runtime': 'external' }),
          entity('my-model'),
          entity('fraud-detector'),
        ],
        { days: 1 },
      );
      const result = await w.make('replica-a').seed();
      expect(result.seeded).toEqual(['fraud-detector']);
      expect(
        await knex('model_ops_samples').distinct('model_id').pluck('model_id'),
      ).toEqual(['fraud-detector']);
      // Without a cost annotation, the default cost model prices it.
      expect(
        await rows('model_ops_samples', 'fraud-detector', 'costPerRequest'),
      ).toHaveLength(24 * 60);
    });
  });
});
