import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import path from 'node:path';
import { createLocalRuntime, findRepoRoot, readLocalRuntimeSettings } from '.';
import {
  httpClient,
  pidExists,
  processesMentioning,
  randomPortRange,
  tempDir,
} from './__testUtils__/testUtils';

jest.setTimeout(90_000);

const repoRoot = findRepoRoot(__dirname);
const server = path.join(
  repoRoot,
  'packages',
  'model-server',
  'bin',
  'model-ops-model-server',
);
const models = path.join(
  repoRoot,
  'examples',
  'models',
  'sentiment-classifier',
);
const available =
  fs.existsSync(server) &&
  fs.existsSync(path.join(models, '1.0.0')) &&
  fs.existsSync(path.join(models, '1.1.0'));

// The real model server (packages/model-server), started with the runtime's defaults.
(available ? describe : describe.skip)(
  'LocalRuntime with the real model server',
  () => {
    const model = {
      modelId: 'sentiment-classifier',
      entityRef: 'component:default/sentiment-classifier',
    };
    let root: string;
    const client = httpClient();
    let runtime: ReturnType<typeof createLocalRuntime>;

    beforeAll(() => {
      root = tempDir('real');
      // As the plugin does: the settings are read once, then handed to the factory.
      const settings = readLocalRuntimeSettings(
        new ConfigReader({
          modelOps: {
            local: {
              stateDir: path.join(root, 'state'),
              routerPortRange: randomPortRange(),
            },
          },
        }),
        { workingDirectory: path.join(repoRoot, 'packages', 'backend') },
      );
      runtime = createLocalRuntime({
        settings,
        logger: mockServices.logger.mock(),
      });
    });

    afterAll(async () => {
      client.close();
      await runtime.shutdown();
      fs.rmSync(root, { recursive: true, force: true });
    });

    it('deploys two versions, routes traffic between them and stops them', async () => {
      expect(runtime.settings.server.args[0]).toBe(server);
      const started = Date.now();
      const blue = await runtime.deploy({
        model,
        slot: 'blue',
        artifact: {
          uri: `file://${path.join(models, '1.0.0')}`,
          version: '1.0.0',
          localPath: path.join(models, '1.0.0'),
        },
        config: {},
      });
      process.stdout.write(
        `[measure] time to start one slot (real model server): ${
          Date.now() - started
        } ms\n`,
      );
      await runtime.deploy({
        model,
        slot: 'green',
        artifact: {
          uri: `file://${path.join(models, '1.1.0')}`,
          version: '1.1.0',
          localPath: path.join(models, '1.1.0'),
        },
        config: {},
      });
      const healthz = JSON.parse(
        (await client.request(`${blue.endpoint}/healthz`)).body,
      );
      expect(healthz).toMatchObject({
        status: 'ok',
        modelId: model.modelId,
        version: '1.0.0',
      });
      await expect(
        runtime.health({ model, slot: 'green' }),
      ).resolves.toMatchObject({
        status: 'healthy',
        version: '1.1.0',
      });

      await runtime.setTraffic({ model, weights: { blue: 50, green: 50 } });
      const description = await runtime.describe({ model });
      const router = description.productionEndpoint!;
      const predict = await client.request(`${router}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'what a wonderful product' }),
      });
      expect(predict.status).toBe(200);
      expect(JSON.parse(predict.body).predictions).toHaveLength(1);

      const countsDuringSplit = await countVersionsWithInput(router, 20);
      expect(countsDuringSplit).toEqual({ '1.0.0': 10, '1.1.0': 10 });

      const pids = description.slots.map(s => s.details!.pid as number);
      await runtime.shutdown();
      for (const pid of pids) {
        expect(pidExists(pid)).toBe(false);
      }
      expect(processesMentioning(root)).toEqual([]);
    });

    async function countVersionsWithInput(url: string, count: number) {
      const counts: Record<string, number> = {};
      for (let i = 0; i < count; i++) {
        const answer = await client.request(`${url}/v1/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ input: 'not bad at all' }),
        });
        expect(answer.status).toBe(200);
        const v = String(answer.headers['x-model-version']);
        counts[v] = (counts[v] ?? 0) + 1;
      }
      return counts;
    }
  },
);
