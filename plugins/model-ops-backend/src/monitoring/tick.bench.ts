/*
 * `yarn bench:tick`: one monitoring tick (`DefaultMonitoringService.tick()`) over N external
 * models (`model-ops/runtime: external`, watched from the `prometheus` source by model id)
 * against a real Prometheus, with the anchor measured in the same run: the time Prometheus
 * takes to evaluate the same four default rules over the same series itself (its
 * `prometheus_rule_group_last_duration_seconds`).
 *
 * Per model count N:
 * 1. a synthetic exporter (a child process, see __benchUtils__/exporter.ts) serves N models ×
 *    two slots; four models in every 200 breach one default rule on their blue slot;
 * 2. a real Prometheus (temporary data folder, loopback port) scrapes it every `--scrape-interval`
 *    seconds (default 5) and evaluates, as often, one rule group holding DEFAULT_RULE_SET's four
 *    rules (their warning level and `for`) written with the source's default PromQL over a 1m
 *    window for all models; the run waits for two scrapes and three evaluations after them;
 * 3. per database (SQLite in memory; PostgreSQL 15 too when
 *    BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is set, in a database of its own,
 *    dropped after), the monitoring capability as createMonitoring wires it (database metrics
 *    store, alert store and monitoring state, the default rule set) with the real
 *    PrometheusMetricSource from `modelOps.metrics.prometheus` config, over an index of N
 *    external model specs, runs 1 warm-up tick and 3 measured ticks, three scrape intervals
 *    apart (so each window holds enough scrapes for rate()). The rules' clock (evaluator and
 *    alert store) runs one monitoring interval (60 s) ahead per tick, as if the ticks were a
 *    minute apart, so the rules' `for` (60 s, 120 s) elapses within the run and alerts fire; the
 *    metrics' clock (Prometheus query time) is real;
 * 4. prints, per N and database: the tick's median, Prometheus' rule group evaluation (median of
 *    the values read after each measured tick), their ratio, samples written, alerts, the RSS of
 *    this process, where the tick's time went (each dependency's calls, timed by a wrapper), and
 *    the growth of the tick from 1,000 to 10,000 models.
 *
 * Run with: node -r sucrase/register/ts src/monitoring/tick.bench.ts
 *   [--models 100,1000,10000] [--json <file>] [--scrape-interval 5] [--seed 42]
 *   [--query-timeout-ms <ms>] (the source's timeout; its default, 5000, unless given)
 */
