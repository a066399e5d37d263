/* eslint jest/no-standalone-expect: ["error", { "additionalTestBlockFunctions": ["itOnSharedDatabase"] }] */
/*
 * Switch intents and recovery for real: two colors served by real model-server processes behind
 * the local runtime's router, a switch abandoned by an owner that is gone, a router moved away
 * from the active color by hand, two reconcilers on one database, and a switcher that loses its
 * lease. Leases are short (1 s, by the database's clock) and every wait is bounded.
 */
import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import { predict } from '../lib/probe';
import { ModelStore, createModelStore } from '../models';
import {
  LocalRuntime,
  createLocalRuntime,
  findRepoRoot,
} from '../runtimes/local';
import { DatabaseSwitchStore } from './DatabaseSwitchStore';
import { databaseNow } from '../lib/databaseClock';
import { ActiveRunRef } from './EnvironmentsService';
import { SwitchRecovery } from './SwitchRecovery';
import { SwitchStore } from './SwitchStore';
import { TrafficReconciler } from './TrafficReconciler';
import { TrafficSwitcher } from './TrafficSwitcher';
import { SwitchFailure } from './TrafficSwitching';
import { SwitchChildSettings } from './__testUtils__/switchInChild';

jest.setTimeout(120_000);

const repoRoot = findRepoRoot(__dirname);
const MODEL = 'sentiment-classifier';
const model = { modelId: MODEL, entityRef: `component:default/${MODEL}` };
const limits = { maxErrorRatePct: 5, maxP95Ms: 5000 };
const artifact = (version: string) =>
  path.join(repoRoot, 'examples/models', MODEL, version);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())('switch recovery on %s', id => {
  let knex: Knex;
  let tmp: string;
  let runtime: LocalRuntime;
  let models: ModelStore;
  let switches: SwitchStore;
  let activeRun: ActiveRunRef | undefined;

  let local: JsonObject;

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'model-ops-recovery-'));
    local = {
      stateDir: path.join(tmp, 'local'),
      routerPortRange: '17600-17699',
    };
    runtime = createLocalRuntime({
      config: new ConfigReader({ modelOps: { local } }),
      logger: mockServices.logger.mock(),
      workingDirectory: repoRoot,
    });
    for (const [slot, version] of [
      ['blue', '1.0.0'],
      ['green', '1.1.0'],
    ] as const) {
      await runtime.deploy({
        model,
        slot,
        artifact: {
          uri: `file:${artifact(version)}`,
          version,
          localPath: artifact(version),
        },
        config: {},
      });
    }
  });

  afterAll(async () => {
    await runtime.shutdown();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  // Blue (1.0.0) active with all traffic, green (1.1.0) warm: what the database and router say.
  beforeEach(async () => {
    knex = await databases.init(id as TestDatabaseId);
    models = await createModelStore({
      database: mockServices.database({ knex }),
    });
    switches = DatabaseSwitchStore.create({ knex });
    activeRun = undefined;
    await models.upsertModel({
      ...model,
      activeSlot: 'blue',
      productionVersion: '1.0.0',
    });
    for (const [slot, version, weight] of [
      ['blue', '1.0.0', 100],
      ['green', '1.1.0', 0],
    ] as const) {
      await models.upsertSlot(MODEL, {
        slot,
        version,
        state: 'running',
        trafficWeight: weight,
      });
    }
    await runtime.setTraffic({ model, weights: { blue: 100, green: 0 } });
  });

  function reconciler(owner: string) {
    const logger = mockServices.logger.mock();
    return new TrafficReconciler(
      {
        switches,
        recovery: new SwitchRecovery({
          switches,
          logger,
          owner,
          leaseSeconds: 30,
        }),
        store: models,
        deployments: { activeRun: async () => activeRun },
        runtimeOf: async () => runtime,
        logger,
        owner,
        leaseSeconds: 30,
      },
      { frequency: { seconds: 15 }, timeout: { minutes: 1 } },
    );
  }

  function switcher(owner: string, healthWatchSeconds = 0.3) {
    return new TrafficSwitcher({
      switches,
      logger: mockServices.logger.mock(),
      owner,
      options: {
        probes: 5,
        healthWatchSeconds,
        watchIntervalMs: 20,
        warmSeconds: 300,
        inputs: ['works great, love it'],
        leaseSeconds: 1,
      },
    });
  }

  /** What the router answers, by the `x-model-version` of a few requests. */
  async function served(): Promise<string[]> {
    const endpoint = (await runtime.describe({ model })).productionEndpoint!;
    const versions = new Set<string>();
    for (let i = 0; i < 5; i++) {
      versions.add((await predict(endpoint, 'love it')).version ?? 'none');
    }
    return [...versions];
  }

  /** A switch from blue to green begun by `owner`, traffic moved, then the owner is gone. */
  async function abandonedSwitch(owner: string) {
    const record = await switches.begin({
      id: randomUUID(),
      modelId: MODEL,
      kind: 'deployment',
      from: 'blue',
      to: 'green',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      weights: { green: 100, blue: 0 },
      owner,
      leaseSeconds: 30,
    });
    await runtime.setTraffic({ model, weights: { green: 100, blue: 0 } });
    return record;
  }

  /**
   * The owner stopped renewing for a whole lease: its expiry is put a second into the past on
   * the database's own clock, so the test does not wait for real time (nor race it).
   */
  async function expireLease(switchId: string) {
    const now = await databaseNow(knex);
    await knex('model_ops_switches')
      .where({ id: switchId })
      .update({ lease_expires_at: new Date(now.getTime() - 1000) });
  }

  const inProgress = () =>
    knex('model_ops_switches').where({ status: 'in_progress' });

  it('takes over a switch whose owner is gone after its lease, reverts it, and lets the next switch through', async () => {
    const abandoned = await abandonedSwitch('backend-a');
    expect(await served()).toEqual(['1.1.0']); // split brain while the intent is recorded

    // Within the lease the switch is its owner's: nothing is touched.
    const early = await reconciler('backend-b').reconcile();
    expect(early).toEqual({ takenOver: [], repaired: [] });
    expect(await runtime.getTraffic({ model })).toMatchObject({ green: 100 });

    await expireLease(abandoned.id);
    const result = await reconciler('backend-b').reconcile();
    expect(result).toEqual({ takenOver: [abandoned.id], repaired: [] });
    expect(await switches.get(abandoned.id)).toMatchObject({
      status: 'rolled_back',
      error: expect.stringMatching(
        /^taken over by backend-b: reverted \(backend-a stopped renewing/,
      ),
      checks: [
        expect.objectContaining({
          name: 'takeover',
          ok: true,
          detail: expect.stringContaining('traffic returned to blue (1.0.0)'),
        }),
      ],
    });
    expect(await runtime.getTraffic({ model })).toEqual({
      blue: 100,
      green: 0,
    });
    expect(await served()).toEqual(['1.0.0']);
    expect(await inProgress()).toHaveLength(0);

    const next = await switcher('backend-b').switch({
      runtime,
      model,
      kind: 'switch',
      from: 'blue',
      to: 'green',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      limits,
    });
    expect(next.status).toBe('succeeded');
    expect((await models.getModel(MODEL))?.activeSlot).toBe('green');
    expect(await served()).toEqual(['1.1.0']);
  });

  it('takes an expired switch over itself when a new switch finds it in the way', async () => {
    const abandoned = await abandonedSwitch('backend-a');
    await expireLease(abandoned.id);
    const next = await switcher('backend-b').switch({
      runtime,
      model,
      kind: 'switch',
      from: 'blue',
      to: 'green',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      limits,
    });
    expect(next.status).toBe('succeeded');
    expect((await switches.get(abandoned.id))?.status).toBe('rolled_back');
    expect((await models.getModel(MODEL))?.activeSlot).toBe('green');
  });

  it('repairs a router moved away from the active color, once with two reconcilers, and leaves active runs alone', async () => {
    await runtime.setTraffic({ model, weights: { blue: 0, green: 100 } });

    activeRun = { id: 'run-1', kind: 'deploy', version: '1.1.0' };
    expect((await reconciler('backend-a').reconcile()).repaired).toEqual([]);
    expect(await served()).toEqual(['1.1.0']);
    activeRun = undefined;

    const results = await Promise.all([
      reconciler('backend-a').reconcile(),
      reconciler('backend-b').reconcile(),
    ]);
    expect(results.flatMap(r => r.repaired)).toEqual([MODEL]);
    expect(await runtime.getTraffic({ model })).toEqual({
      blue: 100,
      green: 0,
    });
    expect(await served()).toEqual(['1.0.0']);
    const repairs = (await switches.list(MODEL)).filter(
      r => r.kind === 'repair',
    );
    expect(repairs).toEqual([
      expect.objectContaining({
        status: 'succeeded',
        from: 'green',
        to: 'blue',
        toVersion: '1.0.0',
        reason:
          'the runtime served blue 0 %, green 100 % while blue is the active color',
        checks: [expect.objectContaining({ name: 'repair', ok: true })],
      }),
    ]);
    // Nothing left to repair.
    expect((await reconciler('backend-b').reconcile()).repaired).toEqual([]);
    expect(await inProgress()).toHaveLength(0);
  });

  it('stops a switch whose lease was taken, leaves traffic and the record to the taker, and waits for its end', async () => {
    const watching = switcher('backend-a', 5).switch({
      runtime,
      model,
      kind: 'switch',
      from: 'blue',
      to: 'green',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      limits,
    });
    let row: { id: string } | undefined;
    for (let i = 0; i < 50 && !row; i++) {
      await sleep(50);
      row = await knex('model_ops_switches')
        .where({ status: 'in_progress' })
        .whereRaw('checks like ?', ['%probe-version%'])
        .first();
    }
    expect(row).toBeDefined();
    // Another process holds it now (as a takeover would leave it), and ends it a little later.
    await knex('model_ops_switches')
      .where({ id: row!.id })
      .update({ owner: 'backend-b' });
    const started = Date.now();
    let trafficWhenTaken: unknown;
    const taker = (async () => {
      await sleep(600);
      trafficWhenTaken = await runtime.getTraffic({ model });
      await runtime.setTraffic({ model, weights: { blue: 100, green: 0 } });
      await switches.fail(row!.id, {
        status: 'rolled_back',
        error: 'taken over by backend-b: reverted',
        checks: [],
        owner: 'backend-b',
      });
    })();
    const failure = await watching.catch(error => error);
    await taker;
    expect(failure).toBeInstanceOf(SwitchFailure);
    expect(failure.message).toMatch(/backend-a lost the lease/);
    expect(Date.now() - started).toBeLessThan(3000);
    // The switcher moved no traffic back itself and wrote nothing: the taker's end stands.
    expect(trafficWhenTaken).toMatchObject({ green: 100 });
    expect(failure.record).toMatchObject({
      status: 'rolled_back',
      error: 'taken over by backend-b: reverted',
      checks: [],
    });
    expect((await models.getModel(MODEL))?.activeSlot).toBe('blue');
  });

  // A real crash needs a database two processes share: PostgreSQL.
  const itOnSharedDatabase = id.startsWith('POSTGRES') ? it : it.skip;
  itOnSharedDatabase(
    'recovers a switch whose backend was killed with SIGKILL mid-switch',
    async () => {
      const settings: SwitchChildSettings = {
        database: {
          client: 'pg',
          // The password is not enumerable: JSON would leave it out.
          connection: {
            ...knex.client.config.connection,
            password: knex.client.config.connection.password,
          },
        },
        local,
        repoRoot,
        owner: 'crashed-backend',
        model,
      };
      const child = spawn(
        process.execPath,
        [
          '-r',
          require.resolve('sucrase/register/ts'),
          path.join(__dirname, '__testUtils__', 'switchInChild.ts'),
        ],
        {
          env: { ...process.env, SWITCH_CHILD: JSON.stringify(settings) },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', chunk => (output += chunk));
      child.stderr.on('data', chunk => (output += chunk));
      const exited = new Promise(resolve => child.once('exit', resolve));
      try {
        for (let i = 0; i < 300 && !output.includes('step probes-ok'); i++) {
          if (child.exitCode !== null) break;
          await sleep(50);
        }
        expect(output).toContain('step probes-ok');
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      const killedAt = Date.now();
      // Split brain, recorded: the router serves green, the database says blue, a switch is open.
      expect(await served()).toEqual(['1.1.0']);
      expect((await models.getModel(MODEL))?.activeSlot).toBe('blue');
      expect(await inProgress()).toHaveLength(1);

      let result = { takenOver: [] as string[], repaired: [] as string[] };
      for (let i = 0; i < 50 && result.takenOver.length === 0; i++) {
        await sleep(100);
        result = await reconciler('survivor').reconcile();
      }
      const recoveredMs = Date.now() - killedAt;
      expect(result.takenOver).toHaveLength(1);
      expect(await switches.get(result.takenOver[0])).toMatchObject({
        status: 'rolled_back',
        error: expect.stringMatching(
          /^taken over by survivor: reverted \(crashed-backend stopped/,
        ),
      });
      expect(await runtime.getTraffic({ model })).toEqual({
        blue: 100,
        green: 0,
      });
      expect(await served()).toEqual(['1.0.0']);
      expect(await inProgress()).toHaveLength(0);
      expect(recoveredMs).toBeLessThan(2000 + 1000); // two leases, plus a pass
      // eslint-disable-next-line no-console
      console.log(
        `[measure] ${id}: switch killed with SIGKILL after probes-ok recovered in ${recoveredMs} ms`,
      );
    },
  );
});
