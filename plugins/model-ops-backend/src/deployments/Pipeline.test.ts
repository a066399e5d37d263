/*
 * The pipeline end to end against real things: the demo artifacts in examples/models, the real
 * model server as child processes of the local runtime, a real router, and SQLite or PostgreSQL.
 */
import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { STAGE_NAMES } from '@model-ops/plugin-model-ops-common';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Knex } from 'knex';
import {
  LocalRuntime,
  createLocalRuntime,
  findRepoRoot,
} from '../runtimes/local';
import { ArtifactFetcher } from './ArtifactFetcher';
import { createTestDatabases } from '../__testUtils__/databases';
import { ModelStore, createModelStore } from '../models';
import { predict } from '../lib/probe';
import { DatabaseRunStore } from './DatabaseRunStore';
import { DEFAULT_BUDGETS, PipelineOptions } from './options';
import { PipelineWorker } from './PipelineWorker';
import { ProductionReconciler } from './ProductionReconciler';
import { NewRun, RunStore, StoredRun } from './RunStore';

jest.setTimeout(180_000);

const repoRoot = findRepoRoot(__dirname);
const MODEL = 'sentiment-classifier';
const ENTITY = `component:default/${MODEL}`;

type IndexEntry = { version: string; uri: string; sha256: string };
let index: Record<string, IndexEntry>;
let verificationInputs: string[];

const databases = createTestDatabases();

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

