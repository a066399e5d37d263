import {
  AlertChannel,
  AlertChannelFactory,
  AlertDeliveryResult,
  AlertMessage,
  AlertNotification,
} from '@model-ops/plugin-model-ops-node';
import {
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookSendArguments,
} from '@slack/webhook';
import { ChannelConfigReader } from './config';
import {
  KIND_WORDING,
  absoluteUrl,
  acknowledgementLines,
  alertLine,
  escalationLine,
  isoTime,
  valueVsThreshold,
  versionAndSlot,
  changeLine,
} from './format';
import { Deadline, httpResult, urlSecrets } from './http';

/** A Block Kit block as @slack/webhook types it. */
export type SlackBlock = NonNullable<
  IncomingWebhookSendArguments['blocks']
>[number];

/** `modelOps.alerts.channels.<id>` of a `slack` channel, as read. */
export interface SlackChannelOptions {
  webhookUrl: string;
  channel?: string;
  username?: string;
  iconEmoji?: string;
  timeoutMs: number;
}

/** The most alerts one message lists; the rest are counted ("and 3 more"). */
export const SLACK_MAX_ALERTS = 10;
/** Block Kit's limits: header text 150 characters, section text 3000, a field 2000, button 75. */
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const BUTTON_MAX = 75;

export function readSlackChannelOptions(
  reader: ChannelConfigReader,
): SlackChannelOptions {
  return {
    webhookUrl: reader.url('webhookUrl'),
    channel: reader.optionalString('channel'),
    username: reader.optionalString('username'),
    iconEmoji: reader.optionalString('iconEmoji'),
    timeoutMs: reader.timeoutMs(),
  };
}

const cut = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** Text for Slack's mrkdwn: `&`, `<` and `>` escaped as Slack asks. */
export const escapeMrkdwn = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const mrkdwn = (text: string, max = SECTION_MAX) => ({
  type: 'mrkdwn' as const,
  text: cut(text, max),
});

function alertBlock(
  notification: AlertNotification,
  alert: AlertMessage,
): SlackBlock {
  const fields = [
    mrkdwn(`*Model*\n${escapeMrkdwn(notification.modelId)}`, FIELD_MAX),
    mrkdwn(
      `*Severity*\n${escapeMrkdwn(alert.severity)}${
        alert.state === 'resolved' ? ' (resolved)' : ''
      }`,
      FIELD_MAX,
    ),
  ];
  const figures = valueVsThreshold(alert);
  if (figures) {
    fields.push(mrkdwn(`*Value*\n${escapeMrkdwn(figures)}`, FIELD_MAX));
  }
  const where = versionAndSlot(alert);
  if (where) {
    fields.push(mrkdwn(`*Version / slot*\n${escapeMrkdwn(where)}`, FIELD_MAX));
  }
  if (alert.change) {
    fields.push(
      mrkdwn(
        `*Preceding change*\n${escapeMrkdwn(changeLine(alert.change))}`,
        FIELD_MAX,
      ),
    );
  }
  if (alert.state === 'resolved' && alert.endsAt) {
    fields.push(mrkdwn(`*Resolved at*\n${isoTime(alert.endsAt)}`, FIELD_MAX));
  }
  return {
    type: 'section',
    text: mrkdwn(
      `*${escapeMrkdwn(alert.alertType)}* — ${escapeMrkdwn(alert.summary)}`,
    ),
    fields,
  };
}

/** The plain-text fallback: what notifications and screen readers show. */
export function slackText(notification: AlertNotification): string {
  const { kind, title, alerts } = notification;
  if (kind === 'resolved') return `Resolved: ${title}`;
  if (kind === 'acknowledged') {
    const by = alerts.find(a => a.acknowledgedBy)?.acknowledgedBy;
    return by ? `Acknowledged by ${by}: ${title}` : `Acknowledged: ${title}`;
  }
  const first = alerts[0] ? ` — ${alertLine(alerts[0])}` : '';
  const more = alerts.length > 1 ? ` (and ${alerts.length - 1} more)` : '';
  return `${KIND_WORDING[kind]}: ${title}${first}${more}`;
}

