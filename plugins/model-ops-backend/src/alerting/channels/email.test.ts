import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AlertChannel } from '@model-ops/plugin-model-ops-node';
import { EmailChannel, emailChannelFactory, messageIdOf } from './email';
import {
  SmtpReceiver,
  closedPort,
  parseMail,
  sampleNotification,
  startSilentServer,
  startSmtpReceiver,
} from './__testUtils__/receivers';

const USERS = { alerts: 'correct horse battery' };
const BASE_URL = 'https://portal.example.com';

function channel(id: string, config: object): AlertChannel {
  return emailChannelFactory({ baseUrl: BASE_URL }).create({
    id,
    config: new ConfigReader(config),
    logger: mockServices.logger.mock(),
  });
}

function mailConfig(port: number, overrides: object = {}) {
  return {
    type: 'email',
    host: '127.0.0.1',
    port,
    secure: false,
    // smtp-server's built-in certificate is self-signed (and expired): STARTTLS without checks.
    tls: { rejectUnauthorized: false },
    requireTLS: true,
    auth: { user: 'alerts', pass: USERS.alerts },
    from: 'Model Ops <model-ops@example.com>',
    to: ['oncall@example.com', 'ml-team@example.com'],
    subjectPrefix: '[Model Ops]',
    timeout: '5s',
    ...overrides,
  };
}

