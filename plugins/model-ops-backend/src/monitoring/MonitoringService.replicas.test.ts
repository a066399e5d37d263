/*
 * Monitoring ticks that move between replicas, on every database: each tick is run by a fresh
 * service instance (as on another replica) over one database and an injected clock. The window of
 * a tick starts where the last tick ended whichever instance ran it; the scrape source's counters
 * (a real loopback /metrics server) carry over between instances, restarts included; and models
 * Model Ops does not run (`model-ops/runtime: external`) are collected by model id.
 */
import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_MODEL_ID,
  ANNOTATION_RULES,
  ANNOTATION_RUNTIME,
  DEFAULT_RULE_SET,
  RuleSet,
} from '@model-ops/plugin-model-ops-common';
import {
  MetricCollectContext,
  MetricSample,
  MetricSource,
  MetricTarget,
} from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createTestDatabases } from '../__testUtils__/databases';
import { testModelIndex } from '../__testUtils__/models';
import { DatabaseModelStore } from '../models/DatabaseModelStore';
import { ScrapeMetricSource } from '../sources';
import { DatabaseAlertStore } from './AlertStore';
import { DatabaseMetricsStore, DatabaseMonitoringState } from './MetricsStore';
import {
  DefaultMonitoringService,
  MAX_WINDOW_INTERVALS,
} from './MonitoringService';
import { RuleEvaluator } from './RuleEvaluator';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const INTERVAL_S = 60;
const T0 = new Date('2026-12-03T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function model(name: string, annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'model', lifecycle: 'production', owner: 'group:default/ml' },
  };
}

const entities = [
  model('sentiment', { [ANNOTATION_MODEL_ID]: 'sentiment' }),
  // Deployed by Model Ops, but nothing runs: not collected.
  model('idle', { [ANNOTATION_MODEL_ID]: 'idle' }),
  // Served elsewhere: collected from prometheus (its default) by model id.
  model('ranker', {
    [ANNOTATION_MODEL_ID]: 'ranker',
    [ANNOTATION_RUNTIME]: 'external',
    [ANNOTATION_RULES]: 'instant',
  }),
];

const instant: RuleSet = {
  name: 'instant',
  rules: DEFAULT_RULE_SET.rules.map(rule => ({ ...rule, forSeconds: 0 })),
};

/** A stand-in for the prometheus source: records what it was asked, answers for the ranker. */
class FakePrometheus implements MetricSource {
  readonly id = 'prometheus';
  readonly calls: Array<{
    targets: MetricTarget[];
    window: { from: Date; to: Date };
    context?: MetricCollectContext;
  }> = [];

  async collect(
    targets: MetricTarget[],
    window: { from: Date; to: Date },
    context?: MetricCollectContext,
  ): Promise<MetricSample[]> {
    this.calls.push({ targets, window, context });
    return targets.flatMap(t =>
      t.slots.length === 0
        ? [
            { metric: 'throughput', value: 12 },
            { metric: 'errorRate', value: 20 },
          ].map(v => ({
            modelId: t.modelId,
            slot: 'production' as never,
            ...v,
            timestamp: window.to,
          }))
        : [],
    );
  }
}

