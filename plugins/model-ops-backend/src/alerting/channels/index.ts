import { AlertChannelFactory } from '@model-ops/plugin-model-ops-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { emailChannelFactory } from './email';
import { notificationsChannelFactory } from './notifications';
import { pagerDutyChannelFactory } from './pagerduty';
import { slackChannelFactory } from './slack';
import { webhookChannelFactory } from './webhook';

/**
 * The built-in alert channel types: `email`, `slack`, `pagerduty`, `webhook` and
 * `notifications`. `baseUrl` (the portal's, `app.baseUrl`) makes relative links absolute and is
 * the webhook's `externalURL`; without `notifications` a `notifications` channel fails to be
 * created, naming its id.
 *
 * @internal
 */
export function builtInAlertChannelTypes(deps: {
  notifications?: NotificationService;
  baseUrl?: string;
}): AlertChannelFactory[] {
  const { baseUrl, notifications } = deps;
  return [
    emailChannelFactory({ baseUrl }),
    slackChannelFactory({ baseUrl }),
    pagerDutyChannelFactory({ baseUrl }),
    webhookChannelFactory({ baseUrl }),
    notificationsChannelFactory({ notifications }),
  ];
}

export { emailChannelFactory, EmailChannel } from './email';
export { slackChannelFactory, SlackChannel } from './slack';
export { pagerDutyChannelFactory, PagerDutyChannel } from './pagerduty';
export { webhookChannelFactory, WebhookChannel } from './webhook';
export {
  notificationsChannelFactory,
  NotificationsChannel,
} from './notifications';
export { DEFAULT_TIMEOUT_MS } from './http';
