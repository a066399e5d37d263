/*
 * The configuration of where artifacts may come from and which services may mutate, and what
 * the repository's own app-config files set: the demo's artifact folder locally, no file root,
 * no demo bootstrap and no allowlisted service in production.
 */
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { findRepoRoot } from '../runtimes/local';
import { readModelOpsConfig } from './config';

const repoRoot = findRepoRoot(__dirname);
const cwd = path.join(os.tmpdir(), 'model-ops-access-test');
const read = (modelOps: JsonObject) =>
  readModelOpsConfig(new ConfigReader({ modelOps }), {
    workingDirectory: cwd,
  });

describe('artifact and principal settings', () => {
  it('allow only the file root, 200 MiB and no service by default', async () => {
    const options = await read({ artifacts: { fileRoot: '.' } });
    expect(options.pipeline.fileRoots).toEqual([cwd]);
    expect(options.pipeline.maxArtifactBytes).toBe(200 * 1024 * 1024);
    expect(options.permissions.allowedServicePrincipals).toEqual([]);
  });

  it('reads roots relative to the file root, the limit and the allowlist', async () => {
    const options = await read({
      artifacts: {
        fileRoot: '.',
        fileRoots: ['models', '/srv/artifacts'],
        maxBytes: 1024,
      },
      permissions: { allowedServicePrincipals: ['plugin:scaffolder'] },
    });
    expect(options.pipeline.fileRoots).toEqual([
      path.join(cwd, 'models'),
      '/srv/artifacts',
    ]);
    expect(options.pipeline.maxArtifactBytes).toBe(1024);
    expect(options.permissions.allowedServicePrincipals).toEqual([
      'plugin:scaffolder',
    ]);
    expect(
      (await read({ artifacts: { fileRoots: [] } })).pipeline.fileRoots,
    ).toEqual([]);
  });

  it.each([0, -1, 1.5])('refuses maxBytes %s', async maxBytes => {
    await expect(read({ artifacts: { maxBytes } })).rejects.toThrow(
      /Invalid modelOps\.artifacts\.maxBytes/,
    );
  });

  describe("the repository's app-config files", () => {
    const load = async (...files: string[]) =>
      readModelOpsConfig(
        ConfigReader.fromConfigs(
          await Promise.all(
            files.map(async file => ({
              context: file,
              data: parse(await fs.readFile(path.join(repoRoot, file), 'utf8')),
            })),
          ),
        ),
        { workingDirectory: path.join(repoRoot, 'packages/backend') },
      );

    it('read file: artifacts from examples/models locally', async () => {
      const options = await load('app-config.yaml');
      expect(options.pipeline.fileRoots).toEqual([
        path.join(repoRoot, 'examples/models'),
      ]);
      expect(options.demo.bootstrap).toBe(true);
      expect(options.demo.history).toBe(true);
    });

    it('allow no file: artifact, no bootstrap and no service in production', async () => {
      const options = await load(
        'app-config.yaml',
        'app-config.production.yaml',
      );
      expect(options.pipeline.fileRoots).toEqual([]);
      expect(options.demo.bootstrap).toBe(false);
      expect(options.demo.history).toBe(false);
      expect(options.permissions.allowedServicePrincipals).toEqual([]);
    });
  });
});
