import { MetricSample, MetricTarget } from '@model-ops/plugin-model-ops-node';
import fs from 'node:fs';
import { ScrapeMetricSource } from './ScrapeMetricSource';
import {
  MODEL_SERVER,
  ModelServerProcess,
  artifact,
  quantile,
  sendLoad,
  startModelServer,
} from './__testUtils__/processes';

jest.setTimeout(90_000);

/** The demo server's histogram buckets (packages/model-server/src/app.ts), in ms. */
const BUCKETS_MS = [
  1, 2.5, 5, 10, 25, 50, 100, 150, 250, 500, 1000, 2500, 5000,
];
/** The smallest bucket bound at or above `ms`: no estimate of a quantile below `ms` can exceed it. */
const bucketBoundAbove = (ms: number) =>
  BUCKETS_MS.find(b => b >= ms) ?? Infinity;

const available =
  fs.existsSync(MODEL_SERVER) &&
  fs.existsSync(artifact('sentiment-classifier', '1.1.0'));

function values(samples: MetricSample[]) {
  return Object.fromEntries(samples.map(s => [s.metric, s.value]));
}

// The real demo model server as a child process, under load this test generates.
(available ? describe : describe.skip)(
  'ScrapeMetricSource against the real model server',
  () => {
    const servers: ModelServerProcess[] = [];
    let clockMs = Date.parse('2026-01-02T03:04:05.000Z');
    const now = () => new Date(clockMs);
    const WINDOW = { from: new Date(0), to: new Date(0) }; // the scrape source measures its own

    afterAll(async () => {
      await Promise.all(servers.map(s => s.stop()));
    });

    it('measures throughput, errors, latency and resources of known load, and survives a restart', async () => {
      const server = await startModelServer({
        modelId: 'sentiment-classifier',
        version: '1.1.0',
      });
      servers.push(server);
      const targets: MetricTarget[] = [
        {
          modelId: 'sentiment-classifier',
          entityRef: 'component:default/sentiment-classifier',
          slots: [
            { slot: 'blue', endpoint: server.url, version: '1.1.0' },
            { slot: 'green' }, // not deployed: no endpoint, nothing to scrape
          ],
        },
      ];
      const costPerRequest = jest.fn(
        ({
          window,
          requests,
        }: {
          window: { from: Date; to: Date };
          requests: number;
        }) =>
          (((window.to.getTime() - window.from.getTime()) / 3_600_000) * 0.36) /
          requests,
      );
      const source = new ScrapeMetricSource({ now, costPerRequest });
      // Counts only 5xx: the same scrapes read the other way.
      const fiveHundreds = new ScrapeMetricSource({
        now,
        errorStatuses: '5xx',
      });

      // First scrape: counters primed, only current values.
      const first = await source.collect(targets, WINDOW);
      await fiveHundreds.collect(targets, WINDOW);
      expect(new Set(first.map(s => s.metric))).toEqual(
        new Set(['memory', 'disk']),
      );

      // Exactly 200 requests, 20 of them invalid (400).
      const load = await sendLoad(server.url, { ok: 180, badRequest: 20 });
      expect(load.statuses).toEqual({ 200: 180, 400: 20 });
      clockMs += 10_000;
      const second = await source.collect(targets, WINDOW);
      const v = values(second);
      expect(
        second.every(
          s => s.modelId === 'sentiment-classifier' && s.slot === 'blue',
        ),
      ).toBe(true);
      expect(v.throughput).toBe(20); // 200 requests / 10 s
      expect(v.errorRate).toBe(10); // 20 of 200
      const clientP95 = quantile(load.latenciesMs, 0.95);
      expect(v.responseTimeP50).toBeGreaterThan(0);
      expect(v.responseTimeP50).toBeLessThanOrEqual(v.responseTimeP95);
      // Each server-side duration is below its client-side latency, so the estimate lies in a
      // bucket at or below the one holding the client p95.
      expect(v.responseTimeP95).toBeLessThanOrEqual(
        bucketBoundAbove(clientP95),
      );
      expect(v.cpu).toBeGreaterThan(0);
      expect(v.cpu).toBeLessThan(100);
      expect(v.memory).toBeGreaterThan(0);
      expect(v.memory).toBeLessThan(100);
      expect(v.disk).toBeGreaterThanOrEqual(0);
      expect(v.disk).toBeLessThanOrEqual(100);
      // 10 s at $0.36 an hour = $0.001, over 200 requests.
      expect(v.costPerRequest).toBeCloseTo(0.001 / 200, 12);
      expect(costPerRequest).toHaveBeenCalledWith(
        expect.objectContaining({ requests: 200, slot: 'blue' }),
      );
      expect(
        values(await fiveHundreds.collect(targets, WINDOW)).errorRate,
      ).toBe(0);
      process.stdout.write(
        `[measure] scrape of the real model server under 200 requests: ${JSON.stringify(
          v,
        )}; client p95 ${clientP95.toFixed(2)} ms\n`,
      );

      // A window without requests: throughput 0, and nothing invented for the rest.
      clockMs += 10_000;
      const idle = values(await source.collect(targets, WINDOW));
      expect(idle.throughput).toBe(0);
      for (const metric of [
        'errorRate',
        'responseTimeP50',
        'responseTimeP95',
        'costPerRequest',
      ])
        expect(idle[metric]).toBeUndefined();
      await fiveHundreds.collect(targets, WINDOW);

      // Restart the process on the same endpoint: its counters start again from 0.
      await server.stop();
      const restarted = await startModelServer({
        modelId: 'sentiment-classifier',
        version: '1.1.0',
        port: server.port,
      });
      servers.push(restarted);
      expect(restarted.url).toBe(server.url);
      const after = await sendLoad(restarted.url, {
        ok: 22,
        badRequest: 3,
        serverError: 5,
      });
      expect(after.statuses).toEqual({ 200: 22, 400: 3, 500: 5 });
      clockMs += 5_000;
      const reset = values(await source.collect(targets, WINDOW));
      expect(reset.throughput).toBe(6); // 30 requests / 5 s, not a negative rate
      expect(reset.errorRate).toBeCloseTo((8 / 30) * 100, 9);
      expect(reset.responseTimeP95).toBeGreaterThan(0);
      expect(
        values(await fiveHundreds.collect(targets, WINDOW)).errorRate,
      ).toBeCloseTo((5 / 30) * 100, 9);
      expect(source.stats.failures).toBe(0);
    });
  },
);