import { DatabaseService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import {
  ANNOTATION_MODEL_ID,
  ANNOTATION_RUNTIME,
  DEFAULT_RULE_SET,
  EXTERNAL_RUNTIME,
  ModelSpec,
  parseModelSpec,
} from '@model-ops/plugin-model-ops-common';
import { MetricSample, MetricSource } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import fs from 'node:fs';
import { IndexedModel, ModelIndex, createModelStore } from '../models';
import {
  PrometheusMetricSource,
  createMetricSources,
  defaultPrometheusQueries,
} from '../sources';
import { DatabaseAlertStore } from './AlertStore';
import { DatabaseMetricsStore, DatabaseMonitoringState } from './MetricsStore';
import { DefaultMonitoringService } from './MonitoringService';
import { RuleEvaluator } from './RuleEvaluator';
import {
  BREACH_EVERY,
  Breach,
  EXPORTER_CPU_CORES,
  EXPORTER_SLOTS,
  EXPORTER_TOTAL_MEMORY_BYTES,
  ExporterProcess,
  ModelProfile,
  SERIES_PER_MODEL,
  expectedBreaches,
  exporterPlan,
  startExporter,
} from './__benchUtils__/exporter';
import {
  AlertingRule,
  BenchPrometheus,
  RuleGroupStats,
  startBenchPrometheus,
} from './__benchUtils__/prometheus';
import {
  BenchDatabase,
  findPrometheus,
  openBenchDatabases,
  waitFor,
} from '../__benchUtils__/bench';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const MODEL_COUNTS = (option('models') ?? '100,1000,10000')
  .split(',')
  .map(s => Number(s.trim()))
  .filter(n => Number.isInteger(n) && n > 0);
const JSON_FILE = option('json');
const SCRAPE_OPTION = option('scrape-interval');
/**
 * Prometheus' scrape and rule evaluation interval: 5 s up to 2,000 models, for a quick run;
 * Prometheus' default, 15 s, above: on 2 shared cores, ingesting 300,000 series and evaluating
 * the rules over them every 5 s keeps Prometheus so busy that the tick's queries wait for CPU
 * (rule group evaluations overran the interval and were skipped).
 */
const scrapeSecondsFor = (models: number) => {
  if (SCRAPE_OPTION) return Number(SCRAPE_OPTION);
  return models > 2000 ? 15 : 5;
};
const SEED = Number(option('seed') ?? 42);
/**
 * The source's query timeout, `modelOps.metrics.prometheus.timeoutMs`: its default (20 s) unless
 * `--query-timeout-ms` says otherwise. Under the old default of 5 s the latency and error-rate
 * queries over 10,000 models timed out on 2 shared cores; the tick now reports such failures in
 * its result (`problems`), shown here.
 */
const QUERY_TIMEOUT_MS = option('query-timeout-ms')
  ? Number(option('query-timeout-ms'))
  : undefined;
const MEASURED_TICKS = 3;
/** The monitoring interval (the default schedule, 60 s): stale values, the first window. */
const INTERVAL_SECONDS = 60;
/** Between the end of a tick and the start of the next: three scrapes. */
const gapMsFor = (scrapeSeconds: number) => 3 * scrapeSeconds * 1000;
const JOB = 'model-ops-bench';
const GROUP = 'model-ops-default';
/** The window of the Prometheus rules. */
const RULE_WINDOW = '1m';

/** The alert type of each metric in the default rule set. */
const ALERT_OF: Record<Breach, string> = Object.fromEntries(
  DEFAULT_RULE_SET.rules.map(r => [r.metric, r.alert]),
) as Record<Breach, string>;

function say(line: string) {
  process.stdout.write(`${line}\n`);
}

/** The service's logger: quiet, but counts the warnings (a failed query is one). */
function countingLogger(): LoggerService & { warnings: string[] } {
  const warnings: string[] = [];
  const logger: LoggerService & { warnings: string[] } = {
    warnings,
    error: message => {
      warnings.push(message);
    },
    warn: message => {
      warnings.push(message);
    },
    info: () => undefined,
    debug: () => undefined,
    child: () => logger,
  };
  return logger;
}

/** Time spent in each dependency's methods during one tick. */
class Phases {
  readonly totals = new Map<string, { ms: number; calls: number }>();

  reset() {
    this.totals.clear();
  }

  add(name: string, ms: number) {
    const entry = this.totals.get(name) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    this.totals.set(name, entry);
  }

  /**
   * `target` with every method call timed under `label.method` (calls are made on the target
   * itself, so its private fields and inner calls are untouched and counted once).
   */
  wrap<T extends object>(label: string, target: T): T {
    const add = (name: string, ms: number) => this.add(name, ms);
    return new Proxy(target, {
      get(object, property) {
        const value = Reflect.get(object, property, object);
        if (typeof value !== 'function' || typeof property !== 'string') {
          return value;
        }
        return (...callArgs: unknown[]) => {
          const started = performance.now();
          const result = value.apply(object, callArgs);
          if (result && typeof result.then === 'function') {
            return (result as Promise<unknown>).finally(() =>
              add(`${label}.${property}`, performance.now() - started),
            );
          }
          add(`${label}.${property}`, performance.now() - started);
          return result;
        };
      },
    });
  }
}

/** N external models, as the model index gives them to a tick (the catalog is not measured). */
function benchModelIndex(plan: ModelProfile[]): ModelIndex {
  const context = { configuredMetricSources: ['prometheus'] };
  const indexed: IndexedModel[] = plan.map(m => {
    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: m.modelId,
        namespace: 'default',
        annotations: {
          [ANNOTATION_MODEL_ID]: m.modelId,
          [ANNOTATION_RUNTIME]: EXTERNAL_RUNTIME,
        },
      },
      spec: { type: 'model', lifecycle: 'production', owner: 'group:ml' },
    };
    const parsed = parseModelSpec(entity, context);
    if (!parsed.ok) {
      throw new Error(
        `${m.modelId}: ${parsed.problems.map(p => p.message).join('; ')}`,
      );
    }
    return {
      entityRef: parsed.spec.entityRef,
      modelId: m.modelId,
      entity,
      spec: parsed.spec,
      problems: [],
    };
  });
  const byId = new Map(indexed.map(m => [m.modelId, m]));
  const specs: ModelSpec[] = indexed.map(m => m.spec!);
  const unused = async (): Promise<never> => {
    throw new Error('not used by a monitoring tick');
  };
  return {
    list: async () => indexed,
    specs: async () => specs,
    get: async id => byId.get(id),
    peek: id => byId.get(id),
    specContext: () => context,
    refresh: async () => undefined,
    resolve: unused,
    claims: unused,
    getVisible: unused,
    listVisible: unused,
  };
}

