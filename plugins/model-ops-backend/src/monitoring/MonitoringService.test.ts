/*
 * A monitoring tick end to end: a real model server deployed by the local runtime, real traffic
 * with a known share of errors, the scrape source, storage, rules, alerts and the model status,
 * on every database; and two backend replicas ticking on one database write each sample once.
 */
import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { DEFAULT_RULE_SET, RuleSet } from '@model-ops/plugin-model-ops-common';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Knex } from 'knex';
import { DatabaseModelStore } from '../models/DatabaseModelStore';
import { ArtifactFetcher } from '../deployments';
import {
  LocalRuntime,
  createLocalRuntime,
  findRepoRoot,
} from '../runtimes/local';
import { createMetricSources } from '../sources';
import { DatabaseAlertStore } from './AlertStore';
import { DatabaseMetricsStore } from './MetricsStore';
import { testModelIndex } from '../__testUtils__/models';
import { DefaultMonitoringService } from './MonitoringService';
import { RuleEvaluator } from './RuleEvaluator';
import { createTestDatabases } from '../__testUtils__/databases';

jest.setTimeout(120_000);

const repoRoot = findRepoRoot(__dirname);
const MODEL = 'sentiment-classifier';
const ENTITY = `component:default/${MODEL}`;
const model = { modelId: MODEL, entityRef: ENTITY };

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: MODEL,
    namespace: 'default',
    annotations: { 'model-ops/model-id': MODEL, 'model-ops/rules': 'instant' },
  },
  spec: {
    type: 'model',
    owner: 'group:default/ml-platform',
    lifecycle: 'production',
  },
};

