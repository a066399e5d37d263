import {
  AlertMessage,
  AlertNotification,
  AlertNotificationKind,
} from '@model-ops/plugin-model-ops-node';

/** How each kind of notification is introduced in human-readable channels. */
export const KIND_WORDING: Record<AlertNotificationKind, string> = {
  firing: 'Firing',
  repeat: 'Still firing',
  escalation: 'Escalated',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
};

/** A number as people read it: no floating-point noise (0.30000000000000004 is 0.3). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** `12.5 (threshold 10)`, `12.5`, `threshold 10`, or undefined when the alert has neither. */
export function valueVsThreshold(alert: AlertMessage): string | undefined {
  const value =
    alert.value === undefined ? undefined : formatNumber(alert.value);
  const threshold =
    alert.threshold === undefined ? undefined : formatNumber(alert.threshold);
  if (value !== undefined && threshold !== undefined) {
    return `${value} (threshold ${threshold})`;
  }
  if (value !== undefined) return value;
  if (threshold !== undefined) return `threshold ${threshold}`;
  return undefined;
}

/** `1.2.0 on blue`, `1.2.0`, `blue`, or undefined. */
export function versionAndSlot(alert: AlertMessage): string | undefined {
  if (alert.version && alert.slot) return `${alert.version} on ${alert.slot}`;
  return alert.version || alert.slot || undefined;
}

/** A date as an ISO 8601 string in UTC; tolerates a date that arrived as a string. */
export function isoTime(date: Date | string): string {
  return new Date(date).toISOString();
}

/**
 * `url` as an absolute http(s) URL: as it is when absolute, else resolved against `baseUrl`
 * (a path starting with `/` is appended to it, so a base with a path keeps it). Undefined when
 * that is not possible.
 */
export function absoluteUrl(
  url: string | undefined,
  baseUrl: string | undefined,
): string | undefined {
  if (!url) return undefined;
  const isHttp = (candidate: string) => {
    try {
      const protocol = new URL(candidate).protocol;
      return protocol === 'http:' || protocol === 'https:';
    } catch {
      return false;
    }
  };
  if (isHttp(url)) return url;
  if (!baseUrl || !isHttp(baseUrl)) return undefined;
  const base = baseUrl.replace(/\/+$/, '');
  const joined = url.startsWith('/')
    ? `${base}${url}`
    : new URL(url, `${base}/`).toString();
  return isHttp(joined) ? joined : undefined;
}

/** One line about an alert: `high_error_rate (critical): Error rate 12% — 12 (threshold 10)`. */
export function alertLine(alert: AlertMessage): string {
  const figures = valueVsThreshold(alert);
  const where = versionAndSlot(alert);
  const state = alert.state === 'resolved' ? ', resolved' : '';
  return [
    `${alert.alertType} (${alert.severity}${state}): ${alert.summary}`,
    figures ? ` — ${figures}` : '',
    where ? `, ${where}` : '',
    alert.change ? `; ${changeLine(alert.change)}` : '',
  ].join('');
}

/** What preceded an alert: `after Deployment of 1.2.0 succeeded at 2026-…Z`. */
export function changeLine(
  change: NonNullable<AlertMessage['change']>,
): string {
  return `after ${change.summary} at ${isoTime(change.at)}`;
}

/** Who acknowledged the notification's alerts, and their comments, as one line each. */
export function acknowledgementLines(
  notification: AlertNotification,
): string[] {
  const lines: string[] = [];
  for (const alert of notification.alerts) {
    if (!alert.acknowledgedBy && !alert.comment) continue;
    const by = alert.acknowledgedBy
      ? `Acknowledged by ${alert.acknowledgedBy}`
      : 'Acknowledged';
    lines.push(`${by}${alert.comment ? `: ${alert.comment}` : ''}`);
  }
  return [...new Set(lines)];
}

/** `Escalated: <reason> (5 alerts in 180 s; threshold 3)`, when the notification escalates. */
export function escalationLine(
  notification: AlertNotification,
): string | undefined {
  const escalation = notification.escalation;
  if (!escalation) return undefined;
  return `Escalated: ${escalation.reason} (${escalation.count} alerts in ${escalation.windowSeconds} s; threshold ${escalation.threshold})`;
}
