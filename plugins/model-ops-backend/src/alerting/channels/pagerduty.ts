import {
  AlertChannel,
  AlertChannelFactory,
  AlertDeliveryResult,
  AlertMessage,
  AlertNotification,
} from '@model-ops/plugin-model-ops-node';
import { ChannelConfigReader } from './config';
import { absoluteUrl, changeLine, isoTime } from './format';
import { postJson, shorten } from './http';

/** PagerDuty's Events API v2 endpoint for alert events. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/** PagerDuty keeps at most 1024 characters of a summary. */
const SUMMARY_MAX = 1024;

/** `modelOps.alerts.channels.<id>` of a `pagerduty` channel, as read. */
export interface PagerDutyChannelOptions {
  routingKey: string;
  url: string;
  source?: string;
  component?: string;
  group?: string;
  class?: string;
  timeoutMs: number;
}

/** One Events API v2 alert event. */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: 'critical' | 'error' | 'warning' | 'info';
    timestamp: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details: Record<string, unknown>;
  };
  links?: Array<{ href: string; text: string }>;
  client: string;
  client_url?: string;
}

export function readPagerDutyChannelOptions(
  reader: ChannelConfigReader,
): PagerDutyChannelOptions {
  return {
    routingKey: reader.string('routingKey', 'the integration key'),
    url: reader.optionalUrl('url') ?? PAGERDUTY_EVENTS_URL,
    source: reader.optionalString('source'),
    component: reader.optionalString('component'),
    group: reader.optionalString('group'),
    class: reader.optionalString('class'),
    timeoutMs: reader.timeoutMs(),
  };
}

function actionOf(
  notification: AlertNotification,
  alert: AlertMessage,
): PagerDutyEvent['event_action'] {
  if (notification.kind === 'resolved' || alert.state === 'resolved') {
    return 'resolve';
  }
  if (notification.kind === 'acknowledged') return 'acknowledge';
  return 'trigger';
}

/** When the event happened: the alert's start for a trigger, its end for a resolve. */
function timestampOf(
  notification: AlertNotification,
  alert: AlertMessage,
  action: PagerDutyEvent['event_action'],
): string {
  if (action === 'resolve') {
    return isoTime(alert.endsAt ?? notification.createdAt);
  }
  if (notification.kind === 'firing' || notification.kind === 'repeat') {
    return isoTime(alert.startsAt);
  }
  return isoTime(notification.createdAt);
}

/**
 * The events of a notification, one per alert: firing and repeat trigger, an escalation
 * triggers again as critical (same dedup key: PagerDuty updates the alert), acknowledged
 * acknowledges, resolved resolves.
 */
