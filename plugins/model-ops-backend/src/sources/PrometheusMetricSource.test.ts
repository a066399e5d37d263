import { mockServices } from '@backstage/backend-test-utils';
import { MetricTarget } from '@model-ops/plugin-model-ops-node';
import {
  PrometheusMetricSource,
  defaultPrometheusQueries,
} from './PrometheusMetricSource';

const TO = new Date('2026-01-02T03:04:05.000Z');
const WINDOW = { from: new Date(TO.getTime() - 60_000), to: TO };

const target = (
  modelId: string,
  ...slots: Array<'blue' | 'green'>
): MetricTarget => ({
  modelId,
  entityRef: `component:default/${modelId}`,
  slots: slots.map(slot => ({ slot })),
});

type Series = { metric: Record<string, string>; value: [number, string] };

/** A fake Prometheus query API: answers each query with `answer(query)`. */
function fakePrometheus(
  answer: (query: string) => Series[] | { status: number; error: string },
) {
  const queries: Array<{ query: string; time: string; url: string }> = [];
  const fetchFn = jest.fn(async (input: any, init?: RequestInit) => {
    const params = new URLSearchParams(String(init?.body));
    const query = params.get('query')!;
    queries.push({ query, time: params.get('time')!, url: String(input) });
    expect(init?.method).toBe('POST');
    const result = answer(query);
    if (!Array.isArray(result)) {
      return new Response(
        JSON.stringify({
          status: 'error',
          errorType: 'bad_data',
          error: result.error,
        }),
        { status: result.status },
      );
    }
    return new Response(
      JSON.stringify({
        status: 'success',
        data: { resultType: 'vector', result },
      }),
      { status: 200 },
    );
  });
  return { queries, fetch: fetchFn as unknown as typeof fetch };
}

const series = (model_id: string, slot: string, value: string): Series => ({
  metric: { model_id, slot },
  value: [TO.getTime() / 1000, value],
});

