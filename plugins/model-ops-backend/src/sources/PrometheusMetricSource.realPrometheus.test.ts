import { MetricSample, MetricTarget } from '@model-ops/plugin-model-ops-node';
import { PrometheusMetricSource } from './PrometheusMetricSource';
import {
  LoadResult,
  ModelServerProcess,
  PrometheusProcess,
  findPrometheus,
  quantile,
  sendLoad,
  startModelServer,
  startPrometheus,
  waitFor,
} from './__testUtils__/processes';

jest.setTimeout(120_000);

const BUCKETS_MS = [
  1, 2.5, 5, 10, 25, 50, 100, 150, 250, 500, 1000, 2500, 5000,
];
const bucketBoundAbove = (ms: number) =>
  BUCKETS_MS.find(b => b >= ms) ?? Infinity;

const binary = findPrometheus();
// Runs wherever Prometheus is installed, and always under CI (where a missing binary fails).
const run = binary !== undefined || Boolean(process.env.CI);

const MODELS = [
  { modelId: 'sentiment-classifier', version: '1.1.0', slot: 'blue' },
  { modelId: 'churn-predictor', version: '1.0.0', slot: 'green' },
  { modelId: 'fraud-detector', version: '1.0.0', slot: 'blue' },
] as const;

/** A model Model Ops does not run, scraped by Prometheus with a model label and no slot label. */
const EXTERNAL = {
  modelId: 'external-ranker',
  // Served by the demo server with the sentiment classifier's artifact.
  artifactOf: 'sentiment-classifier',
  version: '1.0.0',
} as const;

const targetOf = (m: (typeof MODELS)[number]): MetricTarget => ({
  modelId: m.modelId,
  entityRef: `component:default/${m.modelId}`,
  slots: [{ slot: m.slot }],
});

function valuesOf(samples: MetricSample[], modelId: string) {
  return Object.fromEntries(
    samples.filter(s => s.modelId === modelId).map(s => [s.metric, s.value]),
  );
}

