import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { AlertChannel } from '@model-ops/plugin-model-ops-node';
import { builtInAlertChannelTypes } from './index';
import { notificationsChannelFactory } from './notifications';
import { sampleNotification } from './__testUtils__/receivers';

/**
 * A recorded fake of Backstage's NotificationService (the real one posts to the notifications
 * backend, a whole plugin of its own): records what it is sent and fails or hangs as told.
 */
class RecordedNotificationService implements NotificationService {
  readonly sent: NotificationSendOptions[] = [];
  private next: Array<'hang' | Error> = [];

  failNext(...outcomes: Array<'hang' | Error>) {
    this.next.push(...outcomes);
  }

  async send(options: NotificationSendOptions): Promise<void> {
    this.sent.push(options);
    const outcome = this.next.shift();
    if (outcome === 'hang') await new Promise(() => {});
    if (outcome) throw outcome;
  }
}

function channel(
  service: NotificationService | undefined,
  config: object = {},
  id = 'portal',
): AlertChannel {
  return notificationsChannelFactory({ notifications: service }).create({
    id,
    config: new ConfigReader({ type: 'notifications', ...config }),
    logger: mockServices.logger.mock(),
  });
}

describe('notifications channel (against a recorded fake NotificationService)', () => {
  it("notifies the model's owner, scoped by the first alert's fingerprint", async () => {
    const service = new RecordedNotificationService();
    const notification = sampleNotification();

    const result = await channel(service).send(notification);

    expect(result).toEqual({
      ok: true,
      detail: 'sent to group:default/ml-platform',
    });
    expect(service.sent).toEqual([
      {
        recipients: {
          type: 'entity',
          entityRef: ['group:default/ml-platform'],
        },
        payload: {
          title: '[critical] fraud-detector: high_error_rate',
          description: [
            'high_error_rate (critical): Error rate 12.5% is above 10% — 12.5 (threshold 10), 1.2.0 on blue',
            'high_latency (warning): p95 latency 6200 ms is above 5000 ms — 6200 (threshold 5000), 1.2.0 on blue',
          ].join('\n'),
          link: notification.url,
          severity: 'critical',
          topic: 'model-ops',
          scope: 'fp-error-rate-blue',
        },
      },
    ]);
  });

  it('falls back to the model entity without an owner, and takes configured recipients and topic', async () => {
    const service = new RecordedNotificationService();
    await channel(service).send(
      sampleNotification({
        owner: undefined,
        severity: 'warning',
        url: '/catalog/default/component/fraud-detector/model-ops/alerts',
      }),
    );
    await channel(service, {
      recipients: ['group:default/sre', 'user:default/jane'],
      topic: 'ml-alerts',
    }).send(sampleNotification());

    expect(service.sent[0].recipients).toEqual({
      type: 'entity',
      entityRef: ['component:default/fraud-detector'],
    });
    expect(service.sent[0].payload.severity).toBe('high'); // warning
    // A relative link is kept relative: the portal resolves it.
    expect(service.sent[0].payload.link).toBe(
      '/catalog/default/component/fraud-detector/model-ops/alerts',
    );
    expect(service.sent[1].recipients).toEqual({
      type: 'entity',
      entityRef: ['group:default/sre', 'user:default/jane'],
    });
    expect(service.sent[1].payload.topic).toBe('ml-alerts');
  });

  it('updates the same notification on repeat, acknowledgement and resolution', async () => {
    const service = new RecordedNotificationService();
    const send = channel(service);
    const [alert] = sampleNotification().alerts;
    for (const kind of [
      'repeat',
      'acknowledged',
      'resolved',
      'escalation',
    ] as const) {
      await send.send(
        sampleNotification({
          kind,
          alerts: [
            {
              ...alert,
              state: kind === 'resolved' ? 'resolved' : 'firing',
              acknowledgedBy:
                kind === 'acknowledged' ? 'user:default/jane' : undefined,
              comment: kind === 'acknowledged' ? 'on it' : undefined,
            },
          ],
          escalation:
            kind === 'escalation'
              ? {
                  reason: 'high_error_rate fired 3 times in 180 s',
                  count: 3,
                  threshold: 3,
                  windowSeconds: 180,
                }
              : undefined,
        }),
      );
    }
    const payloads = service.sent.map(s => s.payload);
    expect(payloads.map(p => p.scope)).toEqual(
      Array(4).fill('fp-error-rate-blue'),
    );
    expect(payloads.map(p => [p.title, p.severity])).toEqual([
      ['Still firing: [critical] fraud-detector: high_error_rate', 'critical'],
      ['Acknowledged: [critical] fraud-detector: high_error_rate', 'normal'],
      ['Resolved: [critical] fraud-detector: high_error_rate', 'low'],
      ['Escalated: [critical] fraud-detector: high_error_rate', 'critical'],
    ]);
    expect(payloads[1].description).toBe(
      [
        'Acknowledged by user:default/jane: on it',
        'high_error_rate (critical): Error rate 12.5% is above 10% — 12.5 (threshold 10), 1.2.0 on blue',
      ].join('\n'),
    );
    expect(payloads[2].description).toBe(
      'high_error_rate (critical, resolved): Error rate 12.5% is above 10% — 12.5 (threshold 10), 1.2.0 on blue',
    );
    expect(payloads[3].description).toMatch(
      /^Escalated: high_error_rate fired 3 times in 180 s \(3 alerts in 180 s; threshold 3\)\n/,
    );
  });

  it('classifies failures of the notifications backend by their status', async () => {
    const service = new RecordedNotificationService();
    // The messages DefaultNotificationService throws.
    service.failNext(
      new Error(
        'Failed to send notifications: Error: Request failed with status 400',
      ),
      new Error(
        'Failed to send notifications: Error: Request failed with status 503',
      ),
      new Error('Failed to send notifications: TypeError: fetch failed'),
    );
    const send = channel(service);
    const n = sampleNotification();

    expect(await send.send(n)).toEqual({
      ok: false,
      retryable: false,
      status: 400,
      detail:
        'Failed to send notifications: Error: Request failed with status 400',
    });
    expect(await send.send(n)).toMatchObject({
      ok: false,
      retryable: true,
      status: 503,
    });
    expect(await send.send(n)).toEqual({
      ok: false,
      retryable: true,
      detail: 'Failed to send notifications: TypeError: fetch failed',
    });
  });

  it('stops waiting after the timeout, retryable', async () => {
    const service = new RecordedNotificationService();
    service.failNext('hang');
    const result = await channel(service, { timeout: '100ms' }).send(
      sampleNotification(),
    );
    expect(result).toEqual({
      ok: false,
      retryable: true,
      detail: 'timed out after 100 ms',
    });
  });

  it('fails to create, naming the channel, without the notifications service', () => {
    expect(() => channel(undefined, {}, 'portal-bell')).toThrow(
      /^modelOps\.alerts\.channels\.portal-bell is of type notifications, but Backstage's notifications service is not available/,
    );
    expect(() =>
      channel(new RecordedNotificationService(), {
        recipients: 'group:default/sre',
      }),
    ).toThrow(
      'modelOps.alerts.channels.portal.recipients must be a list of entity refs',
    );
  });

  it('is one of the five built-in types', () => {
    const types = builtInAlertChannelTypes({
      notifications: new RecordedNotificationService(),
      baseUrl: 'https://portal.example.com',
    });
    expect(types.map(t => t.type)).toEqual([
      'email',
      'slack',
      'pagerduty',
      'webhook',
      'notifications',
    ]);
  });
});
