/*
 * The production stage stopped at each of its steps, in every strategy, on SQLite and
 * PostgreSQL: the real run executor, run store, model store, switch store and traffic switcher,
 * on the fake runtime of __testUtils__ (loopback servers) so that every step can be reached in
 * well under a second.
 *
 * - Crash: at the step, another worker takes the run's lease (as it does once a dead backend's
 *   lease runs out). The first worker must stop at once: no runtime call, no slot or stage write.
 *   The second resumes the run, which must end succeeded with the new version serving, the
 *   recorded previous version still the one production ran before, and no switch left open.
 * - Cancel: at the step the run is cancelled. Production must be back on the previous version
 *   with all traffic on its color and the canary or idle color emptied, and the run cancelled;
 *   at `committed` it is too late and the run succeeds.
 */
import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { STAGE_NAMES, StageName } from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { createTestDatabases } from '../__testUtils__/databases';
import { DatabaseSwitchStore, TrafficSwitcher } from '../environments';
import { ModelStore, createModelStore } from '../models';
import { fakeRuntime } from './__testUtils__/fakeRuntime';
import { ArtifactFetcher } from './ArtifactFetcher';
import { DatabaseRunStore } from './DatabaseRunStore';
import { CanaryOptions, DEFAULT_BUDGETS, PipelineOptions } from './options';
import { ProductionStep } from './ProductionSwitch';
import { RunExecutor, RunLease } from './RunExecutor';
import { LeaseLost, RunCancelled } from './runErrors';
import { DeploymentStrategy } from '@model-ops/plugin-model-ops-common';
import { StoredRun } from './RunStore';
import { ProductionStrategy, createProductionStrategy } from './strategies';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const MODEL = 'sentiment-classifier';
const ENTITY = `component:default/${MODEL}`;
const model = { modelId: MODEL, entityRef: ENTITY };

const STEPS: Record<'blue-green' | 'canary' | 'recreate', ProductionStep[]> = {
  'blue-green': [
    'deployed-idle',
    'traffic-set',
    'probes-ok',
    'watch-ok',
    'committed',
  ],
  // traffic-set is first reached at the canary's first weight step; probes-ok and watch-ok only
  // in the promotion switch.
  canary: [
    'deployed-idle',
    'traffic-set',
    'probes-ok',
    'watch-ok',
    'committed',
  ],
  recreate: ['traffic-set', 'probes-ok', 'watch-ok', 'committed'],
};
const CASES = Object.entries(STEPS).flatMap(([strategy, steps]) =>
  steps.map(step => [strategy as DeploymentStrategy, step] as const),
);

const canaryOptions: CanaryOptions = {
  steps: [50, 100],
  stepSeconds: 0.3,
  analysisIntervalMs: 10,
  // These cases are about stopping and resuming, not about judging latency: on a loaded
  // machine the loopback servers' p95 is noise, so only errors can fail a step here.
  maxLatencyRatio: 1000,
  maxErrorRateIncreasePct: 1,
};

const options: PipelineOptions = {
  defaults: {
    ...DEFAULT_BUDGETS,
    verification: { probes: 3, maxErrorRatePct: 0 },
  },
  perModel: new Map(),
  leaseSeconds: 30,
  pollIntervalSeconds: 3600,
  maxConcurrentRuns: 1,
  fileRoot: '/nonexistent',
  cacheDir: '/nonexistent',
  verificationInputs: ['works great'],
};

/** Every artifact is at hand: the strategies only pass its local path to the runtime. */
const fetcher = {
  fetch: async () => ({ localPath: '/x' }),
} as unknown as ArtifactFetcher;

