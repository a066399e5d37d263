import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AlertChannel } from '@model-ops/plugin-model-ops-node';
import { PAGERDUTY_EVENTS_URL, pagerDutyChannelFactory } from './pagerduty';
import {
  HttpReceiver,
  sampleNotification,
  startHttpReceiver,
} from './__testUtils__/receivers';

const BASE_URL = 'https://portal.example.com';
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const ACCEPTED = {
  status: 202,
  body: '{"status":"success","message":"Event processed","dedup_key":"fp"}',
};

function channel(id: string, config: object): AlertChannel {
  return pagerDutyChannelFactory({ baseUrl: BASE_URL }).create({
    id,
    config: new ConfigReader(config),
    logger: mockServices.logger.mock(),
  });
}

describe('pagerduty channel', () => {
  let pagerduty: HttpReceiver;
  beforeEach(async () => {
    pagerduty = await startHttpReceiver(ACCEPTED);
  });
  afterEach(async () => {
    await pagerduty.close();
  });
  const make = (overrides: object = {}) =>
    channel('pagerduty-ml', {
      type: 'pagerduty',
      routingKey: ROUTING_KEY,
      url: `${pagerduty.url}/v2/enqueue`,
      timeout: '2s',
      ...overrides,
    });

  const links = [
    {
      href: 'https://portal.example.com/catalog/default/component/fraud-detector/model-ops/alerts',
      text: 'Model Ops: fraud-detector alerts',
    },
    { href: 'https://runbooks.example.com/fraud-detector', text: 'Runbook' },
  ];

  it('triggers one event per alert, every field as the Events API v2 wants it', async () => {
    const result = await make({
      source: 'model-ops.example.com',
      group: 'ml-models',
    }).send(sampleNotification());

    expect(result).toEqual({
      ok: true,
      status: 202,
      detail:
        '2 events accepted; {"status":"success","message":"Event processed","dedup_key":"fp"}',
    });
    const requests = await pagerduty.waitForRequests(2);
    expect(requests.map(r => [r.method, r.path])).toEqual([
      ['POST', '/v2/enqueue'],
      ['POST', '/v2/enqueue'],
    ]);
    expect(requests[0].headers['content-type']).toBe('application/json');
    expect(requests.map(r => r.json())).toEqual([
      {
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        dedup_key: 'fp-error-rate-blue',
        payload: {
          summary:
            '[critical] fraud-detector: high_error_rate — Error rate 12.5% is above 10%',
          source: 'model-ops.example.com',
          severity: 'critical',
          timestamp: '2026-01-02T03:04:05.120Z',
          component: 'blue',
          group: 'ml-models',
          class: 'high_error_rate',
          custom_details: {
            model: 'fraud-detector',
            entityRef: 'component:default/fraud-detector',
            alertType: 'high_error_rate',
            metric: 'errorRate',
            value: 12.5,
            threshold: 10,
            slot: 'blue',
            version: '1.2.0',
            route: 'default',
            kind: 'firing',
            startsAt: '2026-01-02T03:04:05.120Z',
          },
        },
        links,
        client: 'Model Ops',
        client_url: BASE_URL,
      },
      {
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        dedup_key: 'fp-latency-blue',
        payload: {
          summary:
            '[warning] fraud-detector: high_latency — p95 latency 6200 ms is above 5000 ms',
          source: 'model-ops.example.com',
          severity: 'warning',
          timestamp: '2026-01-02T03:05:00.000Z',
          component: 'blue',
          group: 'ml-models',
          class: 'high_latency',
          custom_details: {
            model: 'fraud-detector',
            entityRef: 'component:default/fraud-detector',
            alertType: 'high_latency',
            metric: 'responseTimeP95',
            value: 6200,
            threshold: 5000,
            slot: 'blue',
            version: '1.2.0',
            route: 'default',
            kind: 'firing',
            startsAt: '2026-01-02T03:05:00.000Z',
          },
        },
        links,
        client: 'Model Ops',
        client_url: BASE_URL,
      },
    ]);
  });

  it('acknowledges, resolves and escalates with the alert fingerprint as dedup_key', async () => {
    const [alert] = sampleNotification().alerts;
    const send = make({ component: 'model-server', class: 'ml' });
    const createdAt = new Date('2026-01-02T03:10:00.000Z');
    await send.send(
      sampleNotification({
        kind: 'acknowledged',
        createdAt,
        alerts: [
          { ...alert, acknowledgedBy: 'user:default/jane', comment: 'on it' },
        ],
      }),
    );
    await send.send(
      sampleNotification({
        kind: 'escalation',
        createdAt,
        severity: 'critical',
        alerts: [{ ...alert, severity: 'warning' }],
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
        kind: 'resolved',
        createdAt,
        runbook: undefined,
        alerts: [
          {
            ...alert,
            state: 'resolved',
            endsAt: new Date('2026-01-02T03:30:00.000Z'),
          },
        ],
      }),
    );

    const [ack, escalation, resolve] = (await pagerduty.waitForRequests(3)).map(
      r => r.json(),
    );
    expect(ack).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'acknowledge',
      dedup_key: 'fp-error-rate-blue',
      payload: {
        summary:
          '[critical] fraud-detector: high_error_rate — Error rate 12.5% is above 10%',
        source: 'fraud-detector',
        severity: 'critical',
        timestamp: '2026-01-02T03:10:00.000Z',
        component: 'model-server',
        class: 'ml',
        custom_details: {
          model: 'fraud-detector',
          entityRef: 'component:default/fraud-detector',
          alertType: 'high_error_rate',
          metric: 'errorRate',
          value: 12.5,
          threshold: 10,
          slot: 'blue',
          version: '1.2.0',
          route: 'default',
          kind: 'acknowledged',
          startsAt: '2026-01-02T03:04:05.120Z',
          acknowledgedBy: 'user:default/jane',
          comment: 'on it',
        },
      },
      links,
      client: 'Model Ops',
      client_url: BASE_URL,
    });
    expect(escalation).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'fp-error-rate-blue',
      payload: {
        summary:
          'Escalated: [critical] fraud-detector: high_error_rate — Error rate 12.5% is above 10%',
        source: 'fraud-detector',
        severity: 'critical', // the alert is a warning: escalations page as critical
        timestamp: '2026-01-02T03:10:00.000Z',
        component: 'model-server',
        class: 'ml',
        custom_details: {
          model: 'fraud-detector',
          entityRef: 'component:default/fraud-detector',
          alertType: 'high_error_rate',
          metric: 'errorRate',
          value: 12.5,
          threshold: 10,
          slot: 'blue',
          version: '1.2.0',
          route: 'default',
          kind: 'escalation',
          startsAt: '2026-01-02T03:04:05.120Z',
          escalation: 'high_error_rate fired 3 times in 180 s',
          escalationCount: 3,
          escalationThreshold: 3,
          escalationWindowSeconds: 180,
        },
      },
      links,
      client: 'Model Ops',
      client_url: BASE_URL,
    });
    expect(resolve).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: 'fp-error-rate-blue',
      payload: {
        summary:
          '[critical] fraud-detector: high_error_rate — Error rate 12.5% is above 10%',
        source: 'fraud-detector',
        severity: 'critical',
        timestamp: '2026-01-02T03:30:00.000Z',
        component: 'model-server',
        class: 'ml',
        custom_details: {
          model: 'fraud-detector',
          entityRef: 'component:default/fraud-detector',
          alertType: 'high_error_rate',
          metric: 'errorRate',
          value: 12.5,
          threshold: 10,
          slot: 'blue',
          version: '1.2.0',
          route: 'default',
          kind: 'resolved',
          startsAt: '2026-01-02T03:04:05.120Z',
          endsAt: '2026-01-02T03:30:00.000Z',
        },
      },
      links: [links[0]],
      client: 'Model Ops',
      client_url: BASE_URL,
    });
  });

  it('is retryable on a 429, stopping there, and ok when the events are sent again', async () => {
    pagerduty.reply(ACCEPTED, {
      status: 429,
      body: '{"status":"throttle event","message":"Requests for this service are arriving too quickly."}',
    });
    const send = make();
    const notification = sampleNotification();

    const first = await send.send(notification);
    expect(first).toEqual({
      ok: false,
      retryable: true,
      status: 429,
      detail:
        'event 2/2 (trigger fp-latency-blue): HTTP 429: {"status":"throttle event","message":"Requests for this service are arriving too quickly."}',
    });
    const second = await send.send(notification);
    expect(second.ok).toBe(true);
    expect(second.status).toBe(202);
    // Both events again: PagerDuty de-duplicates the first by its dedup_key.
    expect(pagerduty.requests.map(r => r.json().dedup_key)).toEqual([
      'fp-error-rate-blue',
      'fp-latency-blue',
      'fp-error-rate-blue',
      'fp-latency-blue',
    ]);
  });

  it('is retryable on a 5xx, and stops sending the remaining events', async () => {
    pagerduty.reply({ status: 503, body: 'unavailable' });

    const result = await make().send(sampleNotification());

    expect(result).toEqual({
      ok: false,
      retryable: true,
      status: 503,
      detail: 'event 1/2 (trigger fp-error-rate-blue): HTTP 503: unavailable',
    });
    expect(pagerduty.requests).toHaveLength(1);
  });

  it('is not retryable on a 400, and still sends the other events', async () => {
    pagerduty.reply({
      status: 400,
      body: `{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}`,
    });

    const result = await make().send(sampleNotification());

    expect(result.ok).toBe(false);
    expect(result.retryable).toBe(false);
    expect(result.status).toBe(400);
    expect(result.detail).toMatch(
      /^event 1\/2 \(trigger fp-error-rate-blue\): HTTP 400: \{"status":"invalid event"/,
    );
    expect(pagerduty.requests).toHaveLength(2);
  });

  it('keeps the routing key out of the detail', async () => {
    pagerduty.reply(
      { status: 400, body: `{"message":"bad key ${ROUTING_KEY}"}` },
      { status: 400, body: 'x' },
    );
    const result = await make().send(sampleNotification());
    expect(result.detail).toContain('bad key ***');
    expect(result.detail).not.toContain(ROUTING_KEY);
  });

  it('times out a receiver that never answers, retryable', async () => {
    pagerduty.reply('hang');
    const started = Date.now();

    const result = await make({ timeout: '200ms' }).send(sampleNotification());

    expect(result).toEqual({
      ok: false,
      retryable: true,
      detail: 'event 1/2 (trigger fp-error-rate-blue): timed out after 200 ms',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('names the key of bad configuration, and defaults the URL to PagerDuty', () => {
    expect(() => channel('pagerduty-ml', { type: 'pagerduty' })).toThrow(
      'modelOps.alerts.channels.pagerduty-ml.routingKey must be set',
    );
    expect(() =>
      channel('pagerduty-ml', {
        type: 'pagerduty',
        routingKey: ROUTING_KEY,
        url: 'events.pagerduty.com',
      }),
    ).toThrow(
      'modelOps.alerts.channels.pagerduty-ml.url must be an absolute http(s) URL',
    );
    expect(PAGERDUTY_EVENTS_URL).toBe(
      'https://events.pagerduty.com/v2/enqueue',
    );
    expect(
      channel('pagerduty-ml', { type: 'pagerduty', routingKey: ROUTING_KEY })
        .type,
    ).toBe('pagerduty');
  });
});
