import { LoggerService } from '@backstage/backend-plugin-api';
import { ModelMetric, SlotName } from '@model-ops/plugin-model-ops-common';
import {
  MetricCollectContext,
  MetricSample,
  MetricSource,
  MetricTarget,
} from '@model-ops/plugin-model-ops-node';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Exposition, parseExposition } from './exposition';
import { histogramQuantile } from './histogramQuantile';
import { FetchFunction, fetchText, isLoopbackEndpoint, mapLimit } from './http';
import { CostPerRequestFunction, ErrorStatuses, isErrorStatus } from './types';

/**
 * The names the scrape source reads in a server's `/metrics`; the defaults are the demo model
 * server's (prom-client's process metrics included).
 *
 * @public
 */
export interface ScrapeMetricNames {
  /** Counter of answered requests, labelled with the HTTP status. */
  requestsTotal: string;
  /** The status label of `requestsTotal`. */
  statusLabel: string;
  /** Histogram of request durations in seconds (its `_bucket` series are read). */
  requestDurationSeconds: string;
  /** Counter of CPU seconds (user + system) the process used. */
  cpuSecondsTotal: string;
  /** Gauge of the process' resident memory in bytes. */
  residentMemoryBytes: string;
  /** Gauge of the process start time in Unix seconds; a change means a restart. */
  startTimeSeconds: string;
}

/**
 * The demo model server's names.
 *
 * @public
 */
export const DEFAULT_SCRAPE_METRIC_NAMES: ScrapeMetricNames = {
  requestsTotal: 'model_requests_total',
  statusLabel: 'status',
  requestDurationSeconds: 'model_request_duration_seconds',
  cpuSecondsTotal: 'process_cpu_seconds_total',
  residentMemoryBytes: 'process_resident_memory_bytes',
  startTimeSeconds: 'process_start_time_seconds',
};

/**
 * What `fs.statfs` returns that the disk metric needs.
 *
 * @public
 */
export interface FsUsage {
  blocks: number;
  bfree: number;
  bavail: number;
}

/**
 * Options of {@link ScrapeMetricSource}.
 *
 * @public
 */
export interface ScrapeMetricSourceOptions {
  /** Timeout of one `/metrics` request (headers and body). Default 2000 ms. */
  timeoutMs?: number;
  /** Most `/metrics` requests in flight at once. Default 8. */
  concurrency?: number;
  /** Largest `/metrics` body accepted. Default 4 MiB. */
  maxBytes?: number;
  /** What `errorRate` counts. Default `non-2xx`. */
  errorStatuses?: ErrorStatuses;
  /**
   * The CPU capacity `cpu` is a percentage of: 100 % means `cpuCores` cores busy for the whole
   * interval. Default `os.availableParallelism()` (the host's capacity); `1` gives top-style
   * per-core percentages, which can exceed 100.
   */
  cpuCores?: number;
  /**
   * When `memory` (resident memory of the server / total memory of this host) and `disk` (use of
   * the filesystem holding the model's state) are reported: only for endpoints on this host
   * (`loopback`, the default), for every endpoint (`always`), or never.
   */
  hostMetrics?: 'loopback' | 'always' | 'never';
  /** Total memory of the host in bytes. Default `os.totalmem()`. */
  totalMemoryBytes?: () => number;
  /** Reads filesystem usage. Default `fs.promises.statfs`. */
  statfs?: (dir: string) => Promise<FsUsage>;
  /**
   * The paths whose filesystem `disk` reports for a slot, tried in order until one exists.
   * Default: `<localStateDir>/<modelId>`, `<localStateDir>`, `/` (just `/` without a state dir).
   */
  diskPaths?: (modelId: string, slot: SlotName) => string[];
  /** The local runtime's state folder, for the default `diskPaths`. */
  localStateDir?: string;
  /** Gives `costPerRequest`; without it the metric is left out. */
  costPerRequest?: CostPerRequestFunction;
  /** Metric names to read, over {@link DEFAULT_SCRAPE_METRIC_NAMES}. */
  names?: Partial<ScrapeMetricNames>;
  /** The clock; rates are per second of it between two scrapes. Default the system clock. */
  now?: () => Date;
  fetch?: FetchFunction;
  logger?: LoggerService;
}