/** The Block Kit message of a notification. */
export function slackBlocks(
  notification: AlertNotification,
  baseUrl?: string,
): SlackBlock[] {
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: cut(
          `${KIND_WORDING[notification.kind]}: ${notification.title}`,
          HEADER_MAX,
        ),
        emoji: true,
      },
    },
  ];
  const escalation = escalationLine(notification);
  if (escalation) {
    blocks.push({
      type: 'section',
      text: mrkdwn(`:rotating_light: ${escapeMrkdwn(escalation)}`),
    });
  }
  if (notification.kind === 'acknowledged') {
    const lines = acknowledgementLines(notification);
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `:eyes: ${escapeMrkdwn(
          lines.length > 0 ? lines.join('\n') : 'Acknowledged',
        )}`,
      ),
    });
  }
  if (notification.kind === 'resolved') {
    const count = notification.alerts.length;
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `:white_check_mark: ${
          count === 1 ? 'The alert' : `All ${count} alerts`
        } of *${escapeMrkdwn(notification.modelId)}* stopped firing.`,
      ),
    });
  }
  for (const alert of notification.alerts.slice(0, SLACK_MAX_ALERTS)) {
    blocks.push(alertBlock(notification, alert));
  }
  const hidden = notification.alerts.length - SLACK_MAX_ALERTS;
  if (hidden > 0) {
    blocks.push({
      type: 'context',
      elements: [mrkdwn(`and ${hidden} more`)],
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        `Kind: ${notification.kind} · Route: ${escapeMrkdwn(
          notification.route,
        )} · ${escapeMrkdwn(notification.entityRef)}`,
      ),
    ],
  });
  const buttons: Array<{ text: string; url: string }> = [];
  const url = absoluteUrl(notification.url, baseUrl);
  if (url) buttons.push({ text: 'Open in Model Ops', url });
  const runbook = absoluteUrl(notification.runbook, baseUrl);
  if (runbook) buttons.push({ text: 'Runbook', url: runbook });
  if (buttons.length > 0) {
    blocks.push({
      type: 'actions',
      elements: buttons.map((button, index) => ({
        type: 'button',
        action_id: `model-ops-link-${index}`,
        text: {
          type: 'plain_text',
          text: cut(button.text, BUTTON_MAX),
          emoji: true,
        },
        url: button.url,
      })),
    });
  }
  return blocks;
}

/** Posts each notification as one Block Kit message to a Slack incoming webhook. */
export class SlackChannel implements AlertChannel {
  readonly type = 'slack';

  constructor(
    readonly id: string,
    private readonly options: SlackChannelOptions,
    private readonly baseUrl?: string,
  ) {}

  async send(
    notification: AlertNotification,
    options?: { signal?: AbortSignal },
  ): Promise<AlertDeliveryResult> {
    const secrets = urlSecrets(this.options.webhookUrl);
    const deadline = new Deadline(this.options.timeoutMs, options?.signal);
    // One client per attempt: it carries this attempt's signal into its requests.
    const webhook = new IncomingWebhook(this.options.webhookUrl, {
      channel: this.options.channel,
      username: this.options.username,
      icon_emoji: this.options.iconEmoji,
      timeout: 0,
      retryConfig: { retries: 0 },
      fetch: (url, init) => fetch(url, { ...init, signal: deadline.signal }),
    });
    try {
      const result = await webhook.send({
        text: slackText(notification),
        blocks: slackBlocks(notification, this.baseUrl),
      });
      return httpResult(200, result.text, secrets);
    } catch (error) {
      if (error instanceof IncomingWebhookHTTPError) {
        return httpResult(error.statusCode, error.body, secrets);
      }
      // IncomingWebhookRequestError wraps what fetch threw.
      const original = (error as { original?: unknown }).original ?? error;
      return deadline.failure(original, secrets);
    } finally {
      deadline.dispose();
    }
  }
}

/** The `slack` channel type. */
export function slackChannelFactory(
  deps: { baseUrl?: string } = {},
): AlertChannelFactory {
  return {
    type: 'slack',
    create({ id, config }) {
      const options = readSlackChannelOptions(
        new ChannelConfigReader(id, config),
      );
      return new SlackChannel(id, options, deps.baseUrl);
    },
  };
}