/** The default rule set as Prometheus alerting rules over all models' series. */
function prometheusRules(): AlertingRule[] {
  const queries = defaultPrometheusQueries();
  const values: Record<string, string> = {
    selector: 'model_id!=""',
    models: '.+',
    by: 'model_id, slot',
    window: RULE_WINDOW,
    windowSeconds: '60',
    cpuCores: String(EXPORTER_CPU_CORES),
    totalMemoryBytes: String(EXPORTER_TOTAL_MEMORY_BYTES),
  };
  return DEFAULT_RULE_SET.rules.map(rule => ({
    alert: rule.alert,
    expr: `${queries[rule.metric].replace(
      /\{(selector|models|by|window|windowSeconds|cpuCores|totalMemoryBytes)\}/g,
      (_, name: string) => values[name],
    )} ${rule.operator} ${rule.warning}`,
    for: `${rule.forSeconds}s`,
    labels: { severity: 'warning' },
  }));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const sleep = (ms: number) =>
  new Promise(resolve => setTimeout(resolve, Math.max(0, ms)));
const round = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n)
    ? undefined
    : Number(n.toFixed(digits));
const MB = 1024 * 1024;

interface TickFigures {
  ms: number;
  samplesWritten: number;
  collected: number;
  missingMetrics: string[];
  newlyFiring: number;
  resolved: number;
  queryFailures: string[];
  /** The tick's own report of what it could not collect. */
  problems: string[];
  alerts: Record<string, number>;
  rssMb: number;
  phases: Record<string, { ms: number; calls: number }>;
  /** The source's queries: until the whole answer was read (before JSON parsing). */
  queries: QueryFigures[];
  /** Database statements the tick ran. */
  statements: number;
  ruleGroup?: RuleGroupStats;
}

interface QueryFigures {
  metric: string;
  ms: number;
  status?: number;
  requestKb: number;
  responseKb: number;
  error?: string;
}

/** Which default query a request to /api/v1/query is. */
function metricOfQuery(query: string): string {
  if (query.includes('histogram_quantile(0.95')) return 'responseTimeP95';
  if (query.includes('histogram_quantile(0.5')) return 'responseTimeP50';
  if (query.includes('status!~') || query.includes('status=~'))
    return 'errorRate';
  if (query.includes('process_cpu_seconds_total')) return 'cpu';
  if (query.includes('process_resident_memory_bytes')) return 'memory';
  return 'throughput';
}

