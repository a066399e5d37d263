import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { LocalRuntime } from '../LocalRuntime';
import { LocalRuntimeSettings } from '../options';

/** The test double of the model server. */
export const FAKE_SERVER = resolvePackagePath(
  '@model-ops/plugin-model-ops-backend',
  'src/runtimes/local/__fixtures__/fake-model-server.cjs',
);
export const ROUTER_SCRIPT = resolvePackagePath(
  '@model-ops/plugin-model-ops-backend',
  'assets/local-router.cjs',
);
export const FIXED_NOW = new Date('2026-01-02T03:04:05.000Z');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `model-ops-${prefix}-`));
}

/** A random block of ten loopback ports for routers, away from the default range. */
export function randomPortRange(): string {
  const from = 20000 + Math.floor(Math.random() * 3000) * 10;
  return `${from}-${from + 9}`;
}

/** An artifact folder the fake server reads: `model.json` with the version. */
export function makeArtifact(root: string, version: string): string {
  const dir = path.join(root, 'artifacts', version);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ version }));
  return dir;
}

export function testSettings(
  stateDir: string,
  overrides: Partial<LocalRuntimeSettings> = {},
): LocalRuntimeSettings {
  const [from, to] = randomPortRange().split('-').map(Number);
  return {
    stateDir,
    server: {
      command: process.execPath,
      args: [
        FAKE_SERVER,
        '--artifact',
        '{artifact}',
        '--port',
        '{port}',
        '--host',
        '127.0.0.1',
        '--model-id',
        '{modelId}',
      ],
      cwd: stateDir,
      env: {},
    },
    routerPorts: {},
    routerPortRange: { from, to },
    routerScript: ROUTER_SCRIPT,
    startupTimeoutSeconds: 15,
    stopTimeoutSeconds: 5,
    healthTimeoutMs: 2000,
    logMaxBytes: 1024 * 1024,
    keepRunningOnShutdown: false,
    ...overrides,
  };
}

export function makeRuntime(
  stateDir: string,
  overrides: Partial<LocalRuntimeSettings> = {},
): LocalRuntime {
  return new LocalRuntime({
    settings: testSettings(stateDir, overrides),
    logger: mockServices.logger.mock(),
    clock: () => FIXED_NOW,
  });
}

/** Pids of live processes whose command line mentions `text` (Linux). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) {
      continue;
    }
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
      if (cmdline.includes(text) && state !== 'Z') {
        pids.push(Number(entry));
      }
    } catch {
      // gone
    }
  }
  return pids;
}

export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A small HTTP client over a keep-alive agent, like a production caller would use. */
export function httpClient() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const request = (
    url: string,
    options: {
      method?: string;
      body?: string | Buffer;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method: options.method ?? 'GET', agent, headers: options.headers },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.setTimeout(10000, () => req.destroy(new Error(`timeout ${url}`)));
      req.on('error', reject);
      req.end(options.body);
    });
  return { request, close: () => agent.destroy() };
}

/** Sends `count` predictions through `url` and counts the `x-model-version` answers. */
export async function countVersions(
  client: ReturnType<typeof httpClient>,
  url: string,
  count: number,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const answer = await client.request(`${url}/v1/predict`, {
      method: 'POST',
      body: '{"text":"great"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(200);
    const version = String(answer.headers['x-model-version']);
    counts[version] = (counts[version] ?? 0) + 1;
  }
  return counts;
}

/** Whether a process runs (a zombie waiting for its parent to reap it does not). */
export function processRuns(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
