/*
 * The production strategies on a small fake runtime (__testUtils__/fakeRuntime): shows which
 * strategy the dispatcher picks and the named steps each one reaches.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { StageName } from '@model-ops/plugin-model-ops-common';
import { createTestDatabases } from '../../__testUtils__/databases';
import { ModelStore, createModelStore } from '../../models';
import { fakeRuntime } from '../__testUtils__/fakeRuntime';
import { ArtifactFetcher } from '../ArtifactFetcher';
import { DEFAULT_BUDGETS, DEFAULT_CANARY_OPTIONS } from '../options';
import { ProductionStep, ProductionSwitch } from '../ProductionSwitch';
import { StoredRun } from '../RunStore';
import { StageRecorder } from '../StageRecorder';
import { ProductionContext, createProductionStrategy } from '.';

const databases = createTestDatabases();
const MODEL = 'sentiment-classifier';
const model = { modelId: MODEL, entityRef: `component:default/${MODEL}` };

describe('production strategies', () => {
  let store: ModelStore;
  const fake = fakeRuntime();

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  beforeEach(async () => {
    const knex = await databases.init('SQLITE_3');
    store = await createModelStore({
      database: mockServices.database({ knex }),
    });
    fake.reset();
  });

  function context(
    strategy: StoredRun['strategy'],
    version: string,
    options: {
      active?: 'blue' | 'green';
      previousVersion?: string;
      switching?: ProductionSwitch;
    } = {},
  ) {
    const steps: ProductionStep[] = [];
    const recorder = new StageRecorder(
      () => new Date(),
      async () => undefined,
    );
    const run = {
      id: 'run-1',
      modelId: MODEL,
      entityRef: model.entityRef,
      kind: 'deploy',
      version,
      artifact: { uri: 'file:x', sha256: 'a'.repeat(64) },
      config: {},
      strategy,
      runtime: 'fake',
      rules: 'default',
      status: 'running',
      cancelRequested: false,
      createdAt: new Date().toISOString(),
      stages: [
        {
          name: 'production' as StageName,
          status: 'running',
          checks: [],
          errors: [],
          metrics: {},
        },
      ],
    } satisfies StoredRun;
    const ctx: ProductionContext = {
      model,
      version,
      artifact: run.artifact,
      config: {},
      runtime: fake.runtime,
      fetcher: new ArtifactFetcher({
        cacheDir: '/nonexistent',
        fileRoot: '/nonexistent',
      }),
      budgets: {
        ...DEFAULT_BUDGETS,
        verification: { probes: 3, maxErrorRatePct: 0 },
      },
      verificationInputs: ['works great'],
      recorder,
      signal: new AbortController().signal,
      run,
      fetched: {
        localPath: '/x',
        manifest: { files: [] },
        manifestSha256: 'm',
        model: {},
      } as unknown as ProductionContext['fetched'],
      canary: DEFAULT_CANARY_OPTIONS,
      models: store,
      markSlot: (slot, v, state, weight) =>
        store
          .upsertModel({ modelId: MODEL, entityRef: model.entityRef })
          .then(() =>
            store.upsertSlot(MODEL, {
              slot,
              version: v,
              state,
              trafficWeight: weight ?? 0,
            }),
          ),
      reached: async step => {
        steps.push(step);
        await recorder.metric({ step });
      },
      saveCanary: async () => undefined,
      takeCanaryCommand: async () => undefined,
      succeededVersions: async () => [],
      now: () => new Date(),
      ...options,
    };
    return { ctx, steps, recorder };
  }

  /** A switching service that moves all traffic and reports every step. */
  function switching(fail?: 'rolled_back'): ProductionSwitch {
    return {
      healthLimits: () => ({ maxErrorRatePct: 5, maxP95Ms: 5000 }),
      recordAbort: async () => undefined,
      settle: async () => undefined,
      ofRun: async () => [],
      switch: async request => {
        if (fail) {
          const error = Object.assign(new Error('Health watch failed'), {
            name: 'SwitchFailure',
            record: { status: fail },
          });
          throw error;
        }
        await request.runtime.setTraffic({
          model,
          weights: { [request.to]: 100, [request.from]: 0 },
        });
        for (const step of [
          'traffic-set',
          'probes-ok',
          'watch-ok',
          'committed',
        ] as const) {
          await request.onStep?.(step);
        }
        return { durationMs: 5 };
      },
    };
  }

  it('replaces in place for a first version, whatever the strategy, step by step', async () => {
    const { ctx, steps, recorder } = context('blue-green', '1.0.0', {
      switching: switching(),
    });
    const outcome = await createProductionStrategy().deploy(ctx);
    expect(outcome).toEqual({ status: 'succeeded', previousVersion: null });
    expect(recorder.metrics).toMatchObject({
      strategy: 'recreate',
      slot: 'blue',
      step: 'committed',
    });
    expect(steps).toEqual([
      'traffic-set',
      'probes-ok',
      'watch-ok',
      'committed',
    ]);
    expect(await store.getModel(MODEL)).toMatchObject({
      productionVersion: '1.0.0',
      activeSlot: 'blue',
    });
  });

  it('deploys blue-green to the idle color and reaches every step through the switch', async () => {
    await fake.runtime.deploy({
      model,
      slot: 'blue',
      artifact: { uri: 'file:x', version: '1.0.0', localPath: '/x' },
      config: {},
    });
    await fake.runtime.setTraffic({ model, weights: { blue: 100 } });
    const { ctx, steps, recorder } = context('blue-green', '1.1.0', {
      active: 'blue',
      previousVersion: '1.0.0',
      switching: switching(),
    });
    const outcome = await createProductionStrategy().deploy(ctx);
    expect(outcome).toEqual({ status: 'succeeded', previousVersion: '1.0.0' });
    expect(steps).toEqual([
      'deployed-idle',
      'traffic-set',
      'probes-ok',
      'watch-ok',
      'committed',
    ]);
    expect(recorder.metrics).toMatchObject({
      strategy: 'blue-green',
      slot: 'green',
      switchMs: 5,
    });
    expect(
      (await store.getVersions(MODEL)).find(v => v.version === '1.1.0')?.status,
    ).toBe('deployed');
  });

  it('ends blue-green rolled back when the switch did not hold, and empties the idle color', async () => {
    await fake.runtime.deploy({
      model,
      slot: 'blue',
      artifact: { uri: 'file:x', version: '1.0.0', localPath: '/x' },
      config: {},
    });
    const { ctx, steps, recorder } = context('blue-green', '2.2.0', {
      active: 'blue',
      previousVersion: '1.0.0',
      switching: switching('rolled_back'),
    });
    const outcome = await createProductionStrategy().deploy(ctx);
    expect(outcome).toEqual({
      status: 'rolled_back',
      previousVersion: '1.0.0',
    });
    expect(steps).toEqual(['deployed-idle']);
    expect(recorder.errors).toEqual(['Health watch failed']);
    expect(fake.versions.has('green')).toBe(false);
    expect(
      (await store.getSlots(MODEL)).find(s => s.slot === 'green')?.state,
    ).toBe('empty');
  });
});
