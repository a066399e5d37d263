import { AlertSeverity } from './types';

/**
 * An alert, or an escalation of one, as it is handed to a channel.
 *
 * @public
 */
export interface AlertMessage {
  /** Stable for one alert (model, rule, slot): channels use it to de-duplicate and resolve. */
  fingerprint: string;
  kind: 'firing' | 'resolved' | 'escalation';
  alertType: string;
  severity: AlertSeverity;
  modelId: string;
  entityRef: string;
  summary: string;
  description: string;
  value?: number;
  threshold?: number;
  runbook?: string;
  /** Link to the model's Alerts tab in the portal. */
  url?: string;
  startsAt: Date;
  endsAt?: Date;
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
  /** A failed attempt worth retrying (a 5xx or a network error), as opposed to a 4xx. */
  retryable?: boolean;
}

/**
 * Somewhere alerts are sent, added through {@link modelOpsAlertChannelsExtensionPoint}. The
 * plugin does not deliver alerts to channels yet (alert delivery is the next piece of work);
 * the contract is here so that channels can be written against it. A channel only sends:
 * de-duplication, retries and escalation are the plugin's.
 *
 * @public
 */
export interface AlertChannel {
  /** The id alert routes name in their `channels` lists. */
  readonly id: string;
  send(message: AlertMessage): Promise<AlertDeliveryResult>;
}
