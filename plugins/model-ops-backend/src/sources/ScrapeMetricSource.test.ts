import { mockServices } from '@backstage/backend-test-utils';
import {
  MetricSample,
  MetricSourceState,
  MetricTarget,
} from '@model-ops/plugin-model-ops-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsUsage, ScrapeMetricSource } from './ScrapeMetricSource';

const T0 = Date.parse('2026-01-02T03:04:05.000Z');
const WINDOW = { from: new Date(T0 - 60_000), to: new Date(T0) };
const GiB = 1024 ** 3;

/** The demo server's exposition with the given values; absent fields are not reported. */
function demoText(s: {
  requests?: Record<string, number>;
  unlabelledRequests?: number;
  buckets?: Record<string, number>;
  cpu?: number;
  rss?: number;
  start?: number;
}): string {
  const lines: string[] = [];
  if (s.cpu !== undefined) {
    lines.push('# HELP process_cpu_seconds_total Total CPU time.');
    lines.push('# TYPE process_cpu_seconds_total counter');
    lines.push(`process_cpu_seconds_total ${s.cpu}`);
  }
  if (s.start !== undefined) {
    lines.push('# TYPE process_start_time_seconds gauge');
    lines.push(`process_start_time_seconds ${s.start}`);
  }
  if (s.rss !== undefined) {
    lines.push('# TYPE process_resident_memory_bytes gauge');
    lines.push(`process_resident_memory_bytes ${s.rss}`);
  }
  if (s.requests) {
    lines.push('# HELP model_requests_total Prediction requests.');
    lines.push('# TYPE model_requests_total counter');
    for (const [status, n] of Object.entries(s.requests))
      lines.push(`model_requests_total{status="${status}"} ${n}`);
  }
  if (s.unlabelledRequests !== undefined) {
    lines.push('# TYPE model_requests_total counter');
    lines.push(`model_requests_total ${s.unlabelledRequests}`);
  }
  if (s.buckets) {
    lines.push('# TYPE model_request_duration_seconds histogram');
    let count = 0;
    for (const [le, n] of Object.entries(s.buckets)) {
      lines.push(`model_request_duration_seconds_bucket{le="${le}"} ${n}`);
      count = n;
    }
    lines.push(`model_request_duration_seconds_sum 1.25`);
    lines.push(`model_request_duration_seconds_count ${count}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Fake `/metrics` endpoints: the text (or a status / hang) served at each URL. */
function fakeServers() {
  const bodies = new Map<string, string | number | 'hang'>();
  const requested: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetchFn = jest.fn(async (input: any, init?: RequestInit) => {
    const url = String(input);
    requested.push(url);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      // Let the other workers start before answering.
      await new Promise(resolve => setImmediate(resolve));
      const body = bodies.get(url);
      if (body === 'hang') {
        return await new Promise<Response>((_, reject) => {
          init?.signal?.addEventListener('abort', () =>
            reject(init.signal!.reason),
          );
        });
      }
      if (body === undefined) throw new TypeError('fetch failed');
      if (typeof body === 'number')
        return new Response('oops', { status: body });
      return new Response(body, {
        status: 200,
        headers: { 'content-type': 'text/plain; version=0.0.4' },
      });
    } finally {
      inFlight -= 1;
    }
  });
  return {
    bodies,
    requested,
    fetch: fetchFn as unknown as typeof fetch,
    maxInFlight: () => maxInFlight,
  };
}

function manualClock(start = T0) {
  let now = start;
  return {
    now: () => new Date(now),
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

const target = (
  modelId: string,
  slots: Array<{
    slot: 'blue' | 'green' | 'testing' | 'staging';
    endpoint?: string;
  }>,
): MetricTarget => ({
  modelId,
  entityRef: `component:default/${modelId}`,
  slots,
});

function byMetric(samples: MetricSample[], modelId?: string, slot?: string) {
  return Object.fromEntries(
    samples
      .filter(
        s =>
          (modelId === undefined || s.modelId === modelId) &&
          (slot === undefined || s.slot === slot),
      )
      .map(s => [s.metric, s.value]),
  );
}

const USAGE: FsUsage = { blocks: 1000, bfree: 400, bavail: 300 };

/** A source state in memory that stores what the database would: JSON text. */
function jsonState() {
  const rows = new Map<string, string>();
  const state: MetricSourceState = {
    async get(keys) {
      const found = new Map<string, unknown>();
      for (const key of keys) {
        const text = rows.get(key);
        if (text !== undefined) found.set(key, JSON.parse(text));
      }
      return found;
    },
    async set(entries) {
      for (const [key, value] of entries) rows.set(key, JSON.stringify(value));
    },
    async retain(keys) {
      for (const key of [...rows.keys()]) {
        if (!keys.includes(key)) rows.delete(key);
      }
    },
  };
  return { rows, state };
}

describe('ScrapeMetricSource', () => {
  const URL_A = 'http://127.0.0.1:5001';
  const targets = [target('model-a', [{ slot: 'blue', endpoint: URL_A }])];

  function setup(
    options: Partial<ConstructorParameters<typeof ScrapeMetricSource>[0]> = {},
  ) {
    const servers = fakeServers();
    const clock = manualClock();
    const costPerRequest = jest.fn(() => 0.002);
    const statfs = jest.fn(async (_dir: string) => USAGE);
    const source = new ScrapeMetricSource({
      fetch: servers.fetch,
      now: clock.now,
      cpuCores: 2,
      totalMemoryBytes: () => 4 * GiB,
      statfs,
      costPerRequest,
      logger: mockServices.logger.mock(),
      ...options,
    });
    return { servers, clock, source, costPerRequest, statfs };
  }

  it('reads user satisfaction and feature usage only from servers that report them', async () => {
    const { servers, clock, source } = setup();
    const extra = (uses: number) =>
      `${demoText({
        requests: { '200': 10 },
      })}# TYPE model_user_satisfaction gauge
model_user_satisfaction{channel="web"} 80
model_user_satisfaction{channel="app"} 90
# TYPE model_feature_usage_total counter
model_feature_usage_total{feature="explain"} ${uses}
model_feature_usage_total{feature="batch"} ${uses * 2}
`;
    servers.bodies.set(`${URL_A}/metrics`, extra(10));
    const first = byMetric(await source.collect(targets, WINDOW));
    expect(first.userSatisfaction).toBe(85);
    expect(first.featureUsage).toBeUndefined(); // a counter needs two scrapes
    clock.advance(10);
    servers.bodies.set(`${URL_A}/metrics`, extra(20));
    const second = byMetric(await source.collect(targets, WINDOW));
    expect(second.featureUsage).toBeCloseTo(3); // (20 + 40 - 10 - 20) uses over 10 s
    expect(second.userSatisfaction).toBe(85);

    // The demo server reports neither: they are left out, never invented.
    servers.bodies.set(
      `${URL_A}/metrics`,
      demoText({ requests: { '200': 20 } }),
    );
    clock.advance(10);
    const plain = byMetric(await source.collect(targets, WINDOW));
    expect(plain).not.toHaveProperty('userSatisfaction');
    expect(plain).not.toHaveProperty('featureUsage');
  });

  it('primes on the first scrape, then derives the window from the counter deltas', async () => {
    const { servers, clock, source, costPerRequest, statfs } = setup();
    servers.bodies.set(
      `${URL_A}/metrics`,
      demoText({
        requests: { '200': 100, '400': 5, '500': 0 },
        buckets: { '0.005': 50, '0.01': 90, '0.025': 105, '+Inf': 105 },
        cpu: 1,
        rss: 0.5 * GiB,
        start: 1700000000,
      }),
    );
    const first = await source.collect(targets, WINDOW);
    // Only current values on the first scrape: the counters are primed.
    expect(byMetric(first)).toEqual({ memory: 12.5, disk: (600 / 900) * 100 });
    expect(first[0]).toMatchObject({
      modelId: 'model-a',
      slot: 'blue',
      timestamp: new Date(T0),
    });
    expect(statfs).toHaveBeenCalledWith('/');
    expect(costPerRequest).not.toHaveBeenCalled();

    clock.advance(10);
    servers.bodies.set(
      `${URL_A}/metrics`,
      demoText({
        requests: { '200': 195, '400': 5, '500': 5 },
        buckets: { '0.005': 100, '0.01': 180, '0.025': 200, '+Inf': 205 },
        cpu: 3,
        rss: 1 * GiB,
        start: 1700000000,
      }),
    );
    const second = await source.collect(targets, WINDOW);
    const values = byMetric(second);
    expect(values).toEqual({
      throughput: 10, // 100 requests in 10 s
      errorRate: 5, // 5 non-2xx of 100
      // bucket deltas 50/90/95/100: p50 at the 0.005 bound, p95 at the 0.025 bound
      responseTimeP50: 5,
      responseTimeP95: 25,
      cpu: 10, // 2 CPU seconds in 10 s over 2 cores
      memory: 25,
      disk: (600 / 900) * 100,
      costPerRequest: 0.002,
    });
    expect(second.every(s => s.timestamp.getTime() === T0 + 10_000)).toBe(true);
    expect(costPerRequest).toHaveBeenCalledWith({
      modelId: 'model-a',
      slot: 'blue',
      window: { from: new Date(T0), to: new Date(T0 + 10_000) },
      requests: 100,
    });
  });

  it('interpolates response times inside buckets and counts only 5xx when told', async () => {
    const { servers, clock, source } = setup({ errorStatuses: '5xx' });
    const url = `${URL_A}/metrics`;
    servers.bodies.set(
      url,
      demoText({
        requests: { '200': 0, '400': 0, '500': 0 },
        buckets: { '0.01': 0, '0.1': 0, '+Inf': 0 },
      }),
    );
    await source.collect(targets, WINDOW);
    clock.advance(4);
    servers.bodies.set(
      url,
      demoText({
        requests: { '200': 60, '400': 30, '500': 10 },
        buckets: { '0.01': 40, '0.1': 100, '+Inf': 100 },
      }),
    );
    const values = byMetric(await source.collect(targets, WINDOW));
    expect(values.throughput).toBe(25);
    expect(values.errorRate).toBe(10);
    // p50: rank 50 in (0.01, 0.1]: 0.01 + 0.09 * 10 / 60 s; p95: rank 95: 0.01 + 0.09 * 55 / 60 s
    expect(values.responseTimeP50).toBeCloseTo(
      (0.01 + (0.09 * 10) / 60) * 1000,
      9,
    );
    expect(values.responseTimeP95).toBeCloseTo(
      (0.01 + (0.09 * 55) / 60) * 1000,
      9,
    );
  });

  it('treats a restarted process (new start time) as a counter reset', async () => {
    const { servers, clock, source } = setup();
    const url = `${URL_A}/metrics`;
    servers.bodies.set(
      url,
      demoText({
        requests: { '200': 500, '400': 10 },
        cpu: 40,
        start: 1700000000,
      }),
    );
    await source.collect(targets, WINDOW);
    clock.advance(5);
    // Restarted: more 200s than before by chance, but fewer 400s and a new start time.
    servers.bodies.set(
      url,
      demoText({
        requests: { '200': 510, '400': 0 },
        cpu: 0.5,
        start: 1700000100,
      }),
    );
    const values = byMetric(await source.collect(targets, WINDOW));
    expect(values.throughput).toBe(102); // 510 / 5 s, not 0 / 5 s
    expect(values.errorRate).toBe(0);
    expect(values.cpu).toBe(5); // 0.5 s / 5 s / 2 cores
  });

  it('treats a counter that went down as a reset when no start time is reported', async () => {
    const { servers, clock, source } = setup();
    const url = `${URL_A}/metrics`;
    servers.bodies.set(
      url,
      demoText({
        requests: { '200': 90, '400': 10 },
        buckets: { '0.1': 100, '+Inf': 100 },
      }),
    );
    await source.collect(targets, WINDOW);
    clock.advance(10);
    servers.bodies.set(
      url,
      demoText({
        requests: { '200': 18, '400': 2 },
        buckets: { '0.1': 20, '+Inf': 20 },
      }),
    );
    const values = byMetric(await source.collect(targets, WINDOW));
    expect(values.throughput).toBe(2);
    expect(values.errorRate).toBe(10);
    expect(values.responseTimeP95).toBeCloseTo(95, 9);
    // And the next window is a plain delta again.
    clock.advance(10);
    servers.bodies.set(
      url,
      demoText({
        requests: { '200': 58, '400': 2 },
        buckets: { '0.1': 60, '+Inf': 60 },
      }),
    );
    expect(byMetric(await source.collect(targets, WINDOW))).toMatchObject({
      throughput: 4,
      errorRate: 0,
    });
  });

  it('treats a new endpoint for the slot as a new process', async () => {
    const { servers, clock, source } = setup();
    servers.bodies.set(
      `${URL_A}/metrics`,
      demoText({ requests: { '200': 1000 } }),
    );
    await source.collect(targets, WINDOW);
    clock.advance(10);
    const moved = 'http://127.0.0.1:5002/';
    servers.bodies.set(
      'http://127.0.0.1:5002/metrics',
      demoText({ requests: { '200': 1050 } }),
    );
    const values = byMetric(
      await source.collect(
        [target('model-a', [{ slot: 'blue', endpoint: moved }])],
        WINDOW,
      ),
    );
    expect(values.throughput).toBe(105);
  });

  it('leaves out what the server does not report, and what a window without requests cannot tell', async () => {
    const { servers, clock, source } = setup({ costPerRequest: undefined });
    const url = `${URL_A}/metrics`;
    // Only an unlabelled request counter: no status, histogram, CPU or memory.
    servers.bodies.set(url, demoText({ unlabelledRequests: 10 }));
    await source.collect(targets, WINDOW);
    clock.advance(10);
    servers.bodies.set(url, demoText({ unlabelledRequests: 30 }));
    expect(byMetric(await source.collect(targets, WINDOW))).toEqual({
      throughput: 2,
      disk: (600 / 900) * 100,
    });

    // A full exposition, but no request in the window.
    const full = demoText({
      requests: { '200': 5 },
      buckets: { '0.1': 5, '+Inf': 5 },
      cpu: 1,
      rss: GiB,
    });
    servers.bodies.set(url, full);
    clock.advance(10);
    await source.collect(targets, WINDOW);
    clock.advance(10);
    expect(
      Object.keys(byMetric(await source.collect(targets, WINDOW))).sort(),
    ).toEqual(['cpu', 'disk', 'memory', 'throughput']);
    expect(
      byMetric(await source.collect(targets, WINDOW)).throughput,
    ).toBeUndefined(); // no time passed
  });

  it('reports nothing for a failed scrape and keeps the previous counters', async () => {
    const { servers, clock, source } = setup({ timeoutMs: 50 });
    const url = `${URL_A}/metrics`;
    servers.bodies.set(url, demoText({ requests: { '200': 0 } }));
    await source.collect(targets, WINDOW);
    for (const failure of [503, 'a{b=c} 1', 'hang'] as const) {
      clock.advance(10);
      servers.bodies.set(url, failure);
      expect(await source.collect(targets, WINDOW)).toEqual([]);
    }
    servers.bodies.delete(url); // connection refused
    clock.advance(10);
    expect(await source.collect(targets, WINDOW)).toEqual([]);
    expect(source.stats).toEqual({ scrapes: 5, failures: 4 });
    // 40 s after the last good scrape.
    clock.advance(10);
    servers.bodies.set(url, demoText({ requests: { '200': 200 } }));
    expect(byMetric(await source.collect(targets, WINDOW)).throughput).toBe(4);
  });

  it('primes a counter the previous scrape did not have', async () => {
    const { servers, clock, source } = setup();
    const url = `${URL_A}/metrics`;
    servers.bodies.set(url, demoText({ rss: GiB })); // e.g. a server still starting up
    await source.collect(targets, WINDOW);
    clock.advance(10);
    servers.bodies.set(
      url,
      demoText({ requests: { '200': 500 }, cpu: 9, rss: GiB }),
    );
    expect(
      Object.keys(byMetric(await source.collect(targets, WINDOW))).sort(),
    ).toEqual(['disk', 'memory']);
    clock.advance(10);
    servers.bodies.set(
      url,
      demoText({ requests: { '200': 600 }, cpu: 10, rss: GiB }),
    );
    expect(byMetric(await source.collect(targets, WINDOW))).toMatchObject({
      throughput: 10,
      cpu: 5,
    });
  });

  it('scrapes every slot with an endpoint, a few at a time', async () => {
    const { servers, source } = setup({ concurrency: 3 });
    const many = Array.from({ length: 10 }, (_, i) =>
      target(`model-${i}`, [
        { slot: 'blue', endpoint: `http://127.0.0.1:${6000 + i}/` },
        { slot: 'green' }, // no endpoint: not scraped
      ]),
    );
    for (let i = 0; i < 10; i++)
      servers.bodies.set(
        `http://127.0.0.1:${6000 + i}/metrics`,
        demoText({ rss: GiB }),
      );
    const samples = await source.collect(many, WINDOW);
    expect(servers.requested).toHaveLength(10);
    expect(servers.maxInFlight()).toBe(3);
    expect(samples.filter(s => s.metric === 'memory')).toHaveLength(10);
    expect(new Set(samples.map(s => s.slot))).toEqual(new Set(['blue']));
  });

  it('reports host metrics only for endpoints on this host unless told otherwise', async () => {
    const remote = [
      target('model-r', [
        { slot: 'blue', endpoint: 'http://models.internal:8080' },
      ]),
    ];
    const text = demoText({ rss: GiB });
    const loopback = setup();
    loopback.servers.bodies.set('http://models.internal:8080/metrics', text);
    expect(await loopback.source.collect(remote, WINDOW)).toEqual([]);

    const always = setup({ hostMetrics: 'always' });
    always.servers.bodies.set('http://models.internal:8080/metrics', text);
    expect(byMetric(await always.source.collect(remote, WINDOW))).toEqual({
      memory: 25,
      disk: (600 / 900) * 100,
    });

    const never = setup({ hostMetrics: 'never' });
    never.servers.bodies.set(`${URL_A}/metrics`, text);
    expect(await never.source.collect(targets, WINDOW)).toEqual([]);
  });

  it('reads the disk of the model state folder, falling back to the parent folders', async () => {
    const enoent = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    const statfs = jest.fn(async (dir: string) => {
      if (dir === '/state/model-a') throw enoent;
      return { ...USAGE, bavail: dir === '/state' ? 600 : 300 };
    });
    const { servers, source } = setup({ statfs, localStateDir: '/state' });
    servers.bodies.set(`${URL_A}/metrics`, demoText({}));
    expect(byMetric(await source.collect(targets, WINDOW))).toEqual({
      disk: 50, // 600 used / (600 + 600)
    });
    expect(statfs.mock.calls.map(c => c[0])).toEqual([
      '/state/model-a',
      '/state',
    ]);
  });

  it('reads the real filesystem with fs.statfs by default', async () => {
    const servers = fakeServers();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-ops-disk-'));
    try {
      const source = new ScrapeMetricSource({
        fetch: servers.fetch,
        localStateDir: dir,
      });
      servers.bodies.set(`${URL_A}/metrics`, demoText({ rss: 1024 }));
      const values = byMetric(await source.collect(targets, WINDOW));
      expect(values.disk).toBeGreaterThan(0);
      expect(values.disk).toBeLessThanOrEqual(100);
      expect(values.memory).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forgets slots it is no longer asked about, so they prime again', async () => {
    const { servers, clock, source } = setup();
    servers.bodies.set(
      `${URL_A}/metrics`,
      demoText({ requests: { '200': 1 } }),
    );
    await source.collect(targets, WINDOW);
    clock.advance(10);
    await source.collect([], WINDOW);
    clock.advance(10);
    servers.bodies.set(
      `${URL_A}/metrics`,
      demoText({ requests: { '200': 21 } }),
    );
    expect(
      byMetric(await source.collect(targets, WINDOW)).throughput,
    ).toBeUndefined();
    clock.advance(10);
    servers.bodies.set(
      `${URL_A}/metrics`,
      demoText({ requests: { '200': 41 } }),
    );
    expect(byMetric(await source.collect(targets, WINDOW)).throughput).toBe(2);
  });

  describe('with a state in the collect context', () => {
    it('continues from the counters another instance stored, +Inf bucket included', async () => {
      const { rows, state } = jsonState();
      const { servers, clock, source } = setup();
      // A second instance, as on another replica: nothing in memory, the same state.
      const other = new ScrapeMetricSource({
        fetch: servers.fetch,
        now: clock.now,
        cpuCores: 2,
        hostMetrics: 'never',
      });
      const url = `${URL_A}/metrics`;
      servers.bodies.set(
        url,
        demoText({
          requests: { '200': 100, '500': 0 },
          buckets: { '0.01': 50, '+Inf': 100 },
          cpu: 1,
          start: 1700000000,
        }),
      );
      await source.collect(targets, WINDOW, { state });
      expect([...rows.keys()]).toEqual(['model-a\nblue']);
      expect(JSON.parse(rows.get('model-a\nblue')!)).toMatchObject({
        endpoint: URL_A,
        at: T0,
        requests: [
          ['200', 100],
          ['500', 0],
        ],
        buckets: [
          ['0.01', 50],
          ['+Inf', 100],
        ],
        cpuSeconds: 1,
        startTimeSeconds: 1700000000,
      });

      clock.advance(10);
      servers.bodies.set(
        url,
        demoText({
          requests: { '200': 180, '500': 20 },
          buckets: { '0.01': 50, '+Inf': 200 },
          cpu: 3,
          start: 1700000000,
        }),
      );
      const values = byMetric(await other.collect(targets, WINDOW, { state }));
      expect(values).toMatchObject({
        throughput: 10, // 100 requests in 10 s since the other instance's scrape
        errorRate: 20,
        cpu: 10,
      });
      // Every new request is in the +Inf bucket: both quantiles are its lower bound.
      expect(values.responseTimeP95).toBe(10);

      // The first instance's memory is stale; the state is not.
      clock.advance(10);
      servers.bodies.set(
        url,
        demoText({
          requests: { '200': 230, '500': 20 },
          buckets: { '0.01': 50, '+Inf': 250 },
          cpu: 3.5,
          start: 1700000000,
        }),
      );
      expect(
        byMetric(await source.collect(targets, WINDOW, { state })).throughput,
      ).toBe(5);
    });

    it('treats a restart between instances as a counter reset', async () => {
      const { state } = jsonState();
      const { servers, clock, source } = setup();
      const other = new ScrapeMetricSource({
        fetch: servers.fetch,
        now: clock.now,
        cpuCores: 2,
      });
      const url = `${URL_A}/metrics`;
      servers.bodies.set(
        url,
        demoText({ requests: { '200': 500 }, cpu: 40, start: 1700000000 }),
      );
      await source.collect(targets, WINDOW, { state });
      clock.advance(5);
      servers.bodies.set(
        url,
        demoText({ requests: { '200': 510 }, cpu: 0.5, start: 1700000100 }),
      );
      const values = byMetric(await other.collect(targets, WINDOW, { state }));
      expect(values.throughput).toBe(102); // 510 since the restart, over 5 s
      expect(values.cpu).toBe(5);
    });

    it('primes again for a stored value it cannot read, and forgets slots no longer asked for', async () => {
      const { rows, state } = jsonState();
      const { servers, clock, source } = setup();
      rows.set('model-a\nblue', JSON.stringify({ endpoint: URL_A, at: 'x' }));
      rows.set('gone\ngreen', JSON.stringify({ endpoint: URL_A, at: T0 }));
      servers.bodies.set(
        `${URL_A}/metrics`,
        demoText({ requests: { '200': 10 } }),
      );
      const first = byMetric(await source.collect(targets, WINDOW, { state }));
      expect(first.throughput).toBeUndefined();
      expect([...rows.keys()]).toEqual(['model-a\nblue']);
      clock.advance(10);
      servers.bodies.set(
        `${URL_A}/metrics`,
        demoText({ requests: { '200': 30 } }),
      );
      expect(
        byMetric(await source.collect(targets, WINDOW, { state })).throughput,
      ).toBe(2);
    });

    it('still reports the samples when the state cannot be read or written', async () => {
      const logger = mockServices.logger.mock();
      const { servers, clock, source } = setup({ logger });
      const broken: MetricSourceState = {
        get: async () => {
          throw new Error('database down');
        },
        set: async () => {
          throw new Error('database down');
        },
        retain: async () => undefined,
      };
      servers.bodies.set(
        `${URL_A}/metrics`,
        demoText({ requests: { '200': 10 }, rss: GiB }),
      );
      const samples = byMetric(
        await source.collect(targets, WINDOW, { state: broken }),
      );
      expect(samples.memory).toBe(25);
      clock.advance(10);
      expect(
        byMetric(await source.collect(targets, WINDOW, { state: broken }))
          .memory,
      ).toBe(25);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining("cannot read the previous scrapes' counters"),
      );
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining("cannot store the scrapes' counters"),
      );
    });
  });

  it('reads the real model server exposition format (fixture)', async () => {
    const { servers, source } = setup();
    servers.bodies.set(
      `${URL_A}/metrics`,
      fs.readFileSync(
        path.join(__dirname, '__fixtures__', 'model-server-metrics.txt'),
        'utf8',
      ),
    );
    expect(byMetric(await source.collect(targets, WINDOW)).memory).toBeCloseTo(
      (97538048 / (4 * GiB)) * 100,
      9,
    );
  });

  it('refuses nonsense options', () => {
    expect(() => new ScrapeMetricSource({ cpuCores: 0 })).toThrow(/cpuCores/);
    expect(() => new ScrapeMetricSource({ concurrency: 0 })).toThrow(
      /concurrency/,
    );
  });
});