(run ? describe : describe.skip)(
  'PrometheusMetricSource against a real Prometheus',
  () => {
    const servers: ModelServerProcess[] = [];
    let prometheus: PrometheusProcess | undefined;

    beforeAll(async () => {
      if (!binary) {
        throw new Error(
          'no prometheus binary (apt-get install prometheus, or set PROMETHEUS_BIN)',
        );
      }
      servers.push(
        ...(await Promise.all(
          [
            ...MODELS,
            { modelId: EXTERNAL.artifactOf, version: EXTERNAL.version },
          ].map(m =>
            startModelServer({ modelId: m.modelId, version: m.version }),
          ),
        )),
      );
      prometheus = await startPrometheus({
        binary,
        targets: [
          ...MODELS.map((m, i) => ({
            url: servers[i].url,
            labels: { model_id: m.modelId, slot: m.slot },
          })),
          {
            url: servers[MODELS.length].url,
            labels: { model_id: EXTERNAL.modelId },
          },
        ],
      });
      // Enough scrapes of every server that the windows below start after the first sample.
      await waitFor(
        'six scrapes of each model server',
        async () => {
          const result = await prometheus!.query(
            'count_over_time(up{job="model-servers"}[1m]) >= 6 and up == 1',
          );
          return result.length === MODELS.length + 1 ? true : undefined;
        },
        60_000,
      );
    });

    afterAll(async () => {
      await prometheus?.stop();
      await Promise.all(servers.map(s => s.stop()));
    });

    it('collects the metrics of three models with one query per metric', async () => {
      const source = new PrometheusMetricSource({
        baseUrl: prometheus!.baseUrl,
        costPerRequest: ({ requests }) => 0.5 / requests,
      });
      const windowFrom = new Date(Date.now() - 4000);
      const sent: Record<string, number> = {
        'sentiment-classifier': 100,
        'churn-predictor': 50,
      };
      const [sentiment, churn] = await Promise.all([
        sendLoad(servers[0].url, { ok: 90, badRequest: 10 }),
        sendLoad(servers[1].url, { ok: 50 }),
      ]);
      expect(sentiment.statuses).toEqual({ 200: 90, 400: 10 });
      expect(churn.statuses).toEqual({ 200: 50 });
      // Until Prometheus has scraped the final counts.
      await waitFor(
        'the final request counts in Prometheus',
        async () => {
          const result = await prometheus!.query(
            'sum by (model_id) (model_requests_total{job="model-servers"})',
          );
          const got = Object.fromEntries(
            result.map(r => [r.metric.model_id, Number(r.value[1])]),
          );
          return Object.entries(sent).every(([m, n]) => got[m] === n)
            ? true
            : undefined;
        },
        30_000,
      );
      const window = { from: windowFrom, to: new Date() };
      const seconds = (window.to.getTime() - window.from.getTime()) / 1000;

      const samples = await source.collect(MODELS.map(targetOf), window);
      expect(source.stats.lastCollectQueries).toBe(6);
      expect(source.metrics).toHaveLength(6);
      for (const s of samples) {
        expect(MODELS.find(m => m.modelId === s.modelId)?.slot).toBe(s.slot);
        expect(s.timestamp).toBe(window.to);
      }

      const checkLoaded = (
        modelId: string,
        load: LoadResult,
        errorRate: number,
      ) => {
        const v = valuesOf(samples, modelId);
        // rate() extrapolates to the window's end: within sane bounds of what was sent.
        expect(v.throughput * seconds).toBeGreaterThan(0.8 * sent[modelId]);
        expect(v.throughput * seconds).toBeLessThan(1.35 * sent[modelId]);
        expect(v.errorRate).toBeCloseTo(errorRate, 1);
        expect(v.responseTimeP50).toBeGreaterThan(0);
        expect(v.responseTimeP50).toBeLessThanOrEqual(v.responseTimeP95);
        expect(v.responseTimeP95).toBeLessThanOrEqual(
          bucketBoundAbove(quantile(load.latenciesMs, 0.95)),
        );
        expect(v.cpu).toBeGreaterThan(0);
        expect(v.memory).toBeGreaterThan(0);
        expect(v.memory).toBeLessThan(100);
        expect(v.costPerRequest).toBeCloseTo(
          0.5 / (v.throughput * seconds),
          12,
        );
        return v;
      };
      const sentimentValues = checkLoaded(
        'sentiment-classifier',
        sentiment,
        10,
      );
      checkLoaded('churn-predictor', churn, 0);
      // No request to the fraud detector: throughput 0, and nothing invented for the rest.
      const idle = valuesOf(samples, 'fraud-detector');
      expect(idle.throughput).toBe(0);
      expect(idle.errorRate).toBeUndefined();
      expect(idle.responseTimeP95).toBeUndefined();
      expect(idle.costPerRequest).toBeUndefined();
      expect(idle.memory).toBeGreaterThan(0);
      expect(idle.disk).toBeUndefined(); // not reported by the server
      process.stdout.write(
        `[measure] prometheus source, sentiment-classifier over ${seconds.toFixed(
          1,
        )} s with 100 requests: ${JSON.stringify(sentimentValues)}\n`,
      );

      // Only the models asked for, still one query per metric.
      const two = await source.collect(
        MODELS.slice(0, 2).map(targetOf),
        window,
      );
      expect(source.stats.lastCollectQueries).toBe(6);
      expect(new Set(two.map(s => s.modelId))).toEqual(
        new Set(['sentiment-classifier', 'churn-predictor']),
      );
    });

    it('collects external models (targets without slots): per slot label, else under production', async () => {
      const source = new PrometheusMetricSource({
        baseUrl: prometheus!.baseUrl,
      });
      const ranker = servers[MODELS.length];
      const windowFrom = new Date(Date.now() - 4000);
      const load = await sendLoad(ranker.url, { ok: 40 });
      expect(load.statuses).toEqual({ 200: 40 });
      await waitFor(
        'the request count of the external model in Prometheus',
        async () => {
          const [result] = await prometheus!.query(
            `sum(model_requests_total{model_id="${EXTERNAL.modelId}"})`,
          );
          return Number(result?.value[1]) >= 40 ? true : undefined;
        },
        30_000,
      );
      const window = { from: windowFrom, to: new Date() };
      const samples = await source.collect(
        [
          {
            modelId: EXTERNAL.modelId,
            entityRef: 'component:default/ranker',
            slots: [],
          },
          // Served elsewhere too, but its series carry a slot label: kept per slot.
          {
            modelId: 'churn-predictor',
            entityRef: 'component:default/churn-predictor',
            slots: [],
          },
        ],
        window,
      );
      expect(source.stats.lastCollectQueries).toBe(source.metrics.length);
      const external = samples.filter(s => s.modelId === EXTERNAL.modelId);
      expect(new Set(external.map(s => s.slot))).toEqual(
        new Set(['production']),
      );
      const v = valuesOf(samples, EXTERNAL.modelId);
      expect(v.throughput).toBeGreaterThan(0);
      expect(v.errorRate).toBe(0);
      expect(v.responseTimeP95).toBeGreaterThan(0);
      expect(v.memory).toBeGreaterThan(0);
      const churn = samples.filter(s => s.modelId === 'churn-predictor');
      expect(churn.length).toBeGreaterThan(0);
      expect(new Set(churn.map(s => s.slot))).toEqual(new Set(['green']));
      process.stdout.write(
        `[measure] prometheus source, external model over ${(
          (window.to.getTime() - window.from.getTime()) /
          1000
        ).toFixed(1)} s with 40 requests: ${JSON.stringify(v)}\n`,
      );
    });

    it('measures one tick for 1,000 models (the regex filter)', async () => {
      const source = new PrometheusMetricSource({
        baseUrl: prometheus!.baseUrl,
      });
      const targets: MetricTarget[] = [
        ...MODELS.map(targetOf),
        ...Array.from({ length: 997 }, (_, i) => ({
          modelId: `synthetic-model-${String(i).padStart(4, '0')}`,
          entityRef: `component:default/synthetic-model-${i}`,
          slots: [{ slot: 'blue' as const }, { slot: 'green' as const }],
        })),
      ];
      const to = new Date();
      const started = performance.now();
      const samples = await source.collect(targets, {
        from: new Date(to.getTime() - 60_000),
        to,
      });
      const ms = performance.now() - started;
      process.stdout.write(
        `[measure] prometheus tick for ${targets.length} models: ${ms.toFixed(
          1,
        )} ms, ${source.stats.lastCollectQueries} queries, ${
          samples.length
        } samples\n`,
      );
      expect(source.stats.lastCollectQueries).toBe(source.metrics.length);
      expect(
        new Set(
          samples.filter(s => s.metric === 'throughput').map(s => s.modelId),
        ),
      ).toEqual(new Set(MODELS.map(m => m.modelId)));
    });
  },
);
