/*
 * GET /entities/:kind/:namespace/:name/capacity through the validated router, on every
 * database, with 30 days of hourly rollups and 7 days of minute samples written in bulk: for one
 * model, then with four more models' rows beside it. The clock is injected, so every figure is known: 1,000 requests on
 * 1 November growing by 100 a day, CPU at 40 %, memory at 25 %, disk at 10 %, blue serving
 * 1.0.0 until 28 November, when a deployment switched to green with 1.1.0.
 *
 * The route's latency on a large history (100 models with data, 10,000 in the catalog) is
 * measured by `yarn bench:api`, not here.
 */
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import {
  TestDatabaseId,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import {
  ANNOTATION_MODEL_ID,
  DEFAULT_RULE_SET,
} from '@model-ops/plugin-model-ops-common';
import express from 'express';
import { Knex } from 'knex';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { testModelIndex } from '../__testUtils__/models';
import { component, schemaErrors } from '../__testUtils__/plugin';
import { DatabaseSwitchStore } from '../environments';
import { DatabaseModelStore } from '../models/DatabaseModelStore';
import { spec } from '../schema/openapi/generated/router';
import { createRouter } from '../service/router';
import { DatabaseCapacitySeries } from './CapacityData';
import { DefaultCapacityService } from './CapacityService';
import { DEFAULT_CAPACITY_OPTIONS } from './report';
import { SeededHistoryStore } from './SeededHistory';
import { DatabaseCapacitySummaryStore } from './CapacitySummaries';

jest.setTimeout(600_000);

const databases = createTestDatabases();
const NOW = new Date('2026-12-01T10:30:00Z');
const FIRST_DAY = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;
/** Hours from FIRST_DAY: the deployment to green at the start of 28 November. */
const SWITCH_HOUR = 27 * 24;
/** The rolled-up hours: 1 November 00:00 through 1 December 09:00. */
const ROLLED_HOURS = 30 * 24 + 10;
/** Minute samples from NOW minus 7 days through 10:29 on 1 December. */
const FIRST_MINUTE = 23 * 1440 + 10 * 60 + 30;
const LAST_MINUTE = 30 * 1440 + 10 * 60 + 29;
const user = mockCredentials.user.header();
const url = (name: string, period?: string) =>
  `/entities/component/default/${name}/capacity${
    period ? `?period=${period}` : ''
  }`;

const models = Array.from({ length: 5 }, (_, i) =>
  i === 0
    ? { id: 'fraud', name: 'fraud-detector' }
    : {
        id: `m${String(i).padStart(3, '0')}`,
        name: `model-${String(i).padStart(3, '0')}`,
      },
);
const entities = models.map(m =>
  component(m.name, { [ANNOTATION_MODEL_ID]: m.id }),
);

/**
 * Writes the series of the given models with one statement per table: the rows are generated
 * by the database (generate_series, or a recursive CTE on SQLite).
 */
async function writeSeries(knex: Knex, ids: string[]) {
  const pg = knex.client.config.client === 'pg';
  const series = (count: number, first = 0) =>
    pg
      ? `SELECT i FROM generate_series(${first}, ${first + count - 1}) AS n(i)`
      : `WITH RECURSIVE n(i) AS (SELECT ${first} UNION ALL SELECT i + 1 FROM n WHERE i < ${
          first + count - 1
        }) SELECT i FROM n`;
  const at = (stepMs: number) =>
    pg
      ? `to_timestamp(${FIRST_DAY / 1000}) + n.i * interval '${
          stepMs / 1000
        } seconds'`
      : `${FIRST_DAY} + n.i * ${stepMs}`;
  const modelValues = ids.map(id => `('${id}')`).join(', ');
  const metricValues = `('throughput'), ('cpu'), ('memory'), ('disk')`;
  // Per day x: (1,000 + 100x) requests, i.e. that over 86,400 a second, all day.
  const value = (dayExpr: string) => `CASE mt.name
      WHEN 'throughput' THEN (1000 + 100 * (${dayExpr})) / 86400.0
      WHEN 'cpu' THEN 40 WHEN 'memory' THEN 25 ELSE 10 END`;
  const slot = (hourExpr: string) =>
    `CASE WHEN ${hourExpr} < ${SWITCH_HOUR} THEN 'blue' ELSE 'green' END`;
  const modelRows = pg
    ? `(VALUES ${modelValues}) AS md(id)`
    : `(SELECT column1 AS id FROM (VALUES ${modelValues})) AS md`;
  const metrics = pg
    ? `(VALUES ${metricValues}) AS mt(name)`
    : `(SELECT column1 AS name FROM (VALUES ${metricValues})) AS mt`;
  await knex.raw(`INSERT INTO model_ops_samples_hourly
      (model_id, slot, metric, bucket_start, value_avg, value_min, value_max, sample_count)
    SELECT md.id, ${slot('n.i')}, mt.name, ${at(HOUR)},
      ${value('n.i / 24')}, ${value('n.i / 24')}, ${value('n.i / 24')}, 60
    FROM (${series(
      ROLLED_HOURS,
    )}) AS n CROSS JOIN ${modelRows} CROSS JOIN ${metrics}`);
  await knex.raw(`INSERT INTO model_ops_samples
      (model_id, slot, metric, bucket_start, value, sampled_at)
    SELECT md.id, ${slot('n.i / 60')}, mt.name, ${at(60_000)},
      ${value('n.i / 1440')}, ${at(60_000)}
    FROM (${series(
      LAST_MINUTE - FIRST_MINUTE + 1,
      FIRST_MINUTE,
    )}) AS n CROSS JOIN ${modelRows} CROSS JOIN ${metrics}`);
  await knex('model_ops_models').insert(
    ids.map(id => ({
      model_id: id,
      entity_ref: `component:default/${id}`,
      production_version: '1.1.0',
      active_slot: 'green',
      status: 'healthy',
    })),
  );
  const switchedAt = new Date(FIRST_DAY + SWITCH_HOUR * HOUR);
  await knex('model_ops_slots').insert(
    ids.flatMap(id => [
      {
        model_id: id,
        slot: 'blue',
        version: '1.0.0',
        state: 'stopped',
        traffic_weight: 0,
        updated_at: switchedAt,
      },
      {
        model_id: id,
        slot: 'green',
        version: '1.1.0',
        endpoint: 'http://127.0.0.1:9',
        state: 'running',
        traffic_weight: 100,
        updated_at: switchedAt,
      },
    ]),
  );
  const uuid = (n: number, id: string) =>
    `${String(n).repeat(8)}-0000-4000-8000-${String(
      models.findIndex(m => m.id === id),
    ).padStart(12, '0')}`;
  await knex('model_ops_switches').insert(
    ids.flatMap(id => [
      {
        id: uuid(1, id),
        model_id: id,
        kind: 'deployment',
        to_slot: 'blue',
        to_version: '1.0.0',
        status: 'succeeded',
        checks: '[]',
        started_at: new Date('2026-10-01T00:00:00Z'),
        finished_at: new Date('2026-10-01T00:01:00Z'),
      },
      {
        id: uuid(2, id),
        model_id: id,
        kind: 'deployment',
        from_slot: 'blue',
        to_slot: 'green',
        from_version: '1.0.0',
        to_version: '1.1.0',
        status: 'succeeded',
        checks: '[]',
        started_at: switchedAt,
        finished_at: new Date(switchedAt.getTime() + 60_000),
      },
    ]),
  );
}

/** The requests of an hour of day x (0 is 1 November). */
const perHour = (x: number) => (1000 + 100 * x) / 24;

describe.each(databases.eachSupportedId())('the capacity route on %s', id => {
  let knex: Knex;
  let server: express.Express;
  let summaries: DatabaseCapacitySummaryStore;

  beforeAll(async () => {
    knex = await databases.init(id as TestDatabaseId);
    const store = await DatabaseModelStore.create({
      database: mockServices.database({ knex }),
    });
    summaries = DatabaseCapacitySummaryStore.create({ knex });
    const seeded: SeededHistoryStore = {
      seededRange: async modelId =>
        modelId === 'fraud'
          ? {
              modelId,
              from: new Date(FIRST_DAY),
              to: new Date('2026-11-26T00:00:00Z'),
              seededAt: new Date(FIRST_DAY),
            }
          : undefined,
      seededRanges: async () => new Map(),
      record: async () => false,
    };
    const capacity = new DefaultCapacityService({
      models: testModelIndex(entities, {
        ruleSets: ['default'],
        costModels: ['default'],
      }),
      store,
      series: DatabaseCapacitySeries.create({ knex }),
      switches: DatabaseSwitchStore.create({ knex }),
      seeded,
      costModels: new Map([
        ['default', { name: 'default', instanceHourUsd: 0.1, instances: 1 }],
      ]),
      ruleSets: new Map([['default', DEFAULT_RULE_SET]]),
      options: DEFAULT_CAPACITY_OPTIONS,
      summaries,
      now: () => NOW,
    });
    const router = await createRouter({
      httpAuth: mockServices.httpAuth({
        defaultCredentials: mockCredentials.none(),
      }),
      capacity,
    } as unknown as Parameters<typeof createRouter>[0]);
    server = express()
      .use(router)
      .use(
        MiddlewareFactory.create({
          config: mockServices.rootConfig(),
          logger: mockServices.logger.mock(),
        }).error(),
      );
    await writeSeries(knex, ['fraud']);
  });

  const get = (path: string) =>
    request(server).get(path).set('Authorization', user);

  function expectReport(body: any, seeded: boolean) {
    expect(schemaErrors(body, spec.components.schemas.CapacityReport)).toEqual(
      [],
    );
    // 7 days: 24 November 11:00 through half of 1 December 10:00.
    const total =
      13 * perHour(23) +
      [24, 25, 26, 27, 28, 29].reduce((s, x) => s + 24 * perHour(x), 0) +
      10.5 * perHour(30);
    const before =
      13 * perHour(23) + 24 * (perHour(24) + perHour(25) + perHour(26));
    expect(body).toMatchObject({
      period: '7d',
      from: '2026-11-24T11:00:00.000Z',
      to: NOW.toISOString(),
      timeZone: 'UTC',
      instances: 1,
      costModel: { name: 'default', currency: 'USD', instances: 1 },
    });
    expect(body.hours).toHaveLength(168);
    expect(body.requests.total).toBeCloseTo(total, 6);
    expect(body.requests.byVersion).toEqual([
      {
        version: '1.1.0',
        requests: expect.closeTo(total - before, 6),
        share: expect.closeTo((total - before) / total, 10),
      },
      {
        version: '1.0.0',
        requests: expect.closeTo(before, 6),
        share: expect.closeTo(before / total, 10),
      },
    ]);
    const rounded = (u: any) => ({
      ...u,
      average: Math.round(u.average * 1e9) / 1e9,
      p95: Math.round(u.p95 * 1e9) / 1e9,
    });
    expect(body.utilization.map(rounded)).toEqual([
      { resource: 'cpu', average: 40, p95: 40, limit: 80 },
      { resource: 'memory', average: 25, p95: 25, limit: 85 },
      { resource: 'disk', average: 10, p95: 10 },
      { resource: 'cpu', slot: 'blue', average: 40, p95: 40, limit: 80 },
      { resource: 'memory', slot: 'blue', average: 25, p95: 25, limit: 85 },
      { resource: 'disk', slot: 'blue', average: 10, p95: 10 },
      { resource: 'cpu', slot: 'green', average: 40, p95: 40, limit: 80 },
      { resource: 'memory', slot: 'green', average: 25, p95: 25, limit: 85 },
      { resource: 'disk', slot: 'green', average: 10, p95: 10 },
    ]);
    expect(body.cost.total).toBeCloseTo(16.75, 10);
    expect(body.cost.perRequest).toBeCloseTo(16.75 / total, 12);
    expect(body.cost.bySlot).toEqual([
      { slot: 'blue', cost: expect.closeTo(8.5, 10), instanceHours: 85 },
      { slot: 'green', cost: expect.closeTo(8.25, 10), instanceHours: 82.5 },
    ]);
    expect(
      body.bottlenecks.map((b: any) => [b.resource, b.level, b.usedShare]),
    ).toEqual([
      ['cpu', 'ok', expect.closeTo(0.5, 12)],
      ['memory', 'ok', expect.closeTo(25 / 85, 12)],
    ]);
    // The same line over the 7 days before today: 4,000 a day today, 100 more each day.
    expect(body.projection).toMatchObject({
      status: 'ok',
      daysAvailable: 7,
      r2: 1,
      slopePerDay: expect.closeTo(100, 6),
      growthPerMonth: expect.closeTo(0.75, 8),
      limits: [
        { resource: 'cpu', limit: 80, reached: false, date: '2027-01-10' },
        { resource: 'memory', limit: 85, reached: false, date: '2027-03-07' },
      ],
    });
    expect(
      body.projection.horizons.map((h: any) => [h.days, h.instances]),
    ).toEqual([
      [30, 1],
      [90, 2],
    ]);
    expect(body.rightSizing).toMatchObject({
      currentInstances: 1,
      neededInstances: 1,
    });
    expect(body.recommendations.map((r: any) => [r.id, r.actBy])).toEqual([
      ['growth', '2026-12-27'],
    ]);
    if (seeded) {
      expect(body.seeded).toEqual({
        from: '2026-11-24T11:00:00.000Z',
        to: '2026-11-26T00:00:00.000Z',
        note: expect.stringContaining('seeded as demo history'),
      });
      expect(body.hours.filter((h: any) => h.seeded)).toHaveLength(13 + 24);
    } else {
      expect(body.seeded).toBeUndefined();
    }
  }

  it('reports 7 days of one model by default, with real figures', async () => {
    const res = await get(url('fraud-detector'));
    expect(res.status).toBe(200);
    expectReport(res.body, true);
  });

  it('reports 24 hours and 30 days', async () => {
    const day = await get(url('fraud-detector', '24h'));
    expect(day.status).toBe(200);
    expect(day.body.hours).toHaveLength(24);
    expect(day.body.requests.total).toBeCloseTo(
      13 * perHour(29) + 10.5 * perHour(30),
      6,
    );
    // The fit goes over 7 days even for a day's report.
    expect(day.body.projection.daysAvailable).toBe(7);

    const month = await get(url('fraud-detector', '30d'));
    expect(month.status).toBe(200);
    expect(
      schemaErrors(month.body, spec.components.schemas.CapacityReport),
    ).toEqual([]);
    expect(month.body.hours).toHaveLength(720);
    expect(month.body.projection).toMatchObject({
      daysAvailable: 30,
      slopePerDay: expect.closeTo(100, 6),
      limits: [
        expect.objectContaining({ date: '2027-01-10' }),
        expect.anything(),
      ],
    });
    expect(month.body.cost.daily).toContainEqual({
      date: '2026-11-27',
      version: '1.0.0',
      cost: expect.closeTo(2.4, 10),
    });
    expect(month.body.cost.daily).toContainEqual({
      date: '2026-11-28',
      version: '1.1.0',
      cost: expect.closeTo(2.4, 10),
    });
  });

  it('stores the summary of the 7-day report for the Model Ops page, and of no other', async () => {
    await knex('model_ops_capacity_summaries').delete();
    await get(url('fraud-detector', '24h'));
    await get(url('fraud-detector', '30d'));
    expect((await summaries.get(['fraud'])).size).toBe(0);
    const res = await get(url('fraud-detector', '7d'));
    const horizon30 = res.body.projection.horizons.find(
      (h: any) => h.days === 30,
    );
    expect((await summaries.get(['fraud'])).get('fraud')).toEqual({
      period: '7d',
      computedAt: NOW.toISOString(),
      projectedMonthlyCost: {
        amount: Math.round(horizon30.monthlyCost * 100) / 100,
        currency: 'USD',
        basis: 'projection',
      },
      topRecommendation: {
        id: 'growth',
        type: 'planning',
        priority: 'medium',
        title: res.body.recommendations[0].title,
        actBy: '2026-12-27',
      },
      recommendations: 1,
      seeded: true,
    });
    // 30 days of one instance at $0.10 an hour.
    expect(horizon30.monthlyCost).toBeCloseTo(72, 6);
  });

  it('answers 400 naming period, and 404 for an entity that is no model', async () => {
    const bad = await get(url('fraud-detector', '1h'));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(
        /request\/query\/period must be equal to one of the allowed values: 24h, 7d, 30d/,
      ),
    });
    const missing = await get(url('no-such-model'));
    expect(missing.status).toBe(404);
    expect(missing.body.error.name).toBe('NotFoundError');
    const anonymous = await request(server).get(url('fraud-detector'));
    expect(anonymous.status).toBe(401);
  });

  it('reports the same figures with other models stored beside it', async () => {
    await writeSeries(
      knex,
      models.slice(1).map(m => m.id),
    );
    const [{ n }] = await knex('model_ops_samples').count({ n: '*' });
    expect(Number(n)).toBe(
      models.length * 4 * (LAST_MINUTE - FIRST_MINUTE + 1),
    );
    const fraud = await get(url('fraud-detector'));
    expectReport(fraud.body, true);
    for (const model of models.slice(1)) {
      const other = await get(url(model.name));
      expect(other.status).toBe(200);
      expectReport(other.body, false);
    }
  });
});
