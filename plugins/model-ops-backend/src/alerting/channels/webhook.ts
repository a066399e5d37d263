import {
  AlertChannel,
  AlertChannelFactory,
  AlertDeliveryResult,
  AlertMessage,
  AlertNotification,
} from '@model-ops/plugin-model-ops-node';
import { ChannelConfigReader } from './config';
import {
  absoluteUrl,
  acknowledgementLines,
  changeLine,
  escalationLine,
  formatNumber,
} from './format';
import { postJson, urlSecrets } from './http';

/** `modelOps.alerts.channels.<id>` of a `webhook` channel, as read. */
export interface WebhookChannelOptions {
  url: string;
  headers: Record<string, string>;
  /** Alertmanager's `max_alerts`: 0 sends every alert. */
  maxAlerts: number;
  timeoutMs: number;
}

/** A string map as Alertmanager's `template.KV`. */
export type AlertmanagerKV = Record<string, string>;

/** One alert of Alertmanager's webhook message (`template.Alert`). */
export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: AlertmanagerKV;
  annotations: AlertmanagerKV;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/**
 * Alertmanager's webhook message, version 4: `notify/webhook.Message`, which embeds
 * `template.Data`. Keys in the order Go encodes them.
 */
export interface AlertmanagerWebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: AlertmanagerAlert[];
  groupLabels: AlertmanagerKV;
  commonLabels: AlertmanagerKV;
  commonAnnotations: AlertmanagerKV;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

/** Go's zero `time.Time` as JSON: what Alertmanager sends as `endsAt` of a firing alert. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function readWebhookChannelOptions(
  reader: ChannelConfigReader,
): WebhookChannelOptions {
  const headers = reader.optionalStringMap('headers') ?? {};
  for (const name of Object.keys(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      reader.fail(`headers.${name}`, 'is not a valid HTTP header name');
    }
  }
  return {
    url: reader.url('url'),
    headers,
    maxAlerts: reader.optionalInteger('maxAlerts', { min: 0 }) ?? 0,
    timeoutMs: reader.timeoutMs(),
  };
}

/**
 * A time as Go's `time.Time` encodes to JSON (RFC 3339 with nanoseconds, trailing zeros of the
 * fraction dropped): `2026-01-02T03:04:05.12Z`, `2026-01-02T03:04:05Z`.
 */
export function goTime(date: Date | string): string {
  return new Date(date)
    .toISOString()
    .replace(/\.(\d*?)0+Z$/, '.$1Z')
    .replace(/\.Z$/, 'Z');
}

/** A label set as Prometheus prints one (`model.LabelSet.String`): sorted, values quoted. */
function labelSetString(labels: AlertmanagerKV): string {
  return `{${Object.keys(labels)
    .sort()
    .map(name => `${name}=${JSON.stringify(labels[name])}`)
    .join(', ')}}`;
}

/** `labels` with its keys sorted, as Go encodes a map. */
function sorted(labels: AlertmanagerKV): AlertmanagerKV {
  return Object.fromEntries(
    Object.keys(labels)
      .sort()
      .map(k => [k, labels[k]]),
  );
}

/** The key/value pairs every one of `sets` has (Alertmanager's common labels/annotations). */
function common(sets: AlertmanagerKV[]): AlertmanagerKV {
  if (sets.length === 0) return {};
  const result: AlertmanagerKV = { ...sets[0] };
  for (const set of sets.slice(1)) {
    for (const [key, value] of Object.entries(result)) {
      if (set[key] !== value) delete result[key];
    }
  }
  return sorted(result);
}

function descriptionOf(
  notification: AlertNotification,
  alert: AlertMessage,
): string | undefined {
  const parts: string[] = [];
  const escalation = escalationLine(notification);
  if (escalation) parts.push(escalation);
  if (notification.kind === 'acknowledged' || alert.acknowledgedBy) {
    const by = alert.acknowledgedBy
      ? `Acknowledged by ${alert.acknowledgedBy}`
      : acknowledgementLines(notification)[0];
    if (by) parts.push(`${by}${alert.comment ? `: ${alert.comment}` : ''}`);
  }
  return parts.length > 0 ? parts.join('. ') : undefined;
}