/** `fetch`, recording each query's time and sizes in `into`. */
function timedFetch(into: () => QueryFigures[]): typeof fetch {
  return async (input, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    const metric = metricOfQuery(new URLSearchParams(body).get('query') ?? '');
    const started = performance.now();
    try {
      const response = await fetch(input, init);
      const bytes = await response.arrayBuffer();
      into().push({
        metric,
        ms: round(performance.now() - started)!,
        status: response.status,
        requestKb: round(body.length / 1024)!,
        responseKb: round(bytes.byteLength / 1024)!,
      });
      return new Response(bytes, {
        status: response.status,
        headers: response.headers,
      });
    } catch (e) {
      into().push({
        metric,
        ms: round(performance.now() - started)!,
        requestKb: round(body.length / 1024)!,
        responseKb: 0,
        error: String((e as Error)?.message ?? e),
      });
      throw e;
    }
  };
}

interface Result {
  models: number;
  database: string;
  scrapeIntervalSeconds: number;
  tickMs: number;
  ticksMs: number[];
  warmupMs: number;
  ruleGroupMs?: number;
  ratio?: number;
  samplesWritten: number;
  expectedSamples: number;
  collectQueries: number;
  alertsExpected: number;
  alertsOpen: Record<string, number>;
  alertsMatchingExpected: number;
  /** Open alerts the plan does not expect (model/alert/slot), at most 10. */
  alertsUnexpected: string[];
  prometheusAlerts: Record<string, number>;
  prometheusAlertsMatchingExpected: number;
  prometheusAlertsUnexpected: string[];
  /** Per default query, the median over the measured ticks (ms until read in full; sizes). */
  queriesMs: Record<
    string,
    { ms: number; requestKb: number; responseKb: number }
  >;
  statementsPerTick: number;
  queryFailures: number;
  rssMb: number;
  prometheusRssMb?: number;
  ruleEvaluationSamples?: number;
  ruleIterationsMissed?: number;
  exporter: { lastScrapeMs: number; maxScrapeMs: number; lastScrapeMb: number };
  phasesMs: Record<string, { ms: number; calls: number }>;
  ticks: TickFigures[];
}

async function alertCounts(knex: Knex): Promise<Record<string, number>> {
  const rows = (await knex('model_ops_alerts')
    .select('state')
    .count({ n: '*' })
    .groupBy('state')) as Array<{ state: string; n: number | string }>;
  return Object.fromEntries(rows.map(r => [r.state, Number(r.n)]));
}