/** The counters and gauges kept from one scrape of one slot. */
interface Snapshot {
  endpoint: string;
  /** Clock time of the scrape, in ms. */
  at: number;
  /** `requestsTotal` by status label value (`''` when the series has no status label). */
  requests?: Map<string, number>;
  /** Cumulative counts of the duration histogram by `le` bound, summed over other labels. */
  buckets?: Map<number, number>;
  cpuSeconds?: number;
  residentMemoryBytes?: number;
  startTimeSeconds?: number;
  /** `model_feature_usage_total`, summed over features, when the server reports it. */
  featureUses?: number;
  /** `model_user_satisfaction` (0 to 100), averaged over series, when the server reports it. */
  userSatisfaction?: number;
}

type Counters = Pick<Snapshot, 'requests' | 'buckets' | 'cpuSeconds'>;

/** A snapshot as JSON holds it: maps as entries, the `+Inf` bucket bound as a string. */
interface StoredSnapshot {
  endpoint: string;
  at: number;
  requests?: Array<[string, number]>;
  buckets?: Array<[string, number]>;
  cpuSeconds?: number;
  residentMemoryBytes?: number;
  startTimeSeconds?: number;
  featureUses?: number;
  userSatisfaction?: number;
}

const NUMBER_FIELDS = [
  'cpuSeconds',
  'residentMemoryBytes',
  'startTimeSeconds',
  'featureUses',
  'userSatisfaction',
] as const;

function storedSnapshot(snapshot: Snapshot): StoredSnapshot {
  const stored: StoredSnapshot = {
    endpoint: snapshot.endpoint,
    at: snapshot.at,
  };
  if (snapshot.requests) stored.requests = [...snapshot.requests];
  if (snapshot.buckets) {
    stored.buckets = [...snapshot.buckets].map(([bound, count]) => [
      bound === Infinity ? '+Inf' : String(bound),
      count,
    ]);
  }
  for (const field of NUMBER_FIELDS) {
    const value = snapshot[field];
    if (value !== undefined && Number.isFinite(value)) stored[field] = value;
  }
  return stored;
}

function entriesOf<K>(
  value: unknown,
  key: (raw: string) => K,
): Map<K, number> | undefined | false {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return false;
  const map = new Map<K, number>();
  for (const entry of value) {
    if (
      !Array.isArray(entry) ||
      typeof entry[0] !== 'string' ||
      typeof entry[1] !== 'number'
    ) {
      return false;
    }
    map.set(key(entry[0]), entry[1]);
  }
  return map;
}

/** The snapshot a stored value holds; undefined for anything else (the slot primes again). */
function snapshotFromStored(value: unknown): Snapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stored = value as Record<string, unknown>;
  if (typeof stored.endpoint !== 'string' || typeof stored.at !== 'number') {
    return undefined;
  }
  const requests = entriesOf(stored.requests, raw => raw);
  const buckets = entriesOf(stored.buckets, raw =>
    raw === '+Inf' ? Infinity : Number(raw),
  );
  if (requests === false || buckets === false) return undefined;
  const snapshot: Snapshot = {
    endpoint: stored.endpoint,
    at: stored.at,
    requests,
    buckets,
  };
  for (const field of NUMBER_FIELDS) {
    const v = stored[field];
    if (v === undefined) continue;
    if (typeof v !== 'number') return undefined;
    snapshot[field] = v;
  }
  return snapshot;
}

function sumSeries(exposition: Exposition, name: string): number | undefined {
  const series = exposition.get(name);
  if (!series || series.length === 0) return undefined;
  const total = series.reduce((sum, s) => sum + s.value, 0);
  return Number.isFinite(total) ? total : undefined;
}

