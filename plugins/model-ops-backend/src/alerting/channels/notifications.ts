import {
  AlertChannel,
  AlertChannelFactory,
  AlertDeliveryResult,
  AlertNotification,
} from '@model-ops/plugin-model-ops-node';
import { NotificationSeverity } from '@backstage/plugin-notifications-common';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { ChannelConfigReader } from './config';
import {
  KIND_WORDING,
  acknowledgementLines,
  alertLine,
  escalationLine,
} from './format';
import { Deadline, describeError, shorten } from './http';

/** The topic of the notifications unless the channel sets one. */
export const DEFAULT_NOTIFICATION_TOPIC = 'model-ops';
/** The most alerts a description lists; the rest are counted. */
const DESCRIPTION_MAX_ALERTS = 5;
const DESCRIPTION_MAX_CHARS = 1000;

/** `modelOps.alerts.channels.<id>` of a `notifications` channel, as read. */
export interface NotificationsChannelOptions {
  /** Entity refs to notify; default the notification's owner, else the model's entity. */
  recipients?: string[];
  topic: string;
  timeoutMs: number;
}

export function readNotificationsChannelOptions(
  reader: ChannelConfigReader,
): NotificationsChannelOptions {
  return {
    recipients: reader.optionalStringList('recipients', 'entity refs'),
    topic: reader.optionalString('topic') ?? DEFAULT_NOTIFICATION_TOPIC,
    timeoutMs: reader.timeoutMs(),
  };
}

/** critical and escalations critical, warning high, acknowledged normal, resolved low. */
export function notificationSeverity(
  notification: AlertNotification,
): NotificationSeverity {
  switch (notification.kind) {
    case 'resolved':
      return 'low';
    case 'acknowledged':
      return 'normal';
    case 'escalation':
      return 'critical';
    default:
      return notification.severity === 'critical' ? 'critical' : 'high';
  }
}

/** A short text of the alerts: one line each (at most five), escalation and acknowledgement. */
export function notificationDescription(
  notification: AlertNotification,
): string {
  const lines: string[] = [];
  const escalation = escalationLine(notification);
  if (escalation) lines.push(escalation);
  if (notification.kind === 'acknowledged') {
    lines.push(...acknowledgementLines(notification));
  }
  for (const alert of notification.alerts.slice(0, DESCRIPTION_MAX_ALERTS)) {
    lines.push(alertLine(alert));
  }
  const hidden = notification.alerts.length - DESCRIPTION_MAX_ALERTS;
  if (hidden > 0) lines.push(`and ${hidden} more`);
  const text = lines.join('\n');
  return text.length <= DESCRIPTION_MAX_CHARS
    ? text
    : `${text.slice(0, DESCRIPTION_MAX_CHARS - 1)}…`;
}

/** What the notifications backend is sent for a notification. */
export function notificationSendOptions(
  notification: AlertNotification,
  options: Pick<NotificationsChannelOptions, 'recipients' | 'topic'>,
): NotificationSendOptions {
  const recipients = options.recipients ?? [
    notification.owner ?? notification.entityRef,
  ];
  const title =
    notification.kind === 'firing'
      ? notification.title
      : `${KIND_WORDING[notification.kind]}: ${notification.title}`;
  return {
    recipients: { type: 'entity', entityRef: recipients },
    payload: {
      title,
      description: notificationDescription(notification),
      ...(notification.url ? { link: notification.url } : {}),
      severity: notificationSeverity(notification),
      topic: options.topic,
      // One notification per alert: a repeat, an acknowledgement or the resolution updates it.
      ...(notification.alerts[0]
        ? { scope: notification.alerts[0].fingerprint }
        : {}),
    },
  };
}

/** Sends each notification to Backstage's notifications (the bell in the portal). */
export class NotificationsChannel implements AlertChannel {
  readonly type = 'notifications';

  constructor(
    readonly id: string,
    private readonly options: NotificationsChannelOptions,
    private readonly notifications: NotificationService,
  ) {}

  async send(
    notification: AlertNotification,
    options?: { signal?: AbortSignal },
  ): Promise<AlertDeliveryResult> {
    const request = notificationSendOptions(notification, this.options);
    const deadline = new Deadline(this.options.timeoutMs, options?.signal);
    try {
      // The service takes no signal: the deadline stops waiting for it.
      await deadline.race(this.notifications.send(request));
      const to = (request.recipients as { entityRef: string[] }).entityRef;
      return { ok: true, detail: shorten(`sent to ${to.join(', ')}`) };
    } catch (error) {
      if (deadline.signal.aborted) return deadline.failure(error);
      // DefaultNotificationService throws `... Request failed with status 400`.
      const message = describeError(error);
      const status = Number(/\bstatus (\d{3})\b/.exec(message)?.[1]);
      if (Number.isFinite(status)) {
        const retryable = status === 408 || status === 429 || status >= 500;
        return { ok: false, retryable, status, detail: shorten(message) };
      }
      return { ok: false, retryable: true, detail: shorten(message) };
    } finally {
      deadline.dispose();
    }
  }
}

/**
 * The `notifications` channel type. Without a NotificationService (the notifications backend
 * is not installed), creating a channel of it fails naming the channel.
 */
export function notificationsChannelFactory(
  deps: { notifications?: NotificationService } = {},
): AlertChannelFactory {
  return {
    type: 'notifications',
    create({ id, config }) {
      const reader = new ChannelConfigReader(id, config);
      const options = readNotificationsChannelOptions(reader);
      if (!deps.notifications) {
        throw new Error(
          `modelOps.alerts.channels.${id} is of type notifications, but Backstage's notifications ` +
            'service is not available: install the notifications backend ' +
            '(@backstage/plugin-notifications-backend), or give the channel another type',
        );
      }
      return new NotificationsChannel(id, options, deps.notifications);
    },
  };
}
