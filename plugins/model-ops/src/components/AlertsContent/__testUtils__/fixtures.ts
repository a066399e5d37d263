import {
  AlertRecord,
  MODEL_METRICS,
  MODEL_METRIC_KEYS,
  MetricPoint,
  MetricStatus,
  MetricsResponse,
  ModelStatusResponse,
} from '@model-ops/plugin-model-ops-common';

const MINUTE_MS = 60_000;

/**
 * The moment the fixtures are read. Tests pin `Date.now` to it, so that "5 minutes ago" stays
 * true however long a loaded machine takes to reach an assertion.
 */
export const FIXTURE_NOW = Date.now();

/** An ISO time `minutes` before {@link FIXTURE_NOW}. */
export const minutesAgo = (minutes: number) =>
  new Date(FIXTURE_NOW - minutes * MINUTE_MS).toISOString();

/** One point a minute over the last hour, wobbling around `base`. */
export function lastHour(base: number): MetricPoint[] {
  return Array.from({ length: 60 }, (_, i) => ({
    t: minutesAgo(60 - i),
    value: base + (i % 5) / 10,
  }));
}

function metric(
  key: MetricStatus['metric'],
  extra: Partial<MetricStatus>,
): MetricStatus {
  return {
    metric: key,
    unit: MODEL_METRICS[key].unit,
    level: 'ok',
    sparkline: extra.value === undefined ? [] : lastHour(extra.value),
    ...extra,
  };
}

/** Before the first collection: every metric unknown and not reported. */
export const unknownStatus: ModelStatusResponse = {
  status: 'unknown',
  metrics: MODEL_METRIC_KEYS.map(key => metric(key, { level: 'unknown' })),
  alerts: [],
};

/** Collected two minutes ago, all below their thresholds; disk and cost not reported. */
export const healthyStatus: ModelStatusResponse = {
  status: 'healthy',
  collectedAt: minutesAgo(2),
  metrics: [
    metric('responseTimeP50', { value: 120, trend: 'stable' }),
    metric('responseTimeP95', {
      value: 480,
      warning: 5000,
      critical: 10000,
      trend: 'falling',
    }),
    metric('throughput', { value: 42.5, trend: 'rising' }),
    metric('errorRate', {
      value: 0.4,
      warning: 5,
      critical: 10,
      trend: 'stable',
    }),
    metric('cpu', { value: 35, warning: 80, critical: 90, trend: 'stable' }),
    metric('memory', {
      value: 61.2,
      warning: 85,
      critical: 95,
      trend: 'rising',
    }),
    metric('disk', { level: 'unknown' }),
    metric('costPerRequest', { level: 'unknown' }),
  ],
  alerts: [],
};

export const firingAlert: AlertRecord = {
  id: 'alert-1',
  fingerprint: 'sentiment-classifier/high_error_rate/blue',
  modelId: 'sentiment-classifier',
  entityRef: 'component:default/sentiment-classifier',
  alertType: 'high_error_rate',
  metric: 'errorRate',
  slot: 'blue',
  severity: 'critical',
  state: 'firing',
  value: 12.3,
  threshold: 10,
  summary: 'Error rate 12.3 % is above 10 %',
  startsAt: minutesAgo(6),
  firingAt: minutesAgo(5),
  runbook: 'https://runbooks.example.com/high-error-rate',
};

export const pendingAlert: AlertRecord = {
  ...firingAlert,
  id: 'alert-2',
  fingerprint: 'sentiment-classifier/high_cpu_usage/blue',
  alertType: 'high_cpu_usage',
  metric: 'cpu',
  severity: 'warning',
  state: 'pending',
  value: 84,
  threshold: 80,
  summary: 'CPU 84 % is above 80 %',
  startsAt: minutesAgo(1),
  firingAt: undefined,
  runbook: undefined,
};

export const resolvedAlert: AlertRecord = {
  ...firingAlert,
  id: 'alert-3',
  fingerprint: 'sentiment-classifier/high_memory_usage/green',
  alertType: 'high_memory_usage',
  metric: 'memory',
  slot: 'green',
  severity: 'warning',
  state: 'resolved',
  value: 88,
  threshold: 85,
  summary: 'Memory 88 % was above 85 %',
  startsAt: minutesAgo(90),
  firingAt: minutesAgo(88),
  resolvedAt: minutesAgo(30),
  runbook: undefined,
};

/** Resolved three days ago: too old to list. */
export const oldResolvedAlert: AlertRecord = {
  ...resolvedAlert,
  id: 'alert-4',
  alertType: 'high_response_time',
  metric: 'responseTimeP95',
  startsAt: minutesAgo(3 * 24 * 60 + 10),
  firingAt: minutesAgo(3 * 24 * 60 + 9),
  resolvedAt: minutesAgo(3 * 24 * 60),
};

/** The error rate over its critical level, CPU over its warning level. */
export const criticalStatus: ModelStatusResponse = {
  ...healthyStatus,
  status: 'critical',
  metrics: healthyStatus.metrics.map(m => {
    if (m.metric === 'errorRate') {
      return { ...m, value: 12.3, level: 'critical', trend: 'rising' };
    }
    if (m.metric === 'cpu')
      return { ...m, value: 84, level: 'warning', trend: 'rising' };
    return m;
  }),
  alerts: [firingAlert, pendingAlert],
};

export const warningStatus: ModelStatusResponse = {
  ...healthyStatus,
  status: 'warning',
  metrics: healthyStatus.metrics.map(m =>
    m.metric === 'cpu' ? { ...m, value: 84, level: 'warning' } : m,
  ),
  alerts: [],
};

/** The last hour of every charted metric, one point every ten minutes. */
export function metricsResponse(): MetricsResponse {
  const points = (base: number) =>
    Array.from({ length: 7 }, (_, i) => ({
      t: minutesAgo(60 - i * 10),
      value: base + i,
    }));
  return {
    from: minutesAgo(60),
    to: minutesAgo(0),
    stepSeconds: 60,
    series: [
      { metric: 'throughput', unit: 'req/s', points: points(40) },
      { metric: 'responseTimeP95', unit: 'ms', points: points(450) },
      { metric: 'errorRate', unit: '%', points: points(0.2) },
      { metric: 'cpu', unit: '%', points: points(30) },
      { metric: 'memory', unit: '%', points: points(60) },
    ],
  };
}