function snapshotOf(
  exposition: Exposition,
  names: ScrapeMetricNames,
  endpoint: string,
  at: number,
): Snapshot {
  const snapshot: Snapshot = { endpoint, at };
  const requests = exposition.get(names.requestsTotal);
  if (requests && requests.length > 0) {
    snapshot.requests = new Map();
    for (const s of requests) {
      const status = s.labels[names.statusLabel] ?? '';
      snapshot.requests.set(
        status,
        (snapshot.requests.get(status) ?? 0) + s.value,
      );
    }
  }
  const buckets = exposition.get(`${names.requestDurationSeconds}_bucket`);
  if (buckets && buckets.length > 0) {
    snapshot.buckets = new Map();
    for (const s of buckets) {
      const le = s.labels.le;
      if (le === undefined) continue;
      const bound = le.trim() === '+Inf' ? Infinity : Number(le);
      if (Number.isNaN(bound)) continue;
      snapshot.buckets.set(bound, (snapshot.buckets.get(bound) ?? 0) + s.value);
    }
    if (snapshot.buckets.size === 0) snapshot.buckets = undefined;
  }
  snapshot.cpuSeconds = sumSeries(exposition, names.cpuSecondsTotal);
  // Reported by some model servers only; absent, they are left out rather than invented.
  snapshot.featureUses = sumSeries(exposition, 'model_feature_usage_total');
  const satisfaction = exposition.get('model_user_satisfaction');
  if (satisfaction && satisfaction.length > 0) {
    snapshot.userSatisfaction =
      satisfaction.reduce((sum, s) => sum + s.value, 0) / satisfaction.length;
  }
  snapshot.residentMemoryBytes = sumSeries(
    exposition,
    names.residentMemoryBytes,
  );
  snapshot.startTimeSeconds = sumSeries(exposition, names.startTimeSeconds);
  return snapshot;
}

function mapDecreased(
  previous: Map<unknown, number> | undefined,
  current: Map<unknown, number> | undefined,
): boolean {
  if (!previous || !current) return false;
  for (const [key, value] of current) {
    const before = previous.get(key);
    if (before !== undefined && value < before) return true;
  }
  return false;
}

/** Whether the counters restarted between two scrapes (a new process, or any counter went down). */
function isReset(previous: Snapshot, current: Snapshot): boolean {
  if (previous.endpoint !== current.endpoint) return true;
  if (
    previous.startTimeSeconds !== undefined &&
    current.startTimeSeconds !== undefined &&
    previous.startTimeSeconds !== current.startTimeSeconds
  ) {
    return true;
  }
  if (
    previous.cpuSeconds !== undefined &&
    current.cpuSeconds !== undefined &&
    current.cpuSeconds < previous.cpuSeconds
  ) {
    return true;
  }
  return (
    mapDecreased(previous.requests, current.requests) ||
    mapDecreased(previous.buckets, current.buckets)
  );
}

/**
 * The increase of each series of a counter family. Undefined when the previous scrape did not have
 * the family (it only primes now); a series new within the family counted from 0.
 */
function mapDelta<K>(
  previous: Map<K, number> | undefined,
  current: Map<K, number> | undefined,
  reset: boolean,
): Map<K, number> | undefined {
  if (!current || (!previous && !reset)) return undefined;
  const delta = new Map<K, number>();
  for (const [key, value] of current) {
    const before = reset ? undefined : previous?.get(key);
    delta.set(key, before === undefined ? value : value - before);
  }
  return delta;
}

/**
 * The counter increases between two scrapes of one slot. On a counter reset (a restarted process,
 * a new endpoint, or any counter lower than before) every counter's current value is its increase.
 */
function counterDeltas(previous: Snapshot, current: Snapshot): Counters {
  const reset = isReset(previous, current);
  let cpuSeconds: number | undefined;
  if (current.cpuSeconds !== undefined) {
    if (reset) cpuSeconds = current.cpuSeconds;
    else if (previous.cpuSeconds !== undefined)
      cpuSeconds = current.cpuSeconds - previous.cpuSeconds;
  }
  return {
    requests: mapDelta(previous.requests, current.requests, reset),
    buckets: mapDelta(previous.buckets, current.buckets, reset),
    cpuSeconds,
  };
}

/** Usage of a filesystem in percent, as `df` computes it: used / (used + available to users). */
function diskPercent(usage: FsUsage): number | undefined {
  const used = Number(usage.blocks) - Number(usage.bfree);
  const total = used + Number(usage.bavail);
  return total > 0 ? (used / total) * 100 : undefined;
}

/**
 * The built-in `scrape` source: reads each live slot's `<endpoint>/metrics` (the Prometheus text
 * format) and turns the increase of its counters since the previous scrape into the window's
 * throughput, error rate, response time quantiles, CPU and cost per request; memory and disk are
 * current values. A slot's first scrape only primes its counters; a metric a server does not
 * report is left out. The previous scrape's counters are kept in the collect context's state
 * when the plugin gives one (its database, so they carry over when the tick moves to another
 * replica), else in memory.
 *
 * @public
 */
