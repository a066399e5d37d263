import {
  AlertRecord,
  Incident,
  IncidentDetails,
  MODEL_METRICS,
  MODEL_METRIC_KEYS,
  MetricPoint,
  MetricStatus,
  MetricsResponse,
  ModelStatusResponse,
  PrecedingChange,
  Silence,
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

/** The deployment that finished three minutes before {@link firingAlert} fired. */
export const deploymentChange: PrecedingChange = {
  kind: 'deployment',
  id: 'run-7',
  at: minutesAgo(8),
  summary: 'Deployment of 1.2.0 succeeded (from 1.1.0)',
  version: '1.2.0',
};

/** A silence made through the API, muting the error-rate alerts of blue for the next hour. */
export const activeSilence: Silence = {
  id: '6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
  modelId: 'sentiment-classifier',
  kind: 'silence',
  source: 'api',
  matchers: { alertType: ['high_error_rate'], slot: ['blue'] },
  reason: 'Known upstream outage',
  createdBy: 'user:default/guest',
  createdAt: minutesAgo(10),
  startsAt: minutesAgo(10),
  endsAt: minutesAgo(-50),
  state: 'active',
};

/** A maintenance window made through the API, starting in two hours. */
export const pendingMaintenance: Silence = {
  id: '7a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d',
  modelId: 'sentiment-classifier',
  kind: 'maintenance',
  source: 'api',
  matchers: {},
  reason: 'Cluster upgrade',
  createdBy: 'user:default/ops',
  createdAt: minutesAgo(5),
  startsAt: minutesAgo(-120),
  endsAt: minutesAgo(-240),
  state: 'pending',
};

/** A weekly maintenance window from configuration, on now: it cannot be expired. */
export const configMaintenance: Silence = {
  id: 'maintenance:weekly-patch',
  modelId: 'sentiment-classifier',
  kind: 'maintenance',
  source: 'config',
  matchers: {},
  reason: 'Weekly patch window',
  startsAt: minutesAgo(30),
  endsAt: minutesAgo(-30),
  state: 'active',
};

/** A silence that ended by hand. */
export const expiredSilence: Silence = {
  ...activeSilence,
  id: '8b3c4d5e-6f7a-4b2c-8d3e-4f5a6b7c8d9e',
  matchers: { severity: ['warning'] },
  reason: 'Noisy during load test',
  startsAt: minutesAgo(300),
  endsAt: minutesAgo(60),
  expiredAt: minutesAgo(200),
  expiredBy: 'user:default/guest',
  state: 'expired',
};

/** The open incident {@link firingAlert} belongs to. */
export const openIncident: Incident = {
  id: 'inc-1',
  modelId: 'sentiment-classifier',
  entityRef: 'component:default/sentiment-classifier',
  state: 'open',
  title: 'high_error_rate on sentiment-classifier',
  severity: 'critical',
  openedAt: minutesAgo(5),
  acknowledgedAt: minutesAgo(3),
  acknowledgedBy: 'user:default/guest',
  timeToAcknowledgeSeconds: 120,
  alertCount: 2,
  runbook: 'https://runbooks.example.com/high-error-rate',
  change: deploymentChange,
};

/** A resolved incident of yesterday. */
export const resolvedIncident: Incident = {
  id: 'inc-0',
  modelId: 'sentiment-classifier',
  entityRef: 'component:default/sentiment-classifier',
  state: 'resolved',
  title: 'high_memory_usage on sentiment-classifier',
  severity: 'warning',
  openedAt: minutesAgo(26 * 60),
  acknowledgedAt: minutesAgo(26 * 60 - 7),
  resolvedAt: minutesAgo(24 * 60 + 30),
  timeToAcknowledgeSeconds: 420,
  timeToResolveSeconds: 5400,
  alertCount: 1,
};

/** {@link openIncident} with its alerts and a timeline the backend sent out of order. */
export const openIncidentDetails: IncidentDetails = {
  incident: openIncident,
  alerts: [
    {
      ...firingAlert,
      incidentId: 'inc-1',
      version: '1.2.0',
      change: deploymentChange,
    },
    { ...pendingAlert, incidentId: 'inc-1', state: 'firing' },
  ],
  timeline: [
    {
      at: minutesAgo(3),
      kind: 'alert-acknowledged',
      summary: 'high_error_rate acknowledged: on it',
      alertId: 'alert-1',
      actor: 'user:default/guest',
    },
    {
      at: minutesAgo(8),
      kind: 'deployment',
      summary: 'Deployment of 1.2.0 succeeded (from 1.1.0)',
      actor: 'user:default/release-bot',
      ref: 'run-7',
    },
    {
      at: minutesAgo(5),
      kind: 'alert-firing',
      summary: 'high_error_rate fired: Error rate 12.3 % is above 10 %',
      alertId: 'alert-1',
    },
    {
      at: minutesAgo(4),
      kind: 'notification-failed',
      summary: 'oncall-slack: HTTP 503',
    },
  ],
};
