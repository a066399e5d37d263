import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from './childServer.ts';
import type { ChildServer } from './childServer.ts';

const packageDir = join(__dirname, '..');

jest.setTimeout(30000);

// The command the local runtime runs by default, serving the artifact the package ships.
describe('the model-ops-model-server command', () => {
  let server: ChildServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('is the package bin and serves the shipped artifact', async () => {
    const pkg = JSON.parse(
      readFileSync(join(packageDir, 'package.json'), 'utf8'),
    );
    expect(pkg.bin).toEqual({
      'model-ops-model-server': 'bin/model-ops-model-server',
    });
    server = await startServer({
      serverScript: join(packageDir, pkg.bin['model-ops-model-server']),
      artifact: join(packageDir, 'artifacts', 'sentiment-classifier', '1.0.0'),
      extraArgs: ['--model-id', 'sentiment-classifier'],
    });
    expect(server.listening).toMatchObject({
      modelId: 'sentiment-classifier',
      version: '1.0.0',
    });
    const res = await server.request('POST', '/v1/predict', {
      input: 'Works great, I love it',
    });
    expect(res.status).toBe(200);
    expect(res.json().predictions[0].label).toBe('positive');
  });

  it('prints its options with --help and exits 0', () => {
    const run = spawnSync(
      process.execPath,
      [join(packageDir, 'bin', 'model-ops-model-server'), '--help'],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: model-ops-model-server /);
    for (const option of ['--artifact', '--port', '--host', '--model-id']) {
      expect(run.stdout).toContain(`  ${option} `);
    }
  });
});