/** The demo server's request counter and process metrics, as a real /metrics would serve them. */
function exposition(counts: { ok: number; errors: number; start: number }) {
  return [
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${counts.start}`,
    '# TYPE model_requests_total counter',
    `model_requests_total{status="200"} ${counts.ok}`,
    `model_requests_total{status="500"} ${counts.errors}`,
    '',
  ].join('\n');
}

describe.each(databases.eachSupportedId())(
  'monitoring across replicas on %s',
  databaseId => {
    let knex: Knex;
    let store: DatabaseModelStore;
    let server: http.Server;
    let body: string;
    let clock: Date;
    const now = () => clock;

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        if (req.url !== '/metrics') {
          res.writeHead(404).end();
          return;
        }
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
          .end(body);
      });
      await new Promise<void>(resolve =>
        server.listen(0, '127.0.0.1', resolve),
      );
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    });

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      store = await DatabaseModelStore.create({
        database: mockServices.database({ knex }),
      });
      clock = T0;
      body = exposition({ ok: 0, errors: 0, start: 1_700_000_000 });
      const endpoint = `http://127.0.0.1:${
        (server.address() as AddressInfo).port
      }`;
      await store.upsertModel({
        modelId: 'sentiment',
        entityRef: 'component:default/sentiment',
        productionVersion: '1.0.0',
        activeSlot: 'blue',
      });
      await store.upsertSlot('sentiment', {
        slot: 'blue',
        version: '1.0.0',
        endpoint,
        state: 'running',
        trafficWeight: 100,
      });
      await store.upsertModel({
        modelId: 'idle',
        entityRef: 'component:default/idle',
      });
      await store.upsertSlot('idle', {
        slot: 'blue',
        version: '1.0.0',
        state: 'stopped',
        trafficWeight: 0,
      });
    });

    /** One replica: its own service, scrape source and memory; the shared database. */
    function replica() {
      const prometheus = new FakePrometheus();
      const scrape = new ScrapeMetricSource({ now, hostMetrics: 'never' });
      const service = new DefaultMonitoringService({
        models: testModelIndex(entities, { ruleSets: ['default', 'instant'] }),
        logger: mockServices.logger.mock(),
        store,
        metrics: DatabaseMetricsStore.create({ knex }),
        alerts: DatabaseAlertStore.create({ knex, now }),
        evaluator: new RuleEvaluator(now),
        ruleSets: new Map([
          ['default', DEFAULT_RULE_SET],
          ['instant', instant],
        ]),
        getMetricSource: id =>
          (({ scrape, prometheus } as Record<string, MetricSource>)[id]),
        intervalSeconds: INTERVAL_S,
        state: DatabaseMonitoringState.create({ knex }),
        now,
      });
      return { service, prometheus, scrape };
    }

    const throughputRows = async () =>
      (
        await knex('model_ops_samples')
          .where({ model_id: 'sentiment', metric: 'throughput' })
          .orderBy('bucket_start')
      ).map(r => [new Date(r.bucket_start).toISOString(), Number(r.value)]);

    it('starts the window of a fresh instance at the last tick of another, bounded', async () => {
      const a = replica();
      await a.service.tick();
      expect(a.prometheus.calls[0].window).toEqual({
        from: at(-INTERVAL_S), // no tick before: one interval
        to: T0,
      });

      clock = at(75);
      const b = replica();
      await b.service.tick();
      expect(b.prometheus.calls[0].window).toEqual({ from: T0, to: at(75) });

      // Back on the first: from the second's tick, not from what it remembers.
      clock = at(130);
      await a.service.tick();
      expect(a.prometheus.calls[1].window).toEqual({
        from: at(75),
        to: at(130),
      });

      // After a pause (no replica ticked for an hour), at most ten intervals back.
      clock = at(130 + 3600);
      const c = replica();
      await c.service.tick();
      expect(c.prometheus.calls[0].window).toEqual({
        from: at(130 + 3600 - MAX_WINDOW_INTERVALS * INTERVAL_S),
        to: clock,
      });
      const [row] = await knex('model_ops_monitoring_state').where({
        scope: 'tick',
      });
      expect(JSON.parse(row.value)).toBe(clock.toISOString());
    });

    it('collects external models by model id, without slots, and not idle deployed ones', async () => {
      const a = replica();
      const result = await a.service.tick();
      expect(a.prometheus.calls[0].targets).toEqual([
        { modelId: 'ranker', entityRef: 'component:default/ranker', slots: [] },
      ]);
      // The state is handed to every source, scoped to its id.
      expect(a.prometheus.calls[0].context?.state).toBeDefined();
      expect(result.samples).toBe(2);
      expect(result.newlyFiring).toEqual([
        expect.objectContaining({
          modelId: 'ranker',
          alertType: 'high_error_rate',
          slot: 'production',
        }),
      ]);
      const status = await a.service.status(
        { kind: 'component', namespace: 'default', name: 'ranker' },
        await mockServices.auth().getOwnServiceCredentials(),
      );
      expect(status.metrics.find(m => m.metric === 'throughput')?.value).toBe(
        12,
      );
      expect(status.metrics.find(m => m.metric === 'errorRate')).toMatchObject({
        value: 20,
        level: 'critical',
      });
      expect(status.alerts).toEqual([
        expect.objectContaining({ state: 'firing', slot: 'production' }),
      ]);
      // The idle model was asked of no source; the deployed one of scrape only.
      const scraped = await knex('model_ops_monitoring_state').where({
        scope: 'source:scrape',
      });
      expect(scraped.map(r => r.key)).toEqual(['sentiment\nblue']);
    });

    it('turns counters into rates across instances, and a restart into a reset', async () => {
      await replica().service.tick(); // primes: no rate yet
      expect(await throughputRows()).toEqual([]);

      body = exposition({ ok: 90, errors: 30, start: 1_700_000_000 });
      clock = at(60);
      await replica().service.tick();
      // 120 requests in the 60 s since the other instance's scrape.
      expect(await throughputRows()).toEqual([[at(60).toISOString(), 2]]);
      const errorRate = await knex('model_ops_samples').where({
        model_id: 'sentiment',
        metric: 'errorRate',
      });
      expect(errorRate.map(r => Number(r.value))).toEqual([25]);

      // The model server restarted: its counters start again from 0.
      body = exposition({ ok: 30, errors: 0, start: 1_700_000_500 });
      clock = at(120);
      await replica().service.tick();
      expect(await throughputRows()).toEqual([
        [at(60).toISOString(), 2],
        [at(120).toISOString(), 0.5], // 30 since the restart, not a negative rate
      ]);
    });
  },
);