export function pagerDutyEvents(
  notification: AlertNotification,
  options: PagerDutyChannelOptions,
  baseUrl?: string,
): PagerDutyEvent[] {
  const url = absoluteUrl(notification.url, baseUrl);
  const runbook = absoluteUrl(notification.runbook, baseUrl);
  const links = [
    ...(url
      ? [{ href: url, text: `Model Ops: ${notification.modelId} alerts` }]
      : []),
    ...(runbook ? [{ href: runbook, text: 'Runbook' }] : []),
  ];
  const clientUrl = absoluteUrl(baseUrl, undefined) ?? url;
  const escalation = notification.kind === 'escalation';
  return notification.alerts.map(alert => {
    const action = actionOf(notification, alert);
    const custom: Record<string, unknown> = {
      model: notification.modelId,
      entityRef: notification.entityRef,
      alertType: alert.alertType,
      metric: alert.metric,
      value: alert.value,
      threshold: alert.threshold,
      slot: alert.slot,
      version: alert.version,
      precedingChange: alert.change ? changeLine(alert.change) : undefined,
      route: notification.route,
      kind: notification.kind,
      startsAt: isoTime(alert.startsAt),
      endsAt: alert.endsAt ? isoTime(alert.endsAt) : undefined,
      acknowledgedBy: alert.acknowledgedBy,
      comment: alert.comment,
    };
    if (escalation && notification.escalation) {
      custom.escalation = notification.escalation.reason;
      custom.escalationCount = notification.escalation.count;
      custom.escalationThreshold = notification.escalation.threshold;
      custom.escalationWindowSeconds = notification.escalation.windowSeconds;
    }
    const summary = `${escalation ? 'Escalated: ' : ''}[${
      escalation ? 'critical' : alert.severity
    }] ${notification.modelId}: ${alert.alertType} — ${alert.summary}`;
    const event: PagerDutyEvent = {
      routing_key: options.routingKey,
      event_action: action,
      dedup_key: alert.fingerprint,
      payload: {
        summary:
          summary.length <= SUMMARY_MAX
            ? summary
            : `${summary.slice(0, SUMMARY_MAX - 1)}…`,
        source: options.source ?? notification.modelId,
        severity:
          escalation || alert.severity === 'critical' ? 'critical' : 'warning',
        timestamp: timestampOf(notification, alert, action),
        component: options.component ?? alert.slot,
        group: options.group,
        class: options.class ?? alert.alertType,
        // JSON drops the undefined values.
        custom_details: JSON.parse(JSON.stringify(custom)),
      },
      client: 'Model Ops',
    };
    if (links.length > 0) event.links = links;
    if (clientUrl) event.client_url = clientUrl;
    if (event.payload.component === undefined) delete event.payload.component;
    if (event.payload.group === undefined) delete event.payload.group;
    return event;
  });
}

/**
 * Sends one Events API v2 event per alert. Ok only when every event was accepted; a 429 or
 * 5xx stops the attempt as retryable (sending every event again is safe: PagerDuty
 * de-duplicates by dedup_key), other failures are recorded and the remaining events still sent.
 */
export class PagerDutyChannel implements AlertChannel {
  readonly type = 'pagerduty';

  constructor(
    readonly id: string,
    private readonly options: PagerDutyChannelOptions,
    private readonly baseUrl?: string,
  ) {}

  async send(
    notification: AlertNotification,
    options?: { signal?: AbortSignal },
  ): Promise<AlertDeliveryResult> {
    const events = pagerDutyEvents(notification, this.options, this.baseUrl);
    if (events.length === 0) {
      return { ok: true, detail: 'no alerts, no events' };
    }
    const failures: Array<{ index: number; result: AlertDeliveryResult }> = [];
    let last: AlertDeliveryResult | undefined;
    for (const [index, event] of events.entries()) {
      const result = await postJson(this.options.url, event, {
        timeoutMs: this.options.timeoutMs,
        signal: options?.signal,
        secrets: [this.options.routingKey],
      });
      last = result;
      if (result.ok) continue;
      failures.push({ index, result });
      if (result.retryable) break;
    }
    const label = (index: number) =>
      `event ${index + 1}/${events.length} (${events[index].event_action} ${
        events[index].dedup_key
      })`;
    if (failures.length === 0) {
      return {
        ok: true,
        status: last?.status,
        detail: shorten(
          events.length === 1
            ? last?.detail ?? 'accepted'
            : `${events.length} events accepted; ${last?.detail ?? ''}`,
        ),
      };
    }
    const first = failures[0];
    const retryable = failures.some(f => f.result.retryable);
    const decisive = failures.find(f => f.result.retryable) ?? first;
    return {
      ok: false,
      retryable,
      ...(decisive.result.status !== undefined
        ? { status: decisive.result.status }
        : {}),
      detail: shorten(
        failures
          .map(f => `${label(f.index)}: ${f.result.detail ?? 'failed'}`)
          .join('; '),
      ),
    };
  }
}

/** The `pagerduty` channel type. */
export function pagerDutyChannelFactory(
  deps: { baseUrl?: string } = {},
): AlertChannelFactory {
  return {
    type: 'pagerduty',
    create({ id, config }) {
      const options = readPagerDutyChannelOptions(
        new ChannelConfigReader(id, config),
      );
      return new PagerDutyChannel(id, options, deps.baseUrl);
    },
  };
}
