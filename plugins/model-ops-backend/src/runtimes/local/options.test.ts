import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_ROUTER_PORT_RANGE,
  findRepoRoot,
  parsePortRange,
  readLocalRuntimeSettings,
  resolveLocalStateDir,
} from './options';
import { tempDir } from './__testUtils__/testUtils';

describe('local runtime settings', () => {
  let root: string;
  let backend: string;
  const read = (local?: object, overrides?: object) =>
    readLocalRuntimeSettings(
      new ConfigReader(local ? { modelOps: { local } } : {}),
      { workingDirectory: backend, overrides },
    );

  beforeAll(() => {
    // A monorepo: the root declares workspaces, the backend is a package below it.
    root = tempDir('options');
    backend = path.join(root, 'packages', 'backend');
    fs.mkdirSync(backend, { recursive: true });
    fs.writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({ workspaces: ['packages/*'] }),
    );
    fs.writeFileSync(path.join(backend, 'package.json'), '{"name":"backend"}');
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('finds the monorepo root, or keeps the folder when there is none', () => {
    expect(findRepoRoot(backend)).toBe(root);
    expect(findRepoRoot(root)).toBe(root);
    const lone = tempDir('lone');
    expect(findRepoRoot(lone)).toBe(lone);
    fs.rmSync(lone, { recursive: true, force: true });
  });

  it('defaults to the model server package and a state folder in the repo root', () => {
    const settings = read();
    expect(settings).toMatchObject({
      stateDir: path.join(root, '.model-ops', 'local'),
      server: {
        command: process.execPath,
        cwd: root,
        env: {},
      },
      routerPorts: {},
      routerPortRange: DEFAULT_ROUTER_PORT_RANGE,
      startupTimeoutSeconds: 30,
      stopTimeoutSeconds: 10,
      healthTimeoutMs: 2000,
      logMaxBytes: 1024 * 1024,
      keepRunningOnShutdown: false,
    });
    // The bin of @model-ops/model-server, resolved from the plugin's own dependencies.
    expect(settings.server.args[0]).toBe(
      path.join(
        path.dirname(require.resolve('@model-ops/model-server/package.json')),
        'bin',
        'model-ops-model-server',
      ),
    );
    expect(settings.server.args).toContain('{artifact}');
    expect(settings.routerScript).toMatch(/assets[\\/]local-router\.cjs$/);
  });

  it('reads every key, resolving paths against the working directory', () => {
    const settings = read({
      stateDir: '../state',
      server: {
        command: 'python3',
        args: ['serve.py', '--port', '{port}'],
        cwd: 'models',
        env: { LOG_LEVEL: 'debug' },
      },
      routerPorts: { sentiment: 8080 },
      routerPortRange: '9000 - 9009',
      startupTimeoutSeconds: 5,
      stopTimeoutSeconds: 2.5,
      logMaxBytes: 4096,
      keepRunningOnShutdown: true,
    });
    expect(settings).toMatchObject({
      stateDir: path.join(root, 'packages', 'state'),
      server: {
        command: 'python3',
        args: ['serve.py', '--port', '{port}'],
        cwd: path.join(backend, 'models'),
        env: { LOG_LEVEL: 'debug' },
      },
      routerPorts: { sentiment: 8080 },
      routerPortRange: { from: 9000, to: 9009 },
      startupTimeoutSeconds: 5,
      stopTimeoutSeconds: 2.5,
      logMaxBytes: 4096,
      keepRunningOnShutdown: true,
    });
    expect(
      resolveLocalStateDir(
        new ConfigReader({ modelOps: { local: { stateDir: '/abs' } } }),
      ),
    ).toBe('/abs');
  });

  it('lets overrides win, merging the server settings', () => {
    const settings = read(
      { server: { command: 'python3', args: ['a'] }, stopTimeoutSeconds: 3 },
      { stopTimeoutSeconds: 1, server: { args: ['b'] } },
    );
    expect(settings.stopTimeoutSeconds).toBe(1);
    expect(settings.server).toMatchObject({ command: 'python3', args: ['b'] });
  });

  it.each([
    [
      { routerPorts: { sentiment: 0 } },
      'Invalid modelOps.local.routerPorts.sentiment: 0',
    ],
    [
      { routerPorts: { sentiment: 70000 } },
      'Invalid modelOps.local.routerPorts.sentiment',
    ],
    [
      { routerPortRange: '7100' },
      'Invalid port range "7100" at modelOps.local.routerPortRange',
    ],
    [{ routerPortRange: '7200-7100' }, 'Invalid port range'],
    [
      { startupTimeoutSeconds: 0 },
      'Invalid modelOps.local.startupTimeoutSeconds: expected a positive number, got 0',
    ],
    [{ stopTimeoutSeconds: -1 }, 'Invalid modelOps.local.stopTimeoutSeconds'],
    [{ logMaxBytes: 0 }, 'Invalid modelOps.local.logMaxBytes'],
  ])('refuses %j', (local, message) => {
    expect(() => read(local)).toThrow(message);
  });

  it('parses port ranges', () => {
    expect(parsePortRange('1-65535', 'k')).toEqual({ from: 1, to: 65535 });
    expect(() => parsePortRange('0-10', 'k')).toThrow('within 1-65535');
    expect(() => parsePortRange('10-70000', 'k')).toThrow('at k');
  });
});
