import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findRepoRoot } from '../../runtimes/local';

export const repoRoot = findRepoRoot(__dirname);
export const MODEL_SERVER = path.join(
  repoRoot,
  'packages',
  'model-server',
  'src',
  'server.ts',
);
export const artifact = (modelId: string, version: string) =>
  path.join(repoRoot, 'examples', 'models', modelId, version);

/** Resolves once `child` has exited, or after `timeoutMs` with a SIGKILL. */
export async function stopChild(
  child: ChildProcess,
  timeoutMs = 10_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>(resolve => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([exited, deadline]);
  clearTimeout(timer);
  if (result === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

export interface ModelServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  modelId: string;
  stop(): Promise<void>;
}

/** Starts the demo model server and resolves once it printed its listening line. */
export function startModelServer(options: {
  modelId: string;
  version: string;
  port?: number;
  timeoutMs?: number;
}): Promise<ModelServerProcess> {
  const child = spawn(
    process.execPath,
    [
      MODEL_SERVER,
      '--artifact',
      artifact(options.modelId, options.version),
      '--port',
      String(options.port ?? 0),
      '--host',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`model server did not listen; stderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.once('exit', code => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`model server exited with ${code}; stderr: ${stderr}`));
    });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (settled) return; // keep draining the request log
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline === -1) return;
      settled = true;
      clearTimeout(timer);
      const listening = JSON.parse(buffered.slice(0, newline));
      const url = `http://127.0.0.1:${listening.port}`;
      resolve({
        child,
        url,
        port: listening.port,
        modelId: options.modelId,
        stop: () => stopChild(child),
      });
    });
  });
}

export interface LoadResult {
  statuses: Record<number, number>;
  /** Client-side latency of each request, in ms. */
  latenciesMs: number[];
}

/**
 * Sends exactly `ok + badRequest + serverError` predict requests, `concurrency` at a time:
 * valid ones, invalid bodies (400) and inputs over maxTokens (500), interleaved.
 */
export async function sendLoad(
  url: string,
  counts: { ok: number; badRequest?: number; serverError?: number },
  concurrency = 4,
): Promise<LoadResult> {
  const kinds: Array<'ok' | 'bad' | 'error'> = [];
  for (let i = 0; i < counts.ok; i++) kinds.push('ok');
  for (let i = 0; i < (counts.badRequest ?? 0); i++) kinds.push('bad');
  for (let i = 0; i < (counts.serverError ?? 0); i++) kinds.push('error');
  // Interleave deterministically so failures are spread over the run.
  kinds.sort((a, b) => a.localeCompare(b));
  const order = kinds.map((k, i) => ({ k, key: (i * 7919) % kinds.length }));
  order.sort((a, b) => a.key - b.key);
  const tooLong = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
  const bodies = {
    ok: JSON.stringify({ input: 'a wonderful, reliable product' }),
    bad: '{"input": 42}',
    error: JSON.stringify({ input: tooLong }),
  };
  const result: LoadResult = { statuses: {}, latenciesMs: [] };
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const { k } = order[next++];
      const body = bodies[k];
      const started = performance.now();
      const response = await fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await response.text();
      result.latenciesMs.push(performance.now() - started);
      result.statuses[response.status] =
        (result.statuses[response.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}

/** The q quantile of `values` (nearest rank). */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** A loopback port free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every `intervalMs` until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} within ${timeoutMs} ms${
          lastError ? `: ${(lastError as Error).message}` : ''
        }`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}

/** The `prometheus` binary: `$PROMETHEUS_BIN`, else the first on PATH or in /usr/bin. */
export function findPrometheus(): string | undefined {
  const candidates = [
    process.env.PROMETHEUS_BIN,
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map(dir => path.join(dir, 'prometheus')),
    '/usr/bin/prometheus',
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

export interface PrometheusProcess {
  child: ChildProcess;
  baseUrl: string;
  dir: string;
  /** Runs an instant query and returns its vector. */
  query(
    promql: string,
  ): Promise<Array<{ metric: any; value: [number, string] }>>;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus on a free loopback port with a temporary TSDB, scraping `targets` every second
 * with their labels, and resolves once it is ready.
 */
export async function startPrometheus(options: {
  binary: string;
  targets: Array<{ url: string; labels: Record<string, string> }>;
  timeoutMs?: number;
}): Promise<PrometheusProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-ops-prometheus-'));
  const staticConfigs = options.targets
    .map(
      t =>
        `      - targets: ['${
          new URL(t.url).host
        }']\n        labels:\n${Object.entries(t.labels)
          .map(([k, v]) => `          ${k}: '${v}'`)
          .join('\n')}`,
    )
    .join('\n');
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: model-servers',
      '    static_configs:',
      staticConfigs,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const args = [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];
  const child = spawn(options.binary, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: dir,
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'prometheus ready',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`prometheus exited: ${stderr}`);
        const response = await fetch(`${baseUrl}/-/ready`);
        return response.status === 200 ? true : undefined;
      },
      options.timeoutMs ?? 30_000,
    );
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; stderr: ${stderr}`);
  }
  return {
    child,
    baseUrl,
    dir,
    stop,
    async query(promql) {
      const response = await fetch(`${baseUrl}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: promql }).toString(),
      });
      const json = await response.json();
      if (json.status !== 'success')
        throw new Error(`${promql}: ${json.error}`);
      return json.data.result;
    },
  };
}