async function runTicks(options: {
  db: BenchDatabase;
  plan: ModelProfile[];
  prometheus: BenchPrometheus;
  exporter: ExporterProcess;
  scrapeSeconds: number;
  gapMs: number;
}): Promise<Result> {
  const { db, plan, prometheus } = options;
  const knex = db.knex;
  const logger = countingLogger();
  const phases = new Phases();
  let queries: QueryFigures[] = [];
  let statements = 0;
  const countStatement = () => {
    statements += 1;
  };
  knex.on('query', countStatement);
  // The plugin's store; its creation applies the migrations.
  const store = await createModelStore({
    database: {
      getClient: async () => knex,
      migrations: { skip: false },
    } as unknown as DatabaseService,
  });
  const [prometheusSource] = createMetricSources({
    config: new ConfigReader({
      modelOps: {
        metrics: {
          scrape: { enabled: false },
          prometheus: {
            baseUrl: prometheus.baseUrl,
            cpuCores: EXPORTER_CPU_CORES,
            totalMemoryBytes: EXPORTER_TOTAL_MEMORY_BYTES,
            timeoutMs: QUERY_TIMEOUT_MS,
          },
        },
      },
    }),
    logger,
    fetch: timedFetch(() => queries),
  });
  if (!(prometheusSource instanceof PrometheusMetricSource)) {
    throw new Error('expected the prometheus source');
  }
  let collected: MetricSample[] = [];
  const source: MetricSource = {
    id: prometheusSource.id,
    // The prometheus source keeps no state between collects: it takes no context.
    collect: async (targets, window) => {
      const started = performance.now();
      try {
        collected = await prometheusSource.collect(targets, window);
        return collected;
      } finally {
        phases.add('source.collect', performance.now() - started);
      }
    },
  };
  let step = 0;
  const rulesNow = () => new Date(Date.now() + step * INTERVAL_SECONDS * 1000);
  const alerts = DatabaseAlertStore.create({ knex, now: rulesNow });
  const service = new DefaultMonitoringService({
    models: phases.wrap('models', benchModelIndex(plan)),
    logger,
    store: phases.wrap('store', store),
    metrics: phases.wrap('metrics', DatabaseMetricsStore.create({ knex })),
    alerts: phases.wrap('alerts', alerts),
    evaluator: phases.wrap('rules', new RuleEvaluator(rulesNow)),
    ruleSets: new Map([['default', DEFAULT_RULE_SET]]),
    getMetricSource: id => (id === 'prometheus' ? source : undefined),
    intervalSeconds: INTERVAL_SECONDS,
    state: phases.wrap('state', DatabaseMonitoringState.create({ knex })),
  });

  const expectedMetrics = prometheusSource.metrics;
  const ticks: TickFigures[] = [];
  let lastEnd = 0;
  for (let k = 0; k <= MEASURED_TICKS; k++) {
    if (k > 0) await sleep(lastEnd + options.gapMs - Date.now());
    step = k;
    phases.reset();
    queries = [];
    statements = 0;
    logger.warnings.length = 0;
    collected = [];
    const started = performance.now();
    const result = await service.tick();
    const ms = performance.now() - started;
    lastEnd = Date.now();
    const rssMb = process.memoryUsage().rss / MB;
    const perMetric = new Set(collected.map(s => s.metric));
    ticks.push({
      ms,
      samplesWritten: result.samples,
      collected: collected.length,
      missingMetrics: expectedMetrics.filter(m => !perMetric.has(m)),
      newlyFiring: result.newlyFiring.length,
      resolved: result.resolved.length,
      queryFailures: [...logger.warnings],
      problems: result.problems.map(p => `${p.source}: ${p.message}`),
      alerts: await alertCounts(knex),
      rssMb,
      phases: Object.fromEntries(phases.totals),
      queries,
      statements,
      ruleGroup: k > 0 ? await prometheus.ruleGroup(GROUP) : undefined,
    });
    const t = ticks[ticks.length - 1];
    say(
      `  ${db.name}, ${k === 0 ? 'warm-up' : `tick ${k}`}: ${Math.round(
        ms,
      )} ms, ${t.samplesWritten} samples written, alerts ${JSON.stringify(
        t.alerts,
      )}${
        t.problems.length
          ? `, ${t.problems.length} collection problems: ${t.problems[0]}`
          : ''
      }${
        t.missingMetrics.length ? `, missing ${t.missingMetrics.join(',')}` : ''
      }`,
    );
  }

  const measured = ticks.slice(1);
  const tickMs = median(measured.map(t => t.ms));
  const ruleDurations = measured
    .map(t => t.ruleGroup?.lastDurationSeconds)
    .filter((v): v is number => v !== undefined)
    .map(v => v * 1000);
  const ruleGroupMs = ruleDurations.length ? median(ruleDurations) : undefined;

  // Alerts against the plan: one per breaching model, on its blue slot.
  const breaches = expectedBreaches(plan);
  const expectedKeys = new Set(
    [...breaches].map(
      ([modelId, metric]) => `${modelId}/${ALERT_OF[metric]}/blue`,
    ),
  );
  const open = await knex('model_ops_alerts')
    .whereIn('state', ['pending', 'firing'])
    .select('model_id', 'alert_type', 'slot', 'state');
  const openKeys = open.map(a => `${a.model_id}/${a.alert_type}/${a.slot}`);
  const promAlerts = await prometheus.query('ALERTS');
  const promByState: Record<string, number> = {};
  for (const a of promAlerts) {
    promByState[a.metric.alertstate] =
      (promByState[a.metric.alertstate] ?? 0) + 1;
  }
  const promKeys = promAlerts.map(
    a => `${a.metric.model_id}/${a.metric.alertname}/${a.metric.slot}`,
  );
  const last = measured[measured.length - 1];
  const phasesMs: Record<string, { ms: number; calls: number }> = {};
  for (const name of new Set(measured.flatMap(t => Object.keys(t.phases)))) {
    phasesMs[name] = {
      ms: round(median(measured.map(t => t.phases[name]?.ms ?? 0)))!,
      calls: median(measured.map(t => t.phases[name]?.calls ?? 0)),
    };
  }
  const queriesMs: Result['queriesMs'] = {};
  for (const metric of expectedMetrics) {
    const of = measured.flatMap(t =>
      t.queries.filter(q => q.metric === metric),
    );
    if (!of.length) continue;
    queriesMs[metric] = {
      ms: round(median(of.map(q => q.ms)))!,
      requestKb: round(median(of.map(q => q.requestKb)))!,
      responseKb: round(median(of.map(q => q.responseKb)))!,
    };
  }
  knex.removeListener('query', countStatement);
  const exporterStats = await options.exporter.stats();
  return {
    models: plan.length,
    scrapeIntervalSeconds: options.scrapeSeconds,
    database: db.name,
    tickMs: round(tickMs)!,
    ticksMs: measured.map(t => round(t.ms)!),
    warmupMs: round(ticks[0].ms)!,
    ruleGroupMs: round(ruleGroupMs, 2),
    ratio: ruleGroupMs ? round(tickMs / ruleGroupMs, 2) : undefined,
    samplesWritten: median(measured.map(t => t.samplesWritten)),
    expectedSamples:
      plan.length * EXPORTER_SLOTS.length * expectedMetrics.length,
    collectQueries: prometheusSource.stats.lastCollectQueries,
    alertsExpected: expectedKeys.size,
    alertsOpen: last.alerts,
    alertsMatchingExpected: openKeys.filter(k => expectedKeys.has(k)).length,
    alertsUnexpected: openKeys.filter(k => !expectedKeys.has(k)).slice(0, 10),
    prometheusAlerts: promByState,
    prometheusAlertsMatchingExpected: promKeys.filter(k => expectedKeys.has(k))
      .length,
    prometheusAlertsUnexpected: promKeys
      .filter(k => !expectedKeys.has(k))
      .slice(0, 10),
    queriesMs,
    statementsPerTick: median(measured.map(t => t.statements)),
    queryFailures: measured.reduce((n, t) => n + t.queryFailures.length, 0),
    rssMb: round(Math.max(...ticks.map(t => t.rssMb)))!,
    prometheusRssMb: round((last.ruleGroup?.residentMemoryBytes ?? NaN) / MB),
    ruleEvaluationSamples: last.ruleGroup?.lastEvaluationSamples,
    ruleIterationsMissed: last.ruleGroup?.missedIterations,
    exporter: {
      lastScrapeMs: round(exporterStats.lastMs)!,
      maxScrapeMs: round(exporterStats.maxMs)!,
      lastScrapeMb: round(exporterStats.lastBytes / MB)!,
    },
    phasesMs,
    ticks: ticks.map(t => ({ ...t, ms: round(t.ms)!, rssMb: round(t.rssMb)! })),
  };
}

