import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PrometheusMetricSource } from './PrometheusMetricSource';
import { ScrapeMetricSource } from './ScrapeMetricSource';
import { createMetricSources } from './createMetricSources';

const WINDOW = { from: new Date(0), to: new Date(60_000) };

describe('createMetricSources', () => {
  it('creates only the scrape source without configuration', () => {
    const sources = createMetricSources({ config: new ConfigReader({}) });
    expect(sources.map(s => s.id)).toEqual(['scrape']);
    expect(sources[0]).toBeInstanceOf(ScrapeMetricSource);
  });

  it('reads modelOps.metrics.scrape and modelOps.metrics.prometheus', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-ops-sources-'));
    fs.mkdirSync(path.join(dir, 'data'));
    try {
      let clock = 0;
      const fetchFn = jest.fn(async (_url: any) => {
        clock += 10_000;
        return new Response(
          `x_total{code="503"} ${clock / 1000}\nx_total{code="200"} 10\n`,
        );
      });
      const costPerRequest = jest.fn(() => 0.25);
      const sources = createMetricSources({
        config: new ConfigReader({
          modelOps: {
            metrics: {
              scrape: {
                timeoutMs: 1500,
                concurrency: 2,
                cpuCores: 1,
                errorStatuses: '5xx',
                hostMetrics: 'always',
                diskPath: 'data',
                names: { requestsTotal: 'x_total', statusLabel: 'code' },
              },
              prometheus: {
                baseUrl: 'http://prometheus.example:9090',
                timeoutMs: 3000,
                modelLabel: 'service',
                cpuCores: 3,
                totalMemoryBytes: 1000,
                queries: {
                  memory: '',
                  errorRate: false,
                  satisfaction: 'avg by ({by}) (satisfaction{{selector}})',
                },
              },
            },
          },
        }),
        workingDirectory: dir,
        fetch: fetchFn as unknown as typeof fetch,
        now: () => new Date(clock),
        costPerRequest,
      });
      expect(sources.map(s => s.id)).toEqual(['scrape', 'prometheus']);
      const [scrape, prometheus] = sources as [
        ScrapeMetricSource,
        PrometheusMetricSource,
      ];

      const targets = [
        {
          modelId: 'm',
          entityRef: 'component:default/m',
          slots: [
            { slot: 'blue' as const, endpoint: 'http://models.example:1' },
          ],
        },
      ];
      await scrape.collect(targets, WINDOW);
      const values = Object.fromEntries(
        (await scrape.collect(targets, WINDOW)).map(s => [s.metric, s.value]),
      );
      // 10 more 503s in 10 s; only 5xx counted; host metrics for a remote endpoint; disk of ./data
      expect(values).toMatchObject({
        throughput: 1,
        errorRate: 100,
        costPerRequest: 0.25,
      });
      expect(values.disk).toBeGreaterThanOrEqual(0);
      expect(fetchFn).toHaveBeenCalledWith(
        'http://models.example:1/metrics',
        expect.anything(),
      );

      expect(prometheus.metrics).toEqual([
        'throughput',
        'responseTimeP50',
        'responseTimeP95',
        'cpu',
        'satisfaction',
      ]);
      expect(prometheus.render('satisfaction', ['m'], 60)).toBe(
        'avg by (service, slot) (satisfaction{service=~"m"})',
      );
      expect(prometheus.render('cpu', ['m'], 60)).toMatch(/\/ 3$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('can turn the scrape source off', () => {
    const sources = createMetricSources({
      config: new ConfigReader({
        modelOps: {
          metrics: {
            scrape: { enabled: false },
            prometheus: { baseUrl: 'http://127.0.0.1:9090' },
          },
        },
      }),
    });
    expect(sources.map(s => s.id)).toEqual(['prometheus']);
  });

  it('refuses invalid values, naming the key', () => {
    const create = (metrics: object) => () =>
      createMetricSources({
        config: new ConfigReader({ modelOps: { metrics } }),
      });
    expect(create({ scrape: { errorStatuses: '4xx' } })).toThrow(
      'modelOps.metrics.scrape.errorStatuses must be one of non-2xx, 5xx',
    );
    expect(create({ scrape: { concurrency: 0 } })).toThrow(
      'modelOps.metrics.scrape.concurrency must be a positive number',
    );
    expect(create({ scrape: { hostMetrics: 'sometimes' } })).toThrow(
      /hostMetrics/,
    );
    expect(create({ prometheus: { baseUrl: 'prometheus:9090' } })).toThrow(
      /baseUrl must be an http/,
    );
    expect(
      create({ prometheus: { baseUrl: 'http://p', queries: { cpu: 5 } } }),
    ).toThrow(/queries/);
  });
});