function alertOf(
  notification: AlertNotification,
  alert: AlertMessage,
  baseUrl: string | undefined,
): AlertmanagerAlert {
  const labels: AlertmanagerKV = {
    alertname: alert.alertType,
    model_id: notification.modelId,
    severity: alert.severity,
    entity_ref: notification.entityRef,
    kind: notification.kind,
  };
  if (alert.slot) labels.slot = alert.slot;
  if (alert.version) labels.version = alert.version;
  const annotations: AlertmanagerKV = { summary: alert.summary };
  const description = descriptionOf(notification, alert);
  if (description) annotations.description = description;
  const runbook = absoluteUrl(notification.runbook, baseUrl);
  if (runbook) annotations.runbook_url = runbook;
  if (alert.value !== undefined) annotations.value = formatNumber(alert.value);
  if (alert.threshold !== undefined) {
    annotations.threshold = formatNumber(alert.threshold);
  }
  if (alert.change) annotations.preceding_change = changeLine(alert.change);
  const resolved = alert.state === 'resolved';
  return {
    status: resolved ? 'resolved' : 'firing',
    labels: sorted(labels),
    annotations: sorted(annotations),
    startsAt: goTime(alert.startsAt),
    // Alertmanager hides the end of an alert still firing (types.Alerts): Go's zero time.
    endsAt: resolved
      ? goTime(alert.endsAt ?? notification.createdAt)
      : GO_ZERO_TIME,
    generatorURL:
      absoluteUrl(notification.url, baseUrl) ?? notification.url ?? '',
    fingerprint: alert.fingerprint,
  };
}

/**
 * The notification as Alertmanager's webhook message, version 4. As Alertmanager does, the
 * alerts past `maxAlerts` are dropped (and counted in `truncatedAlerts`) before the status and
 * the common labels and annotations are worked out. The group is the model and, when all alerts
 * are of one type, the type; the group key is Alertmanager's `<route key>:<group labels>`.
 */
export function alertmanagerMessage(
  notification: AlertNotification,
  options: { receiver: string; maxAlerts: number; baseUrl?: string },
): AlertmanagerWebhookMessage {
  const all = notification.alerts;
  const kept =
    options.maxAlerts > 0 && all.length > options.maxAlerts
      ? all.slice(0, options.maxAlerts)
      : all;
  const alerts = kept.map(a => alertOf(notification, a, options.baseUrl));
  const types = new Set(all.map(a => a.alertType));
  const groupLabels: AlertmanagerKV = { model_id: notification.modelId };
  if (types.size === 1) groupLabels.alertname = [...types][0];
  return {
    receiver: options.receiver,
    status: alerts.some(a => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: sorted(groupLabels),
    commonLabels: common(alerts.map(a => a.labels)),
    commonAnnotations: common(alerts.map(a => a.annotations)),
    externalURL: options.baseUrl ?? '',
    version: '4',
    groupKey: `{}/${labelSetString({
      route: notification.route,
    })}:${labelSetString(groupLabels)}`,
    truncatedAlerts: all.length - kept.length,
  };
}

/** POSTs each notification as Alertmanager's webhook JSON, for receivers built for it. */
export class WebhookChannel implements AlertChannel {
  readonly type = 'webhook';

  constructor(
    readonly id: string,
    private readonly options: WebhookChannelOptions,
    private readonly baseUrl?: string,
  ) {}

  send(
    notification: AlertNotification,
    options?: { signal?: AbortSignal },
  ): Promise<AlertDeliveryResult> {
    const message = alertmanagerMessage(notification, {
      receiver: this.id,
      maxAlerts: this.options.maxAlerts,
      baseUrl: this.baseUrl,
    });
    return postJson(this.options.url, message, {
      headers: this.options.headers,
      timeoutMs: this.options.timeoutMs,
      signal: options?.signal,
      secrets: [
        ...urlSecrets(this.options.url),
        ...Object.values(this.options.headers).flatMap(value =>
          // `Bearer <token>`: the token alone is secret too.
          /\s/.test(value.trim())
            ? [value, value.trim().split(/\s+/).slice(-1)[0]]
            : [value],
        ),
      ],
    });
  }
}

/** The `webhook` channel type. */
export function webhookChannelFactory(
  deps: { baseUrl?: string } = {},
): AlertChannelFactory {
  return {
    type: 'webhook',
    create({ id, config }) {
      const options = readWebhookChannelOptions(
        new ChannelConfigReader(id, config),
      );
      return new WebhookChannel(id, options, deps.baseUrl);
    },
  };
}
