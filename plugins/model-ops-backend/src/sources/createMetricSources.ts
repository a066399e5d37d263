import { LoggerService } from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import path from 'node:path';
import { resolveLocalStateDir } from '../runtimes/local';
import { FetchFunction } from './http';
import {
  PrometheusMetricSource,
  PrometheusMetricSourceOptions,
} from './PrometheusMetricSource';
import {
  ScrapeMetricNames,
  ScrapeMetricSource,
  ScrapeMetricSourceOptions,
} from './ScrapeMetricSource';
import { CostPerRequestFunction, ErrorStatuses } from './types';

const ERROR_STATUSES: ErrorStatuses[] = ['non-2xx', '5xx'];
const HOST_METRICS = ['loopback', 'always', 'never'] as const;
const NAME_KEYS: Array<keyof ScrapeMetricNames> = [
  'requestsTotal',
  'statusLabel',
  'requestDurationSeconds',
  'cpuSecondsTotal',
  'residentMemoryBytes',
  'startTimeSeconds',
];

function positive(
  config: Config,
  section: string,
  key: string,
): number | undefined {
  const value = config.getOptionalNumber(key);
  if (value !== undefined && !(value > 0)) {
    throw new Error(
      `modelOps.metrics.${section}.${key} must be a positive number`,
    );
  }
  return value;
}

function oneOf<T extends string>(
  config: Config,
  section: string,
  key: string,
  allowed: readonly T[],
): T | undefined {
  const value = config.getOptionalString(key);
  if (value !== undefined && !allowed.includes(value as T)) {
    throw new Error(
      `modelOps.metrics.${section}.${key} must be one of ${allowed.join(', ')}`,
    );
  }
  return value as T | undefined;
}

/**
 * `modelOps.metrics.scrape` as read.
 *
 * @internal
 */
export type ScrapeConfig = ScrapeMetricSourceOptions & {
  enabled: boolean;
  /** The path whose filesystem `disk` reports for every slot. */
  diskPath?: string;
};

/**
 * Reads `modelOps.metrics.scrape`.
 *
 * @internal
 */
export function readScrapeOptions(config: Config | undefined): ScrapeConfig {
  const c = config?.getOptionalConfig('scrape');
  if (!c) return { enabled: true };
  const names: Partial<ScrapeMetricNames> = {};
  for (const key of NAME_KEYS) {
    const value = c.getOptionalString(`names.${key}`);
    if (value !== undefined) names[key] = value;
  }
  return {
    enabled: c.getOptionalBoolean('enabled') ?? true,
    timeoutMs: positive(c, 'scrape', 'timeoutMs'),
    concurrency: positive(c, 'scrape', 'concurrency'),
    cpuCores: positive(c, 'scrape', 'cpuCores'),
    errorStatuses: oneOf(c, 'scrape', 'errorStatuses', ERROR_STATUSES),
    hostMetrics: oneOf(c, 'scrape', 'hostMetrics', HOST_METRICS),
    diskPath: c.getOptionalString('diskPath'),
    names,
  };
}

/**
 * Reads `modelOps.metrics.prometheus`; undefined without a `baseUrl`.
 *
 * @internal
 */
export function readPrometheusOptions(
  config: Config | undefined,
): PrometheusMetricSourceOptions | undefined {
  const c = config?.getOptionalConfig('prometheus');
  const baseUrl = c?.getOptionalString('baseUrl');
  if (!c || !baseUrl) return undefined;
  if (!/^https?:\/\//.test(baseUrl)) {
    throw new Error(
      'modelOps.metrics.prometheus.baseUrl must be an http(s) URL',
    );
  }
  // A query given as '' or false drops the default of that metric.
  const queries: Record<string, string | null> = {};
  const q = c.getOptionalConfig('queries');
  for (const key of q?.keys() ?? []) {
    const value = q!.getOptional(key);
    if (value === false || value === '' || value === null) queries[key] = null;
    else if (typeof value === 'string') queries[key] = value;
    else {
      throw new Error(
        `modelOps.metrics.prometheus.queries.${key} must be a PromQL string, or false to drop it`,
      );
    }
  }
  return {
    baseUrl,
    queries,
    timeoutMs: positive(c, 'prometheus', 'timeoutMs'),
    modelLabel: c.getOptionalString('modelLabel'),
    slotLabel: c.getOptionalString('slotLabel'),
    errorStatuses: oneOf(c, 'prometheus', 'errorStatuses', ERROR_STATUSES),
    cpuCores: positive(c, 'prometheus', 'cpuCores'),
    totalMemoryBytes: (b => (b === undefined ? undefined : () => b))(
      positive(c, 'prometheus', 'totalMemoryBytes'),
    ),
  };
}

/**
 * `modelOps.metrics` as read: the scrape source's options (with the disk path and the local
 * state folder resolved) and the Prometheus source's, when a base URL is set.
 *
 * @internal
 */
export interface MetricSourceSettings {
  scrape: Omit<ScrapeConfig, 'diskPath'> & {
    diskPath?: string;
    localStateDir: string;
  };
  prometheus?: PrometheusMetricSourceOptions;
}

/**
 * Reads `modelOps.metrics`; the one reader of those keys.
 *
 * @internal
 */
export function readMetricSourceSettings(
  config: Config,
  workingDirectory: string = process.cwd(),
): MetricSourceSettings {
  const metrics = config.getOptionalConfig('modelOps.metrics');
  const scrape = readScrapeOptions(metrics);
  return {
    scrape: {
      ...scrape,
      diskPath: scrape.diskPath
        ? path.resolve(workingDirectory, scrape.diskPath)
        : undefined,
      localStateDir: resolveLocalStateDir(config, workingDirectory),
    },
    prometheus: readPrometheusOptions(metrics),
  };
}

/**
 * The built-in metric sources as configured: `scrape` (unless `modelOps.metrics.scrape.enabled`
 * is false) and `prometheus` (when `modelOps.metrics.prometheus.baseUrl` is set).
 *
 * @public
 */
export function createMetricSources(options: {
  /** The settings as read by {@link readMetricSourceSettings}, or the config to read them from. */
  settings?: MetricSourceSettings;
  config?: Config;
  logger?: LoggerService;
  /** Gives `costPerRequest`; without it that metric is left out. */
  costPerRequest?: CostPerRequestFunction;
  /** Resolves `modelOps.local.stateDir` for the default disk path. Default `process.cwd()`. */
  workingDirectory?: string;
  fetch?: FetchFunction;
  now?: () => Date;
}): Array<ScrapeMetricSource | PrometheusMetricSource> {
  const { logger, costPerRequest, fetch: fetchFn, now } = options;
  const settings =
    options.settings ??
    readMetricSourceSettings(
      options.config ?? new ConfigReader({}),
      options.workingDirectory ?? process.cwd(),
    );
  const sources: Array<ScrapeMetricSource | PrometheusMetricSource> = [];
  const scrape = settings.scrape;
  if (scrape.enabled) {
    const {
      enabled: _enabled,
      diskPath: disk,
      localStateDir,
      ...rest
    } = scrape;
    sources.push(
      new ScrapeMetricSource({
        ...withoutUndefined(rest),
        ...(disk ? { diskPaths: () => [disk] } : {}),
        localStateDir,
        costPerRequest,
        logger,
        fetch: fetchFn,
        now,
      }),
    );
  }
  const prometheus = settings.prometheus;
  if (prometheus) {
    sources.push(
      new PrometheusMetricSource({
        ...withoutUndefined(prometheus),
        baseUrl: prometheus.baseUrl,
        costPerRequest,
        logger,
        fetch: fetchFn,
      }),
    );
  }
  return sources;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
