import { JsonObject } from '@backstage/types';
import { TrafficWeights } from '@model-ops/plugin-model-ops-node';
import fs from 'node:fs';
import path from 'node:path';
import { LocalRuntime } from './LocalRuntime';
import {
  countVersions,
  FIXED_NOW,
  httpClient,
  makeArtifact,
  makeRuntime,
  pidExists,
  processesMentioning,
  processRuns,
  tempDir,
} from './__testUtils__/testUtils';

jest.setTimeout(60_000);

const model = {
  modelId: 'sentiment',
  entityRef: 'component:default/sentiment',
};

describe('LocalRuntime', () => {
  let root: string;
  let stateDir: string;
  let v1: string;
  let v2: string;
  let runtime: LocalRuntime;
  const client = httpClient();
  const seenPids = new Set<number>();

  const pidOf = async (slot: 'testing' | 'staging' | 'blue' | 'green') => {
    const description = await runtime.describe({ model });
    const pid = description.slots.find(s => s.slot === slot)?.details
      ?.pid as number;
    if (pid) {
      seenPids.add(pid);
    }
    return pid;
  };

  beforeAll(() => {
    root = tempDir('local');
    stateDir = path.join(root, 'state');
    v1 = makeArtifact(root, '1.0.0');
    v2 = makeArtifact(root, '2.0.0');
    runtime = makeRuntime(stateDir, { stopTimeoutSeconds: 2 });
  });

  afterAll(async () => {
    client.close();
    await runtime.shutdown();
    // The last test checks this in detail; here it is the safety net.
    for (const pid of processesMentioning(root)) {
      process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('declares itself', () => {
    expect(runtime.id).toBe('local');
    expect(runtime.frameworks).toEqual(['model-server/v1']);
    expect(runtime.configSchema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      properties: {
        env: expect.any(Object),
        startupTimeoutSeconds: expect.any(Object),
      },
    });
  });

  it('deploys a slot, reports its health and describes it', async () => {
    const started = Date.now();
    const { endpoint } = await runtime.deploy({
      model,
      slot: 'blue',
      artifact: { uri: `file://${v1}`, version: '1.0.0', localPath: v1 },
      config: {},
    });
    const elapsed = Date.now() - started;
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    process.stdout.write(
      `[measure] time to start one slot (fake server): ${elapsed} ms\n`,
    );

    const healthz = await client.request(`${endpoint}/healthz`);
    expect(JSON.parse(healthz.body)).toMatchObject({
      status: 'ok',
      version: '1.0.0',
    });
    expect(healthz.headers['x-model-version']).toBe('1.0.0');

    await expect(runtime.health({ model, slot: 'blue' })).resolves.toEqual({
      slot: 'blue',
      status: 'healthy',
      version: '1.0.0',
      checkedAt: FIXED_NOW,
    });
    await expect(runtime.health({ model, slot: 'green' })).resolves.toEqual({
      slot: 'green',
      status: 'absent',
      checkedAt: FIXED_NOW,
    });

    const description = await runtime.describe({ model });
    expect(description).toEqual({
      productionEndpoint: undefined,
      slots: [
        {
          slot: 'blue',
          version: '1.0.0',
          endpoint,
          status: 'healthy',
          details: expect.objectContaining({
            pid: expect.any(Number),
            port: Number(new URL(endpoint).port),
            startedAt: FIXED_NOW.toISOString(),
          }),
        },
      ],
      traffic: {},
    });
    const pid = await pidOf('blue');
    expect(pidExists(pid)).toBe(true);

    // The state file records the process, written atomically (no temp file left).
    const state = JSON.parse(
      fs.readFileSync(path.join(stateDir, 'sentiment', 'state.json'), 'utf8'),
    );
    expect(state.slots.blue).toMatchObject({ pid, version: '1.0.0', endpoint });
    expect(
      fs
        .readdirSync(path.join(stateDir, 'sentiment'))
        .filter(f => f.endsWith('.tmp')),
    ).toEqual([]);
  });

  it('deploys idempotently', async () => {
    const pid = await pidOf('blue');
    const first = await runtime.describe({ model });
    const again = await runtime.deploy({
      model,
      slot: 'blue',
      artifact: { uri: `file://${v1}`, version: '1.0.0', localPath: v1 },
      config: {},
    });
    expect(again.endpoint).toBe(first.slots[0].endpoint);
    expect(await pidOf('blue')).toBe(pid);
    expect(processesMentioning(v1)).toEqual([pid]);
  });

  it('replaces the process when a slot is redeployed with a new version', async () => {
    const oldPid = await pidOf('blue');
    const { endpoint } = await runtime.deploy({
      model,
      slot: 'blue',
      artifact: { uri: `file://${v2}`, version: '2.0.0', localPath: v2 },
      config: {},
    });
    const newPid = await pidOf('blue');
    expect(newPid).not.toBe(oldPid);
    expect(pidExists(oldPid)).toBe(false);
    expect((await runtime.health({ model, slot: 'blue' })).version).toBe(
      '2.0.0',
    );
    const answer = await client.request(`${endpoint}/healthz`);
    expect(answer.headers['x-model-version']).toBe('2.0.0');

    // back to 1.0.0 for the traffic tests
    await runtime.deploy({
      model,
      slot: 'blue',
      artifact: { uri: `file://${v1}`, version: '1.0.0', localPath: v1 },
      config: {},
    });
    expect(pidExists(newPid)).toBe(false);
    await pidOf('blue');
  });

  it('rejects invalid weights with a clear message', async () => {
    await expect(
      runtime.setTraffic({ model, weights: { blue: 60, green: 30 } }),
    ).rejects.toThrow(
      'Invalid traffic weights for sentiment: the weights must add up to 100, got 90 (blue 60, green 30)',
    );
    await expect(
      runtime.setTraffic({ model, weights: { blue: 50.5, green: 49.5 } }),
    ).rejects.toThrow(
      'the weight of blue must be a whole number from 0 to 100, got 50.5',
    );
    await expect(
      runtime.setTraffic({ model, weights: { blue: 120 } }),
    ).rejects.toThrow(
      'the weight of blue must be a whole number from 0 to 100, got 120',
    );
    await expect(
      runtime.setTraffic({
        model,
        weights: { blue: 50, purple: 50 } as TrafficWeights,
      }),
    ).rejects.toThrow(
      'unknown slot "purple"; expected testing, staging, blue, green',
    );
    await expect(
      runtime.setTraffic({ model, weights: { blue: 50, green: 50 } }),
    ).rejects.toThrow(
      'Invalid traffic weights for sentiment: slot green is not deployed (deployed: blue)',
    );
    await expect(
      runtime.setTraffic({
        model: { ...model, modelId: 'Not Valid' },
        weights: { blue: 100 },
      }),
    ).rejects.toThrow('Invalid model id');
  });

  it('rejects invalid deployment config', async () => {
    const deploy = (config: JsonObject) =>
      runtime.deploy({
        model,
        slot: 'testing',
        artifact: { uri: `file://${v1}`, version: '1.0.0', localPath: v1 },
        config,
      });
    await expect(deploy({ replicas: 2 })).rejects.toThrow(
      'unknown property "replicas"',
    );
    await expect(
      deploy({ env: { NODE_OPTIONS: '--require x' } }),
    ).rejects.toThrow('environment variable NODE_OPTIONS is not allowed');
    await expect(deploy({ startupTimeoutSeconds: -1 })).rejects.toThrow(
      'startupTimeoutSeconds',
    );
  });

  it('moves traffic from blue to green through the router', async () => {
    await runtime.deploy({
      model,
      slot: 'green',
      artifact: { uri: `file://${v2}`, version: '2.0.0', localPath: v2 },
      config: {},
    });
    await pidOf('green');

    await runtime.setTraffic({ model, weights: { blue: 100, green: 0 } });
    const description = await runtime.describe({ model });
    const router = description.productionEndpoint!;
    expect(router).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(description.traffic).toEqual({ blue: 100, green: 0 });
    await expect(runtime.getTraffic({ model })).resolves.toEqual({
      blue: 100,
      green: 0,
    });
    expect(await countVersions(client, router, 20)).toEqual({ '1.0.0': 20 });

    await runtime.setTraffic({ model, weights: { blue: 50, green: 50 } });
    await expect(runtime.getTraffic({ model })).resolves.toEqual({
      blue: 50,
      green: 50,
    });
    expect(await countVersions(client, router, 40)).toEqual({
      '1.0.0': 20,
      '2.0.0': 20,
    });

    await runtime.setTraffic({ model, weights: { green: 100 } });
    await expect(runtime.getTraffic({ model })).resolves.toEqual({
      green: 100,
    });
    expect(await countVersions(client, router, 20)).toEqual({ '2.0.0': 20 });

    // The router keeps its port: the production endpoint is stable.
    const state = JSON.parse(
      fs.readFileSync(path.join(stateDir, 'sentiment', 'state.json'), 'utf8'),
    );
    expect(`http://127.0.0.1:${state.routerPort}`).toBe(router);
    expect(state.router.pid).toEqual(expect.any(Number));
    seenPids.add(state.router.pid);
  });

  it('fails no request while the weights move from blue to green', async () => {
    const { productionEndpoint: router } = await runtime.describe({ model });
    await runtime.setTraffic({ model, weights: { blue: 100, green: 0 } });
    const total = 300;
    const concurrency = 4;
    let sent = 0;
    const failures: string[] = [];
    const counts: Record<string, number> = {};
    const worker = async () => {
      while (sent < total) {
        sent++;
        try {
          const answer = await client.request(`${router}/v1/predict`, {
            method: 'POST',
            body: '{"text":"fine"}',
          });
          if (answer.status !== 200) {
            failures.push(`${answer.status} ${answer.body}`);
          }
          const v = String(answer.headers['x-model-version']);
          counts[v] = (counts[v] ?? 0) + 1;
        } catch (e) {
          failures.push(String(e));
        }
      }
    };
    const mover = async () => {
      for (let green = 10; green <= 100; green += 10) {
        while (sent < (green / 10) * 27) {
          await new Promise(r => setImmediate(r));
        }
        await runtime.setTraffic({
          model,
          weights: { blue: 100 - green, green },
        });
      }
    };
    await Promise.all([
      mover(),
      ...Array.from({ length: concurrency }, worker),
    ]);
    expect(failures).toEqual([]);
    expect(counts['1.0.0'] + counts['2.0.0']).toBe(total);
    expect(counts['1.0.0']).toBeGreaterThan(50);
    expect(counts['2.0.0']).toBeGreaterThan(50);
    await expect(runtime.getTraffic({ model })).resolves.toEqual({
      blue: 0,
      green: 100,
    });
  });

  it('fails no request while the slot taking the traffic is replaced', async () => {
    const { productionEndpoint: router } = await runtime.describe({ model });
    const oldPid = await pidOf('green');
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (!stop) {
        try {
          const answer = await client.request(`${router}/v1/predict`, {
            method: 'POST',
            body: '{"text":"fine"}',
          });
          if (answer.status === 200) ok++;
          else failures.push(`${answer.status} ${answer.body}`);
        } catch (e) {
          failures.push(String(e));
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    const v3 = makeArtifact(root, '3.0.0');
    await runtime.deploy({
      model,
      slot: 'green',
      artifact: { uri: `file://${v3}`, version: '3.0.0', localPath: v3 },
      config: {},
    });
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    expect(pidExists(oldPid)).toBe(false);
    expect(await countVersions(client, router!, 10)).toEqual({ '3.0.0': 10 });
    await pidOf('green');
  });

  it('guards the router admin API with the token', async () => {
    const { productionEndpoint: router } = await runtime.describe({ model });
    const tokenFile = path.join(stateDir, 'router.token');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(tokenFile, 'utf8').trim();

    const refused: Array<Record<string, string>> = [
      {},
      { 'x-model-ops-router-token': 'wrong' },
    ];
    for (const headers of refused) {
      const answer = await client.request(`${router}/__model-ops/routes`, {
        headers,
      });
      expect(answer.status).toBe(401);
      const put = await client.request(`${router}/__model-ops/routes`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ upstreams: {} }),
      });
      expect(put.status).toBe(401);
    }
    const answer = await client.request(`${router}/__model-ops/routes`, {
      headers: { 'x-model-ops-router-token': token },
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).upstreams.green.weight).toBe(100);
    // Unchanged by the refused calls.
    await expect(runtime.getTraffic({ model })).resolves.toEqual({
      blue: 0,
      green: 100,
    });
  });

  it('returns the last lines of a slot log', async () => {
    const lines = await runtime.logs({ model, slot: 'green', lines: 3 });
    expect(lines).toHaveLength(3);
    const all = await runtime.logs({ model, slot: 'green', lines: 1000 });
    expect(all.slice(-3)).toEqual(lines);
    expect(all.some(l => l.includes('"event":"listening"'))).toBe(true);
    expect(
      all.some(l => l.includes('starting sentiment slot green version 3.0.0')),
    ).toBe(true);
    await expect(
      runtime.logs({ model, slot: 'testing', lines: 5 }),
    ).resolves.toEqual([]);
  });

  it('kills the new process and reports the log when a start fails', async () => {
    const attempt = (config: JsonObject, version = '1.0.0', artifact = v1) =>
      runtime.deploy({
        model,
        slot: 'testing',
        artifact: { uri: `file://${artifact}`, version, localPath: artifact },
        config,
      });
    const broken = makeArtifact(root, '9.9.9-broken');
    await expect(
      attempt({ env: { FAKE_FAIL_START: '1' } }, '9.9.9-broken', broken),
    ).rejects.toThrow(
      /exited before listening \(exit code 3\)[\s\S]*Last log lines:[\s\S]*cannot load model from .*: boom/,
    );
    await expect(
      attempt(
        { env: { FAKE_REPORT_VERSION: '0.0.1' } },
        '9.9.9-broken',
        broken,
      ),
    ).rejects.toThrow(
      'the server reports version 0.0.1, expected 9.9.9-broken',
    );
    const started = Date.now();
    await expect(
      attempt(
        { env: { FAKE_NEVER_LISTEN: '1' }, startupTimeoutSeconds: 1 },
        '9.9.9-broken',
        broken,
      ),
    ).rejects.toThrow(
      /timed out waiting for the "listening" line[\s\S]*not listening, on purpose/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(processesMentioning(broken)).toEqual([]);
    await expect(
      runtime.health({ model, slot: 'testing' }),
    ).resolves.toMatchObject({
      status: 'absent',
    });
  });

  it('kills the whole process group on undeploy', async () => {
    const { endpoint } = await runtime.deploy({
      model,
      slot: 'staging',
      artifact: { uri: `file://${v1}`, version: '1.0.0', localPath: v1 },
      config: { env: { FAKE_SPAWN_CHILD: '1' } },
    });
    const pid = await pidOf('staging');
    const { childPid } = JSON.parse(
      (await client.request(`${endpoint}/healthz`)).body,
    );
    expect(pidExists(childPid)).toBe(true);
    await runtime.undeploy({ model, slot: 'staging' });
    expect(pidExists(pid)).toBe(false);
    // The grandchild was orphaned when the server died: init reaps it, at its own pace.
    expect(processRuns(childPid)).toBe(false);
    await expect(
      runtime.health({ model, slot: 'staging' }),
    ).resolves.toMatchObject({
      status: 'absent',
    });
    // idempotent
    await runtime.undeploy({ model, slot: 'staging' });
  });

  it('leaves no process behind on shutdown', async () => {
    const state = JSON.parse(
      fs.readFileSync(path.join(stateDir, 'sentiment', 'state.json'), 'utf8'),
    );
    const pids = [
      state.router.pid,
      ...Object.values<{ pid: number }>(state.slots).map(s => s.pid),
    ];
    expect(pids).toHaveLength(3);
    for (const pid of pids) {
      expect(pidExists(pid)).toBe(true);
    }
    await runtime.shutdown();
    for (const pid of [...pids, ...seenPids]) {
      expect(pidExists(pid)).toBe(false);
    }
    expect(processesMentioning(root)).toEqual([]);
    await expect(
      runtime.deploy({
        model,
        slot: 'blue',
        artifact: { uri: `file://${v1}`, version: '1.0.0', localPath: v1 },
        config: {},
      }),
    ).rejects.toThrow('shutting down');
  });
});
