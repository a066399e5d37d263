import {
  AlertChannel,
  AlertChannelFactory,
  AlertDeliveryResult,
  AlertMessage,
  AlertNotification,
} from '@model-ops/plugin-model-ops-node';
import { createTransport, Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { ChannelConfigReader } from './config';
import {
  KIND_WORDING,
  absoluteUrl,
  escalationLine,
  changeLine,
  isoTime,
  valueVsThreshold,
} from './format';
import { Deadline, describeError, redact, shorten } from './http';

/** `modelOps.alerts.channels.<id>` of an `email` channel, as read. */
export interface EmailChannelOptions {
  host: string;
  port: number;
  secure: boolean;
  requireTLS?: boolean;
  ignoreTLS?: boolean;
  rejectUnauthorized: boolean;
  auth?: { user: string; pass: string };
  from: string;
  to: string[];
  subjectPrefix?: string;
  timeoutMs: number;
}

/** Error codes of nodemailer that say the configuration or the message is wrong: no retry. */
const PERMANENT_CODES = new Set([
  'EAUTH',
  'ENOAUTH',
  'ECONFIG',
  'EENVELOPE',
  'EMESSAGE',
  'EREQUIRETLS',
]);

/** Loosely an e-mail address, optionally with a display name: `Name <a@b.c>` or `a@b.c`. */
const ADDRESS = /^(?:[^<>]*<\s*[^\s<>@]+@[^\s<>@]+\s*>|[^\s<>@]+@[^\s<>@]+)$/;

export function readEmailChannelOptions(
  reader: ChannelConfigReader,
): EmailChannelOptions {
  const host = reader.string('host', 'the SMTP server');
  const secure = reader.optionalBoolean('secure') ?? false;
  const port =
    reader.optionalInteger('port', { min: 1, max: 65535 }) ??
    (secure ? 465 : 587);
  const user = reader.optionalString('auth.user');
  const pass = reader.optionalString('auth.pass');
  if ((user === undefined) !== (pass === undefined)) {
    reader.fail(
      user === undefined ? 'auth.user' : 'auth.pass',
      'must be set together with auth.user and auth.pass',
    );
  }
  const from = reader.string('from', 'the sender address');
  if (!ADDRESS.test(from)) reader.fail('from', 'must be an address');
  const to = reader.stringList('to', 'addresses');
  if (!to.every(address => ADDRESS.test(address))) {
    reader.fail('to', 'must be a list of addresses');
  }
  const requireTLS = reader.optionalBoolean('requireTLS');
  const ignoreTLS = reader.optionalBoolean('ignoreTLS');
  if (requireTLS && ignoreTLS) {
    reader.fail('ignoreTLS', 'cannot be true together with requireTLS');
  }
  return {
    host,
    port,
    secure,
    requireTLS,
    ignoreTLS,
    rejectUnauthorized:
      reader.optionalBoolean('tls.rejectUnauthorized') ?? true,
    auth: user !== undefined ? { user, pass: pass! } : undefined,
    from,
    to,
    subjectPrefix: reader.optionalString('subjectPrefix'),
    timeoutMs: reader.timeoutMs(),
  };
}

const escapeHtml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** The facts of one alert, as label and value pairs, in the order both bodies list them. */
function alertFacts(alert: AlertMessage): Array<[string, string]> {
  const facts: Array<[string, string]> = [
    ['Type', alert.alertType],
    ['Severity', alert.severity],
    ['State', alert.state],
  ];
  const figures = valueVsThreshold(alert);
  if (figures) facts.push(['Value', `${figures}, metric ${alert.metric}`]);
  if (alert.slot) facts.push(['Slot', alert.slot]);
  if (alert.version) facts.push(['Version', alert.version]);
  if (alert.change) facts.push(['Preceding change', changeLine(alert.change)]);
  facts.push(['Started', isoTime(alert.startsAt)]);
  if (alert.endsAt) facts.push(['Ended', isoTime(alert.endsAt)]);
  facts.push(['Summary', alert.summary]);
  if (alert.acknowledgedBy)
    facts.push(['Acknowledged by', alert.acknowledgedBy]);
  if (alert.comment) facts.push(['Comment', alert.comment]);
  return facts;
}

function introduction(notification: AlertNotification): string {
  const count = notification.alerts.length;
  return `${KIND_WORDING[notification.kind]}: ${count} alert${
    count === 1 ? '' : 's'
  } of ${notification.modelId} (${notification.entityRef}), route ${
    notification.route
  }.`;
}

function links(
  notification: AlertNotification,
  baseUrl?: string,
): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  const url = absoluteUrl(notification.url, baseUrl) ?? notification.url;
  if (url) result.push(['Open in Model Ops', url]);
  const runbook =
    absoluteUrl(notification.runbook, baseUrl) ?? notification.runbook;
  if (runbook) result.push(['Runbook', runbook]);
  return result;
}

/** The plain-text body. */
export function emailText(
  notification: AlertNotification,
  baseUrl?: string,
): string {
  const lines = [notification.title, '', introduction(notification)];
  const escalation = escalationLine(notification);
  if (escalation) lines.push('', escalation);
  notification.alerts.forEach((alert, index) => {
    lines.push('', `${index + 1}. ${alert.alertType}`);
    for (const [label, value] of alertFacts(alert)) {
      lines.push(`   ${label}: ${value}`);
    }
  });
  const found = links(notification, baseUrl);
  if (found.length > 0) {
    lines.push('');
    for (const [label, href] of found) lines.push(`${label}: ${href}`);
  }
  lines.push(
    '',
    `Notification ${notification.id}, sent by Backstage Model Ops.`,
  );
  return `${lines.join('\n')}\n`;
}

