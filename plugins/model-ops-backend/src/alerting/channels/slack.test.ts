import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AlertChannel, AlertMessage } from '@model-ops/plugin-model-ops-node';
import { slackChannelFactory } from './slack';
import {
  HttpReceiver,
  closedPort,
  sampleNotification,
  startHttpReceiver,
} from './__testUtils__/receivers';

const BASE_URL = 'https://portal.example.com';
const SECRET_PATH = '/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';

function channel(id: string, config: object): AlertChannel {
  return slackChannelFactory({ baseUrl: BASE_URL }).create({
    id,
    config: new ConfigReader(config),
    logger: mockServices.logger.mock(),
  });
}

describe('slack channel', () => {
  let slack: HttpReceiver;
  beforeEach(async () => {
    slack = await startHttpReceiver({ status: 200, body: 'ok' });
  });
  afterEach(async () => {
    await slack.close();
  });
  const make = (overrides: object = {}) =>
    channel('slack-ml-oncall', {
      type: 'slack',
      webhookUrl: `${slack.url}${SECRET_PATH}`,
      channel: '#ml-oncall',
      username: 'Model Ops',
      iconEmoji: ':robot_face:',
      timeout: '2s',
      ...overrides,
    });

  it('posts a Block Kit message with a text fallback', async () => {
    const notification = sampleNotification();

    const result = await make().send(notification);

    expect(result).toEqual({ ok: true, status: 200, detail: 'ok' });
    const [request] = await slack.waitForRequests(1);
    expect(request.method).toBe('POST');
    expect(request.path).toBe(SECRET_PATH);
    expect(request.headers['content-type']).toBe('application/json');
    const body = request.json();
    expect(body.channel).toBe('#ml-oncall');
    expect(body.username).toBe('Model Ops');
    expect(body.icon_emoji).toBe(':robot_face:');
    expect(body.text).toBe(
      'Firing: [critical] fraud-detector: high_error_rate — high_error_rate (critical): Error rate 12.5% is above 10% — 12.5 (threshold 10), 1.2.0 on blue (and 1 more)',
    );
    expect(body.blocks.map((b: any) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'context',
      'actions',
    ]);
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: 'Firing: [critical] fraud-detector: high_error_rate',
        emoji: true,
      },
    });
    expect(body.blocks[1]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '*high_error_rate* — Error rate 12.5% is above 10%',
      },
      fields: [
        { type: 'mrkdwn', text: '*Model*\nfraud-detector' },
        { type: 'mrkdwn', text: '*Severity*\ncritical' },
        { type: 'mrkdwn', text: '*Value*\n12.5 (threshold 10)' },
        { type: 'mrkdwn', text: '*Version / slot*\n1.2.0 on blue' },
      ],
    });
    expect(body.blocks[2].text.text).toBe(
      '*high_latency* — p95 latency 6200 ms is above 5000 ms',
    );
    expect(body.blocks[2].fields[1]).toEqual({
      type: 'mrkdwn',
      text: '*Severity*\nwarning',
    });
    expect(body.blocks[3]).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Kind: firing · Route: default · component:default/fraud-detector',
        },
      ],
    });
    expect(body.blocks[4]).toEqual({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'model-ops-link-0',
          text: { type: 'plain_text', text: 'Open in Model Ops', emoji: true },
          url: notification.url,
        },
        {
          type: 'button',
          action_id: 'model-ops-link-1',
          text: { type: 'plain_text', text: 'Runbook', emoji: true },
          url: 'https://runbooks.example.com/fraud-detector',
        },
      ],
    });
  });

  it('lists at most 10 alerts, then "and N more", within Block Kit limits', async () => {
    const base = sampleNotification().alerts[0];
    const alerts: AlertMessage[] = Array.from({ length: 13 }, (_, i) => ({
      ...base,
      id: `alert-${i}`,
      fingerprint: `fp-${i}`,
      summary: `<b>${'x'.repeat(3500)}</b> & more`,
    }));

    const result = await make().send(
      sampleNotification({ alerts, title: 'T'.repeat(200), url: undefined }),
    );

    expect(result.ok).toBe(true);
    const body = (await slack.waitForRequests(1))[0].json();
    const sections = body.blocks.filter((b: any) => b.type === 'section');
    expect(sections).toHaveLength(10);
    expect(body.blocks[0].text.text).toHaveLength(150);
    for (const section of sections) {
      expect(section.text.text.length).toBeLessThanOrEqual(3000);
      expect(section.text.text).toMatch(/^\*high_error_rate\* — &lt;b&gt;x/);
      expect(section.fields.length).toBeLessThanOrEqual(10);
    }
    expect(body.blocks[11]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'and 3 more' }],
    });
    // Without a url only the runbook button is left.
    const actions = body.blocks.find((b: any) => b.type === 'actions');
    expect(actions.elements.map((e: any) => e.text.text)).toEqual(['Runbook']);
  });

  it('words resolved and acknowledged notifications their own way', async () => {
    const [alert] = sampleNotification().alerts;
    const ack = await make().send(
      sampleNotification({
        kind: 'acknowledged',
        alerts: [
          { ...alert, acknowledgedBy: 'user:default/jane', comment: 'on it' },
        ],
      }),
    );
    const resolved = await make().send(
      sampleNotification({
        kind: 'resolved',
        alerts: [
          {
            ...alert,
            state: 'resolved',
            endsAt: new Date('2026-01-02T03:30:00.000Z'),
          },
        ],
      }),
    );

    expect(ack.ok && resolved.ok).toBe(true);
    const [ackBody, resolvedBody] = (await slack.waitForRequests(2)).map(r =>
      r.json(),
    );
    expect(ackBody.text).toBe(
      'Acknowledged by user:default/jane: [critical] fraud-detector: high_error_rate',
    );
    expect(ackBody.blocks[0].text.text).toBe(
      'Acknowledged: [critical] fraud-detector: high_error_rate',
    );
    expect(ackBody.blocks[1].text.text).toBe(
      ':eyes: Acknowledged by user:default/jane: on it',
    );
    expect(resolvedBody.text).toBe(
      'Resolved: [critical] fraud-detector: high_error_rate',
    );
    expect(resolvedBody.blocks[0].text.text).toBe(
      'Resolved: [critical] fraud-detector: high_error_rate',
    );
    expect(resolvedBody.blocks[1].text.text).toBe(
      ':white_check_mark: The alert of *fraud-detector* stopped firing.',
    );
    expect(resolvedBody.blocks[2].fields).toContainEqual({
      type: 'mrkdwn',
      text: '*Resolved at*\n2026-01-02T03:30:00.000Z',
    });
    expect(resolvedBody.blocks[2].fields[1].text).toBe(
      '*Severity*\ncritical (resolved)',
    );
  });

  it('says why an escalation escalates', async () => {
    await make().send(
      sampleNotification({
        kind: 'escalation',
        escalation: {
          reason: 'high_error_rate fired 3 times in 180 s',
          count: 3,
          threshold: 3,
          windowSeconds: 180,
        },
      }),
    );
    const body = (await slack.waitForRequests(1))[0].json();
    expect(body.text).toMatch(/^Escalated: /);
    expect(body.blocks[1].text.text).toBe(
      ':rotating_light: Escalated: high_error_rate fired 3 times in 180 s (3 alerts in 180 s; threshold 3)',
    );
  });

  it('classifies Slack errors: 404 not retryable, 429 and 500 retryable', async () => {
    slack.reply(
      { status: 404, body: 'no_service' },
      { status: 429, body: 'rate_limited' },
      { status: 500, body: 'rollup_error' },
    );
    const send = make();
    const notification = sampleNotification();

    expect(await send.send(notification)).toEqual({
      ok: false,
      retryable: false,
      status: 404,
      detail: 'HTTP 404: no_service',
    });
    expect(await send.send(notification)).toEqual({
      ok: false,
      retryable: true,
      status: 429,
      detail: 'HTTP 429: rate_limited',
    });
    expect(await send.send(notification)).toEqual({
      ok: false,
      retryable: true,
      status: 500,
      detail: 'HTTP 500: rollup_error',
    });
    // @slack/webhook retries nothing itself: one request per send.
    expect(slack.requests).toHaveLength(3);
  });

  it('times out a webhook that never answers, retryable', async () => {
    slack.reply('hang');
    const started = Date.now();

    const result = await make({ timeout: '200ms' }).send(sampleNotification());

    expect(result).toEqual({
      ok: false,
      retryable: true,
      detail: 'timed out after 200 ms',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('is retryable when nothing listens, without the secret URL in the detail', async () => {
    const port = await closedPort();
    const result = await channel('slack-gone', {
      type: 'slack',
      webhookUrl: `http://127.0.0.1:${port}${SECRET_PATH}`,
    }).send(sampleNotification());

    expect(result.ok).toBe(false);
    expect(result.retryable).toBe(true);
    expect(result.detail).toMatch(/ECONNREFUSED|fetch failed/);
    expect(result.detail).not.toContain('XXXXXXXX');
  });

  it('names the key of bad configuration', () => {
    expect(() => channel('slack-ml-oncall', { type: 'slack' })).toThrow(
      'modelOps.alerts.channels.slack-ml-oncall.webhookUrl must be set',
    );
    expect(() =>
      channel('slack-ml-oncall', {
        type: 'slack',
        webhookUrl: 'hooks.slack.com',
      }),
    ).toThrow(
      'modelOps.alerts.channels.slack-ml-oncall.webhookUrl must be an absolute http(s) URL',
    );
  });
});
