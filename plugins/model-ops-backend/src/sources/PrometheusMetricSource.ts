import { LoggerService } from '@backstage/backend-plugin-api';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import {
  MetricCollectContext,
  MetricSample,
  MetricSource,
  MetricTarget,
} from '@model-ops/plugin-model-ops-node';
import os from 'node:os';
import { FetchFunction, fetchText, mapLimit } from './http';
import { CostPerRequestFunction, ErrorStatuses } from './types';

/** The default timeout of one query. */
const DEFAULT_TIMEOUT_MS = 20_000;

/**
 * The PromQL of each metric: a template with placeholders, one query per metric per collect for
 * all models. Placeholders:
 * - `{selector}`: the label matcher of the models collected, `model_id=~"a|b|c"`;
 * - `{models}`: just the regular expression, `a|b|c`;
 * - `{by}`: the grouping labels, `model_id, slot`;
 * - `{window}`: the window as a range, `60s`; `{windowSeconds}`: `60`;
 * - `{cpuCores}`, `{totalMemoryBytes}`: the options of the same name.
 *
 * The result must be an instant vector with one series per model and slot, labelled with the
 * model and slot labels. A template without `{selector}` or `{models}` still runs once; its series
 * are then filtered here.
 *
 * @public
 */
export type PrometheusQueries = Record<string, string>;

/**
 * The default queries, for the demo model server's metrics scraped with `model_id` and `slot`
 * target labels. `disk` is not among them: the server does not report it.
 *
 * @public
 */
export function defaultPrometheusQueries(
  options: { errorStatuses?: ErrorStatuses } = {},
): PrometheusQueries {
  const errorMatcher =
    options.errorStatuses === '5xx' ? 'status=~"5.."' : 'status!~"2.."';
  const requests =
    'sum by ({by}) (rate(model_requests_total{{selector}}[{window}]))';
  const quantile = (q: number) =>
    `1000 * histogram_quantile(${q}, sum by ({by}, le) (rate(model_request_duration_seconds_bucket{{selector}}[{window}])))`;
  return {
    throughput: requests,
    errorRate:
      `100 * (sum by ({by}) (rate(model_requests_total{{selector},${errorMatcher}}[{window}]))` +
      ` or 0 * ${requests}) / ${requests}`,
    responseTimeP50: quantile(0.5),
    responseTimeP95: quantile(0.95),
    cpu: '100 * sum by ({by}) (rate(process_cpu_seconds_total{{selector}}[{window}])) / {cpuCores}',
    memory:
      '100 * sum by ({by}) (process_resident_memory_bytes{{selector}}) / {totalMemoryBytes}',
  };
}

/**
 * Options of {@link PrometheusMetricSource}.
 *
 * @public
 */
export interface PrometheusMetricSourceOptions {
  /** The Prometheus server, e.g. `http://127.0.0.1:9090`; `/api/v1/query` is appended. */
  baseUrl: string;
  /**
   * Queries by metric key, over {@link defaultPrometheusQueries}; an empty string drops a
   * default. Keys other than the built-in metrics are collected too, under their key.
   */
  queries?: Record<string, string | null | undefined>;
  /**
   * Timeout of one query (also sent to Prometheus as `timeout`). Default 20000 ms: at 10,000
   * models one query takes seconds on a busy host, and a tick runs once a minute.
   */
  timeoutMs?: number;
  /** Most queries in flight at once. Default 4. */
  concurrency?: number;
  /** The label holding the model id. Default `model_id`. */
  modelLabel?: string;
  /** The label holding the slot. Default `slot`. */
  slotLabel?: string;
  /** Used by the default `errorRate` query. Default `non-2xx`. */
  errorStatuses?: ErrorStatuses;
  /** `{cpuCores}`. Default `os.availableParallelism()` of this host. */
  cpuCores?: number;
  /** `{totalMemoryBytes}`. Default `os.totalmem()` of this host. */
  totalMemoryBytes?: () => number;
  /** Gives `costPerRequest` from the `throughput` result; without it the metric is left out. */
  costPerRequest?: CostPerRequestFunction;
  /** Extra request headers, e.g. `authorization`. */
  headers?: Record<string, string>;
  /** Largest response accepted. Default 16 MiB. */
  maxBytes?: number;
  fetch?: FetchFunction;
  logger?: LoggerService;
}

