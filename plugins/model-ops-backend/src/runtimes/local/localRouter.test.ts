import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { httpClient, ROUTER_SCRIPT, tempDir } from './__testUtils__/testUtils';

jest.setTimeout(60_000);

const TOKEN = 'a'.repeat(64);

/** A tiny upstream: answers with its name, echoes bodies, and waits `?delay=ms`. */
function upstream(name: string): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    const delayMs = Number(
      new URL(req.url!, 'http://x').searchParams.get('delay') ?? 0,
    );
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        const body = Buffer.concat(chunks);
        res.writeHead(200, {
          'x-model-version': name,
          'content-type': 'application/octet-stream',
        });
        res.end(req.url!.startsWith('/echo') ? body : name);
      }, delayMs);
    });
  });
  return new Promise(resolve =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        server,
      }),
    ),
  );
}

function startRouter(
  dir: string,
): Promise<{ url: string; child: ChildProcess }> {
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [
      ROUTER_SCRIPT,
      '--port',
      '0',
      '--model-id',
      'm',
      '--token-file',
      tokenFile,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error('router did not start')),
      10_000,
    );
    child.stdout!.on('data', chunk => {
      buffered += chunk;
      const line = buffered.split('\n').find(l => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        child.stdout!.resume();
        resolve({ url: `http://127.0.0.1:${JSON.parse(line).port}`, child });
      }
    });
    child.once('exit', code => reject(new Error(`router exited ${code}`)));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('local-router.cjs', () => {
  let dir: string;
  let router: { url: string; child: ChildProcess };
  const servers: http.Server[] = [];
  const client = httpClient();
  let a: string;
  let b: string;

  const admin = (method: string, what: string, body?: unknown, token = TOKEN) =>
    client.request(`${router.url}/__model-ops/${what}`, {
      method,
      headers: token ? { 'x-model-ops-router-token': token } : {},
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    dir = tempDir('router');
    router = await startRouter(dir);
    const ua = await upstream('a');
    const ub = await upstream('b');
    servers.push(ua.server, ub.server);
    a = ua.url;
    b = ub.url;
  });

  afterAll(async () => {
    client.close();
    const exited = new Promise(resolve => router.child.once('exit', resolve));
    router.child.kill('SIGTERM');
    await exited;
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 JSON with no upstream of weight > 0', async () => {
    const answer = await client.request(`${router.url}/v1/predict`, {
      method: 'POST',
    });
    expect(answer.status).toBe(503);
    expect(answer.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(answer.body).error).toMatch(
      /no upstream with weight > 0/,
    );

    await admin('PUT', 'routes', { upstreams: { a: { url: a, weight: 0 } } });
    expect((await client.request(`${router.url}/x`)).status).toBe(503);
  });

  it('requires the token and validates the table', async () => {
    expect((await admin('GET', 'healthz', undefined, '')).status).toBe(401);
    expect(
      (await admin('GET', 'routes', undefined, 'b'.repeat(64))).status,
    ).toBe(401);
    const health = await admin('GET', 'healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({
      status: 'ok',
      modelId: 'm',
    });

    const bad = await admin('PUT', 'routes', {
      upstreams: { a: { url: a, weight: -1 } },
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(
      /weight must be a non-negative integer/,
    );
    const badUrl = await admin('PUT', 'routes', {
      upstreams: { a: { url: 'ftp://x', weight: 1 } },
    });
    expect(badUrl.status).toBe(400);

    const applied = await admin('PUT', 'routes', {
      upstreams: { a: { url: a, weight: 30 }, b: { url: b, weight: 70 } },
    });
    expect(applied.status).toBe(200);
    expect(JSON.parse(applied.body).upstreams).toEqual({
      a: { url: a, weight: 30 },
      b: { url: b, weight: 70 },
    });
    expect(JSON.parse((await admin('GET', 'routes')).body).upstreams).toEqual({
      a: { url: a, weight: 30 },
      b: { url: b, weight: 70 },
    });
  });

  it('spreads requests by weight', async () => {
    await admin('PUT', 'routes', {
      upstreams: { a: { url: a, weight: 30 }, b: { url: b, weight: 70 } },
    });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const answer = await client.request(`${router.url}/v1/predict`, {
        method: 'POST',
      });
      counts[answer.body] = (counts[answer.body] ?? 0) + 1;
      expect(answer.headers['x-model-ops-slot']).toBe(answer.body);
    }
    expect(counts).toEqual({ a: 30, b: 70 });
  });

  it('streams large bodies both ways', async () => {
    await admin('PUT', 'routes', { upstreams: { a: { url: a, weight: 1 } } });
    const body = Buffer.alloc(5 * 1024 * 1024, 'x');
    body.write('start');
    body.write('end', body.length - 3);
    const answer = await client.request(`${router.url}/echo`, {
      method: 'POST',
      body,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBe(body.length);
    expect(answer.body.startsWith('start') && answer.body.endsWith('end')).toBe(
      true,
    );
  });

  it('lets in-flight requests finish on their upstream when the weights change', async () => {
    await admin('PUT', 'routes', { upstreams: { a: { url: a, weight: 100 } } });
    const slow = client.request(`${router.url}/v1/predict?delay=300`, {
      method: 'POST',
    });
    await new Promise(resolve => setTimeout(resolve, 50));
    await admin('PUT', 'routes', {
      upstreams: { a: { url: a, weight: 0 }, b: { url: b, weight: 100 } },
    });
    expect(
      (await client.request(`${router.url}/v1/predict`, { method: 'POST' }))
        .body,
    ).toBe('b');
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('a');
  });

  it('retries a refused connection on another upstream', async () => {
    const closed = await upstream('closed');
    closed.server.close();
    await admin('PUT', 'routes', {
      upstreams: {
        dead: { url: closed.url, weight: 50 },
        b: { url: b, weight: 50 },
      },
    });
    for (let i = 0; i < 20; i++) {
      const answer = await client.request(`${router.url}/v1/predict`, {
        method: 'POST',
        body: 'hello',
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toBe('b');
    }
    // With nowhere else to go, a refused connection is a 502.
    await admin('PUT', 'routes', {
      upstreams: { dead: { url: closed.url, weight: 100 } },
    });
    const answer = await client.request(`${router.url}/v1/predict`, {
      method: 'POST',
    });
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.body).error).toMatch(/ECONNREFUSED/);
  });

  it('adds little latency (measured over 500 requests)', async () => {
    await admin('PUT', 'routes', { upstreams: { a: { url: a, weight: 100 } } });
    const time = async (url: string) => {
      const start = process.hrtime.bigint();
      const answer = await client.request(url, {
        method: 'POST',
        body: '{"text":"x"}',
      });
      expect(answer.status).toBe(200);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    // warm up both paths
    for (let i = 0; i < 50; i++) {
      await time(`${a}/v1/predict`);
      await time(`${router.url}/v1/predict`);
    }
    const direct: number[] = [];
    const routed: number[] = [];
    for (let i = 0; i < 500; i++) {
      direct.push(await time(`${a}/v1/predict`));
      routed.push(await time(`${router.url}/v1/predict`));
    }
    const overhead = median(routed) - median(direct);
    process.stdout.write(
      `[measure] router overhead: median direct ${median(direct).toFixed(
        3,
      )} ms, routed ${median(routed).toFixed(3)} ms, extra ${overhead.toFixed(
        3,
      )} ms per request (500 requests)\n`,
    );
    expect(overhead).toBeLessThan(20);
  });
});