async function benchModelCount(
  models: number,
  binary: string,
): Promise<Result[]> {
  const plan = exporterPlan(models, SEED);
  const begun = Date.now();
  say(
    `\n${models} models (${models * SERIES_PER_MODEL} series, ${
      expectedBreaches(plan).size
    } breaching):`,
  );
  const scrapeSeconds = scrapeSecondsFor(models);
  const gapMs = gapMsFor(scrapeSeconds);
  say(
    `  scrape and rule evaluation every ${scrapeSeconds} s, ticks ${
      gapMs / 1000
    } s apart`,
  );
  const exporter = await startExporter({ models, seed: SEED });
  let prometheus: BenchPrometheus | undefined;
  const results: Result[] = [];
  try {
    prometheus = await startBenchPrometheus({
      binary,
      target: exporter.host,
      job: JOB,
      intervalSeconds: scrapeSeconds,
      group: { name: GROUP, rules: prometheusRules() },
    });
    const prom = prometheus;
    const waitMs = 120_000 + 10 * scrapeSeconds * 1000;
    await waitFor(
      'two successful scrapes of the exporter',
      async () => {
        const [scrapes] = await prom.query(
          `count_over_time(up{job="${JOB}"}[10m])`,
        );
        const [up] = await prom.query(`up{job="${JOB}"}`);
        return Number(scrapes?.value[1]) >= 2 && up?.value[1] === '1'
          ? true
          : undefined;
      },
      waitMs,
      500,
    );
    const before = (await prom.ruleGroup(GROUP)).iterations ?? 0;
    const group = await waitFor(
      'three evaluations of the rule group after two scrapes',
      async () => {
        const stats = await prom.ruleGroup(GROUP);
        return (stats.iterations ?? 0) >= before + 3 ? stats : undefined;
      },
      waitMs,
      500,
    );
    if (group.evaluationFailures > 0) {
      throw new Error(
        `the rule group failed ${group.evaluationFailures} evaluations`,
      );
    }
    say(
      `  Prometheus ready after ${Math.round(
        (Date.now() - begun) / 1000,
      )} s: rule group ${(group.lastDurationSeconds! * 1000).toFixed(1)} ms`,
    );
    for (const db of await openBenchDatabases()) {
      try {
        results.push(
          await runTicks({
            db,
            plan,
            prometheus,
            exporter,
            scrapeSeconds,
            gapMs,
          }),
        );
      } finally {
        await db.knex.destroy().catch(() => undefined);
        await db.drop();
      }
    }
  } finally {
    await prometheus?.stop();
    await exporter.stop();
  }
  say(`  (${Math.round((Date.now() - begun) / 1000)} s for ${models} models)`);
  return results;
}