/** Escapes a literal for an RE2 regular expression. */
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** Escapes text for the inside of a PromQL double-quoted string. */
function escapePromQLString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A duration PromQL accepts, in whole seconds (at least 1). */
function promDuration(seconds: number): string {
  return `${Math.max(1, Math.round(seconds))}s`;
}

/**
 * The slot of the values of a model Model Ops does not run (`model-ops/runtime: external`) when
 * its series carry no slot label: the model's production as a whole.
 *
 * @internal
 */
export const EXTERNAL_MODEL_SLOT = 'production';

/** The slot labels kept for an external model: Model Ops' slot names, and `production`. */
const EXTERNAL_SLOT_LABELS = new Set<string>([
  ...SLOT_NAMES,
  EXTERNAL_MODEL_SLOT,
]);

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * The built-in `prometheus` source: asks a Prometheus server's HTTP API, with one instant query
 * per metric per collect for all the models at once (their ids in one regex label matcher), and
 * groups the series back into samples by their model and slot labels.
 *
 * A target without slots is a model Model Ops does not run (`model-ops/runtime: external`): its
 * series are kept per slot where they carry a slot label naming a slot (`testing`, `staging`,
 * `blue`, `green` or `production`), and without a slot label they are the model's values, under
 * {@link EXTERNAL_MODEL_SLOT}. Other slot label values are left out.
 *
 * @public
 */
export class PrometheusMetricSource implements MetricSource {
  readonly id = 'prometheus';
  readonly #baseUrl: string;
  readonly #queries: PrometheusQueries;
  readonly #timeoutMs: number;
  readonly #concurrency: number;
  readonly #modelLabel: string;
  readonly #slotLabel: string;
  readonly #cpuCores: number;
  readonly #totalMemoryBytes: () => number;
  readonly #costPerRequest?: CostPerRequestFunction;
  readonly #headers: Record<string, string>;
  readonly #maxBytes: number;
  readonly #fetch: FetchFunction;
  readonly #logger?: LoggerService;
  /**
   * Queries sent: in total, and in the last collect (one per configured metric, whatever the
   * number of models).
   */
  readonly stats = {
    collects: 0,
    queries: 0,
    lastCollectQueries: 0,
    /** Queries of the last collect that failed (timed out, refused, not a vector). */
    lastCollectFailures: 0,
  };

  constructor(options: PrometheusMetricSourceOptions) {
    if (!options.baseUrl) throw new Error('baseUrl is required');
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    const queries: PrometheusQueries = defaultPrometheusQueries({
      errorStatuses: options.errorStatuses,
    });
    for (const [metric, query] of Object.entries(options.queries ?? {})) {
      if (query === undefined) continue;
      if (query === null || query.trim() === '') delete queries[metric];
      else queries[metric] = query;
    }
    this.#queries = queries;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#concurrency = options.concurrency ?? 4;
    this.#modelLabel = options.modelLabel ?? 'model_id';
    this.#slotLabel = options.slotLabel ?? 'slot';
    this.#cpuCores = options.cpuCores ?? os.availableParallelism();
    this.#totalMemoryBytes = options.totalMemoryBytes ?? (() => os.totalmem());
    this.#costPerRequest = options.costPerRequest;
    this.#headers = options.headers ?? {};
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    this.#fetch = options.fetch ?? fetch;
    this.#logger = options.logger;
  }