describe('email channel', () => {
  const receivers: SmtpReceiver[] = [];
  const channels: AlertChannel[] = [];
  afterAll(async () => {
    channels.forEach(c => (c as EmailChannel).close());
    await Promise.all(receivers.map(r => r.close()));
  });
  const start = async (options: Parameters<typeof startSmtpReceiver>[0]) => {
    const receiver = await startSmtpReceiver(options);
    receivers.push(receiver);
    return receiver;
  };
  const make = (id: string, config: object) => {
    const created = channel(id, config);
    channels.push(created);
    return created;
  };

  it('sends one mail per notification over STARTTLS with AUTH, listing every alert', async () => {
    const smtp = await start({ users: USERS });
    const mail = make('oncall-mail', mailConfig(smtp.port));
    expect(mail.type).toBe('email');
    expect(mail.id).toBe('oncall-mail');
    const notification = sampleNotification({
      alerts: [
        {
          ...sampleNotification().alerts[0],
          acknowledgedBy: 'user:default/jane',
          comment: 'rolling back <now> & watching',
        },
        sampleNotification().alerts[1],
      ],
    });

    const result = await mail.send(notification);

    expect(result).toEqual({
      ok: true,
      status: 250,
      detail: expect.stringMatching(/^250 /),
    });
    expect(smtp.mails).toHaveLength(1);
    const received = smtp.mails[0];
    expect(received.secure).toBe(true); // upgraded by STARTTLS (requireTLS)
    expect(received.authUser).toBe('alerts');
    expect(smtp.logins).toEqual([
      { method: 'PLAIN', user: 'alerts', ok: true },
    ]);
    expect(received.from).toBe('model-ops@example.com');
    expect(received.to).toEqual(['oncall@example.com', 'ml-team@example.com']);

    const parsed = parseMail(received.raw);
    expect(parsed.headers.from).toBe('Model Ops <model-ops@example.com>');
    expect(parsed.headers.to).toBe('oncall@example.com, ml-team@example.com');
    expect(parsed.headers.subject).toBe(
      '[Model Ops] [critical] fraud-detector: high_error_rate',
    );
    expect(parsed.headers['message-id']).toBe(messageIdOf('ntf-0001'));
    expect(parsed.headers['x-model-ops-kind']).toBe('firing');

    const text = parsed.text!;
    expect(text).toContain(
      'Firing: 2 alerts of fraud-detector (component:default/fraud-detector), route default.',
    );
    for (const line of [
      '1. high_error_rate',
      '   Type: high_error_rate',
      '   Severity: critical',
      '   State: firing',
      '   Value: 12.5 (threshold 10), metric errorRate',
      '   Slot: blue',
      '   Version: 1.2.0',
      '   Started: 2026-01-02T03:04:05.120Z',
      '   Summary: Error rate 12.5% is above 10%',
      '   Acknowledged by: user:default/jane',
      '   Comment: rolling back <now> & watching',
      '2. high_latency',
      '   Severity: warning',
      '   Value: 6200 (threshold 5000), metric responseTimeP95',
      '   Summary: p95 latency 6200 ms is above 5000 ms',
      `Open in Model Ops: ${notification.url}`,
      'Runbook: https://runbooks.example.com/fraud-detector',
    ]) {
      expect(text.split(/\r?\n/)).toContain(line);
    }

    const html = parsed.html!;
    expect(html).toContain(
      '<h2>[critical] fraud-detector: high_error_rate</h2>',
    );
    expect(html).toContain('<h3>high_error_rate</h3>');
    expect(html).toContain('<h3>high_latency</h3>');
    expect(html).toContain(
      '<tr><th align="left">Value</th><td>12.5 (threshold 10), metric errorRate</td></tr>',
    );
    // Escaped, never markup from the alert.
    expect(html).toContain('rolling back &lt;now&gt; &amp; watching');
    expect(html).not.toContain('<now>');
    expect(html).toContain(
      `<a href="${notification.url}">Open in Model Ops</a>`,
    );
    expect(html).toContain(
      '<a href="https://runbooks.example.com/fraud-detector">Runbook</a>',
    );
  });

  it('tells of an escalation, a resolution with end times, and authenticates with LOGIN', async () => {
    const smtp = await start({ users: USERS, authMethods: ['LOGIN'] });
    const mail = make(
      'mail-login',
      mailConfig(smtp.port, { subjectPrefix: undefined }),
    );

    const escalation = await mail.send(
      sampleNotification({
        id: 'ntf-escalation',
        kind: 'escalation',
        title: '[critical] fraud-detector: high_error_rate escalated',
        alerts: [sampleNotification().alerts[0]],
        escalation: {
          reason: 'high_error_rate fired 3 times in 180 s',
          count: 3,
          threshold: 3,
          windowSeconds: 180,
        },
      }),
    );
    const resolved = await mail.send(
      sampleNotification({
        id: 'ntf-resolved',
        kind: 'resolved',
        title: '[critical] fraud-detector: high_error_rate resolved',
        url: '/catalog/default/component/fraud-detector/model-ops/alerts',
        alerts: [
          {
            ...sampleNotification().alerts[0],
            state: 'resolved',
            endsAt: new Date('2026-01-02T03:30:00.000Z'),
          },
        ],
      }),
    );

    expect(escalation.ok).toBe(true);
    expect(resolved.ok).toBe(true);
    expect(smtp.logins.map(l => l.method)).toEqual(['LOGIN', 'LOGIN']);
    const [first, second] = smtp.mails.map(m => parseMail(m.raw));
    expect(first.headers.subject).toBe(
      '[critical] fraud-detector: high_error_rate escalated',
    );
    expect(first.text).toContain(
      'Escalated: high_error_rate fired 3 times in 180 s (3 alerts in 180 s; threshold 3)',
    );
    expect(second.text).toContain('Resolved: 1 alert of fraud-detector');
    expect(second.text).toContain('   State: resolved');
    expect(second.text).toContain('   Ended: 2026-01-02T03:30:00.000Z');
    // A relative link is made absolute against the portal's base URL.
    expect(second.text).toContain(
      `Open in Model Ops: ${BASE_URL}/catalog/default/component/fraud-detector/model-ops/alerts`,
    );
  });

  it('fails without retry on a wrong password (535), and never shows the password', async () => {
    const smtp = await start({ users: USERS, starttls: false });
    const mail = make(
      'mail-bad-pass',
      mailConfig(smtp.port, {
        requireTLS: false,
        auth: { user: 'alerts', pass: 'wrong password!' },
      }),
    );

    const result = await mail.send(sampleNotification());

    expect(result).toEqual({
      ok: false,
      retryable: false,
      status: 535,
      detail: expect.stringContaining('535'),
    });
    expect(result.detail!.length).toBeLessThanOrEqual(300);
    expect(result.detail).not.toContain('wrong password!');
    expect(smtp.logins).toEqual([
      { method: 'PLAIN', user: 'alerts', ok: false },
    ]);
    expect(smtp.mails).toHaveLength(0);
  });

  it('is retryable when the server is gone', async () => {
    const port = await closedPort();
    const mail = make('mail-gone', mailConfig(port));

    const result = await mail.send(sampleNotification());

    expect(result).toEqual({
      ok: false,
      retryable: true,
      detail: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('is retryable, naming the timeout, when the server never greets', async () => {
    const silent = await startSilentServer();
    try {
      const mail = make(
        'mail-silent',
        mailConfig(silent.port, { timeout: '300ms' }),
      );
      const started = Date.now();

      const result = await mail.send(sampleNotification());

      expect(result).toEqual({
        ok: false,
        retryable: true,
        detail: expect.stringMatching(/timed out/),
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await silent.close();
    }
  });

  it('gives up at once when the caller aborts', async () => {
    const silent = await startSilentServer();
    try {
      const mail = make('mail-aborted', mailConfig(silent.port));
      const controller = new AbortController();
      controller.abort(new Error('shutting down'));

      const result = await mail.send(sampleNotification(), {
        signal: controller.signal,
      });

      expect(result).toEqual({
        ok: false,
        retryable: true,
        detail: 'aborted: shutting down',
      });
    } finally {
      await silent.close();
    }
  });

  it('names the key of bad configuration', () => {
    const base = mailConfig(25);
    const attempt = (config: object) => () => channel('oncall-mail', config);
    expect(attempt({ ...base, to: undefined })).toThrow(
      'modelOps.alerts.channels.oncall-mail.to must be a list of addresses',
    );
    expect(attempt({ ...base, to: 'oncall@example.com' })).toThrow(
      'modelOps.alerts.channels.oncall-mail.to must be a list of addresses',
    );
    expect(attempt({ ...base, to: ['not an address'] })).toThrow(
      'modelOps.alerts.channels.oncall-mail.to must be a list of addresses',
    );
    expect(attempt({ ...base, host: undefined })).toThrow(
      'modelOps.alerts.channels.oncall-mail.host must be set',
    );
    expect(attempt({ ...base, from: undefined })).toThrow(
      'modelOps.alerts.channels.oncall-mail.from must be set',
    );
    expect(attempt({ ...base, port: 'twenty-five' })).toThrow(
      'modelOps.alerts.channels.oncall-mail.port must be a number',
    );
    expect(attempt({ ...base, auth: { user: 'alerts' } })).toThrow(
      'modelOps.alerts.channels.oncall-mail.auth.pass must be set together',
    );
    expect(attempt({ ...base, timeout: 10 })).toThrow(
      'modelOps.alerts.channels.oncall-mail.timeout must be a duration',
    );
    expect(attempt({ ...base, requireTLS: true, ignoreTLS: true })).toThrow(
      'modelOps.alerts.channels.oncall-mail.ignoreTLS cannot be true',
    );
  });
});
