import { mockServices } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import path from 'node:path';
import { LocalRuntime } from './LocalRuntime';
import { LocalRuntimeSettings } from './options';
import { ModelStateFile } from './state';
import {
  countVersions,
  FIXED_NOW,
  httpClient,
  makeArtifact,
  pidExists,
  processesMentioning,
  processRuns,
  tempDir,
  testSettings,
} from './__testUtils__/testUtils';

jest.setTimeout(60_000);

const model = {
  modelId: 'sentiment',
  entityRef: 'component:default/sentiment',
};

/** Waits, at most `timeoutMs`, until `condition` holds; answers whether it did. */
async function eventually(
  condition: () => boolean,
  timeoutMs = 5000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 20));
  }
  return condition();
}

/**
 * Two backends on one host share one state folder, as two replicas do: each is a
 * `LocalRuntime` with the same settings, in this one process.
 */
describe('LocalRuntime replicas on one state folder', () => {
  let root: string;
  let stateDir: string;
  let v1: string;
  let v2: string;
  let settings: LocalRuntimeSettings;
  let a: LocalRuntime;
  let b: LocalRuntime;
  const client = httpClient();

  const replica = () =>
    new LocalRuntime({
      settings,
      logger: mockServices.logger.mock(),
      clock: () => FIXED_NOW,
    });
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
  const stateFile = () =>
    JSON.parse(
      fs.readFileSync(path.join(stateDir, 'sentiment', 'state.json'), 'utf8'),
    ) as ModelStateFile;
  /** The pids the state file names: the router's and the slots'. */
  const recordedPids = () => {
    const state = stateFile();
    return [
      ...(state.router ? [state.router.pid] : []),
      ...Object.values(state.slots).map(s => s!.pid),
    ].sort((x, y) => x - y);
  };
  const livePids = () => processesMentioning(root).sort((x, y) => x - y);

  beforeAll(() => {
    root = tempDir('replicas');
    stateDir = path.join(root, 'state');
    v1 = makeArtifact(root, '1.0.0');
    v2 = makeArtifact(root, '2.0.0');
    settings = testSettings(stateDir, { stopTimeoutSeconds: 2 });
    a = replica();
    b = replica();
  });

  afterAll(async () => {
    client.close();
    await a.shutdown();
    await b.shutdown();
    for (const pid of processesMentioning(root)) {
      process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('each replica acts on what the other recorded, and leaves no orphan', async () => {
    // B reads the state folder before A deploys anything.
    await expect(b.describe({ model })).resolves.toEqual({
      slots: [],
      traffic: {},
    });

    await deploy(a, 'blue', v1, '1.0.0');
    await a.setTraffic({ model, weights: { blue: 100 } });
    const byA = await a.describe({ model });
    const blue = byA.slots.find(s => s.slot === 'blue')!;
    const bluePid = blue.details!.pid as number;
    const router = byA.productionEndpoint!;
    const routerPid = stateFile().router!.pid;
    expect(router).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // B sees the model A created after B had read the folder.
    const seenByB = await b.describe({ model });
    expect(seenByB).toEqual(byA);
    expect(seenByB.slots).toEqual([
      expect.objectContaining({
        slot: 'blue',
        version: '1.0.0',
        status: 'healthy',
        details: expect.objectContaining({ pid: bluePid }),
      }),
    ]);
    expect(seenByB.traffic).toEqual({ blue: 100 });
    await expect(b.health({ model, slot: 'blue' })).resolves.toMatchObject({
      status: 'healthy',
      version: '1.0.0',
    });
    await expect(b.getTraffic({ model })).resolves.toEqual({ blue: 100 });

    // B deploys green and moves the traffic through A's router.
    await deploy(b, 'green', v2, '2.0.0');
    await b.setTraffic({ model, weights: { blue: 0, green: 100 } });
    expect(await countVersions(client, router, 10)).toEqual({ '2.0.0': 10 });
    const afterB = stateFile();
    expect(afterB.router!.pid).toBe(routerPid); // adopted, not a second router
    expect(afterB.slots.blue!.pid).toBe(bluePid);
    expect(afterB.routes).toEqual({
      blue: { url: blue.endpoint, weight: 0 },
      green: { url: afterB.slots.green!.endpoint, weight: 100 },
    });
    expect(livePids()).toEqual(recordedPids());
    expect(livePids()).toHaveLength(3);

    // A, which has not looked since B's changes, sets the same traffic (on a stale picture
    // this failed: "slot green is not deployed (deployed: blue)").
    await a.setTraffic({ model, weights: { blue: 0, green: 100 } });
    expect(stateFile().router!.pid).toBe(routerPid);
    expect(await countVersions(client, router, 5)).toEqual({ '2.0.0': 5 });

    // A sees what B did.
    const seenByA = await a.describe({ model });
    expect(seenByA.traffic).toEqual({ blue: 0, green: 100 });
    expect(seenByA.slots.map(s => [s.slot, s.version, s.status])).toEqual([
      ['blue', '1.0.0', 'healthy'],
      ['green', '2.0.0', 'healthy'],
    ]);

    // B stops the server A started.
    await b.undeploy({ model, slot: 'blue' });
    expect(processRuns(bluePid)).toBe(false);
    expect(await eventually(() => !pidExists(bluePid))).toBe(true);
    expect(stateFile().slots.blue).toBeUndefined();
    expect(stateFile().routes).toEqual({
      green: { url: afterB.slots.green!.endpoint, weight: 100 },
    });

    // B stops a server A started after B last looked.
    await a.deploy({
      model,
      slot: 'staging',
      artifact: { uri: `file://${v1}`, version: '1.0.0', localPath: v1 },
      config: {},
    });
    const stagingPid = stateFile().slots.staging!.pid;
    expect(livePids()).toEqual(recordedPids());
    await b.undeploy({ model, slot: 'staging' });
    expect(processRuns(stagingPid)).toBe(false);
    expect(stateFile().slots.staging).toBeUndefined();

    // A, whose picture still had blue, sets the traffic: no stale write, nothing orphaned.
    await a.setTraffic({ model, weights: { green: 100 } });
    await expect(a.health({ model, slot: 'blue' })).resolves.toMatchObject({
      status: 'absent',
    });
    expect(stateFile().slots.green!.pid).toBe(afterB.slots.green!.pid);
    expect(stateFile().router!.pid).toBe(routerPid);
    expect(livePids()).toEqual(recordedPids());
    expect(livePids()).toHaveLength(2);
    expect(await countVersions(client, router, 5)).toEqual({ '2.0.0': 5 });
  });

  it("keeps the router's table when the other replica's state file lags behind its switch", async () => {
    const router = (await a.describe({ model })).productionEndpoint!;
    await deploy(a, 'blue', v1, '1.0.0');
    await a.setTraffic({ model, weights: { blue: 0, green: 100 } });
    // B knows this picture.
    await expect(b.getTraffic({ model })).resolves.toEqual({
      blue: 0,
      green: 100,
    });
    // A moves the router to blue; its state file still says green (A is between the two).
    const lagging = stateFile();
    await a.setTraffic({ model, weights: { blue: 100, green: 0 } });
    const file = path.join(stateDir, 'sentiment', 'state.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ ...lagging, updatedAt: new Date().toISOString() }),
    );
    // B changes the model: it takes the file in, and must not push its routes into the router.
    await b.deploy({
      model,
      slot: 'staging',
      artifact: { uri: `file://${v2}`, version: '2.0.0', localPath: v2 },
      config: {},
    });
    expect(await countVersions(client, router, 10)).toEqual({ '1.0.0': 10 });
    // Nor does a backend that starts while the file lags, and reads every model's file then.
    fs.writeFileSync(
      file,
      JSON.stringify({ ...stateFile(), routes: lagging.routes }),
    );
    const c = new LocalRuntime({
      // Leaves the processes to A and B when it stops.
      settings: { ...settings, keepRunningOnShutdown: true },
      logger: mockServices.logger.mock(),
      clock: () => FIXED_NOW,
    });
    try {
      await c.getTraffic({ model });
      expect(await countVersions(client, router, 10)).toEqual({ '1.0.0': 10 });
    } finally {
      await c.shutdown();
    }
    await b.undeploy({ model, slot: 'staging' });
    // Back to what the next test expects: the router and green.
    await a.setTraffic({ model, weights: { blue: 0, green: 100 } });
    await a.undeploy({ model, slot: 'blue' });
    expect(await countVersions(client, router, 5)).toEqual({ '2.0.0': 5 });
    expect(livePids()).toEqual(recordedPids());
  });

  it('stops, on shutdown, what the other replica started and recorded', async () => {
    const pids = recordedPids();
    expect(pids).toHaveLength(2);
    await a.shutdown(); // A did not start green: B did
    for (const pid of pids) {
      expect(await eventually(() => !pidExists(pid))).toBe(true);
    }
    expect(processesMentioning(root)).toEqual([]);
    expect(stateFile().slots).toEqual({});
    expect(stateFile().router).toBeUndefined();
    await expect(b.describe({ model })).resolves.toEqual({
      productionEndpoint: undefined,
      slots: [],
      traffic: {},
    });
  });
});