export class ScrapeMetricSource implements MetricSource {
  readonly id = 'scrape';
  readonly #names: ScrapeMetricNames;
  readonly #timeoutMs: number;
  readonly #concurrency: number;
  readonly #maxBytes: number;
  readonly #errorStatuses: ErrorStatuses;
  readonly #cpuCores: number;
  readonly #hostMetrics: 'loopback' | 'always' | 'never';
  readonly #totalMemoryBytes: () => number;
  readonly #statfs: (dir: string) => Promise<FsUsage>;
  readonly #diskPaths: (modelId: string, slot: SlotName) => string[];
  readonly #costPerRequest?: CostPerRequestFunction;
  readonly #now: () => Date;
  readonly #fetch: FetchFunction;
  readonly #logger?: LoggerService;
  readonly #snapshots = new Map<string, Snapshot>();
  /** `/metrics` requests made and failed since the source was created. */
  readonly stats = { scrapes: 0, failures: 0 };

  constructor(options: ScrapeMetricSourceOptions = {}) {
    this.#names = { ...DEFAULT_SCRAPE_METRIC_NAMES, ...options.names };
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#concurrency = options.concurrency ?? 8;
    this.#maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    this.#errorStatuses = options.errorStatuses ?? 'non-2xx';
    this.#cpuCores = options.cpuCores ?? os.availableParallelism();
    this.#hostMetrics = options.hostMetrics ?? 'loopback';
    this.#totalMemoryBytes = options.totalMemoryBytes ?? (() => os.totalmem());
    this.#statfs = options.statfs ?? (p => fsp.statfs(p));
    const stateDir = options.localStateDir;
    this.#diskPaths =
      options.diskPaths ??
      (modelId =>
        stateDir ? [path.join(stateDir, modelId), stateDir, '/'] : ['/']);
    this.#costPerRequest = options.costPerRequest;
    this.#now = options.now ?? (() => new Date());
    this.#fetch = options.fetch ?? fetch;
    this.#logger = options.logger;
    if (!(this.#cpuCores > 0))
      throw new Error(`cpuCores must be positive, got ${this.#cpuCores}`);
    if (!(this.#concurrency >= 1))
      throw new Error(`concurrency must be at least 1`);
  }

  async collect(
    targets: MetricTarget[],
    _window: { from: Date; to: Date },
    context?: MetricCollectContext,
  ): Promise<MetricSample[]> {
    const jobs: Array<{
      modelId: string;
      slot: SlotName;
      endpoint: string;
      key: string;
    }> = [];
    for (const target of targets) {
      for (const slot of target.slots) {
        if (slot.endpoint)
          jobs.push({
            modelId: target.modelId,
            slot: slot.slot,
            endpoint: slot.endpoint,
            key: `${target.modelId}\n${slot.slot}`,
          });
      }
    }
    const wanted = jobs.map(j => j.key);
    const state = context?.state;
    let previous: Map<string, Snapshot>;
    if (state) {
      previous = new Map();
      try {
        for (const [key, value] of await state.get(wanted)) {
          const snapshot = snapshotFromStored(value);
          if (snapshot) previous.set(key, snapshot);
        }
      } catch (e) {
        this.#logger?.warn(
          `Model Ops: cannot read the previous scrapes' counters, priming again: ${
            (e as Error).message
          }`,
        );
      }
    } else {
      // Forget the slots no longer asked for, so their memory does not grow and a slot that
      // comes back primes again.
      const keep = new Set(wanted);
      for (const key of this.#snapshots.keys()) {
        if (!keep.has(key)) this.#snapshots.delete(key);
      }
      previous = this.#snapshots;
    }
    const diskCache = new Map<string, Promise<number | undefined>>();
    const results = await mapLimit(jobs, this.#concurrency, job =>
      this.#collectSlot(job, previous.get(job.key), diskCache, context),
    );
    const scraped = new Map<string, Snapshot>();
    results.forEach((result, i) => {
      if (result.snapshot) scraped.set(jobs[i].key, result.snapshot);
    });
    if (state) {
      try {
        await state.set(
          new Map([...scraped].map(([key, s]) => [key, storedSnapshot(s)])),
        );
        // As in memory: a slot no longer asked for primes again when it comes back.
        await state.retain(wanted);
      } catch (e) {
        this.#logger?.warn(
          `Model Ops: cannot store the scrapes' counters: ${
            (e as Error).message
          }`,
        );
      }
    } else {
      for (const [key, snapshot] of scraped) this.#snapshots.set(key, snapshot);
    }
    return results.flatMap(r => r.samples);
  }

  async #collectSlot(
    job: { modelId: string; slot: SlotName; endpoint: string },
    previous: Snapshot | undefined,
    diskCache: Map<string, Promise<number | undefined>>,
    context: MetricCollectContext | undefined,
  ): Promise<{ samples: MetricSample[]; snapshot?: Snapshot }> {
    const { modelId, slot, endpoint } = job;
    const url = `${endpoint.replace(/\/+$/, '')}/metrics`;
    this.stats.scrapes += 1;
    let exposition: Exposition;
    let at: number;
    try {
      const response = await fetchText(this.#fetch, url, {
        timeoutMs: this.#timeoutMs,
        maxBytes: this.#maxBytes,
        init: { headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' } },
      });
      at = this.#now().getTime();
      if (response.status !== 200) {
        throw new Error(`HTTP ${response.status}`);
      }
      exposition = parseExposition(response.text);
    } catch (e) {
      this.stats.failures += 1;
      const message = `cannot scrape ${url} (${modelId} ${slot}): ${
        (e as Error).message
      }`;
      this.#logger?.warn(`Model Ops: ${message}`);
      context?.reportProblem?.({ modelId, message });
      return { samples: [] };
    }

    const current = snapshotOf(exposition, this.#names, endpoint, at);
    const timestamp = new Date(at);
    const samples: MetricSample[] = [];
    const add = (metric: ModelMetric, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value)) {
        samples.push({ modelId, slot, metric, value, timestamp });
      }
    };

    if (previous && current.at > previous.at) {
      const seconds = (current.at - previous.at) / 1000;
      const delta = counterDeltas(previous, current);
      if (delta.requests) {
        let total = 0;
        let errors = 0;
        let classified = true;
        for (const [status, count] of delta.requests) {
          total += count;
          if (status === '') classified = false;
          else if (isErrorStatus(status, this.#errorStatuses)) errors += count;
        }
        add('throughput', total / seconds);
        if (classified && total > 0) add('errorRate', (errors / total) * 100);
        if (this.#costPerRequest && total > 0) {
          add(
            'costPerRequest',
            this.#costPerRequest({
              modelId,
              slot,
              window: { from: new Date(previous.at), to: timestamp },
              requests: total,
            }),
          );
        }
      }
      if (delta.buckets) {
        const buckets = [...delta.buckets].map(([upperBound, count]) => ({
          upperBound,
          count,
        }));
        add('responseTimeP50', histogramQuantile(0.5, buckets) * 1000);
        add('responseTimeP95', histogramQuantile(0.95, buckets) * 1000);
      }
      if (delta.cpuSeconds !== undefined) {
        add('cpu', (delta.cpuSeconds / seconds / this.#cpuCores) * 100);
      }
      if (
        current.featureUses !== undefined &&
        previous.featureUses !== undefined
      ) {
        const uses = current.featureUses - previous.featureUses;
        add('featureUsage', (uses >= 0 ? uses : current.featureUses) / seconds);
      }
    }
    add('userSatisfaction', current.userSatisfaction);

    const host =
      this.#hostMetrics === 'always' ||
      (this.#hostMetrics === 'loopback' && isLoopbackEndpoint(endpoint));
    if (host) {
      if (current.residentMemoryBytes !== undefined) {
        const total = this.#totalMemoryBytes();
        if (total > 0)
          add('memory', (current.residentMemoryBytes / total) * 100);
      }
      add('disk', await this.#disk(modelId, slot, diskCache));
    }
    return { samples, snapshot: current };
  }

  #disk(
    modelId: string,
    slot: SlotName,
    cache: Map<string, Promise<number | undefined>>,
  ): Promise<number | undefined> {
    const paths = this.#diskPaths(modelId, slot);
    const cacheKey = paths.join('\n');
    let pending = cache.get(cacheKey);
    if (!pending) {
      pending = (async () => {
        for (const candidate of paths) {
          try {
            return diskPercent(await this.#statfs(candidate));
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
              this.#logger?.warn(
                `Model Ops: cannot read disk usage of ${candidate}: ${
                  (e as Error).message
                }`,
              );
              return undefined;
            }
          }
        }
        return undefined;
      })();
      cache.set(cacheKey, pending);
    }
    return pending;
  }
}
