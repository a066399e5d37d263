import { TestDatabaseId } from '@backstage/backend-test-utils';
import { SlotName } from '@model-ops/plugin-model-ops-common';
import { MetricSample } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../models/DatabaseModelStore';
import {
  DatabaseMetricsStore,
  DatabaseMonitoringState,
  MetricsStore,
  combineSlots,
} from './MetricsStore';
import { createTestDatabases } from '../__testUtils__/databases';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const MODEL = 'sentiment-classifier';
const T0 = new Date('2026-11-26T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function sample(
  metric: string,
  value: number,
  seconds: number,
  slot: SlotName = 'blue',
  modelId = MODEL,
): MetricSample {
  return { modelId, slot, metric, value, timestamp: at(seconds) };
}

describe('combineSlots', () => {
  const m = (entries: Record<string, number>) =>
    new Map(Object.entries(entries));

  it('sums throughput, weights latencies and error rate by throughput, averages resources', () => {
    const throughput = m({ blue: 90, green: 10 });
    expect(combineSlots('throughput', throughput, throughput)).toBe(100);
    expect(
      combineSlots(
        'responseTimeP95',
        m({ blue: 100, green: 1100 }),
        throughput,
      ),
    ).toBe(200);
    expect(
      combineSlots('errorRate', m({ blue: 0, green: 10 }), throughput),
    ).toBe(1);
    expect(combineSlots('cpu', m({ blue: 20, green: 60 }), throughput)).toBe(
      40,
    );
    expect(combineSlots('custom', m({ blue: 1, green: 3 }), throughput)).toBe(
      2,
    );
  });

  it('falls back to the mean without complete or non-zero throughput', () => {
    expect(
      combineSlots('responseTimeP95', m({ blue: 100, green: 300 }), undefined),
    ).toBe(200);
    expect(
      combineSlots(
        'responseTimeP95',
        m({ blue: 100, green: 300 }),
        m({ blue: 5 }),
      ),
    ).toBe(200);
    expect(
      combineSlots(
        'responseTimeP95',
        m({ blue: 100, green: 300 }),
        m({ blue: 0, green: 0 }),
      ),
    ).toBe(200);
  });
});

