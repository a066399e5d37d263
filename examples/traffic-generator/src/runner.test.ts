import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createPlanner } from './planner.ts';
import { formatElapsed, formatSummary, runTraffic } from './runner.ts';
import { splitTexts } from './texts.ts';

jest.setTimeout(15000);

/** A tiny stand-in for the model server: 200 for {"input": "<text>"}, 400 for anything else. */
function startFakeServer(): Promise<{
  server: Server;
  url: string;
  counts: Record<string, number>;
}> {
  const counts = { requests: 0, malformed: 0, otherPaths: 0 };
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/predict') {
      counts.otherPaths++;
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      counts.requests++;
      let ok = false;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        ok =
          typeof body === 'object' &&
          body !== null &&
          !Array.isArray(body) &&
          Object.keys(body).length === 1 &&
          typeof body.input === 'string' &&
          body.input.trim() !== '';
      } catch {
        ok = false;
      }
      if (!ok) counts.malformed++;
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(ok ? '{"predictions":[]}' : '{"error":"body"}');
    });
  });
  return new Promise(resolvePromise => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolvePromise({ server, url: `http://127.0.0.1:${port}`, counts });
    });
  });
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise(r => server.close(r));
  return port;
}

const texts = splitTexts([
  'Great value.',
  'Broke after a day.',
  'I bought this for my daughter and she has used it every single day for three months now.',
]);

describe('runTraffic against a loopback server', () => {
  let fake: Awaited<ReturnType<typeof startFakeServer>>;

  beforeEach(async () => {
    fake = await startFakeServer();
  });

  afterEach(async () => {
    fake.server.closeAllConnections();
    await new Promise(r => fake.server.close(r));
  });

  it('sends the planned requests, malformed ones in bursts, and survives a target that is down', async () => {
    const deadUrl = `http://127.0.0.1:${await closedPort()}`;
    const planner = createPlanner({
      targets: [{ name: 'live' }, { name: 'dead' }],
      baseRps: 40,
      dayPeriodMs: 60_000,
      startHour: 11,
      noise: 0,
      seed: 3,
      texts,
      longShare: 0.3,
      // bursts from 0.3 s to 1.0 s, half of the requests malformed
      burst: {
        target: 'live',
        share: 0.5,
        everyMs: 2000,
        durationMs: 700,
        offsetMs: 300,
      },
    });
    const lines: string[] = [];
    const started = Date.now();
    const result = await runTraffic({
      targets: [
        { name: 'live', url: fake.url },
        { name: 'dead', url: deadUrl },
      ],
      planner,
      burstTarget: 'live',
      durationMs: 1500,
      tickMs: 50,
      summaryMs: 500,
      backoffInitialMs: 200,
      backoffMaxMs: 400,
      log: line => lines.push(line),
    });
    const took = Date.now() - started;
    expect(result.reason).toBe('duration');
    expect(took).toBeLessThan(2500);

    const live = result.totals.live;
    // about 40 req/s × 1.8 (late-morning peak) × 1.5 s; allow for timer jitter
    expect(live.sent).toBeGreaterThan(60);
    expect(live.sent).toBeLessThan(130);
    expect(fake.counts.requests).toBe(live.sent);
    expect(fake.counts.otherPaths).toBe(0);
    expect(fake.counts.malformed).toBe(live.malformed);
    expect(live.malformed).toBeGreaterThan(5);
    expect(live.malformed).toBeLessThan(live.sent / 2);
    expect(live.errors).toBe(live.malformed);
    expect(live.ok).toBe(live.sent - live.malformed);
    expect(live.failed).toBe(0);

    const dead = result.totals.dead;
    expect(dead.sent).toBeGreaterThanOrEqual(2); // the first try and at least one retry
    // the first tick's requests, then one retry at a time with backoff (0.2, 0.4, 0.4 s): no storm
    expect(dead.sent).toBeLessThanOrEqual(10);
    const retries = lines.filter(l => l.startsWith('dead still down')).length;
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(retries).toBeLessThanOrEqual(5);
    expect(dead.failed).toBe(dead.sent);
    expect(dead.skipped).toBeGreaterThan(30);
    expect(lines.some(l => /^dead is down \(ECONNREFUSED/.test(l))).toBe(true);
    expect(lines.some(l => /^dead still down after 2 attempts/.test(l))).toBe(
      true,
    );

    const summaries = lines.filter(l => l.startsWith('+0:0'));
    expect(summaries.length).toBeGreaterThanOrEqual(2);
    expect(summaries.length).toBeLessThanOrEqual(3);
    expect(summaries[0]).toMatch(
      /\| live \d+ req \d+ err.* \| dead \d+ req \d+ err \(DOWN, \d+ skipped\)$/,
    );
    expect(lines[lines.length - 1]).toMatch(
      new RegExp(
        `^done \\(duration\\) after 0:01, totals \\| live ${live.sent} req ${live.malformed} err`,
      ),
    );
  });

  it('stops promptly when the signal aborts', async () => {
    const planner = createPlanner({
      targets: [{ name: 'live' }],
      baseRps: 20,
      dayPeriodMs: 60_000,
      startHour: 11,
      noise: 0.1,
      seed: 4,
      texts,
      longShare: 0.3,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const result = await runTraffic({
      targets: [{ name: 'live', url: fake.url }],
      planner,
      durationMs: 60_000,
      log: () => {},
      signal: controller.signal,
    });
    expect(result.reason).toBe('signal');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(result.totals.live.sent).toBeGreaterThan(0);
    expect(fake.counts.requests).toBe(result.totals.live.sent);
  });

  it('marks a target back up once it answers again', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const planner = createPlanner({
      targets: [{ name: 'late' }],
      baseRps: 30,
      dayPeriodMs: 60_000,
      startHour: 11,
      noise: 0,
      seed: 5,
      texts,
      longShare: 0.3,
    });
    // the target comes up 300 ms into the run
    const late = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end('{}'));
    });
    const timer = setTimeout(() => late.listen(port, '127.0.0.1'), 300);
    const lines: string[] = [];
    try {
      const result = await runTraffic({
        targets: [{ name: 'late', url }],
        planner,
        durationMs: 1200,
        tickMs: 50,
        backoffInitialMs: 250,
        log: line => lines.push(line),
      });
      expect(lines.some(l => l.startsWith('late is down'))).toBe(true);
      expect(
        lines.some(l => /^late is back up after \d+ failed attempts$/.test(l)),
      ).toBe(true);
      expect(result.totals.late.ok).toBeGreaterThan(10);
    } finally {
      clearTimeout(timer);
      late.closeAllConnections();
      await new Promise(r => late.close(r));
    }
  });
});

describe('formatting', () => {
  it('formats elapsed time and the summary line', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(61_500)).toBe('1:01');
    expect(formatElapsed(3_725_000)).toBe('1:02:05');
    const stats = {
      sent: 120,
      malformed: 30,
      ok: 88,
      errors: 30,
      failed: 2,
      skipped: 0,
    };
    expect(
      formatSummary('+4:30 last 0:30', [
        { name: 'sentiment-classifier', stats, burst: true },
        {
          name: 'fraud-detector',
          stats: { ...stats, sent: 1, skipped: 9 },
          down: true,
        },
      ]),
    ).toBe(
      '+4:30 last 0:30 | sentiment-classifier 120 req 32 err (error burst) | fraud-detector 1 req 32 err (DOWN, 9 skipped)',
    );
  });
});
