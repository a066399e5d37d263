import { SlotName } from './api';
import { ModelMetric } from './rules';

/**
 * How a metric moved against the previous window.
 *
 * @public
 */
export type MetricTrend = 'rising' | 'falling' | 'stable';

/**
 * One point of a metric series.
 *
 * @public
 */
export interface MetricPoint {
  /** ISO 8601 start of the bucket (a minute, or an hour for rollups). */
  t: string;
  value: number;
}

/**
 * A metric of one model (all live slots together) over a range.
 *
 * @public
 */
export interface MetricSeries {
  metric: ModelMetric;
  unit: string;
  points: MetricPoint[];
}

/**
 * `GET /entities/:kind/:namespace/:name/metrics?from&to&step`.
 *
 * @public
 */
export interface MetricsResponse {
  from: string;
  to: string;
  /** Bucket size in seconds: 60 for minute samples, 3600 for hourly rollups. */
  stepSeconds: number;
  series: MetricSeries[];
}

/**
 * The current value of one metric with its rule and trend.
 *
 * @public
 */
export interface MetricStatus {
  metric: ModelMetric;
  unit: string;
  /** Absent when the model does not report it ("not reported"), never invented. */
  value?: number;
  warning?: number;
  critical?: number;
  level: 'ok' | 'warning' | 'critical' | 'unknown';
  trend?: MetricTrend;
  /** The last hour, one point a minute, for a sparkline. */
  sparkline: MetricPoint[];
}

/**
 * The lifecycle of an alert, keyed by its fingerprint (model, rule, slot).
 *
 * @public
 */
export type AlertState = 'pending' | 'firing' | 'resolved';

/**
 * One alert of a model.
 *
 * @public
 */
export interface AlertRecord {
  id: string;
  fingerprint: string;
  modelId: string;
  entityRef: string;
  alertType: string;
  metric: ModelMetric;
  slot?: SlotName;
  severity: 'warning' | 'critical';
  state: AlertState;
  value: number;
  threshold: number;
  summary: string;
  startsAt: string;
  firingAt?: string;
  resolvedAt?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
  runbook?: string;
}

/**
 * `GET /entities/:kind/:namespace/:name/status`.
 *
 * @public
 */
export interface ModelStatusResponse {
  status: 'unknown' | 'healthy' | 'warning' | 'critical';
  /** When metrics were last collected; absent before the first tick. */
  collectedAt?: string;
  metrics: MetricStatus[];
  alerts: AlertRecord[];
}

/**
 * `GET /entities/:kind/:namespace/:name/alerts?state`.
 *
 * @public
 */
export interface ListAlertsResponse {
  items: AlertRecord[];
}