describe('PrometheusMetricSource', () => {
  it('renders the templates with the model regex, grouping labels and window', () => {
    const source = new PrometheusMetricSource({
      baseUrl: 'http://prom:9090/',
      cpuCores: 4,
      totalMemoryBytes: () => 8e9,
    });
    expect(source.metrics).toEqual([
      'throughput',
      'errorRate',
      'responseTimeP50',
      'responseTimeP95',
      'cpu',
      'memory',
    ]);
    expect(source.render('throughput', ['a', 'b.c', 'a'], 60)).toBe(
      'sum by (model_id, slot) (rate(model_requests_total{model_id=~"a|b\\\\.c"}[60s]))',
    );
    expect(source.render('errorRate', ['a'], 90.4)).toBe(
      '100 * (sum by (model_id, slot) (rate(model_requests_total{model_id=~"a",status!~"2.."}[90s]))' +
        ' or 0 * sum by (model_id, slot) (rate(model_requests_total{model_id=~"a"}[90s])))' +
        ' / sum by (model_id, slot) (rate(model_requests_total{model_id=~"a"}[90s]))',
    );
    expect(source.render('responseTimeP95', ['a'], 0.2)).toBe(
      '1000 * histogram_quantile(0.95, sum by (model_id, slot, le) (rate(model_request_duration_seconds_bucket{model_id=~"a"}[1s])))',
    );
    expect(source.render('cpu', ['a'], 60)).toContain(') / 4');
    expect(source.render('memory', ['a'], 60)).toContain(') / 8000000000');
    expect(
      defaultPrometheusQueries({ errorStatuses: '5xx' }).errorRate,
    ).toContain('status=~"5.."');
    expect(() => source.render('disk', ['a'], 60)).toThrow(/no query/);
  });

  it('makes one query per metric for all models and groups the series back into samples', async () => {
    const prometheus = fakePrometheus(query => {
      if (query.includes('histogram_quantile(0.95')) {
        return [series('a', 'blue', '12.5'), series('c', 'green', '40')];
      }
      if (
        query.startsWith('sum by (model_id, slot) (rate(model_requests_total')
      ) {
        return [
          series('a', 'blue', '20'),
          series('a', 'green', '2'),
          series('b', 'blue', '0'),
          series('c', 'green', '5'),
          series('c', 'blue', '7'), // c has no blue slot in the targets
          series('zzz', 'blue', '1'), // not a target
          series('b', 'green', 'NaN'),
        ];
      }
      if (query.startsWith('100 * (sum'))
        return [series('a', 'blue', '2.5'), series('b', 'blue', 'NaN')];
      return [];
    });
    const costPerRequest = jest.fn(
      ({ requests }: { requests: number }) => 0.6 / requests,
    );
    const source = new PrometheusMetricSource({
      baseUrl: 'http://prom:9090',
      fetch: prometheus.fetch,
      costPerRequest,
    });
    const samples = await source.collect(
      [target('a', 'blue', 'green'), target('b', 'blue'), target('c', 'green')],
      WINDOW,
    );
    expect(prometheus.queries).toHaveLength(6);
    expect(source.stats).toEqual({
      collects: 1,
      queries: 6,
      lastCollectQueries: 6,
      lastCollectFailures: 0,
    });
    for (const q of prometheus.queries) {
      expect(q.url).toBe('http://prom:9090/api/v1/query');
      expect(q.time).toBe(`${TO.getTime() / 1000}.000`);
      expect(q.query).toContain('model_id=~"a|b|c"');
    }
    // Every range is the window; memory is a gauge read at the window's end.
    expect(
      prometheus.queries
        .filter(q => !q.query.includes('[60s]'))
        .map(q => q.query),
    ).toEqual([expect.stringContaining('process_resident_memory_bytes')]);
    const got = samples
      .map(s => `${s.metric} ${s.modelId} ${s.slot} ${s.value}`)
      .sort();
    expect(got).toEqual(
      [
        'throughput a blue 20',
        'throughput a green 2',
        'throughput b blue 0',
        'throughput c green 5',
        'errorRate a blue 2.5',
        'responseTimeP95 a blue 12.5',
        'responseTimeP95 c green 40',
        // 20 req/s over 60 s = 1200 requests; the function gets the request count
        `costPerRequest a blue ${0.6 / 1200}`,
        `costPerRequest a green ${0.6 / 120}`,
        `costPerRequest c green ${0.6 / 300}`,
      ].sort(),
    );
    expect(samples.every(s => s.timestamp === TO)).toBe(true);
    expect(costPerRequest).toHaveBeenCalledWith({
      modelId: 'a',
      slot: 'blue',
      window: WINDOW,
      requests: 1200,
    });
  });

  it('takes queries from the options, and a failed query loses only its metric', async () => {
    const logger = mockServices.logger.mock();
    const prometheus = fakePrometheus(query => {
      if (query.startsWith('broken'))
        return { status: 400, error: 'parse error' };
      if (query.startsWith('avg(')) return [series('a', 'blue', '4.5')];
      if (query.startsWith('throughput-without-filter'))
        return [series('a', 'blue', '1'), series('other', 'blue', '2')];
      return [];
    });
    const source = new PrometheusMetricSource({
      baseUrl: 'http://prom:9090',
      fetch: prometheus.fetch,
      logger,
      queries: {
        throughput: 'throughput-without-filter[{window}]',
        errorRate: '',
        responseTimeP50: null,
        responseTimeP95: undefined, // keeps the default
        cpu: 'broken {selector}',
        memory: '',
        satisfaction:
          'avg(satisfaction{{selector}}) by ({by}) # {models} {windowSeconds}',
      },
    });
    expect(source.metrics).toEqual([
      'throughput',
      'responseTimeP95',
      'cpu',
      'satisfaction',
    ]);
    const reportProblem = jest.fn();
    const samples = await source.collect([target('a', 'blue')], WINDOW, {
      reportProblem,
    });
    // The failed query is reported to the tick, not only logged: its data is missing.
    expect(reportProblem).toHaveBeenCalledTimes(1);
    expect(reportProblem).toHaveBeenCalledWith({
      metric: 'cpu',
      message: expect.stringContaining('parse error'),
    });
    expect(source.stats.lastCollectFailures).toBe(1);
    expect(prometheus.queries.map(q => q.query)).toEqual(
      expect.arrayContaining([
        'throughput-without-filter[60s]',
        'broken model_id=~"a"',
        'avg(satisfaction{model_id=~"a"}) by (model_id, slot) # a 60',
      ]),
    );
    expect(source.stats.lastCollectQueries).toBe(4);
    expect(
      samples.map(s => `${s.metric} ${s.modelId} ${s.value}`).sort(),
    ).toEqual(['satisfaction a 4.5', 'throughput a 1']);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('parse error'),
    );
  });

  it('uses other label names, and makes no query without models', async () => {
    const prometheus = fakePrometheus(() => [
      { metric: { service: 'a', color: 'blue' }, value: [0, '3'] },
    ]);
    const source = new PrometheusMetricSource({
      baseUrl: 'http://prom:9090',
      fetch: prometheus.fetch,
      modelLabel: 'service',
      slotLabel: 'color',
      queries: { throughput: 'sum by ({by}) (x{{selector}})' },
    });
    expect(await source.collect([], WINDOW)).toEqual([]);
    expect(source.stats.lastCollectQueries).toBe(0);
    const samples = await source.collect([target('a', 'blue')], WINDOW);
    expect(prometheus.queries[0].query).toBe(
      'sum by (service, color) (x{service=~"a"})',
    );
    expect(samples.find(s => s.metric === 'throughput')?.value).toBe(3);
  });

  it('reports an external model (a target without slots) per slot label, and without one under production', async () => {
    const modelOnly = (model_id: string, value: string): Series => ({
      metric: { model_id },
      value: [TO.getTime() / 1000, value],
    });
    const prometheus = fakePrometheus(query =>
      query.startsWith('sum by (model_id, slot) (rate(model_requests_total')
        ? [
            modelOnly('ranker', '12'), // no slot label: the model's value
            series('kserve', 'blue', '3'),
            series('kserve', 'green', '1'),
            series('kserve', 'canary-v2', '9'), // no slot Model Ops knows
            series('kserve', 'production', '4'),
            modelOnly('deployed', '5'), // a deployed model: only its slots count
            series('deployed', 'green', '6'),
          ]
        : [],
    );
    const source = new PrometheusMetricSource({
      baseUrl: 'http://prom:9090',
      fetch: prometheus.fetch,
      queries: { throughput: defaultPrometheusQueries().throughput },
    });
    const samples = await source.collect(
      [target('ranker'), target('kserve'), target('deployed', 'blue')],
      WINDOW,
    );
    // One query per metric still, for deployed and external models together.
    expect(prometheus.queries[0].query).toContain(
      'model_id=~"ranker|kserve|deployed"',
    );
    expect(
      samples
        .filter(s => s.metric === 'throughput')
        .map(s => [s.modelId, s.slot, s.value]),
    ).toEqual([
      ['ranker', 'production', 12],
      ['kserve', 'blue', 3],
      ['kserve', 'green', 1],
      ['kserve', 'production', 4],
    ]);
  });

  it('refuses a missing baseUrl', () => {
    expect(() => new PrometheusMetricSource({ baseUrl: '' })).toThrow(
      /baseUrl/,
    );
  });
});