  /** The metric keys this source queries. */
  get metrics(): string[] {
    return Object.keys(this.#queries);
  }

  /** The query text of `metric` for these model ids and window. */
  render(metric: string, modelIds: string[], windowSeconds: number): string {
    const template = this.#queries[metric];
    if (template === undefined) throw new Error(`no query for ${metric}`);
    const models = [...new Set(modelIds)].map(escapeRegex).join('|');
    const values: Record<string, string> = {
      selector: `${this.#modelLabel}=~"${escapePromQLString(models)}"`,
      models: escapePromQLString(models),
      by: `${this.#modelLabel}, ${this.#slotLabel}`,
      window: promDuration(windowSeconds),
      windowSeconds: String(Math.max(1, Math.round(windowSeconds))),
      cpuCores: String(this.#cpuCores),
      totalMemoryBytes: String(this.#totalMemoryBytes()),
    };
    return template.replace(
      /\{(selector|models|by|window|windowSeconds|cpuCores|totalMemoryBytes)\}/g,
      (_, name: string) => values[name],
    );
  }

  async collect(
    targets: MetricTarget[],
    window: { from: Date; to: Date },
    context?: MetricCollectContext,
  ): Promise<MetricSample[]> {
    this.stats.collects += 1;
    this.stats.lastCollectQueries = 0;
    this.stats.lastCollectFailures = 0;
    const slots = new Map<string, Set<string>>();
    for (const target of targets) {
      const set = slots.get(target.modelId) ?? new Set<string>();
      for (const s of target.slots) set.add(s.slot);
      slots.set(target.modelId, set);
    }
    // Models without slots (external): whatever slots their series name.
    const external = new Set(
      [...slots].filter(([, set]) => set.size === 0).map(([id]) => id),
    );
    if (slots.size === 0) return [];
    const modelIds = [...slots.keys()];
    const windowSeconds = (window.to.getTime() - window.from.getTime()) / 1000;
    const timestamp = window.to;
    const metrics = this.metrics;

    const results = await mapLimit(metrics, this.#concurrency, metric =>
      this.#query(
        metric,
        this.render(metric, modelIds, windowSeconds),
        timestamp,
        context,
      ),
    );

    const samples: MetricSample[] = [];
    const seen = new Set<string>();
    results.forEach((series, i) => {
      const metric = metrics[i];
      for (const s of series ?? []) {
        const modelId = s.metric[this.#modelLabel];
        let slot = s.metric[this.#slotLabel];
        if (!modelId) continue;
        if (external.has(modelId)) {
          slot = slot || EXTERNAL_MODEL_SLOT;
          if (!EXTERNAL_SLOT_LABELS.has(slot)) continue;
        } else if (!slot || !slots.get(modelId)?.has(slot)) continue;
        const value = Number(s.value[1]);
        if (!Number.isFinite(value)) continue;
        const key = `${metric}\n${modelId}\n${slot}`;
        if (seen.has(key)) continue; // a query that is not aggregated by model and slot
        seen.add(key);
        samples.push({
          modelId,
          slot: slot as SlotName,
          metric,
          value,
          timestamp,
        });
      }
    });

    if (this.#costPerRequest && windowSeconds > 0) {
      for (const sample of samples.filter(s => s.metric === 'throughput')) {
        const requests = sample.value * windowSeconds;
        if (!(requests > 0)) continue;
        const cost = this.#costPerRequest({
          modelId: sample.modelId,
          slot: sample.slot,
          window,
          requests,
        });
        if (
          cost !== undefined &&
          Number.isFinite(cost) &&
          !seen.has(`costPerRequest\n${sample.modelId}\n${sample.slot}`)
        ) {
          samples.push({ ...sample, metric: 'costPerRequest', value: cost });
        }
      }
    }
    return samples;
  }

  async #query(
    metric: string,
    query: string,
    time: Date,
    context: MetricCollectContext | undefined,
  ): Promise<VectorResult[] | undefined> {
    this.stats.queries += 1;
    this.stats.lastCollectQueries += 1;
    const body = new URLSearchParams({
      query,
      time: (time.getTime() / 1000).toFixed(3),
      timeout: `${Math.max(1, Math.floor(this.#timeoutMs / 1000))}s`,
    });
    try {
      const response = await fetchText(
        this.#fetch,
        `${this.#baseUrl}/api/v1/query`,
        {
          timeoutMs: this.#timeoutMs,
          maxBytes: this.#maxBytes,
          init: {
            method: 'POST',
            headers: {
              ...this.#headers,
              'content-type': 'application/x-www-form-urlencoded',
              accept: 'application/json',
            },
            body: body.toString(),
          },
        },
      );
      let json: any;
      try {
        json = JSON.parse(response.text);
      } catch {
        throw new Error(
          `HTTP ${response.status}, not JSON: ${response.text.slice(0, 200)}`,
        );
      }
      if (response.status !== 200 || json?.status !== 'success') {
        throw new Error(
          `HTTP ${response.status}: ${json?.errorType ?? ''} ${
            json?.error ?? ''
          }`.trim(),
        );
      }
      if (json.data?.resultType !== 'vector') {
        throw new Error(
          `expected an instant vector, got ${json.data?.resultType}`,
        );
      }
      return json.data.result as VectorResult[];
    } catch (e) {
      this.stats.lastCollectFailures += 1;
      const message = `Prometheus query for ${metric} failed: ${
        (e as Error).message
      }`;
      this.#logger?.warn(`Model Ops: ${message}`);
      context?.reportProblem?.({ metric, message });
      return undefined;
    }
  }
}