describe.each(databases.eachSupportedId())('the pipeline on %s', databaseId => {
  let knex: Knex;
  let tmp: string;
  let runtime: LocalRuntime;
  let runs: RunStore;
  let models: ModelStore;
  let options: PipelineOptions;
  let worker: PipelineWorker;

  beforeEach(async () => {
    knex = await databases.init(databaseId as TestDatabaseId);
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'model-ops-pipeline-'));
    models = await createModelStore({
      database: mockServices.database({ knex }),
    });
    runs = DatabaseRunStore.create({ knex });
    runtime = createLocalRuntime({
      config: new ConfigReader({
        modelOps: {
          local: {
            stateDir: path.join(tmp, 'local'),
            routerPortRange: '17300-17399',
          },
        },
      }),
      logger: mockServices.logger.mock(),
      workingDirectory: repoRoot,
    });
    options = {
      // Small budgets keep the suite quick; the performance budget still separates the demo's
      // versions by two orders of magnitude (about 1 ms against over 150 ms).
      defaults: {
        performance: { requests: 20, p95BudgetMs: 100 },
        load: {
          concurrency: 2,
          durationSeconds: 1,
          maxErrorRatePct: 1,
          minThroughputRps: 10,
        },
        verification: {
          probes: 5,
          maxErrorRatePct: DEFAULT_BUDGETS.verification.maxErrorRatePct,
        },
      },
      perModel: new Map(),
      leaseSeconds: 30,
      pollIntervalSeconds: 3600,
      maxConcurrentRuns: 2,
      fileRoot: repoRoot,
      cacheDir: path.join(tmp, 'artifacts'),
      verificationInputs,
    };
    worker = newWorker();
  });

  afterEach(async () => {
    await worker.stop();
    await runtime.shutdown();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  function newWorker() {
    return new PipelineWorker({
      runs,
      models,
      fetcher: new ArtifactFetcher({
        cacheDir: options.cacheDir,
        fileRoot: options.fileRoot,
      }),
      options,
      logger: mockServices.logger.mock(),
      getRuntime: id => (id === 'local' ? runtime : undefined),
    });
  }

  function run(version: string, overrides: Partial<NewRun> = {}): NewRun {
    const entry = index[version];
    return {
      id: randomUUID(),
      modelId: MODEL,
      entityRef: ENTITY,
      kind: 'deploy',
      version,
      artifact: { uri: entry.uri, sha256: entry.sha256 },
      config: {},
      strategy: 'recreate',
      runtime: 'local',
      stages: [...STAGE_NAMES],
      ...overrides,
    };
  }

  async function execute(newRun: NewRun): Promise<StoredRun> {
    await runs.createRun(newRun);
    await worker.poll();
    await worker.idle();
    return (await runs.getRun(newRun.id))!;
  }

  async function serving(): Promise<string | undefined> {
    const { productionEndpoint } = await runtime.describe({
      model: { modelId: MODEL, entityRef: ENTITY },
    });
    return (await predict(productionEndpoint!, 'works great, love it')).version;
  }

  const stage = (r: StoredRun, name: string) =>
    r.stages.find(s => s.name === name)!;

  it('claims runs again after a poll that found no room', async () => {
    // A poll at full capacity ends without waiting for anything; it used to stay behind as the
    // answer to every later poll, so the worker never claimed a run again.
    options.maxConcurrentRuns = 0;
    await worker.poll();
    await worker.poll();
    options.maxConcurrentRuns = 2;
    const result = await execute(run('1.0.0'));
    expect(result.status).toBe('succeeded');
  });

  it('takes a good version through every stage into production', async () => {
    const result = await execute(run('1.1.0'));
    expect(result.status).toBe('succeeded');
    expect(result.stages.map(s => s.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    const testing = stage(result, 'testing');
    expect(testing.metrics.functionalFailed).toBe(0);
    expect(Number(testing.metrics.p95Ms)).toBeLessThan(100);
    expect(Number(testing.metrics.throughputRps)).toBeGreaterThan(10);
    expect(testing.checks.some(c => c.name === 'load' && c.ok)).toBe(true);
    expect(await serving()).toBe('1.1.0');
    const stored = await models.getModel(MODEL);
    expect(stored).toMatchObject({
      productionVersion: '1.1.0',
      activeSlot: 'blue',
    });
    // The ephemeral and staging instances are gone.
    const slots = await models.getSlots(MODEL);
    expect(slots.find(s => s.slot === 'testing')?.state).toBe('empty');
    expect(slots.find(s => s.slot === 'staging')?.state).toBe('empty');
    expect(slots.find(s => s.slot === 'blue')).toMatchObject({
      version: '1.1.0',
      state: 'running',
      trafficWeight: 100,
    });
  });

  it('stops at validation on a bad checksum and writes nothing to production', async () => {
    const result = await execute(
      run('1.1.0', {
        artifact: { uri: index['1.1.0'].uri, sha256: 'f'.repeat(64) },
      }),
    );
    expect(result.status).toBe('failed');
    expect(stage(result, 'validation').status).toBe('failed');
    expect(stage(result, 'validation').errors.join(' ')).toMatch(
      /Checksum mismatch/,
    );
    expect(stage(result, 'testing').status).toBe('skipped');
    expect((await models.getModel(MODEL))?.productionVersion).toBeUndefined();
  });

  it('stops at validation on a config the runtime does not accept', async () => {
    const result = await execute(
      run('1.1.0', { config: { runtime: { replicas: 'many' } } }),
    );
    expect(result.status).toBe('failed');
    const validation = stage(result, 'validation');
    expect(
      validation.checks.find(c => c.name === 'config-schema'),
    ).toMatchObject({ ok: false });
    expect(result.error).toMatch(/does not fit runtime local/);
  });

  it('stops at testing when functional cases fail (2.0.0), showing the failing case', async () => {
    const result = await execute(run('2.0.0'));
    expect(result.status).toBe('failed');
    const testing = stage(result, 'testing');
    expect(testing.status).toBe('failed');
    expect(Number(testing.metrics.functionalFailed)).toBeGreaterThan(0);
    const failing = testing.checks.find(
      c => c.name.startsWith('functional') && !c.ok,
    );
    expect(failing?.detail).toMatch(
      /expected "(positive|negative)", got "(positive|negative)"/,
    );
    expect(stage(result, 'staging').status).toBe('skipped');
  });

  it('stops at testing when p95 latency is over budget (2.1.0)', async () => {
    const result = await execute(run('2.1.0'));
    expect(result.status).toBe('failed');
    const testing = stage(result, 'testing');
    expect(testing.metrics.functionalFailed).toBe(0);
    expect(Number(testing.metrics.p95Ms)).toBeGreaterThan(100);
    expect(result.error).toMatch(/p95 latency .* is over the budget of 100 ms/);
  });

  it('restores the previous version when production verification fails (2.2.0)', async () => {
    expect((await execute(run('1.0.0'))).status).toBe('succeeded');
    const result = await execute(run('2.2.0'));
    expect(result.status).toBe('rolled_back');
    expect(stage(result, 'testing').status).toBe('succeeded');
    expect(stage(result, 'staging').status).toBe('succeeded');
    const production = stage(result, 'production');
    expect(production.status).toBe('failed');
    expect(production.checks.find(c => c.name === 'verification')?.ok).toBe(
      false,
    );
    expect(production.checks.find(c => c.name === 'rollback')).toMatchObject({
      ok: true,
    });
    expect(result.previousVersion).toBe('1.0.0');
    expect(await serving()).toBe('1.0.0');
    expect((await models.getModel(MODEL))?.productionVersion).toBe('1.0.0');
    const versions = await models.getVersions(MODEL);
    expect(versions.find(v => v.version === '2.2.0')?.status).toBe('failed');
  });

  it("verifies production with the artifact's tests.json inputs when no verification file is set", async () => {
    options.verificationInputs = [];
    const tests = JSON.parse(
      await fs.readFile(
        path.join(
          repoRoot,
          'examples/models/sentiment-classifier/1.0.0/tests.json',
        ),
        'utf8',
      ),
    );
    const result = await execute(run('1.0.0'));
    expect(result.status).toBe('succeeded');
    const production = stage(result, 'production');
    expect(production.metrics.verificationRequests).toBe(tests.cases.length);
    expect(
      production.checks.find(c => c.name === 'verification'),
    ).toMatchObject({
      ok: true,
      detail: `${tests.cases.length} of ${tests.cases.length} production-like requests succeeded`,
    });
  });

  it('rolls production back to an earlier version with a rollback run', async () => {
    expect((await execute(run('1.0.0'))).status).toBe('succeeded');
    expect((await execute(run('1.1.0'))).status).toBe('succeeded');
    expect(await serving()).toBe('1.1.0');
    const result = await execute(
      run('1.0.0', { kind: 'rollback', stages: ['validation', 'production'] }),
    );
    expect(result.status).toBe('succeeded');
    expect(result.stages.map(s => s.name)).toEqual([
      'validation',
      'production',
    ]);
    expect(result.previousVersion).toBe('1.1.0');
    expect(await serving()).toBe('1.0.0');
    expect((await models.getModel(MODEL))?.productionVersion).toBe('1.0.0');
  });

  it('restores production when the runtime has lost it', async () => {
    expect((await execute(run('1.0.0'))).status).toBe('succeeded');
    // The backend stops its model processes on shutdown; the next start has none.
    await runtime.shutdown();
    runtime = createLocalRuntime({
      config: new ConfigReader({
        modelOps: {
          local: {
            stateDir: path.join(tmp, 'local'),
            routerPortRange: '17300-17399',
          },
        },
      }),
      logger: mockServices.logger.mock(),
      workingDirectory: repoRoot,
    });
    expect(
      (
        await runtime.health({
          model: { modelId: MODEL, entityRef: ENTITY },
          slot: 'blue',
        })
      ).status,
    ).toBe('absent');
    const reconciler = new ProductionReconciler({
      store: models,
      runs,
      fetcher: new ArtifactFetcher({
        cacheDir: options.cacheDir,
        fileRoot: repoRoot,
      }),
      getRuntime: () => runtime,
      logger: mockServices.logger.mock(),
      schedule: { frequency: { seconds: 30 }, timeout: { minutes: 5 } },
    });
    expect(await reconciler.reconcile()).toEqual([MODEL]);
    expect(await serving()).toBe('1.0.0');
    // Alive now: a second pass leaves it alone.
    expect(await reconciler.reconcile()).toEqual([]);
  });

  it('cancels a run between stages and cleans up', async () => {
    const created = await runs.createRun(run('1.1.0'));
    await runs.requestCancel(created.id);
    await worker.poll();
    await worker.idle();
    const result = (await runs.getRun(created.id))!;
    expect(result.status).toBe('cancelled');
    expect(result.stages.every(s => s.status === 'cancelled')).toBe(true);
    expect((await models.getModel(MODEL))?.productionVersion).toBeUndefined();
  });

  it('resumes a run whose worker died, from the stage it was in', async () => {
    const created = await runs.createRun(run('1.1.0'));
    // A worker claims the run, passes validation and dies during testing.
    const dead = 'worker-that-died';
    await knex('model_ops_runs')
      .where({ id: created.id })
      .update({
        status: 'running',
        stage: 'testing',
        lease_owner: dead,
        lease_expires_at: new Date(Date.now() - 1000),
        started_at: new Date(),
      });
    await runs.updateStage(
      created.id,
      'validation',
      { status: 'succeeded' },
      dead,
    );
    await runs.updateStage(created.id, 'testing', { status: 'running' }, dead);
    await worker.poll();
    await worker.idle();
    const result = (await runs.getRun(created.id))!;
    expect(result.status).toBe('succeeded');
    expect(stage(result, 'testing').status).toBe('succeeded');
    expect(await serving()).toBe('1.1.0');
  });
});