/** The figures around a tick: Prometheus, the exporter, the queries, the statements. */
function background(r: Result): string {
  const queries = Object.entries(r.queriesMs)
    .map(([m, q]) => `${m} ${q.ms} ms (${q.requestKb} / ${q.responseKb} KB)`)
    .join(', ');
  const parts = [
    `Prometheus RSS ${r.prometheusRssMb ?? '?'} MB`,
    `rule group output ${r.ruleEvaluationSamples ?? '?'} samples`,
    `missed iterations ${r.ruleIterationsMissed ?? '?'}`,
    `exporter scrape ${r.exporter.lastScrapeMs} ms (max ${r.exporter.maxScrapeMs}) for ${r.exporter.lastScrapeMb} MB`,
    `${r.collectQueries} queries per collect, each until read in full (request / response): ${queries}`,
    `${r.statementsPerTick} database statements per tick`,
  ];
  if (r.alertsUnexpected.length) {
    parts.push(`unexpected alerts: ${r.alertsUnexpected.join(', ')}`);
  }
  if (r.prometheusAlertsUnexpected.length) {
    parts.push(
      `unexpected Prometheus alerts: ${r.prometheusAlertsUnexpected.join(
        ', ',
      )}`,
    );
  }
  return `- ${r.models} / ${r.database}: ${parts.join('; ')}`;
}

/** How `growth` compares with linear. */
function linearity(g: {
  from: number;
  to: number;
  factor: number;
  modelsFactor: number;
}) {
  if (g.from !== 1000 || g.to !== 10000) return '';
  return g.factor <= g.modelsFactor
    ? ' (linear or better)'
    : ' (worse than linear)';
}

function growth(results: Result[]) {
  const rows: Array<{
    database: string;
    from: number;
    to: number;
    factor: number;
    modelsFactor: number;
  }> = [];
  for (const database of new Set(results.map(r => r.database))) {
    const mine = results
      .filter(r => r.database === database)
      .sort((a, b) => a.models - b.models);
    for (let i = 1; i < mine.length; i++) {
      rows.push({
        database,
        from: mine[i - 1].models,
        to: mine[i].models,
        factor: round(mine[i].tickMs / mine[i - 1].tickMs, 2)!,
        modelsFactor: mine[i].models / mine[i - 1].models,
      });
    }
  }
  return rows;
}

