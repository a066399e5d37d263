import { ResponseError } from '@backstage/errors';
import {
  MODEL_METRICS,
  ModelMetric,
  PrecedingChange,
} from '@model-ops/plugin-model-ops-common';

/** The display title of a metric, e.g. `Response time (p95)`. */
export function metricTitle(metric: ModelMetric): string {
  return MODEL_METRICS[metric]?.title ?? metric;
}

/** The unit of a metric as Model Ops defines it, e.g. `ms`. */
export function metricUnit(metric: ModelMetric | string): string {
  return MODEL_METRICS[metric as ModelMetric]?.unit ?? '';
}

/** A number with as many digits as its size warrants: 12,345 · 42.5 · 0.00123. */
export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  let options: Intl.NumberFormatOptions;
  if (abs >= 100) options = { maximumFractionDigits: 0 };
  else if (abs >= 1 || abs === 0) options = { maximumFractionDigits: 2 };
  else options = { maximumSignificantDigits: 3 };
  return value.toLocaleString(undefined, options);
}

/** A value with its unit: `4.2 %`, `512 ms`, `0.00042 USD`. */
export function formatValue(value: number, unit: string): string {
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
}

/** "just now", "2 minutes ago", "3 hours ago", … relative to `now`. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((then - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 10) return 'just now';
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  if (abs < 60) return format.format(seconds, 'second');
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return format.format(Math.round(seconds / 3600), 'hour');
  return format.format(Math.round(seconds / 86400), 'day');
}

/** A timestamp in the reader's locale, for tooltips next to relative times. */
export function formatTimestamp(iso?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A span of time as short as a cell needs: `45 s`, `3 min`, `2 h 5 min`, `1 d 3 h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const restMinutes = minutes % 60;
  if (hours < 24)
    return restMinutes ? `${hours} h ${restMinutes} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  const restHours = hours % 24;
  return restHours ? `${days} d ${restHours} h` : `${days} d`;
}

/**
 * What went wrong, in the backend's words: a `ResponseError`'s own message only says "Request
 * failed with 400 Bad Request", the backend's message (which names the bad field) is its cause.
 */
export function errorMessage(error: unknown): string {
  if (ResponseError.is(error)) {
    return error.cause?.message || error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The change that preceded an alert and how long before it fired, e.g.
 * `after deployment of 1.2.0 succeeded, 3 min before`.
 */
export function changeLine(change: PrecedingChange, firedAt?: string): string {
  const what = change.summary
    ? change.summary.charAt(0).toLowerCase() + change.summary.slice(1)
    : `${change.kind}${change.version ? ` ${change.version}` : ''}`;
  const gap =
    firedAt !== undefined
      ? (Date.parse(firedAt) - Date.parse(change.at)) / 1000
      : Number.NaN;
  if (Number.isNaN(gap)) return `after ${what}`;
  // A change still going when the alert fired may carry a later time.
  return gap < 0
    ? `around ${what}`
    : `after ${what}, ${formatDuration(gap)} before`;
}
