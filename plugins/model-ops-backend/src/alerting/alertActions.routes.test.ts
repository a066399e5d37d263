/*
 * Acknowledge and resolve through the whole plugin, on every database: the alert changes, the
 * notification to the configured channel is written in the same transaction (the outbox), the
 * deliveries route shows it, and bad requests get a 4xx naming what is wrong and write nothing.
 */
import {
  TestDatabaseId,
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { startAlertingBackend } from './__testUtils__/backend';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const FRAUD = '/api/model-ops/entities/component/default/fraud-detector';
const user = mockCredentials.user.header('user:default/guest');

describe.each(databases.eachSupportedId())('alert actions on %s', id => {
  let knex: Knex;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    knex = await databases.init(id as TestDatabaseId);
    const backend = await startAlertingBackend(knex);
    server = backend.server;
    stop = () => backend.stop();
  });

  afterAll(async () => {
    await stop?.();
  });

  async function firingAlert(modelId = 'fraud', entity = 'fraud-detector') {
    const alertId = randomUUID();
    const now = new Date();
    await knex('model_ops_alerts').insert({
      id: alertId,
      fingerprint: randomUUID().replace(/-/g, ''),
      model_id: modelId,
      entity_ref: `component:default/${entity}`,
      alert_type: 'high_error_rate',
      metric: 'errorRate',
      severity: 'critical',
      state: 'firing',
      value: 12,
      threshold: 10,
      summary: 'error rate 12 % (critical above 10 %)',
      starts_at: now,
      firing_at: now,
      // Its firing message was written: acknowledgements and resolutions follow it.
      last_notified_at: now,
      updated_at: now,
    });
    return alertId;
  }

  const deliveries = (alertId: string) =>
    request(server)
      .get(`${FRAUD}/alerts/${alertId}/deliveries`)
      .set('Authorization', user);

  it('acknowledges with a comment and writes the notification in the same transaction', async () => {
    const alertId = await firingAlert();
    const res = await request(server)
      .post(`${FRAUD}/alerts/${alertId}/acknowledge`)
      .set('Authorization', user)
      .send({ comment: 'looking into it' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: alertId,
      state: 'firing',
      acknowledgedBy: 'user:default/guest',
      acknowledgedComment: 'looking into it',
    });
    const list = await deliveries(alertId);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        channelId: 'hook',
        kind: 'acknowledged',
        status: 'pending',
        alertIds: [alertId],
        history: [],
      }),
    ]);
    const [row] = await knex('model_ops_alert_deliveries').where({
      channel_id: 'hook',
      kind: 'acknowledged',
    });
    const payload = JSON.parse(row.payload);
    expect(payload).toMatchObject({
      owner: 'group:ml/fraud-team',
      url: 'http://localhost:3000/catalog/default/component/fraud-detector/alerts',
      alerts: [
        {
          id: alertId,
          acknowledgedBy: 'user:default/guest',
          comment: 'looking into it',
        },
      ],
    });
  });

  it('resolves once, notifies once, and answers a second resolve with the alert as it is', async () => {
    const alertId = await firingAlert();
    const first = await request(server)
      .post(`${FRAUD}/alerts/${alertId}/resolve`)
      .set('Authorization', user);
    expect(first.status).toBe(200);
    expect(first.body.state).toBe('resolved');
    const second = await request(server)
      .post(`${FRAUD}/alerts/${alertId}/resolve`)
      .set('Authorization', user);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const list = await deliveries(alertId);
    expect(list.body.items.map((d: { kind: string }) => d.kind)).toEqual([
      'resolved',
    ]);
    // A resolved alert cannot be acknowledged.
    const ack = await request(server)
      .post(`${FRAUD}/alerts/${alertId}/acknowledge`)
      .set('Authorization', user);
    expect(ack.status).toBe(409);
    expect(ack.body.error.message).toMatch(/is resolved/);
  });

  it('refuses bad requests with a 4xx naming the problem, and writes nothing', async () => {
    const alertId = await firingAlert();
    const other = await firingAlert('sentiment', 'sentiment-classifier');
    const before = await knex('model_ops_alert_deliveries').count({ n: '*' });
    const cases: Array<[string, object | string | undefined, number, RegExp]> =
      [
        [`${FRAUD}/alerts/${randomUUID()}/acknowledge`, {}, 404, /No alert/],
        // Another model's alert, through this model's entity.
        [`${FRAUD}/alerts/${other}/acknowledge`, {}, 404, /No alert/],
        [`${FRAUD}/alerts/not-a-uuid/acknowledge`, {}, 400, /alertId/],
        [
          `${FRAUD}/alerts/${alertId}/acknowledge`,
          { comment: 'x'.repeat(2001) },
          400,
          /comment/,
        ],
        [
          `${FRAUD}/alerts/${alertId}/acknowledge`,
          { comment: 7 },
          400,
          /comment/,
        ],
        [
          `${FRAUD}/alerts/${alertId}/resolve`,
          { note: 'hi' },
          400,
          /The "note" property is not allowed; the body takes comment/,
        ],
      ];
    for (const [url, body, status, message] of cases) {
      const res = await request(server)
        .post(url)
        .set('Authorization', user)
        .send(body);
      expect({ url, status: res.status }).toEqual({ url, status });
      expect(res.body.error.message).toMatch(message);
    }
    // Without credentials: 401.
    const anonymous = await request(server).post(
      `${FRAUD}/alerts/${alertId}/acknowledge`,
    );
    expect(anonymous.status).toBe(401);
    expect(await knex('model_ops_alert_deliveries').count({ n: '*' })).toEqual(
      before,
    );
    const alert = await knex('model_ops_alerts').where({ id: alertId }).first();
    expect(alert.acknowledged_by).toBeNull();
    expect(alert.state).toBe('firing');
  });
});
