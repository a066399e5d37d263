import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

jest.setTimeout(15000);

const mainScript = join(__dirname, 'main.ts');

/** Runs the CLI; resolves with its exit code, output and how long it ran after `signalAfterMs`. */
function runCli(
  args: string[],
  options: { signalAfterMs?: number; signal?: NodeJS.Signals } = {},
) {
  const child = spawn(process.execPath, [mainScript, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', c => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', c => (stderr += c));
  let signalledAt: number | undefined;
  const signalTimer =
    options.signalAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          signalledAt = Date.now();
          child.kill(options.signal ?? 'SIGTERM');
        }, options.signalAfterMs);
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 10000);
  const started = Date.now();
  return new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    ranMs: number;
    stopMs?: number;
  }>(resolvePromise => {
    child.on('exit', code => {
      clearTimeout(signalTimer);
      clearTimeout(killTimer);
      const now = Date.now();
      // let the pipes drain
      setImmediate(() =>
        resolvePromise({
          code,
          stdout,
          stderr,
          ranMs: now - started,
          stopMs: signalledAt === undefined ? undefined : now - signalledAt,
        }),
      );
    });
  });
}

describe('main.ts', () => {
  let server: Server;
  let url: string;
  let received = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(r => server.close(r));
  });

  it('stops within 2 s of SIGTERM and exits 0', async () => {
    received = 0;
    const result = await runCli(
      [
        '--target',
        `sentiment-classifier=${url}`,
        '--base-rps',
        '20',
        '--duration',
        '60',
      ],
      { signalAfterMs: 1200 },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stopMs).toBeLessThan(2000);
    expect(received).toBeGreaterThan(0);
    expect(result.stdout).toMatch(
      /traffic-generator started: sentiment-classifier=http:\/\/127\.0\.0\.1:\d+;/,
    );
    expect(result.stdout).toMatch(/traffic-generator SIGTERM: stopping/);
    expect(result.stdout).toMatch(
      new RegExp(
        `traffic-generator done \\(signal\\) after 0:0\\d, totals \\| sentiment-classifier ${received} req 0 err`,
      ),
    );
  });

  it('stops by itself after --duration', async () => {
    const result = await runCli([
      '--target',
      `churn-predictor=${url}`,
      '--duration',
      '1',
      '--summary-seconds',
      '1',
      '--burst',
      'churn-predictor',
      '--burst-offset',
      '0',
    ]);
    expect(result.code).toBe(0);
    expect(result.ranMs).toBeLessThan(5000);
    expect(result.stdout).toMatch(
      /error bursts on churn-predictor: 30 % malformed for 90 s every 4 min from 0:00/,
    );
    expect(result.stdout).toMatch(
      /done \(duration\) after 0:01, totals \| churn-predictor \d+ req/,
    );
  });

  it('exits 2 with the usage on a bad option', async () => {
    const result = await runCli(['--target', 'a=http://192.0.2.1:80']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a loopback address/);
    expect(result.stderr).toMatch(/^usage: /m);
  });
});
