import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AlertChannel } from '@model-ops/plugin-model-ops-node';
import Ajv from 'ajv';
import { GO_ZERO_TIME, goTime, webhookChannelFactory } from './webhook';
import {
  ALERTMANAGER_WEBHOOK_V4,
  HttpReceiver,
  sampleNotification,
  startHttpReceiver,
} from './__testUtils__/receivers';

const BASE_URL = 'https://portal.example.com';

const validate = new Ajv({ allErrors: true, strict: true }).compile(
  ALERTMANAGER_WEBHOOK_V4,
);

function expectAlertmanagerV4(body: unknown) {
  const valid = validate(body);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}

function channel(id: string, config: object): AlertChannel {
  return webhookChannelFactory({ baseUrl: BASE_URL }).create({
    id,
    config: new ConfigReader(config),
    logger: mockServices.logger.mock(),
  });
}

describe('webhook channel', () => {
  let receiver: HttpReceiver;
  beforeEach(async () => {
    receiver = await startHttpReceiver({ status: 200, body: '' });
  });
  afterEach(async () => {
    await receiver.close();
  });
  const make = (overrides: object = {}) =>
    channel('team-hook', {
      type: 'webhook',
      url: `${receiver.url}/alerts`,
      headers: { Authorization: 'Bearer s3cr3t-t0ken', 'X-Team': 'ml' },
      timeout: '2s',
      ...overrides,
    });

  it("posts Alertmanager's version 4 message for firing alerts", async () => {
    const notification = sampleNotification();

    const result = await make().send(notification);

    expect(result).toEqual({ ok: true, status: 200, detail: 'HTTP 200' });
    const [request] = await receiver.waitForRequests(1);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/alerts');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBe('Bearer s3cr3t-t0ken');
    expect(request.headers['x-team']).toBe('ml');
    const body = request.json();
    expectAlertmanagerV4(body);
    // The key order of Go's encoder: template.Data's fields, then the Message's own.
    expect(Object.keys(body)).toEqual([
      'receiver',
      'status',
      'alerts',
      'groupLabels',
      'commonLabels',
      'commonAnnotations',
      'externalURL',
      'version',
      'groupKey',
      'truncatedAlerts',
    ]);
    expect(body).toEqual({
      receiver: 'team-hook',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: {
            alertname: 'high_error_rate',
            entity_ref: 'component:default/fraud-detector',
            kind: 'firing',
            model_id: 'fraud-detector',
            severity: 'critical',
            slot: 'blue',
            version: '1.2.0',
          },
          annotations: {
            runbook_url: 'https://runbooks.example.com/fraud-detector',
            summary: 'Error rate 12.5% is above 10%',
            threshold: '10',
            value: '12.5',
          },
          startsAt: '2026-01-02T03:04:05.12Z',
          endsAt: GO_ZERO_TIME,
          generatorURL: notification.url,
          fingerprint: 'fp-error-rate-blue',
        },
        {
          status: 'firing',
          labels: {
            alertname: 'high_latency',
            entity_ref: 'component:default/fraud-detector',
            kind: 'firing',
            model_id: 'fraud-detector',
            severity: 'warning',
            slot: 'blue',
            version: '1.2.0',
          },
          annotations: {
            runbook_url: 'https://runbooks.example.com/fraud-detector',
            summary: 'p95 latency 6200 ms is above 5000 ms',
            threshold: '5000',
            value: '6200',
          },
          startsAt: '2026-01-02T03:05:00Z',
          endsAt: GO_ZERO_TIME,
          generatorURL: notification.url,
          fingerprint: 'fp-latency-blue',
        },
      ],
      // Two alert types: the group is the model alone.
      groupLabels: { model_id: 'fraud-detector' },
      commonLabels: {
        entity_ref: 'component:default/fraud-detector',
        kind: 'firing',
        model_id: 'fraud-detector',
        slot: 'blue',
        version: '1.2.0',
      },
      commonAnnotations: {
        runbook_url: 'https://runbooks.example.com/fraud-detector',
      },
      externalURL: BASE_URL,
      version: '4',
      groupKey: '{}/{route="default"}:{model_id="fraud-detector"}',
      truncatedAlerts: 0,
    });
  });

  it('sends resolved alerts with their end, and groups one alert type by alertname', async () => {
    const [alert] = sampleNotification().alerts;
    await make().send(
      sampleNotification({
        kind: 'resolved',
        url: '/catalog/default/component/fraud-detector/model-ops/alerts',
        runbook: undefined,
        alerts: [
          {
            ...alert,
            state: 'resolved',
            value: undefined,
            endsAt: new Date('2026-01-02T03:30:00.000Z'),
          },
        ],
      }),
    );

    const body = (await receiver.waitForRequests(1))[0].json();
    expectAlertmanagerV4(body);
    expect(body.status).toBe('resolved');
    expect(body.alerts[0].status).toBe('resolved');
    expect(body.alerts[0].endsAt).toBe('2026-01-02T03:30:00Z');
    // A relative link made absolute; no value, no value annotation; no runbook, none either.
    expect(body.alerts[0].generatorURL).toBe(
      `${BASE_URL}/catalog/default/component/fraud-detector/model-ops/alerts`,
    );
    expect(body.alerts[0].annotations).toEqual({
      summary: 'Error rate 12.5% is above 10%',
      threshold: '10',
    });
    expect(body.groupLabels).toEqual({
      alertname: 'high_error_rate',
      model_id: 'fraud-detector',
    });
    expect(body.groupKey).toBe(
      '{}/{route="default"}:{alertname="high_error_rate", model_id="fraud-detector"}',
    );
    expect(body.commonLabels).toEqual(body.alerts[0].labels);
  });

  it('describes escalations and acknowledgements', async () => {
    const [alert] = sampleNotification().alerts;
    const send = make();
    await send.send(
      sampleNotification({
        kind: 'escalation',
        alerts: [alert],
        escalation: {
          reason: 'high_error_rate fired 3 times in 180 s',
          count: 3,
          threshold: 3,
          windowSeconds: 180,
        },
      }),
    );
    await send.send(
      sampleNotification({
        kind: 'acknowledged',
        alerts: [
          { ...alert, acknowledgedBy: 'user:default/jane', comment: 'on it' },
        ],
      }),
    );
    const [escalation, ack] = (await receiver.waitForRequests(2)).map(r =>
      r.json(),
    );
    expectAlertmanagerV4(escalation);
    expectAlertmanagerV4(ack);
    expect(escalation.alerts[0].labels.kind).toBe('escalation');
    expect(escalation.alerts[0].annotations.description).toBe(
      'Escalated: high_error_rate fired 3 times in 180 s (3 alerts in 180 s; threshold 3)',
    );
    expect(ack.status).toBe('firing');
    expect(ack.alerts[0].endsAt).toBe(GO_ZERO_TIME);
    expect(ack.alerts[0].annotations.description).toBe(
      'Acknowledged by user:default/jane: on it',
    );
  });

  it('truncates to maxAlerts as Alertmanager does, counting the rest', async () => {
    await make({ maxAlerts: 1 }).send(sampleNotification());

    const body = (await receiver.waitForRequests(1))[0].json();
    expectAlertmanagerV4(body);
    expect(body.alerts.map((a: any) => a.fingerprint)).toEqual([
      'fp-error-rate-blue',
    ]);
    expect(body.truncatedAlerts).toBe(1);
    // Common labels of the alerts sent, as Alertmanager works them out after truncating.
    expect(body.commonLabels).toEqual(body.alerts[0].labels);
  });

  it('classifies replies: 500 and 429 retryable, 400 not; secret headers stay out of details', async () => {
    receiver.reply(
      { status: 500, body: 'boom' },
      { status: 429, body: '' },
      { status: 400, body: 'rejected Bearer s3cr3t-t0ken, token s3cr3t-t0ken' },
      { status: 302, body: '', headers: { location: 'http://elsewhere/' } },
    );
    const send = make();
    const n = sampleNotification();
    expect(await send.send(n)).toEqual({
      ok: false,
      retryable: true,
      status: 500,
      detail: 'HTTP 500: boom',
    });
    expect(await send.send(n)).toEqual({
      ok: false,
      retryable: true,
      status: 429,
      detail: 'HTTP 429',
    });
    expect(await send.send(n)).toEqual({
      ok: false,
      retryable: false,
      status: 400,
      detail: 'HTTP 400: rejected ***, token ***',
    });
    expect(await send.send(n)).toEqual({
      ok: false,
      retryable: false,
      status: 302,
      detail: 'HTTP 302 (redirects are not followed)',
    });
    expect(receiver.requests).toHaveLength(4);
  });

  it('truncates a long reply in the detail', async () => {
    receiver.reply({ status: 503, body: 'e'.repeat(5000) });
    const result = await make().send(sampleNotification());
    expect(result.detail!.length).toBeLessThanOrEqual(300);
    expect(result.detail).toMatch(/^HTTP 503: e+…$/);
  });

  it('times out a receiver that never answers, retryable, and honours the caller abort', async () => {
    receiver.reply('hang', 'hang');
    const started = Date.now();
    const timedOut = await make({ timeout: '200ms' }).send(
      sampleNotification(),
    );
    expect(timedOut).toEqual({
      ok: false,
      retryable: true,
      detail: 'timed out after 200 ms',
    });
    expect(Date.now() - started).toBeLessThan(5_000);

    const controller = new AbortController();
    const pending = make({ timeout: '10s' }).send(sampleNotification(), {
      signal: controller.signal,
    });
    await receiver.waitForRequests(2);
    controller.abort(new Error('backend stopping'));
    expect(await pending).toEqual({
      ok: false,
      retryable: true,
      detail: 'aborted: backend stopping',
    });
  });

  it('formats times as Go does', () => {
    expect(goTime(new Date('2026-01-02T03:04:05.000Z'))).toBe(
      '2026-01-02T03:04:05Z',
    );
    expect(goTime(new Date('2026-01-02T03:04:05.100Z'))).toBe(
      '2026-01-02T03:04:05.1Z',
    );
    expect(goTime(new Date('2026-01-02T03:04:05.123Z'))).toBe(
      '2026-01-02T03:04:05.123Z',
    );
  });

  it('names the key of bad configuration', () => {
    expect(() => channel('team-hook', { type: 'webhook' })).toThrow(
      'modelOps.alerts.channels.team-hook.url must be set',
    );
    expect(() =>
      channel('team-hook', { type: 'webhook', url: 'ftp://example.com/x' }),
    ).toThrow(
      'modelOps.alerts.channels.team-hook.url must be an absolute http(s) URL',
    );
    expect(() =>
      channel('team-hook', {
        type: 'webhook',
        url: 'https://example.com/hook',
        maxAlerts: -1,
      }),
    ).toThrow(
      'modelOps.alerts.channels.team-hook.maxAlerts must be an integer of at least 0',
    );
    expect(() =>
      channel('team-hook', {
        type: 'webhook',
        url: 'https://example.com/hook',
        headers: { 'Bad Header': 'x' },
      }),
    ).toThrow(
      'modelOps.alerts.channels.team-hook.headers.Bad Header is not a valid HTTP header name',
    );
  });
});