/** The HTML body: the same content as the text, every value escaped. */
export function emailHtml(
  notification: AlertNotification,
  baseUrl?: string,
): string {
  const parts: string[] = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2>${escapeHtml(notification.title)}</h2>`,
    `<p>${escapeHtml(introduction(notification))}</p>`,
  ];
  const escalation = escalationLine(notification);
  if (escalation)
    parts.push(`<p><strong>${escapeHtml(escalation)}</strong></p>`);
  for (const alert of notification.alerts) {
    parts.push(
      `<h3>${escapeHtml(alert.alertType)}</h3>`,
      '<table cellpadding="4" style="border-collapse:collapse">',
      ...alertFacts(alert).map(
        ([label, value]) =>
          `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(
            value,
          )}</td></tr>`,
      ),
      '</table>',
    );
  }
  const found = links(notification, baseUrl);
  if (found.length > 0) {
    parts.push(
      '<p>',
      found
        .map(([label, href]) =>
          /^https?:\/\//i.test(href)
            ? `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`
            : `${escapeHtml(label)}: ${escapeHtml(href)}`,
        )
        .join(' · '),
      '</p>',
    );
  }
  parts.push(
    `<p style="color:#666;font-size:small">Notification ${escapeHtml(
      notification.id,
    )}, sent by Backstage Model Ops.</p>`,
    '</body></html>',
  );
  return parts.join('\n');
}

/** A Message-ID stable across retries of one notification, so that receivers can de-duplicate. */
export function messageIdOf(notificationId: string): string {
  const left = notificationId.replace(
    /[^A-Za-z0-9._-]/g,
    c => `=${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `<${left || 'notification'}@model-ops.backstage>`;
}

/** An SMTP error as a delivery result: 4xx replies and connection trouble retryable. */
function smtpFailure(
  error: unknown,
  deadline: Deadline,
  secrets: string[],
): AlertDeliveryResult {
  if (deadline.signal.aborted) return deadline.failure(error, secrets);
  const smtp = error as { code?: string; responseCode?: number };
  const status =
    typeof smtp.responseCode === 'number' ? smtp.responseCode : undefined;
  let message = describeError(error);
  if (smtp.code === 'ETIMEDOUT' && !/tim(e|ed) ?out/i.test(message)) {
    message = `timed out: ${message}`;
  }
  const retryable =
    status !== undefined ? status < 500 : !PERMANENT_CODES.has(smtp.code ?? '');
  const detail = shorten(
    redact(smtp.code ? `${smtp.code}: ${message}` : message, secrets),
  );
  return status === undefined
    ? { ok: false, retryable, detail }
    : { ok: false, retryable, status, detail };
}

/** Sends each notification as one mail through one SMTP transporter. */
export class EmailChannel implements AlertChannel {
  readonly type = 'email';
  private readonly transporter: Transporter<SMTPTransport.SentMessageInfo>;

  constructor(
    readonly id: string,
    private readonly options: EmailChannelOptions,
    private readonly baseUrl?: string,
  ) {
    const transport: SMTPTransport.Options = {
      host: options.host,
      port: options.port,
      secure: options.secure,
      requireTLS: options.requireTLS,
      ignoreTLS: options.ignoreTLS,
      tls: { rejectUnauthorized: options.rejectUnauthorized },
      auth: options.auth,
      // nodemailer's own timeouts end an attempt the deadline has given up on.
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      dnsTimeout: options.timeoutMs,
      logger: false,
      debug: false,
    };
    this.transporter = createTransport(transport);
  }

  subjectOf(notification: AlertNotification): string {
    const prefix = this.options.subjectPrefix;
    if (!prefix) return notification.title;
    return /\s$/.test(prefix)
      ? `${prefix}${notification.title}`
      : `${prefix} ${notification.title}`;
  }

  async send(
    notification: AlertNotification,
    options?: { signal?: AbortSignal },
  ): Promise<AlertDeliveryResult> {
    const secrets = this.options.auth ? [this.options.auth.pass] : [];
    const deadline = new Deadline(this.options.timeoutMs, options?.signal);
    try {
      const info = await deadline.race(
        this.transporter.sendMail({
          from: this.options.from,
          to: this.options.to,
          subject: this.subjectOf(notification),
          text: emailText(notification, this.baseUrl),
          html: emailHtml(notification, this.baseUrl),
          messageId: messageIdOf(notification.id),
          date: new Date(notification.createdAt),
          headers: {
            'X-Model-Ops-Notification': notification.id,
            'X-Model-Ops-Kind': notification.kind,
          },
        }),
      );
      const code = Number(/^\d{3}/.exec(info.response ?? '')?.[0]);
      const rejected = (info.rejected ?? []).map(r =>
        typeof r === 'string' ? r : r.address,
      );
      const detail = [
        info.response,
        rejected.length > 0 ? `rejected: ${rejected.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      return {
        ok: true,
        ...(Number.isFinite(code) ? { status: code } : {}),
        detail: shorten(redact(detail || 'accepted', secrets)),
      };
    } catch (error) {
      return smtpFailure(error, deadline, secrets);
    } finally {
      deadline.dispose();
    }
  }

  /** Closes the transporter's connections. */
  close() {
    this.transporter.close();
  }
}

/** The `email` channel type. */
export function emailChannelFactory(
  deps: { baseUrl?: string } = {},
): AlertChannelFactory {
  return {
    type: 'email',
    create({ id, config }) {
      const options = readEmailChannelOptions(
        new ChannelConfigReader(id, config),
      );
      return new EmailChannel(id, options, deps.baseUrl);
    },
  };
}
