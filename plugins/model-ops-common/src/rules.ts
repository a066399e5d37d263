import type { ModelMetric } from './generated';

/**
 * The metrics Model Ops collects for every live slot of a model, with their units.
 *
 * @public
 */
export const MODEL_METRICS = {
  responseTimeP50: { title: 'Response time (p50)', unit: 'ms' },
  responseTimeP95: { title: 'Response time (p95)', unit: 'ms' },
  throughput: { title: 'Throughput', unit: 'req/s' },
  errorRate: { title: 'Error rate', unit: '%' },
  cpu: { title: 'CPU', unit: '%' },
  memory: { title: 'Memory', unit: '%' },
  disk: { title: 'Disk', unit: '%' },
  costPerRequest: { title: 'Cost per request', unit: 'USD' },
  /** Only when the model server reports it (gauge `model_user_satisfaction`, 0 to 100). */
  userSatisfaction: { title: 'User satisfaction', unit: '%' },
  /** Only when the model server reports it (counter `model_feature_usage_total`). */
  featureUsage: { title: 'Feature usage', unit: 'uses/s' },
  // The keys are declared once, in the OpenAPI spec (ModelMetric): `satisfies` fails the build
  // when this list misses one or adds one.
} as const satisfies Record<ModelMetric, { title: string; unit: string }>;

/**
 * Every metric key, in display order.
 *
 * @public
 */
export const MODEL_METRIC_KEYS = Object.keys(MODEL_METRICS) as ModelMetric[];

/**
 * A threshold rule: the alert fires at `warning` or `critical` once the metric has stayed above
 * (or, with `operator: '<'`, below) the level for `forSeconds`.
 *
 * @public
 */
export interface ThresholdRule {
  /** The alert type this rule raises, e.g. `high_error_rate`; routes are keyed by it. */
  alert: string;
  metric: ModelMetric;
  operator: '>' | '<';
  warning: number;
  critical: number;
  forSeconds: number;
}

/**
 * A named list of rules, chosen per model with the `model-ops/rules` annotation.
 *
 * @public
 */
export interface RuleSet {
  name: string;
  rules: ThresholdRule[];
}

/**
 * The `default` rule set: response time over 5 s warns and over 10 s is critical; error rate over
 * 5 % / 10 %; CPU over 80 % / 90 %; memory over 85 % / 95 %.
 *
 * @public
 */
export const DEFAULT_RULE_SET: RuleSet = {
  name: 'default',
  rules: [
    {
      alert: 'high_response_time',
      metric: 'responseTimeP95',
      operator: '>',
      warning: 5000,
      critical: 10000,
      forSeconds: 60,
    },
    {
      alert: 'high_error_rate',
      metric: 'errorRate',
      operator: '>',
      warning: 5,
      critical: 10,
      forSeconds: 60,
    },
    {
      alert: 'high_cpu_usage',
      metric: 'cpu',
      operator: '>',
      warning: 80,
      critical: 90,
      forSeconds: 120,
    },
    {
      alert: 'high_memory_usage',
      metric: 'memory',
      operator: '>',
      warning: 85,
      critical: 95,
      forSeconds: 120,
    },
  ],
};

/**
 * The kinds of channel an alert can be sent to.
 *
 * @public
 */
export const ALERT_CHANNEL_TYPES = [
  'email',
  'slack',
  'pagerduty',
  'webhook',
  'notifications',
] as const;

/**
 * Escalation: when one alert type fires `threshold` times for one model within `windowSeconds`,
 * an escalation goes to `channels`.
 *
 * @public
 */
export interface AlertEscalation {
  threshold: number;
  windowSeconds: number;
  channels: string[];
}

/**
 * Where one alert type goes. `match` narrows the entry to some severities or slots; an alert the
 * entry does not match goes to the route's fallback.
 *
 * @public
 */
export interface AlertRouteEntry {
  channels: string[];
  escalation?: AlertEscalation;
  match?: {
    severity?: Array<'warning' | 'critical'>;
    slot?: string[];
  };
}

/**
 * A named alert route, chosen per model with the `model-ops/alert-route` annotation: channels per
 * alert type, the channels for any type not listed, and the timing of its messages (as
 * Alertmanager's `group_wait`, `group_interval` and `repeat_interval`).
 *
 * @public
 */
export interface AlertRoute {
  name: string;
  byType: Record<string, AlertRouteEntry>;
  fallback: AlertRouteEntry;
  /** How long a first message waits for other alerts of the model to join it. */
  groupWaitSeconds: number;
  /** How long after a message of the model new alerts wait to go out together. */
  groupIntervalSeconds: number;
  /** How often an alert that keeps firing is sent again. */
  repeatIntervalSeconds: number;
}

/** The channels escalations go to unless an entry names its own. */
const ESCALATION_CHANNELS = ['pagerduty', 'webhook'];

/**
 * The `default` alert route.
 *
 * @public
 */
export const DEFAULT_ALERT_ROUTE: AlertRoute = {
  name: 'default',
  byType: {
    high_response_time: {
      channels: ['slack', 'email'],
      escalation: {
        threshold: 3,
        windowSeconds: 300,
        channels: ESCALATION_CHANNELS,
      },
    },
    high_error_rate: {
      channels: ['slack', 'pagerduty'],
      escalation: {
        threshold: 2,
        windowSeconds: 180,
        channels: ESCALATION_CHANNELS,
      },
    },
    high_cpu_usage: {
      channels: ['slack'],
      escalation: {
        threshold: 5,
        windowSeconds: 600,
        channels: ESCALATION_CHANNELS,
      },
    },
    high_memory_usage: {
      channels: ['slack', 'pagerduty'],
      escalation: {
        threshold: 3,
        windowSeconds: 300,
        channels: ESCALATION_CHANNELS,
      },
    },
  },
  fallback: {
    channels: ['email'],
    escalation: {
      threshold: 5,
      windowSeconds: 600,
      channels: ESCALATION_CHANNELS,
    },
  },
  groupWaitSeconds: 30,
  groupIntervalSeconds: 300,
  repeatIntervalSeconds: 4 * 3600,
};
