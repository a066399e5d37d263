import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { metricValue, startServer } from './childServer.ts';
import type { ChildServer } from './childServer.ts';

const serverScript = join(__dirname, 'server.ts');
const modelsDir = resolve(__dirname, '../../../examples/models');
const artifact = (id: string, version: string) => join(modelsDir, id, version);

jest.setTimeout(30000);

describe('model server (sentiment-classifier 1.1.0)', () => {
  let server: ChildServer;
  const sent = { 200: 0, 400: 0, 500: 0 };

  const predict = async (body: unknown) => {
    const res = await server.request('POST', '/v1/predict', body);
    sent[res.status as 200 | 400 | 500]++;
    return res;
  };

  beforeAll(async () => {
    server = await startServer({
      serverScript,
      artifact: artifact('sentiment-classifier', '1.1.0'),
      extraArgs: ['--model-id', 'sentiment-classifier'],
    });
  });

  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('prints one listening line with the contract fields', () => {
    expect(server.listening).toEqual({
      event: 'listening',
      host: '127.0.0.1',
      port: expect.any(Number),
      modelId: 'sentiment-classifier',
      version: '1.1.0',
      pid: server.child.pid,
    });
    expect(server.listening.port).toBeGreaterThan(0);
    expect(Object.keys(server.listening)).toEqual([
      'event',
      'host',
      'port',
      'modelId',
      'version',
      'pid',
    ]);
  });

  it('predicts one input', async () => {
    const res = await predict({ input: 'I love it, works great' });
    expect(res.status).toBe(200);
    expect(res.headers['x-model-version']).toBe('1.1.0');
    expect(res.headers['content-type']).toBe('application/json');
    const body = res.json();
    expect(body).toEqual({
      modelId: 'sentiment-classifier',
      version: '1.1.0',
      predictions: [{ label: 'positive', score: expect.any(Number) }],
    });
    expect(body.predictions[0].score).toBeGreaterThanOrEqual(0.5);
    expect(body.predictions[0].score).toBeLessThanOrEqual(1);
  });

  it('predicts a batch, in order', async () => {
    const res = await predict({
      inputs: [
        'broke after a day, waste of money',
        'I love it, works great',
        'Not worth the money, very poor quality',
      ],
    });
    expect(res.status).toBe(200);
    expect(
      res.json().predictions.map((p: { label: string }) => p.label),
    ).toEqual(['negative', 'positive', 'negative']);
  });

  it.each([
    ['not JSON', '{"input": ', 'body'],
    ['not an object', '["text"]', 'body'],
    ['no input', {}, 'input'],
    ['input not a string', { input: 42 }, 'input'],
    ['input empty', { input: '  ' }, 'input'],
    ['both input and inputs', { input: 'a', inputs: ['b'] }, 'input'],
    ['inputs not an array', { inputs: 'text' }, 'inputs'],
    ['inputs empty', { inputs: [] }, 'inputs'],
    [
      'too many inputs',
      { inputs: Array.from({ length: 65 }, () => 'great') },
      'inputs',
    ],
    ['an input that is not a string', { inputs: ['fine', null] }, 'inputs[1]'],
  ])('answers 400 naming the field for %s', async (_, body, field) => {
    const res = await predict(body);
    expect(res.status).toBe(400);
    expect(res.headers['x-model-version']).toBe('1.1.0');
    expect(res.json().error).toMatch(
      new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}: `),
    );
  });

  it('accepts exactly 64 inputs', async () => {
    const res = await predict({
      inputs: Array.from(
        { length: 64 },
        (_, i) => `review number ${i} is great`,
      ),
    });
    expect(res.status).toBe(200);
    expect(res.json().predictions).toHaveLength(64);
  });

  it('answers /healthz', async () => {
    const res = await server.request('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['x-model-version']).toBe('1.1.0');
    expect(res.json()).toEqual({
      status: 'ok',
      modelId: 'sentiment-classifier',
      version: '1.1.0',
      uptimeSeconds: expect.any(Number),
    });
    expect(res.json().uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('answers 404 and 405 with the version header', async () => {
    const missing = await server.request('GET', '/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-model-version']).toBe('1.1.0');
    const wrongMethod = await server.request('GET', '/v1/predict');
    expect(wrongMethod.status).toBe(405);
  });

  it('counts what it served in /metrics', async () => {
    for (let i = 0; i < 5; i++)
      await predict({ input: `five more requests, number ${i}` });
    const res = await server.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['x-model-version']).toBe('1.1.0');
    const text = res.text;
    expect(sent[200]).toBeGreaterThanOrEqual(8);
    expect(sent[400]).toBe(10);
    expect(metricValue(text, 'model_requests_total', { status: '200' })).toBe(
      sent[200],
    );
    expect(metricValue(text, 'model_requests_total', { status: '400' })).toBe(
      sent[400],
    );
    expect(metricValue(text, 'model_requests_total', { status: '500' })).toBe(
      0,
    );
    const total = sent[200] + sent[400];
    expect(metricValue(text, 'model_request_duration_seconds_count')).toBe(
      total,
    );
    expect(
      metricValue(text, 'model_request_duration_seconds_bucket', {
        le: '+Inf',
      }),
    ).toBe(total);
    expect(
      metricValue(text, 'model_request_duration_seconds_bucket', {
        le: '0.001',
      }),
    ).toBeDefined();
    expect(
      metricValue(text, 'model_request_duration_seconds_bucket', { le: '5' }),
    ).toBe(total);
    expect(
      metricValue(text, 'model_request_duration_seconds_sum'),
    ).toBeGreaterThan(0);
    expect(
      metricValue(text, 'model_info', {
        model_id: 'sentiment-classifier',
        version: '1.1.0',
      }),
    ).toBe(1);
    expect(metricValue(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(metricValue(text, 'process_resident_memory_bytes')).toBeGreaterThan(
      0,
    );
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).toMatch(/^# TYPE model_requests_total counter$/m);
    expect(text).toMatch(/^# TYPE model_request_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE model_info gauge$/m);
  });

  it('logs JSON lines to stdout', () => {
    const entries = server.lines.slice(1).map(line => JSON.parse(line));
    expect(entries.length).toBeGreaterThan(0);
    expect(
      entries.filter(
        e =>
          e.event === 'request' &&
          e.method === 'POST' &&
          e.path === '/v1/predict',
      ).length,
    ).toBe(sent[200] + sent[400]);
  });
});

describe('model server shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'exits 0 on %s when idle',
    async signal => {
      const server = await startServer({
        serverScript,
        artifact: artifact('sentiment-classifier', '1.0.0'),
      });
      const started = Date.now();
      expect(await server.stop(signal)).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(
        server.lines.some(line => JSON.parse(line).event === 'stopped'),
      ).toBe(true);
    },
  );

  it('finishes an in-flight request, stops accepting, then exits 0', async () => {
    // 2.1.0 takes a few hundred ms per input, so this request is in flight for a while.
    const server = await startServer({
      serverScript,
      artifact: artifact('sentiment-classifier', '2.1.0'),
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = JSON.stringify({
        inputs: ['great', 'awful', 'fine, works great'],
      });
      const response = new Promise<{ status: number; text: string }>(
        (resolvePromise, reject) => {
          const req = httpRequest(`${server.url}/v1/predict`, {
            method: 'POST',
            agent,
            // The server answers "100 Continue" once it has parsed the headers: from then on the
            // request is in flight and the signal cannot race it.
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              expect: '100-continue',
            },
          });
          req.on('continue', () => {
            server.child.kill('SIGTERM');
            // Send the body only once the server has begun shutting down.
            server
              .waitForLog(e => e.event === 'stopping')
              .then(() => req.end(body), reject);
          });
          req.on('response', res => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              text += c;
            });
            res.on('end', () =>
              resolvePromise({ status: res.statusCode ?? 0, text }),
            );
          });
          req.on('error', reject);
        },
      );
      const started = Date.now();
      const answer = await response;
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text).predictions).toHaveLength(3);
      expect(await server.stop('SIGTERM', 5000)).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
      // The listener is closed: new connections are refused.
      await expect(server.request('GET', '/healthz')).rejects.toThrow(
        /ECONNREFUSED/,
      );
    } finally {
      agent.destroy();
      await server.stop('SIGKILL');
    }
  });
});

describe('model server refuses bad artifacts and arguments', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'model-server-test-'));
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  const start = (artifactDir: string, extraArgs: string[] = []) =>
    startServer({ serverScript, artifact: artifactDir, extraArgs });

  it('exits non-zero when the artifact is missing', async () => {
    await expect(start(join(tmp, 'missing'))).rejects.toThrow(
      /exited with 1 before listening.*invalid artifact .*manifest\.json not found/s,
    );
  });

  it('exits non-zero when a file does not match the manifest', async () => {
    const dir = join(tmp, 'tampered');
    cpSync(artifact('sentiment-classifier', '1.0.0'), dir, { recursive: true });
    writeFileSync(join(dir, 'tests.json'), '{"cases":[]}\n');
    await expect(start(dir)).rejects.toThrow(
      /exited with 1 .*tests\.json does not match manifest\.json/s,
    );
  });

  it('exits non-zero when --model-id does not match the artifact', async () => {
    await expect(
      start(artifact('fraud-detector', '1.0.0'), [
        '--model-id',
        'sentiment-classifier',
      ]),
    ).rejects.toThrow(
      /exited with 1 .*--model-id sentiment-classifier does not match/s,
    );
  });

  it('exits 2 on bad arguments', async () => {
    await expect(
      start(artifact('sentiment-classifier', '1.0.0'), ['--port', 'abc']),
    ).rejects.toThrow(/exited with 2 .*--port/s);
  });
});