/** The default thresholds, firing at once (no `for`), so one tick shows the whole path. */
const instant: RuleSet = {
  name: 'instant',
  rules: DEFAULT_RULE_SET.rules.map(rule => ({ ...rule, forSeconds: 0 })),
};

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())('monitoring on %s', databaseId => {
  let knex: Knex;
  let tmp: string;
  let runtime: LocalRuntime;
  let store: DatabaseModelStore;
  let endpoint: string;

  beforeEach(async () => {
    knex = await databases.init(databaseId as TestDatabaseId);
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'model-ops-monitoring-'));
    store = await DatabaseModelStore.create({
      database: mockServices.database({ knex }),
    });
    runtime = createLocalRuntime({
      config: new ConfigReader({
        modelOps: {
          local: {
            stateDir: path.join(tmp, 'local'),
            routerPortRange: '17500-17599',
          },
        },
      }),
      logger: mockServices.logger.mock(),
      workingDirectory: repoRoot,
    });
    const index = JSON.parse(
      await fs.readFile(
        path.join(repoRoot, 'examples/models/index.json'),
        'utf8',
      ),
    );
    const entry = index.models[MODEL].find(
      (e: { version: string }) => e.version === '1.1.0',
    );
    const fetched = await new ArtifactFetcher({
      cacheDir: path.join(tmp, 'artifacts'),
      fileRoot: repoRoot,
    }).fetch({
      uri: entry.uri,
      sha256: entry.sha256,
      modelId: MODEL,
      version: '1.1.0',
    });
    ({ endpoint } = await runtime.deploy({
      model,
      slot: 'blue',
      artifact: {
        uri: entry.uri,
        sha256: entry.sha256,
        version: '1.1.0',
        localPath: fetched.localPath,
      },
      config: {},
    }));
    await store.upsertModel({
      modelId: MODEL,
      entityRef: ENTITY,
      productionVersion: '1.1.0',
      activeSlot: 'blue',
    });
    await store.upsertSlot(MODEL, {
      slot: 'blue',
      version: '1.1.0',
      endpoint,
      state: 'running',
      trafficWeight: 100,
    });
  });

  afterEach(async () => {
    await runtime.shutdown();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  function newService(clock: () => Date) {
    const [scrape] = createMetricSources({
      config: new ConfigReader({}),
      costPerRequest: ({ requests, window }) =>
        requests > 0
          ? (0.1 * (window.to.getTime() - window.from.getTime())) /
            3_600_000 /
            requests
          : undefined,
    });
    return new DefaultMonitoringService({
      models: testModelIndex([entity], { ruleSets: ['default', 'instant'] }),
      logger: mockServices.logger.mock(),
      store,
      metrics: DatabaseMetricsStore.create({ knex }),
      alerts: DatabaseAlertStore.create({ knex, now: clock }),
      evaluator: new RuleEvaluator(clock),
      ruleSets: new Map([
        ['default', DEFAULT_RULE_SET],
        ['instant', instant],
      ]),
      getMetricSource: id => (id === 'scrape' ? scrape : undefined),
      intervalSeconds: 60,
      now: clock,
    });
  }

  /** Sends `total` predictions of which `bad` are malformed (the server answers 400). */
  async function traffic(total: number, bad: number) {
    for (let i = 0; i < total; i++) {
      const response = await fetch(new URL('/v1/predict', endpoint), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body:
          i < bad
            ? '{"nope": 1}'
            : JSON.stringify({ input: 'works great, love it' }),
      });
      await response.arrayBuffer();
    }
  }

  it('collects real metrics, fires an alert on the error rate and sets the status', async () => {
    const clock = () => new Date();
    const service = newService(clock);
    await service.tick(); // primes the counters
    await traffic(100, 20);
    const result = await service.tick();
    expect(result.samples).toBeGreaterThan(3);
    // eslint-disable-next-line no-console
    console.log(
      `[measure] ${databaseId}: one scrape tick for 1 model: ${Math.round(
        result.durationMs,
      )} ms, ${result.samples} samples`,
    );

    const status = await service.status(
      { kind: 'component', namespace: 'default', name: MODEL },
      await mockServices.auth().getOwnServiceCredentials(),
    );
    const errorRate = status.metrics.find(m => m.metric === 'errorRate')!;
    expect(errorRate.value).toBeCloseTo(20, 0);
    expect(errorRate.level).toBe('critical');
    expect(
      status.metrics.find(m => m.metric === 'throughput')?.value,
    ).toBeGreaterThan(0);
    expect(status.metrics.find(m => m.metric === 'cpu')?.value).toBeDefined();
    expect(status.status).toBe('critical');
    const alert = status.alerts.find(a => a.alertType === 'high_error_rate');
    expect(alert).toMatchObject({
      state: 'firing',
      severity: 'critical',
      slot: 'blue',
    });
    expect(result.newlyFiring.map(a => a.alertType)).toContain(
      'high_error_rate',
    );

    // Errors stop: the next tick resolves the alert.
    await traffic(100, 0);
    const next = await service.tick();
    expect(next.resolved.map(a => a.alertType)).toContain('high_error_rate');
  });

  it('reports what it could not collect in the tick result and warns', async () => {
    // Port 1 on loopback refuses: the slot's /metrics cannot be read.
    await store.upsertSlot(MODEL, {
      slot: 'blue',
      version: '1.1.0',
      endpoint: 'http://127.0.0.1:1',
      state: 'running',
      trafficWeight: 100,
    });
    const service = newService(() => new Date());
    const result = await service.tick();
    expect(result.samples).toBe(0);
    expect(result.problems).toEqual([
      {
        source: 'scrape',
        modelId: MODEL,
        message: expect.stringContaining(
          'cannot scrape http://127.0.0.1:1/metrics',
        ),
      },
    ]);
  });

  it('says when the newest value was collected, not the start of its minute', async () => {
    const sampledAt = new Date('2026-12-03T12:00:37.250Z');
    const clock = () => new Date('2026-12-03T12:00:50.000Z');
    await DatabaseMetricsStore.create({ knex }).writeSamples([
      {
        modelId: MODEL,
        slot: 'blue',
        metric: 'cpu',
        value: 12,
        timestamp: sampledAt,
      },
      {
        modelId: MODEL,
        slot: 'blue',
        metric: 'memory',
        value: 300,
        timestamp: new Date(sampledAt.getTime() - 20_000),
      },
    ]);
    const status = await newService(clock).status(
      { kind: 'component', namespace: 'default', name: MODEL },
      await mockServices.auth().getOwnServiceCredentials(),
    );
    expect(status.collectedAt).toBe(sampledAt.toISOString());
    expect(status.metrics.find(m => m.metric === 'cpu')?.value).toBe(12);
  });

  it('writes a tick once when two replicas collect the same minute', async () => {
    const clock = () => new Date();
    const a = newService(clock);
    const b = newService(clock);
    await Promise.all([a.tick(), b.tick()]);
    await traffic(50, 0);
    await Promise.all([a.tick(), b.tick()]);
    const rows = await knex('model_ops_samples').where({ model_id: MODEL });
    const keys = new Set(
      rows.map(
        r => `${r.slot}/${r.metric}/${new Date(r.bucket_start).getTime()}`,
      ),
    );
    expect(rows.length).toBe(keys.size);
    expect(rows.length).toBeGreaterThan(0);
  });
});
