/*
 * Blue-green for real: the demo artifacts served by real model-server processes behind the
 * local runtime's router, the pipeline's blue-green production stage, manual switches and
 * rollback-switches under constant load, and the one-active-color guarantee on every database.
 */
import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ConflictError } from '@backstage/errors';
import { STAGE_NAMES } from '@model-ops/plugin-model-ops-common';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import { ModelStore, createModelStore } from '../models';
import {
  ArtifactFetcher,
  DatabaseRunStore,
  NewRun,
  PipelineOptions,
  PipelineWorker,
  RunStore,
  StoredRun,
} from '../deployments';
import { predict } from '../lib/probe';
import {
  LocalRuntime,
  createLocalRuntime,
  findRepoRoot,
} from '../runtimes/local';
import { DatabaseSwitchStore } from './DatabaseSwitchStore';
import { SwitchStore } from './SwitchStore';
import { TrafficSwitcher } from './TrafficSwitcher';
import { SwitchFailure } from './TrafficSwitching';

jest.setTimeout(180_000);

const repoRoot = findRepoRoot(__dirname);
const MODEL = 'sentiment-classifier';
const ENTITY = `component:default/${MODEL}`;
const model = { modelId: MODEL, entityRef: ENTITY };
const limits = { maxErrorRatePct: 5, maxP95Ms: 5000 };

const databases = createTestDatabases();

type IndexEntry = { version: string; uri: string; sha256: string };
let index: Record<string, IndexEntry>;
let verificationInputs: string[];

beforeAll(async () => {
  const raw = JSON.parse(
    await fs.readFile(
      path.join(repoRoot, 'examples/models/index.json'),
      'utf8',
    ),
  );
  index = Object.fromEntries(
    (raw.models[MODEL] as IndexEntry[]).map(entry => [entry.version, entry]),
  );
  const verification = JSON.parse(
    await fs.readFile(
      path.join(repoRoot, 'examples/models/verification.json'),
      'utf8',
    ),
  );
  verificationInputs = verification.cases.map(
    (c: { input: string }) => c.input,
  );
});

/**
 * A bounded constant load on the router: `rps` requests a second until stopped (at most
 * `maxSeconds`), counting failures and the versions that answered.
 */
function startLoad(endpoint: string, rps = 120, maxSeconds = 60) {
  let stopped = false;
  const stats = {
    sent: 0,
    failed: 0,
    failures: [] as string[],
    versions: new Map<string, number>(),
  };
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  const loop = (async () => {
    const interval = 1000 / rps;
    let next = performance.now();
    while (!stopped && Date.now() - started < maxSeconds * 1000) {
      const request = predict(endpoint, 'works great, love it', 5000).then(
        result => {
          stats.sent++;
          if (!result.ok) {
            stats.failed++;
            if (stats.failures.length < 5)
              stats.failures.push(`${result.status} ${result.error}`);
          }
          const v = result.version ?? 'none';
          stats.versions.set(v, (stats.versions.get(v) ?? 0) + 1);
        },
      );
      inFlight.add(request);
      request.finally(() => inFlight.delete(request));
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
    }
  })();
  return {
    stats,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all([...inFlight]);
      return { ...stats, seconds: (Date.now() - started) / 1000 };
    },
  };
}