async function main() {
  const binary = findPrometheus();
  if (!binary) {
    throw new Error(
      'no prometheus binary (apt-get install prometheus, or set PROMETHEUS_BIN)',
    );
  }
  say(
    `Monitoring tick at scale: rules over [${RULE_WINDOW}], 1 warm-up + ${MEASURED_TICKS} measured ticks, query timeout ${
      QUERY_TIMEOUT_MS ?? 'default (20000)'
    } ms; ${(4 / BREACH_EVERY) * 100} % of models breach a rule; seed ${SEED}`,
  );
  const results: Result[] = [];
  for (const models of MODEL_COUNTS) {
    results.push(...(await benchModelCount(models, binary)));
  }
  const growthRows = growth(results);
  const fmt = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ') || 'none';
  say(
    [
      '',
      '| models | database | scrape | tick (median of 3) | ticks | Prometheus rule group | ratio tick / anchor | samples written | alerts open (expected) | Prometheus ALERTS | RSS | query failures |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...results.map(
        r =>
          `| ${r.models} | ${r.database} | ${r.scrapeIntervalSeconds} s | ${
            r.tickMs
          } ms | ${r.ticksMs.join(' / ')} ms | ${r.ruleGroupMs ?? '?'} ms | ${
            r.ratio ?? '?'
          } | ${r.samplesWritten} of ${r.expectedSamples} | ${fmt(
            r.alertsOpen,
          )} (${r.alertsMatchingExpected} of ${
            r.alertsExpected
          } expected) | ${fmt(r.prometheusAlerts)} (${
            r.prometheusAlertsMatchingExpected
          } expected) | ${r.rssMb} MB | ${r.queryFailures} |`,
      ),
      '',
      'Where the measured ticks went (median ms per dependency; calls):',
      '',
      ...results.map(r => {
        const accounted = Object.values(r.phasesMs).reduce(
          (n, p) => n + p.ms,
          0,
        );
        const parts = Object.entries(r.phasesMs)
          .sort(([, a], [, b]) => b.ms - a.ms)
          .filter(([, p]) => p.ms >= 0.5)
          .map(([name, p]) => `${name} ${p.ms} (${p.calls})`);
        return `- ${r.models} / ${r.database}: ${parts.join(
          ', ',
        )}; the rest (in the tick itself) ≈ ${Math.max(
          0,
          Math.round(r.tickMs - accounted),
        )}`;
      }),
      '',
      'Prometheus, exporter, queries and statements:',
      '',
      ...results.map(background),
      '',
      'Growth of the tick time:',
      '',
      ...(growthRows.length
        ? growthRows.map(
            g =>
              `- ${g.database}: ${g.from} → ${g.to} models (×${
                g.modelsFactor
              }): ×${g.factor}${linearity(g)}`,
          )
        : ['- one model count only']),
    ].join('\n'),
  );
  if (JSON_FILE) {
    fs.writeFileSync(
      JSON_FILE,
      `${JSON.stringify(
        {
          name: 'monitoring-tick',
          date: new Date().toISOString(),
          settings: {
            scrapeIntervalSeconds: 'per result (evaluation interval the same)',
            ruleWindow: RULE_WINDOW,
            tickGap: 'three scrape intervals',
            measuredTicks: MEASURED_TICKS,
            monitoringIntervalSeconds: INTERVAL_SECONDS,
            seed: SEED,
            queryTimeoutMs: QUERY_TIMEOUT_MS ?? 20_000,
          },
          results,
          growth: growthRows,
        },
        null,
        2,
      )}\n`,
    );
    say(`\nWrote ${JSON_FILE}`);
  }
}

main().then(
  () => process.exit(0),
  error => {
    // eslint-disable-next-line no-console
    console.error(error);
    process.exit(1);
  },
);
