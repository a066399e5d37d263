import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import path from 'node:path';
import { createLocalRuntime, LocalRuntime } from '.';
import { tempDir, testSettings } from './__testUtils__/testUtils';

describe('createLocalRuntime', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('create');
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('takes settings that were read already', () => {
    const settings = testSettings(path.join(root, 'state'));
    const runtime = createLocalRuntime({
      settings,
      logger: mockServices.logger.mock(),
    });
    expect(runtime).toBeInstanceOf(LocalRuntime);
    expect(runtime.settings).toBe(settings);
  });

  it('reads modelOps.local from the config, with overrides', () => {
    const runtime = createLocalRuntime({
      config: new ConfigReader({
        modelOps: {
          local: { stateDir: 'state', routerPortRange: '20000-20009' },
        },
      }),
      logger: mockServices.logger.mock(),
      workingDirectory: root,
      overrides: { stopTimeoutSeconds: 1 },
    });
    expect(runtime.settings).toMatchObject({
      stateDir: path.join(root, 'state'),
      routerPortRange: { from: 20000, to: 20009 },
      stopTimeoutSeconds: 1,
    });
  });

  it('shuts down with the lifecycle it is given', async () => {
    const lifecycle = mockServices.lifecycle.mock();
    const runtime = createLocalRuntime({
      settings: testSettings(path.join(root, 'state')),
      logger: mockServices.logger.mock(),
      lifecycle,
    });
    const shutdown = jest.spyOn(runtime, 'shutdown');
    expect(lifecycle.addShutdownHook).toHaveBeenCalledTimes(1);
    const hook = lifecycle.addShutdownHook.mock.calls[0][0];
    await hook();
    expect(shutdown).toHaveBeenCalledTimes(1);
  });
});