describe.each(databases.eachSupportedId())('MetricsStore on %s', databaseId => {
  let knex: Knex;
  let store: MetricsStore;

  beforeEach(async () => {
    knex = await databases.init(databaseId as TestDatabaseId);
    await applyDatabaseMigrations(knex);
    store = DatabaseMetricsStore.create({ knex });
  });

  it('stores a tick once when two replicas write it', async () => {
    const other = DatabaseMetricsStore.create({ knex });
    const tick = [
      sample('cpu', 40, 5),
      sample('memory', 60, 5),
      sample('cpu', 50, 5, 'green'),
      sample('cpu', 45, 65),
    ];
    const written = await Promise.all([
      store.writeSamples(tick),
      other.writeSamples(tick),
    ]);
    expect(written).toEqual([4, 4]);
    await other.writeSamples(tick);
    const rows = await knex('model_ops_samples').orderBy([
      'slot',
      'metric',
      'bucket_start',
    ]);
    expect(rows).toHaveLength(4);
    expect(
      rows.map(r => [
        r.slot,
        r.metric,
        new Date(r.bucket_start).toISOString(),
        r.value,
      ]),
    ).toEqual([
      ['blue', 'cpu', '2026-11-26T10:00:00.000Z', 40],
      ['blue', 'cpu', '2026-11-26T10:01:00.000Z', 45],
      ['blue', 'memory', '2026-11-26T10:00:00.000Z', 60],
      ['green', 'cpu', '2026-11-26T10:00:00.000Z', 50],
    ]);
  });

  it('keeps the latest sample of a minute whatever order they arrive in', async () => {
    await store.writeSamples([sample('cpu', 70, 40)]);
    await store.writeSamples([sample('cpu', 10, 20)]);
    await store.writeSamples([sample('cpu', 20, 30), sample('cpu', 30, 35)]);
    const rows = await knex('model_ops_samples');
    expect(rows).toHaveLength(1);
    expect(rows[0].value).toBe(70);
    await store.writeSamples([
      sample('cpu', 80, 50),
      sample('cpu', Number.NaN, 55),
    ]);
    expect((await knex('model_ops_samples'))[0].value).toBe(80);
  });

  it('returns the latest value of each slot and metric', async () => {
    await store.writeSamples([
      sample('cpu', 40, 0),
      sample('cpu', 41, 60),
      sample('cpu', 42, 125),
      sample('memory', 70, 0),
      sample('cpu', 50, 60, 'green'),
      sample('cpu', 99, 60, 'blue', 'other-model'),
    ]);
    const latest = await store.latest(MODEL);
    expect(
      latest.map(l => [l.slot, l.metric, l.value, l.bucketStart.toISOString()]),
    ).toEqual([
      ['blue', 'cpu', 42, '2026-11-26T10:02:00.000Z'],
      ['blue', 'memory', 70, '2026-11-26T10:00:00.000Z'],
      ['green', 'cpu', 50, '2026-11-26T10:01:00.000Z'],
    ]);
    expect(latest[0].sampledAt).toEqual(at(125));
    expect(
      (await store.latest(MODEL, { since: at(60) })).map(l => [
        l.slot,
        l.metric,
        l.value,
      ]),
    ).toEqual([
      ['blue', 'cpu', 42],
      ['green', 'cpu', 50],
    ]);
    const many = await store.latestMany([MODEL, 'other-model', 'nothing']);
    expect([...many.keys()].sort()).toEqual(['other-model', MODEL]);
    expect(await store.latest('nothing')).toEqual([]);
  });

  it('serves a range of minute points with the slots combined', async () => {
    const samples: MetricSample[] = [];
    for (let minute = 0; minute < 10; minute++) {
      samples.push(
        sample('throughput', 30, minute * 60 + 10, 'blue'),
        sample('throughput', 10, minute * 60 + 10, 'green'),
        sample('responseTimeP95', 100, minute * 60 + 10, 'blue'),
        sample('responseTimeP95', 500, minute * 60 + 10, 'green'),
        sample('cpu', minute, minute * 60 + 10, 'blue'),
      );
    }
    samples.push(sample('cpu', 1000, 9 * 60 + 10, 'blue', 'other-model'));
    await store.writeSamples(samples);

    const series = await store.series(
      MODEL,
      ['responseTimeP95', 'cpu', 'disk'],
      at(2 * 60 + 30),
      at(5 * 60),
      60,
    );
    expect(series.map(s => [s.metric, s.unit])).toEqual([
      ['responseTimeP95', 'ms'],
      ['cpu', '%'],
      ['disk', '%'],
    ]);
    // From the minute holding `from` up to and including the minute starting at `to`.
    expect(series[0].points).toEqual([
      { t: '2026-11-26T10:02:00.000Z', value: 200 },
      { t: '2026-11-26T10:03:00.000Z', value: 200 },
      { t: '2026-11-26T10:04:00.000Z', value: 200 },
      { t: '2026-11-26T10:05:00.000Z', value: 200 },
    ]);
    expect(series[1].points.map(p => p.value)).toEqual([2, 3, 4, 5]);
    expect(series[2].points).toEqual([]);

    const throughput = await store.series(
      MODEL,
      ['throughput'],
      at(0),
      at(3600),
      60,
    );
    expect(throughput[0].points).toHaveLength(10);
    expect(throughput[0].points.every(p => p.value === 40)).toBe(true);

    expect(
      await store.average(MODEL, ['cpu', 'disk'], at(0), at(4 * 60)),
    ).toEqual({ cpu: 2 });
  });

  it('rolls an hour up idempotently and serves hourly points', async () => {
    const samples: MetricSample[] = [];
    // 10:00-10:59 and 11:00-11:29, one sample a minute on two slots.
    for (let minute = 0; minute < 90; minute++) {
      samples.push(
        sample('cpu', minute % 60, minute * 60, 'blue'),
        sample('cpu', 100, minute * 60, 'green'),
        sample('throughput', 5, minute * 60, 'blue'),
      );
    }
    await store.writeSamples(samples);

    expect(await store.rollupHour(at(30 * 60))).toBe(3);
    expect(await store.rollupHour(T0)).toBe(3);
    const rows = await knex('model_ops_samples_hourly').orderBy([
      'slot',
      'metric',
    ]);
    expect(
      rows.map(r => [
        r.slot,
        r.metric,
        new Date(r.bucket_start).toISOString(),
        Number(r.value_avg),
        Number(r.value_min),
        Number(r.value_max),
        Number(r.sample_count),
      ]),
    ).toEqual([
      ['blue', 'cpu', '2026-11-26T10:00:00.000Z', 29.5, 0, 59, 60],
      ['blue', 'throughput', '2026-11-26T10:00:00.000Z', 5, 5, 5, 60],
      ['green', 'cpu', '2026-11-26T10:00:00.000Z', 100, 100, 100, 60],
    ]);

    // The hourly series: 10:00 from the rollup, 11:00 (not rolled up) from the minute samples.
    const hourly = await store.series(
      MODEL,
      ['cpu', 'throughput'],
      at(10 * 60),
      at(2 * 3600),
      3600,
    );
    expect(hourly[0].points).toEqual([
      { t: '2026-11-26T10:00:00.000Z', value: (29.5 + 100) / 2 },
      { t: '2026-11-26T11:00:00.000Z', value: (14.5 + 100) / 2 },
    ]);
    expect(hourly[1].points.map(p => p.value)).toEqual([5, 5]);

    // Rolled up from fewer samples (after pruning), an hour keeps its complete rollup.
    await knex('model_ops_samples')
      .where('bucket_start', '<', at(30 * 60))
      .delete();
    await store.rollupHour(T0);
    const kept = await knex('model_ops_samples_hourly').where({
      slot: 'blue',
      metric: 'cpu',
    });
    expect(Number(kept[0].sample_count)).toBe(60);
    // The rollup still serves the hour once its minute samples are gone.
    await knex('model_ops_samples')
      .where('bucket_start', '<', at(3600))
      .delete();
    const after = await store.series(MODEL, ['cpu'], T0, at(3600), 3600);
    expect(after[0].points[0]).toEqual({
      t: '2026-11-26T10:00:00.000Z',
      value: 64.75,
    });
  });

  it('prunes old samples and rollups and keeps recent ones', async () => {
    const samples: MetricSample[] = [];
    for (let hour = 0; hour < 4; hour++) {
      samples.push(
        sample('cpu', 10, hour * 3600),
        sample('cpu', 20, hour * 3600 + 60),
      );
    }
    await store.writeSamples(samples);
    for (let hour = 0; hour < 4; hour++) {
      await store.rollupHour(at(hour * 3600));
    }
    expect(
      await store.prune({
        samplesOlderThan: at(2 * 3600),
        rollupsOlderThan: at(3600),
      }),
    ).toEqual({ samples: 4, rollups: 1 });
    expect(await knex('model_ops_samples')).toHaveLength(4);
    expect(await knex('model_ops_samples_hourly')).toHaveLength(3);
    expect(
      (await knex('model_ops_samples').orderBy('bucket_start')).map(r =>
        new Date(r.bucket_start).toISOString(),
      )[0],
    ).toBe('2026-11-26T12:00:00.000Z');
    expect(
      await store.prune({
        samplesOlderThan: at(2 * 3600),
        rollupsOlderThan: at(3600),
      }),
    ).toEqual({ samples: 0, rollups: 0 });
  });
  it('catches up every hour missed since the newest rollup, within the bound, and skips empty hours', async () => {
    // Two samples in each of hours 0 to 7; hour 0 rolled up, then a downtime.
    const samples: MetricSample[] = [];
    for (let hour = 0; hour < 8; hour++) {
      samples.push(
        sample('cpu', hour, hour * 3600 + 60),
        sample('cpu', hour + 10, hour * 3600 + 120),
      );
    }
    // Hour 5 had no samples at all (nothing was collected).
    await store.writeSamples(samples);
    await knex('model_ops_samples')
      .where('bucket_start', '>=', at(5 * 3600))
      .andWhere('bucket_start', '<', at(6 * 3600))
      .delete();
    await store.rollupHour(T0);
    // A late sample of the newest rolled-up hour counts when it is rolled up again.
    await store.writeSamples([sample('cpu', 100, 600)]);

    const rolled = await store.catchUpRollups({
      notBefore: at(-24 * 3600),
      through: at(6 * 3600 + 59 * 60),
    });
    expect(rolled.map(d => d.toISOString())).toEqual([
      '2026-11-26T10:00:00.000Z',
      '2026-11-26T11:00:00.000Z',
      '2026-11-26T12:00:00.000Z',
      '2026-11-26T13:00:00.000Z',
      '2026-11-26T14:00:00.000Z',
      // 15:00 had no samples; 17:00 is after `through`'s hour.
      '2026-11-26T16:00:00.000Z',
    ]);
    const rows = await knex('model_ops_samples_hourly').orderBy('bucket_start');
    expect(
      rows.map(r => [
        new Date(r.bucket_start).toISOString().slice(11, 13),
        Number(r.sample_count),
        Number(r.value_max),
      ]),
    ).toEqual([
      ['10', 3, 100],
      ['11', 2, 11],
      ['12', 2, 12],
      ['13', 2, 13],
      ['14', 2, 14],
      ['16', 2, 16],
    ]);

    // Again, and on two replicas at once: the newest hour once more, the same rows.
    const again = await Promise.all([
      store.catchUpRollups({
        notBefore: at(-24 * 3600),
        through: at(7 * 3600 + 30 * 60),
      }),
      DatabaseMetricsStore.create({ knex }).catchUpRollups({
        notBefore: at(-24 * 3600),
        through: at(7 * 3600 + 30 * 60),
      }),
    ]);
    for (const hours of again) {
      expect(hours.map(d => d.toISOString().slice(11, 13))).toEqual([
        '16',
        '17',
      ]);
    }
    expect(await knex('model_ops_samples_hourly')).toHaveLength(7);
  });

  it('starts a catch-up without rollups at the first sample, never before the bound', async () => {
    await store.writeSamples([
      sample('cpu', 1, 60),
      sample('cpu', 2, 3 * 3600 + 60),
      sample('cpu', 3, 4 * 3600 + 60),
    ]);
    expect(
      (
        await store.catchUpRollups({
          notBefore: at(2 * 3600 + 1800), // hour 0 is past sample retention
          through: at(4 * 3600),
        })
      ).map(d => d.toISOString().slice(11, 13)),
    ).toEqual(['13', '14']);
    expect(
      await store.catchUpRollups({ notBefore: at(0), through: at(-3600) }),
    ).toEqual([]);
  });

  it('keeps the monitoring state by scope and key, shared by every instance', async () => {
    const a = DatabaseMonitoringState.create({ knex });
    const b = DatabaseMonitoringState.create({ knex });
    expect(await a.lastTickAt()).toBeUndefined();
    await a.setLastTickAt(at(60));
    expect(await b.lastTickAt()).toEqual(at(60));
    await b.setLastTickAt(at(120));
    expect(await a.lastTickAt()).toEqual(at(120));

    const scrape = a.source('scrape');
    const other = b.source('other');
    await scrape.set(
      new Map<string, unknown>([
        ['m\nblue', { at: 1, requests: [['200', 5]] }],
        ['m\ngreen', { at: 2 }],
      ]),
    );
    await other.set(new Map([['m\nblue', 'theirs']]));
    expect(await b.source('scrape').get(['m\nblue', 'm\ngreen', 'x'])).toEqual(
      new Map<string, unknown>([
        ['m\nblue', { at: 1, requests: [['200', 5]] }],
        ['m\ngreen', { at: 2 }],
      ]),
    );
    await scrape.set(new Map([['m\nblue', { at: 3 }]]));
    await scrape.retain(['m\nblue']);
    expect(await scrape.get(['m\nblue', 'm\ngreen'])).toEqual(
      new Map([['m\nblue', { at: 3 }]]),
    );
    // Another source's keys are its own.
    expect(await other.get(['m\nblue'])).toEqual(
      new Map([['m\nblue', 'theirs']]),
    );
    expect(
      (await knex('model_ops_monitoring_state').orderBy(['scope', 'key'])).map(
        r => [r.scope, r.key],
      ),
    ).toEqual([
      ['source:other', 'm\nblue'],
      ['source:scrape', 'm\nblue'],
      ['tick', 'lastTickAt'],
    ]);

    // Many keys at once, over the chunk sizes.
    const many = new Map(
      Array.from({ length: 1200 }, (_, i) => [`k${i}`, i] as [string, number]),
    );
    await scrape.set(many);
    expect((await scrape.get([...many.keys()])).size).toBe(1200);
    await scrape.retain(['k7']);
    expect(await scrape.get([...many.keys(), 'm\nblue'])).toEqual(
      new Map([['k7', 7]]),
    );
  });
});
