import fs from 'node:fs';
import path from 'node:path';
import { LocalRuntime } from './LocalRuntime';
import {
  countVersions,
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

describe('LocalRuntime after a backend restart', () => {
  let root: string;
  let stateDir: string;
  let v1: string;
  let v2: string;
  const client = httpClient();
  const runtimes: LocalRuntime[] = [];

  beforeAll(() => {
    root = tempDir('restart');
    stateDir = path.join(root, 'state');
    v1 = makeArtifact(root, '1.0.0');
    v2 = makeArtifact(root, '2.0.0');
  });

  afterAll(async () => {
    client.close();
    for (const runtime of runtimes) {
      await runtime.shutdown();
    }
    for (const pid of processesMentioning(root)) {
      process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('adopts the live processes instead of starting new ones', async () => {
    const first = makeRuntime(stateDir, { keepRunningOnShutdown: true });
    runtimes.push(first);
    const deploy = (
      runtime: LocalRuntime,
      slot: 'blue' | 'green',
      dir: string,
      version: string,
    ) =>
      runtime.deploy({
        model,
        slot,
        artifact: { uri: `file://${dir}`, version, localPath: dir },
        config: {},
      });
    await deploy(first, 'blue', v1, '1.0.0');
    await deploy(first, 'green', v2, '2.0.0');
    await first.setTraffic({ model, weights: { blue: 50, green: 50 } });
    const before = await first.describe({ model });
    const processesBefore = processesMentioning(root).sort();
    expect(processesBefore).toHaveLength(3);
    await first.shutdown(); // keepRunningOnShutdown: the processes stay
    for (const pid of processesBefore) {
      expect(pidExists(pid)).toBe(true);
    }

    const second = makeRuntime(stateDir, { stopTimeoutSeconds: 2 });
    runtimes.push(second);
    const after = await second.describe({ model });
    expect(after).toEqual(before);
    expect(after.slots.map(s => s.details?.pid)).toEqual(
      before.slots.map(s => s.details?.pid),
    );
    // Deploying what runs is a no-op: no duplicate process.
    await deploy(second, 'blue', v1, '1.0.0');
    await deploy(second, 'green', v2, '2.0.0');
    await second.setTraffic({ model, weights: { blue: 50, green: 50 } });
    expect(processesMentioning(root).sort()).toEqual(processesBefore);
    expect(await countVersions(client, after.productionEndpoint!, 10)).toEqual({
      '1.0.0': 5,
      '2.0.0': 5,
    });

    await second.shutdown(); // default: stop everything adopted
    for (const pid of processesBefore) {
      expect(pidExists(pid)).toBe(false);
    }
    expect(processesMentioning(root)).toEqual([]);
  });

  it('restarts a dead router on the same port with the recorded traffic', async () => {
    const first = makeRuntime(stateDir, { keepRunningOnShutdown: true });
    runtimes.push(first);
    await first.deploy({
      model,
      slot: 'blue',
      artifact: { uri: `file://${v1}`, version: '1.0.0', localPath: v1 },
      config: {},
    });
    await first.setTraffic({ model, weights: { blue: 100 } });
    const { productionEndpoint } = await first.describe({ model });
    await first.shutdown();
    const stateFile = path.join(stateDir, 'sentiment', 'state.json');
    const routerPid = JSON.parse(fs.readFileSync(stateFile, 'utf8')).router.pid;
    process.kill(routerPid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (processRuns(routerPid) && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 20));
    }
    expect(processRuns(routerPid)).toBe(false);

    const second = makeRuntime(stateDir);
    runtimes.push(second);
    await second.start();
    const after = await second.describe({ model });
    expect(after.productionEndpoint).toBe(productionEndpoint);
    expect(after.traffic).toEqual({ blue: 100 });
    expect(await countVersions(client, productionEndpoint!, 5)).toEqual({
      '1.0.0': 5,
    });
    await second.shutdown();
    expect(processesMentioning(root)).toEqual([]);
  });

  it('drops entries of processes that are gone', async () => {
    const third = makeRuntime(stateDir);
    runtimes.push(third);
    await third.deploy({
      model,
      slot: 'blue',
      artifact: { uri: `file://${v1}`, version: '1.0.0', localPath: v1 },
      config: {},
    });
    const pid = (await third.describe({ model })).slots[0].details!
      .pid as number;
    // The backend "crashes": nothing is stopped by it; then the server dies on its own.
    process.kill(-pid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (processesMentioning(root).length && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 20));
    }
    expect(processesMentioning(root)).toEqual([]);
    const stateFile = path.join(stateDir, 'sentiment', 'state.json');
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8')).slots.blue.pid).toBe(
      pid,
    );

    const fourth = makeRuntime(stateDir);
    runtimes.push(fourth);
    await expect(fourth.health({ model, slot: 'blue' })).resolves.toMatchObject(
      {
        status: 'absent',
      },
    );
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8')).slots).toEqual({});
    await fourth.shutdown();
  });
});