describe.each(databases.eachSupportedId())('blue-green on %s', databaseId => {
  let knex: Knex;
  let tmp: string;
  let runtime: LocalRuntime;
  let runs: RunStore;
  let models: ModelStore;
  let switches: SwitchStore;
  let switcher: TrafficSwitcher;
  let worker: PipelineWorker;

  beforeEach(async () => {
    knex = await databases.init(databaseId as TestDatabaseId);
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'model-ops-bluegreen-'));
    models = await createModelStore({
      database: mockServices.database({ knex }),
    });
    runs = DatabaseRunStore.create({ knex });
    switches = DatabaseSwitchStore.create({ knex });
    runtime = createLocalRuntime({
      config: new ConfigReader({
        modelOps: {
          local: {
            stateDir: path.join(tmp, 'local'),
            routerPortRange: '17400-17499',
          },
        },
      }),
      logger: mockServices.logger.mock(),
      workingDirectory: repoRoot,
    });
    switcher = new TrafficSwitcher({
      switches,
      logger: mockServices.logger.mock(),
      options: {
        probes: 5,
        healthWatchSeconds: 1,
        watchIntervalMs: 20,
        warmSeconds: 300,
        inputs: verificationInputs,
      },
    });
    const options: PipelineOptions = {
      defaults: {
        performance: { requests: 20, p95BudgetMs: 100 },
        load: {
          concurrency: 2,
          durationSeconds: 1,
          maxErrorRatePct: 1,
          minThroughputRps: 10,
        },
        verification: { probes: 5, maxErrorRatePct: 0 },
      },
      perModel: new Map(),
      leaseSeconds: 30,
      pollIntervalSeconds: 3600,
      maxConcurrentRuns: 1,
      fileRoot: repoRoot,
      cacheDir: path.join(tmp, 'artifacts'),
      verificationInputs,
    };
    worker = new PipelineWorker({
      runs,
      models,
      fetcher: new ArtifactFetcher({
        cacheDir: options.cacheDir,
        fileRoot: repoRoot,
      }),
      options,
      logger: mockServices.logger.mock(),
      getRuntime: () => runtime,
      switching: switcher,
      canary: {
        steps: [10, 50, 100],
        stepSeconds: 1,
        analysisIntervalMs: 20,
        maxLatencyRatio: 2,
        maxErrorRateIncreasePct: 1,
      },
    });
  });

  afterEach(async () => {
    await worker.stop();
    await runtime.shutdown();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  async function deploy(
    version: string,
    strategy: 'blue-green' | 'canary' = 'blue-green',
    whileRunning?: (runId: string) => Promise<void>,
  ): Promise<StoredRun> {
    const entry = index[version];
    const newRun: NewRun = {
      id: randomUUID(),
      modelId: MODEL,
      entityRef: ENTITY,
      kind: 'deploy',
      version,
      artifact: { uri: entry.uri, sha256: entry.sha256 },
      config: {},
      strategy,
      runtime: 'local',
      stages: [...STAGE_NAMES],
    };
    await runs.createRun(newRun);
    await worker.poll();
    await whileRunning?.(newRun.id);
    await worker.idle();
    return (await runs.getRun(newRun.id))!;
  }

  async function endpoint(): Promise<string> {
    return (await runtime.describe({ model })).productionEndpoint!;
  }

  it('deploys to the idle color, switches, keeps the old one warm, and survives the 2.2.0 story', async () => {
    expect((await deploy('1.0.0')).status).toBe('succeeded');
    expect((await models.getModel(MODEL))?.activeSlot).toBe('blue');

    const second = await deploy('1.1.0');
    expect(second.status).toBe('succeeded');
    const production = second.stages.find(s => s.name === 'production')!;
    expect(production.metrics).toMatchObject({
      strategy: 'blue-green',
      slot: 'green',
    });
    expect(production.checks.map(c => c.name)).toEqual(
      expect.arrayContaining([
        'deploy green',
        'switch: traffic',
        'switch: probe-version',
        'switch: health-watch',
      ]),
    );
    expect((await predict(await endpoint(), 'love it')).version).toBe('1.1.0');
    expect(await models.getModel(MODEL)).toMatchObject({
      activeSlot: 'green',
      productionVersion: '1.1.0',
    });
    const slots = await models.getSlots(MODEL);
    expect(slots.find(s => s.slot === 'blue')).toMatchObject({
      state: 'running',
      version: '1.0.0',
      trafficWeight: 0,
    });
    expect(await switches.warmUntil(MODEL, 'blue')).toBeInstanceOf(Date);
    const [last] = await switches.list(MODEL);
    expect(last).toMatchObject({
      kind: 'deployment',
      from: 'blue',
      to: 'green',
      status: 'succeeded',
      runId: second.id,
    });

    // 2.2.0 passes testing and staging, breaks under production-like traffic: the health watch
    // fails and traffic returns to green by itself.
    const third = await deploy('2.2.0');
    expect(third.status).toBe('rolled_back');
    expect(third.error).toMatch(/Health watch failed|did not reach/);
    expect((await predict(await endpoint(), 'love it')).version).toBe('1.1.0');
    expect((await models.getModel(MODEL))?.activeSlot).toBe('green');
    const [failedSwitch] = await switches.list(MODEL);
    expect(failedSwitch).toMatchObject({
      kind: 'deployment',
      to: 'blue',
      status: 'rolled_back',
    });
    expect(failedSwitch.checks.find(c => c.name === 'revert')?.ok).toBe(true);
  });

  it('switches and rolls the switch back under constant load with no failed request', async () => {
    expect((await deploy('1.0.0')).status).toBe('succeeded');
    expect((await deploy('1.1.0')).status).toBe('succeeded');
    const load = startLoad(await endpoint());
    await new Promise(resolve => setTimeout(resolve, 500));

    const back = await switcher.switch({
      runtime,
      model,
      kind: 'rollback-switch',
      from: 'green',
      to: 'blue',
      fromVersion: '1.1.0',
      toVersion: '1.0.0',
      limits,
    });
    expect(back.status).toBe('succeeded');
    await new Promise(resolve => setTimeout(resolve, 300));
    const forth = await switcher.switch({
      runtime,
      model,
      kind: 'switch',
      from: 'blue',
      to: 'green',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      limits,
    });
    expect(forth.status).toBe('succeeded');
    await new Promise(resolve => setTimeout(resolve, 300));
    const result = await load.stop();

    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.sent / result.seconds).toBeGreaterThanOrEqual(90);
    expect(result.versions.get('1.0.0')).toBeGreaterThan(0);
    expect(result.versions.get('1.1.0')).toBeGreaterThan(0);
    expect((await predict(await endpoint(), 'love it')).version).toBe('1.1.0');
    // eslint-disable-next-line no-console
    console.log(
      `[measure] ${databaseId}: ${result.sent} requests at ${Math.round(
        result.sent / result.seconds,
      )} req/s during a rollback-switch (${back.durationMs} ms) and a switch (${
        forth.durationMs
      } ms): ${result.failed} failed`,
    );
  });

  it('promotes a canary step by step under constant load with no failed request', async () => {
    expect((await deploy('1.0.0')).status).toBe('succeeded');
    const load = startLoad(await endpoint());
    const result = await deploy('1.1.0', 'canary');
    const traffic = await load.stop();
    // On failure the diff shows each step's figures and reasons.
    expect({
      status: result.status,
      analyses: result.canary?.analyses,
      error: result.error,
    }).toMatchObject({ status: 'succeeded' });
    expect(result.canary).toMatchObject({
      status: 'promoted',
      weight: 100,
      slot: 'green',
    });
    expect(result.canary!.analyses.map(a => [a.weight, a.ok])).toEqual([
      [10, true],
      [50, true],
    ]);
    expect(result.canary!.analyses[1].canary.requests).toBeGreaterThan(0);
    expect(traffic.failed).toBe(0);
    expect(traffic.versions.get('1.1.0')).toBeGreaterThan(0);
    expect((await predict(await endpoint(), 'love it')).version).toBe('1.1.0');
    const [promotion] = await switches.list(MODEL);
    expect(promotion).toMatchObject({
      kind: 'canary-promotion',
      to: 'green',
      status: 'succeeded',
    });
    // eslint-disable-next-line no-console
    console.log(
      `[measure] ${databaseId}: canary promote under load: ${traffic.sent} requests, ${traffic.failed} failed`,
    );
  });

  it('aborts a canary by hand under constant load, and by itself on a breach (2.2.0)', async () => {
    expect((await deploy('1.0.0')).status).toBe('succeeded');
    const load = startLoad(await endpoint());
    const manual = await deploy('1.1.0', 'canary', async runId => {
      // Wait (bounded) for the canary to take traffic, then ask for an abort.
      for (let i = 0; i < 200; i++) {
        const current = await runs.getRun(runId);
        if (current?.canary?.weight === 10) break;
        await new Promise(resolve => setTimeout(resolve, 50));
      }
      await runs.requestCanaryCommand(runId, 'abort');
    });
    const breach = await deploy('2.2.0', 'canary');
    const traffic = await load.stop();

    expect(manual.status).toBe('rolled_back');
    expect(manual.canary?.status).toBe('aborted');
    expect(manual.error).toMatch(/aborted by hand/);
    expect(breach.status).toBe('rolled_back');
    expect(breach.canary?.analyses[0]).toMatchObject({ weight: 10, ok: false });
    expect(breach.canary?.analyses[0].reasons.join(' ')).toMatch(/error rate/);
    expect(traffic.failed).toBe(0);
    expect((await predict(await endpoint(), 'love it')).version).toBe('1.0.0');
    expect((await models.getModel(MODEL))?.activeSlot).toBe('blue');
    const kinds = (await switches.list(MODEL)).map(r => r.kind);
    expect(kinds.filter(k => k === 'canary-abort')).toHaveLength(2);
    // eslint-disable-next-line no-console
    console.log(
      `[measure] ${databaseId}: canary aborts under load: ${traffic.sent} requests, ${traffic.failed} failed`,
    );
  });

  it('lets exactly one of two concurrent switches win', async () => {
    expect((await deploy('1.0.0')).status).toBe('succeeded');
    expect((await deploy('1.1.0')).status).toBe('succeeded');
    const attempt = () =>
      switcher
        .switch({
          runtime,
          model,
          kind: 'switch',
          from: 'green',
          to: 'blue',
          fromVersion: '1.1.0',
          toVersion: '1.0.0',
          limits,
        })
        .then(() => 'won' as const)
        .catch(error => {
          if (error instanceof ConflictError) return 'conflict' as const;
          if (error instanceof SwitchFailure) return 'failed' as const;
          throw error;
        });
    const outcomes = await Promise.all([attempt(), attempt()]);
    expect(outcomes.sort()).toEqual(['conflict', 'won']);
    const stored = await models.getModel(MODEL);
    expect(stored?.activeSlot).toBe('blue');
    const rows = await knex('model_ops_switches').where({
      model_id: MODEL,
      status: 'in_progress',
    });
    expect(rows).toHaveLength(0);
  });
});
