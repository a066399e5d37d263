import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import { AlertSeverity } from './types';

/**
 * One alert as a notification carries it.
 *
 * @public
 */
export interface AlertMessage {
  /** The alert's id in Model Ops. */
  id: string;
  /** Stable for one alert (model, rule, slot): channels use it to de-duplicate and resolve. */
  fingerprint: string;
  alertType: string;
  severity: AlertSeverity;
  /** The alert's state when the notification was written. */
  state: 'firing' | 'resolved';
  /** The metric the rule watches, e.g. `errorRate`. */
  metric: string;
  summary: string;
  value?: number;
  threshold?: number;
  /** The slot and version serving when the alert fired, when known. */
  slot?: string;
  version?: string;
  /**
   * The deployment, rollback or traffic switch of the model that happened shortly before the
   * alert fired (`modelOps.alerts.changeWindowMinutes`), when there was one.
   */
  change?: {
    kind: 'deployment' | 'rollback' | 'switch';
    id: string;
    at: Date;
    summary: string;
  };
  startsAt: Date;
  endsAt?: Date;
  /** Who acknowledged it, and their comment. */
  acknowledgedBy?: string;
  comment?: string;
}

/**
 * What a notification is about.
 *
 * - `firing`: alerts that started firing (one or several of one model and route, grouped);
 * - `repeat`: alerts still firing after the route's repeat interval;
 * - `escalation`: an alert type repeated within its window as often as the route's threshold;
 * - `acknowledged`: someone acknowledged the alert;
 * - `resolved`: the alerts stopped firing, or were resolved by hand.
 *
 * @public
 */
export type AlertNotificationKind =
  | 'firing'
  | 'repeat'
  | 'escalation'
  | 'acknowledged'
  | 'resolved';

/**
 * A notification as it is handed to a channel: one message about one or more alerts of one
 * model.
 *
 * @public
 */
export interface AlertNotification {
  /** Unique for the notification and stable across retries: receivers may de-duplicate by it. */
  id: string;
  kind: AlertNotificationKind;
  modelId: string;
  /** The model's entity, in its full form, e.g. `component:default/fraud-detector`. */
  entityRef: string;
  /** The entity's owner (`spec.owner`, as an entity ref), for channels that notify people. */
  owner?: string;
  /** The alert route that chose the channel. */
  route: string;
  /** Link to the model's Alerts tab in the portal. */
  url?: string;
  /** The model's runbook (`model-ops/runbook`), when it has one. */
  runbook?: string;
  /** The highest severity among the alerts. */
  severity: AlertSeverity;
  /** A one-line title, e.g. `[critical] fraud-detector: high_error_rate`. */
  title: string;
  alerts: AlertMessage[];
  /** For an `escalation`: why, and how many alerts of the type were counted in the window. */
  escalation?: {
    reason: string;
    count: number;
    threshold: number;
    windowSeconds: number;
  };
  /** When the notification was written (the alert's transition). */
  createdAt: Date;
}

/**
 * What a delivery attempt came to.
 *
 * @public
 */
export interface AlertDeliveryResult {
  /** Whether the receiver accepted the message. */
  ok: boolean;
  /** Receiver's reply or error, recorded with the attempt. */
  detail?: string;
  /** A failed attempt worth retrying (a 5xx, a 429 or a network error), as opposed to a 4xx. */
  retryable?: boolean;
  /** The HTTP status or SMTP reply code, when there was one. */
  status?: number;
}

/**
 * Somewhere notifications are sent: one configured instance of a channel type, e.g. the Slack
 * channel `slack-ml-oncall`. A channel only sends: de-duplication, grouping, retries, backoff and
 * escalation are the plugin's. `send` should not throw; a thrown error counts as a retryable
 * failure.
 *
 * @public
 */
export interface AlertChannel {
  /** The id alert routes name in their `channels` lists. */
  readonly id: string;
  /** The channel type, e.g. `slack`. */
  readonly type: string;
  send(
    notification: AlertNotification,
    options?: { signal?: AbortSignal },
  ): Promise<AlertDeliveryResult>;
}

/**
 * Makes channels of one type from configuration: each `modelOps.alerts.channels.<id>` entry
 * whose `type` is this one. Built in: `email`, `slack`, `pagerduty`, `webhook`,
 * `notifications`; a module adds more through {@link modelOpsAlertChannelsExtensionPoint}.
 *
 * @public
 */
export interface AlertChannelFactory {
  /** The value of `type` this factory reads, e.g. `opsgenie`. */
  readonly type: string;
  create(options: {
    id: string;
    /** The channel's configuration, `modelOps.alerts.channels.<id>`. */
    config: Config;
    logger: LoggerService;
  }): AlertChannel;
}