describe.each(databases.eachSupportedId())(
  'production stopped at every step, on %s',
  databaseId => {
    const fake = fakeRuntime();
    let knex: Knex;
    let runs: DatabaseRunStore;
    let models: ModelStore;
    let switches: DatabaseSwitchStore;

    beforeAll(() => fake.start());
    afterAll(() => fake.stop());

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      models = await createModelStore({
        database: mockServices.database({ knex }),
      });
      runs = DatabaseRunStore.create({ knex });
      switches = DatabaseSwitchStore.create({ knex });
      fake.reset();
      // 1.0.0 serves from blue, deployed by a succeeded run (recreate restores from it).
      await fake.runtime.deploy({
        model,
        slot: 'blue',
        artifact: { uri: 'file:a', version: '1.0.0', localPath: '/x' },
        config: {},
      });
      await fake.runtime.setTraffic({ model, weights: { blue: 100 } });
      await models.upsertModel({
        modelId: MODEL,
        entityRef: ENTITY,
        productionVersion: '1.0.0',
        activeSlot: 'blue',
      });
      await models.upsertSlot(MODEL, {
        slot: 'blue',
        version: '1.0.0',
        state: 'running',
        trafficWeight: 100,
      });
      await models.upsertVersion(MODEL, {
        version: '1.0.0',
        artifactUri: 'file:a',
        sha256: 'a'.repeat(64),
        status: 'deployed',
      });
      const first = await runs.createRun(newRun('1.0.0', 'recreate'));
      await runs.claimNextRun('seed', 30_000);
      await runs.updateRun(first.id, 'seed', {
        status: 'succeeded',
        finishedAt: new Date(),
      });
      await runs.releaseLease(first.id, 'seed');
      fake.writes.length = 0;
    });

    function newRun(version: string, strategy: DeploymentStrategy) {
      return {
        id: randomUUID(),
        modelId: MODEL,
        entityRef: ENTITY,
        kind: 'deploy' as const,
        version,
        artifact: {
          uri: `file:${version}`,
          sha256: (version === '1.0.0' ? 'a' : 'b').repeat(64),
        },
        config: {},
        strategy,
        runtime: 'fake',
        stages: [...STAGE_NAMES] as StageName[],
      };
    }

    /** A run of 1.1.0 claimed by `owner`, its stages before production passed. */
    async function claimedRun(
      strategy: DeploymentStrategy,
      owner: string,
    ): Promise<StoredRun> {
      const created = await runs.createRun(newRun('1.1.0', strategy));
      await runs.claimNextRun(owner, 30_000);
      await runs.updateRun(created.id, owner, {
        status: 'running',
        startedAt: new Date(),
      });
      for (const name of ['validation', 'testing', 'staging'] as const) {
        await runs.updateStage(
          created.id,
          name,
          { status: 'succeeded' },
          owner,
        );
      }
      return (await runs.getRun(created.id))!;
    }

    /** The hold a worker has on a run, as the pipeline worker gives it. */
    function leaseOf(
      runId: string,
      owner: string,
      controller: AbortController,
    ): RunLease {
      return {
        owner,
        signal: controller.signal,
        update: async changes => {
          if (!(await runs.updateRun(runId, owner, changes))) {
            throw new LeaseLost(runId);
          }
        },
        confirm: async () => {
          if (controller.signal.reason instanceof LeaseLost) {
            throw controller.signal.reason;
          }
          if (!(await runs.renewLease(runId, owner, 30_000))) {
            controller.abort(new LeaseLost(runId));
            throw new LeaseLost(runId);
          }
        },
      };
    }

    /** The built-in strategies, with `onStep` called once `step` has been recorded. */
    function stoppingAt(
      step: ProductionStep | undefined,
      onStep: () => Promise<void>,
    ): ProductionStrategy {
      const real = createProductionStrategy();
      let stopped = false;
      return {
        name: real.name,
        canDeploy: ctx => real.canDeploy(ctx),
        deploy: ctx =>
          real.deploy({
            ...ctx,
            reached: async reached => {
              await ctx.reached(reached);
              if (reached === step && !stopped) {
                stopped = true;
                await onStep();
              }
            },
          }),
      };
    }

    function executor(owner: string, strategy: ProductionStrategy) {
      return new RunExecutor({
        runs,
        models,
        fetcher,
        options,
        logger: mockServices.logger.mock(),
        getRuntime: id => (id === 'fake' ? fake.runtime : undefined),
        switching: new TrafficSwitcher({
          switches,
          logger: mockServices.logger.mock(),
          owner: `switcher-of-${owner}`,
          options: {
            probes: 3,
            healthWatchSeconds: 0.2,
            watchIntervalMs: 10,
            warmSeconds: 300,
            inputs: ['works great'],
            leaseSeconds: 2,
          },
        }),
        canary: canaryOptions,
        strategy,
      });
    }

    async function production(runId: string) {
      const run = (await runs.getRun(runId))!;
      return {
        run,
        stage: run.stages.find(s => s.name === 'production')!,
        model: await models.getModel(MODEL),
        open: await switches.inProgress(MODEL),
      };
    }

    it.each(CASES)(
      'resumes %s killed at %s on another worker',
      async (strategy, step) => {
        const run = await claimedRun(strategy, 'worker-a');
        const controllerA = new AbortController();
        let writesAtCrash = -1;
        const crash = async () => {
          // Worker b has the run now, as after worker a's lease ran out; a learns it at once.
          await knex('model_ops_runs')
            .where({ id: run.id })
            .update({ lease_owner: 'worker-b' });
          writesAtCrash = fake.writes.length;
          controllerA.abort(new LeaseLost(run.id));
          throw new LeaseLost(run.id);
        };
        await expect(
          executor('worker-a', stoppingAt(step, crash)).execute(
            run,
            leaseOf(run.id, 'worker-a', controllerA),
          ),
        ).rejects.toBeInstanceOf(LeaseLost);
        // Worker a stopped where it was: nothing more reached the runtime.
        expect(writesAtCrash).toBeGreaterThanOrEqual(0);
        expect(fake.writes.slice(writesAtCrash)).toEqual([]);
        const stageAtCrash = (await production(run.id)).stage;
        expect(stageAtCrash.metrics.step).toBe(step);

        const resumed = (await runs.getRun(run.id))!;
        await executor('worker-b', createProductionStrategy()).execute(
          resumed,
          leaseOf(run.id, 'worker-b', new AbortController()),
        );
        const after = await production(run.id);
        expect(after.run.status).toBe('succeeded');
        expect(after.run.previousVersion).toBe('1.0.0');
        expect(after.model).toMatchObject({ productionVersion: '1.1.0' });
        expect(fake.serving()).toBe('1.1.0');
        const color = after.model!.activeSlot!;
        const ofRun = (await switches.list(MODEL)).filter(
          s => s.runId === run.id,
        );
        expect({
          traffic: fake.traffic()[color],
          open: after.open ?? null,
          checks: after.stage.checks.some(c => c.name === 'resume'),
          color,
          // One switch committed, whatever happened before the takeover.
          committedSwitches: ofRun.filter(s => s.status === 'succeeded').length,
          openSwitches: ofRun.filter(s => s.status === 'in_progress').length,
        }).toEqual({
          traffic: 100,
          open: null,
          checks: true,
          color: strategy === 'recreate' ? 'blue' : 'green',
          committedSwitches: strategy === 'recreate' ? 0 : 1,
          openSwitches: 0,
        });
        expect(after.stage.metrics).toMatchObject({
          baselineVersion: '1.0.0',
          baselineSlot: 'blue',
          step: 'committed',
        });
      },
    );

    it.each(CASES)(
      'restores production when %s is cancelled at %s',
      async (strategy, step) => {
        const run = await claimedRun(strategy, 'worker-a');
        const controller = new AbortController();
        await executor(
          'worker-a',
          stoppingAt(step, async () => controller.abort(new RunCancelled())),
        ).execute(run, leaseOf(run.id, 'worker-a', controller));
        const after = await production(run.id);
        const green = (await models.getSlots(MODEL)).find(
          s => s.slot === 'green',
        );
        const observed = {
          status: after.run.status,
          serving: fake.serving(),
          open: after.open ?? null,
          error: after.run.error ?? null,
          stage: after.stage.status,
          model: {
            productionVersion: after.model?.productionVersion,
            activeSlot: after.model?.activeSlot,
          },
          blueTraffic: fake.traffic().blue,
          greenTraffic: fake.traffic().green ?? 0,
          greenRunning: fake.versions.has('green'),
          greenSlot: green
            ? { state: green.state, trafficWeight: green.trafficWeight }
            : null,
          restored:
            after.stage.checks.find(
              c => c.name === (strategy === 'recreate' ? 'rollback' : 'cancel'),
            )?.ok ?? null,
          canary:
            strategy === 'canary'
              ? {
                  status: after.run.canary?.status,
                  weight: after.run.canary?.weight,
                }
              : null,
        };
        // At committed it is too late: the new version is live and the run succeeds.
        expect(
          step === 'committed'
            ? {
                status: observed.status,
                serving: observed.serving,
                open: observed.open,
              }
            : observed,
        ).toEqual(
          step === 'committed'
            ? { status: 'succeeded', serving: '1.1.0', open: null }
            : {
                status: 'cancelled',
                serving: '1.0.0',
                open: null,
                error: 'Cancelled on request',
                stage: 'cancelled',
                model: { productionVersion: '1.0.0', activeSlot: 'blue' },
                blueTraffic: 100,
                greenTraffic: 0,
                greenRunning: false,
                greenSlot:
                  strategy === 'recreate'
                    ? null
                    : { state: 'empty', trafficWeight: 0 },
                restored: true,
                canary:
                  strategy === 'canary'
                    ? { status: 'aborted', weight: 0 }
                    : null,
              },
        );
      },
    );
  },
);
