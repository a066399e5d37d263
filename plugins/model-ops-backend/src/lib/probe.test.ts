import http from 'node:http';
import { AddressInfo } from 'node:net';
import { percentile, predict, probe, round, summarize } from './probe';

/**
 * A tiny model server on loopback: answers `model-server/v1` predictions, alternating the
 * version between two "colors" (1.0.0 answers the even requests), failing inputs that say so,
 * and delaying inputs that ask.
 */
function startServer(): Promise<{
  url: string;
  close: () => Promise<void>;
  maxInFlight: () => number;
}> {
  let answered = 0;
  let current = 0;
  let max = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', chunk => (body += chunk));
    req.on('end', () => {
      current++;
      max = Math.max(max, current);
      const { input } = JSON.parse(body || '{}') as { input?: string };
      const version = answered++ % 2 === 0 ? '1.0.0' : '1.1.0';
      const delay = input?.startsWith('slow') ? 40 : 0;
      setTimeout(() => {
        current--;
        if (req.url !== '/v1/predict') {
          res.writeHead(404).end();
        } else if (input?.startsWith('fail')) {
          res
            .writeHead(500, {
              'content-type': 'application/json',
              'x-model-version': version,
            })
            .end(JSON.stringify({ error: 'model exploded' }));
        } else {
          res
            .writeHead(200, {
              'content-type': 'application/json',
              'x-model-version': version,
            })
            .end(
              JSON.stringify({
                predictions: [{ label: 'positive', score: 0.9 }],
              }),
            );
        }
      }, delay);
    });
  });
  return new Promise(resolve =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise(done => server.close(() => done())),
        maxInFlight: () => max,
      });
    }),
  );
}

describe('probe', () => {
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(async () => {
    await server.close();
  });

  it('predicts, reading the label and the answering version', async () => {
    const ok = await predict(server.url, 'works');
    expect(ok).toMatchObject({
      ok: true,
      status: 200,
      version: '1.0.0',
      label: 'positive',
      score: 0.9,
    });
    const failed = await predict(server.url, 'fail please');
    expect(failed).toMatchObject({
      ok: false,
      status: 500,
      version: '1.1.0',
      error: 'model exploded',
    });
    const unreachable = await predict('http://127.0.0.1:1', 'x', 1000);
    expect(unreachable).toMatchObject({ ok: false, status: 0 });
    expect(unreachable.error).toBeTruthy();
  });

  it('sends a count of requests in turn and reports error rate, percentiles and versions', async () => {
    const result = await probe({
      endpoint: server.url,
      inputs: ['a', 'b', 'fail c', 'd'],
      count: 8,
    });
    expect(result.requests).toBe(8);
    expect(result.samples.map(s => s.input)).toEqual([
      'a',
      'b',
      'fail c',
      'd',
      'a',
      'b',
      'fail c',
      'd',
    ]);
    expect(result.errors).toBe(2);
    expect(result.errorRatePct).toBe(25);
    expect(result.latencies).toHaveLength(8);
    expect(result.p95Ms).toBeGreaterThanOrEqual(result.p50Ms);
    expect(result.throughputRps).toBeGreaterThan(0);
    // Attribution: who answered each request.
    const byVersion = (v: string) =>
      summarize(result.samples.filter(s => s.version === v));
    expect(byVersion('1.0.0')).toMatchObject({
      requests: 4,
      errors: 2,
      errorRatePct: 50,
    });
    expect(byVersion('1.1.0')).toMatchObject({
      requests: 4,
      errors: 0,
      errorRatePct: 0,
    });
  });

  it('runs concurrent clients for a duration', async () => {
    const result = await probe({
      endpoint: server.url,
      inputs: ['slow one'],
      durationMs: 300,
      concurrency: 3,
    });
    expect(server.maxInFlight()).toBe(3);
    expect(result.requests).toBeGreaterThanOrEqual(6);
    expect(result.errorRatePct).toBe(0);
    expect(result.p50Ms).toBeGreaterThanOrEqual(35);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(result.throughputRps).toBeGreaterThan(10);
  });

  it('stops when its signal aborts, and tells each sample as it comes', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const result = await probe({
      endpoint: server.url,
      inputs: ['x'],
      durationMs: 10_000,
      intervalMs: 5,
      signal: controller.signal,
      onSample: (_, index) => {
        seen.push(index);
        if (index === 4) controller.abort();
      },
    });
    expect(result.requests).toBe(5);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('has figures of nothing that compare as zero', () => {
    expect(summarize([])).toEqual({
      requests: 0,
      errors: 0,
      errorRatePct: 0,
      p50Ms: 0,
      p95Ms: 0,
    });
    expect(percentile([], 95)).toBeNaN();
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 95)).toBe(5);
    expect(round(1.23456)).toBe(1.23);
    expect(round(1.25, 1)).toBe(1.3);
  });

  it('needs a count or a duration', async () => {
    await expect(probe({ endpoint: server.url, inputs: [] })).rejects.toThrow(
      /count or a durationMs/,
    );
  });
});
