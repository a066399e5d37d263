/*
 * Silences, maintenance windows and incidents through the whole plugin, on every database:
 * a silence is made, listed and expired with `model-ops.alert.update` on the model's entity
 * (a 403 without it), bad bodies get a 400 naming the field and write nothing; incidents are
 * listed, opened with their timeline, and their report is Markdown; the portal-wide reads show
 * only models the caller may see.
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
const SENTIMENT =
  '/api/model-ops/entities/component/default/sentiment-classifier';
const user = mockCredentials.user.header('user:default/guest');

describe.each(databases.eachSupportedId())(
  'silences and incidents routes on %s',
  id => {
    let knex: Knex;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let stop: () => Promise<void>;

    beforeAll(async () => {
      knex = await databases.init(id as TestDatabaseId);
      const backend = await startAlertingBackend(
        knex,
        {
          alerts: {
            channels: {
              hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook' },
            },
            routes: { default: { fallback: ['hook'], groupWait: '0s' } },
            maintenanceWindows: [
              {
                name: 'weekly',
                models: ['fraud'],
                recurring: {
                  days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
                  at: '00:00',
                  durationMinutes: 1,
                },
              },
            ],
          },
        },
        { deny: ['component:default/sentiment-classifier'] },
      );
      server = backend.server;
      stop = () => backend.stop();
    });

    afterAll(async () => {
      await stop?.();
    });

    const count = async (table: string) =>
      Number((await knex(table).count({ n: '*' }))[0].n);

    it('makes, lists and expires a silence', async () => {
      const created = await request(server)
        .post(`${FRAUD}/silences`)
        .set('Authorization', user)
        .send({
          reason: 'retraining the model',
          matchers: { alertType: ['high_error_rate'], slot: ['green'] },
          durationMinutes: 60,
        });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        modelId: 'fraud',
        kind: 'silence',
        source: 'api',
        state: 'active',
        createdBy: 'user:default/guest',
        matchers: { alertType: ['high_error_rate'], slot: ['green'] },
      });
      const list = await request(server)
        .get(`${FRAUD}/silences`)
        .set('Authorization', user);
      expect(list.status).toBe(200);
      expect(list.body.items.map((s: any) => [s.id, s.source])).toEqual(
        expect.arrayContaining([
          [created.body.id, 'api'],
          ['maintenance:weekly', 'config'],
        ]),
      );
      const expired = await request(server)
        .post(`${FRAUD}/silences/${created.body.id}/expire`)
        .set('Authorization', user);
      expect(expired.status).toBe(200);
      expect(expired.body).toMatchObject({
        state: 'expired',
        expiredBy: 'user:default/guest',
      });
      // A configured window is changed in configuration, not here.
      const configured = await request(server)
        .post(`${FRAUD}/silences/maintenance:weekly/expire`)
        .set('Authorization', user);
      expect(configured.status).toBe(404);
      expect(configured.body.error.message).toMatch(
        /modelOps\.alerts\.maintenanceWindows/,
      );
    });

    it('refuses bad silences with the field named, and writes nothing', async () => {
      const before = await count('model_ops_silences');
      const cases: Array<[string, unknown, number, RegExp]> = [
        [`${FRAUD}/silences`, { durationMinutes: 5 }, 400, /reason/],
        [
          `${FRAUD}/silences`,
          { reason: 'x', durationMinutes: 5, matchers: { severity: ['bad'] } },
          400,
          /severity/,
        ],
        [
          `${FRAUD}/silences`,
          { reason: 'x', durationMinutes: 5, matchers: { slot: ['purple'] } },
          400,
          /slot/,
        ],
        [
          `${FRAUD}/silences`,
          { reason: 'x', durationMinutes: 5, matchers: { model: ['fraud'] } },
          400,
          /"matchers\.model" property is not allowed/,
        ],
        [
          `${FRAUD}/silences`,
          { reason: 'x', durationMinutes: 5 },
          400,
          /matchers/,
        ],
        [
          `${FRAUD}/silences`,
          { reason: 'x', kind: 'maintenance', endsAt: 'soon' },
          400,
          /endsAt/,
        ],
        [
          `${FRAUD}/silences`,
          { reason: 'x', kind: 'maintenance', durationMinutes: 99999 },
          400,
          /durationMinutes/,
        ],
        [
          `${FRAUD}/silences/${randomUUID()}/expire`,
          undefined,
          404,
          /No silence/,
        ],
        [
          '/api/model-ops/entities/component/default/nope/silences',
          { reason: 'x', kind: 'maintenance', durationMinutes: 5 },
          404,
          /nope/,
        ],
        // No model-ops.alert.update on sentiment-classifier.
        [
          `${SENTIMENT}/silences`,
          { reason: 'x', kind: 'maintenance', durationMinutes: 5 },
          403,
          /.+/,
        ],
      ];
      for (const [url, body, status, message] of cases) {
        const res = await request(server)
          .post(url)
          .set('Authorization', user)
          .send(body as object);
        expect({ url, body, status: res.status }).toEqual({
          url,
          body,
          status,
        });
        expect(res.body.error.message).toMatch(message);
      }
      const anonymous = await request(server)
        .post(`${FRAUD}/silences`)
        .send({ reason: 'x', kind: 'maintenance', durationMinutes: 5 });
      expect(anonymous.status).toBe(401);
      expect(await count('model_ops_silences')).toBe(before);
    });

    it('lists incidents, opens one with its timeline, and gives its report as Markdown', async () => {
      const incidentId = randomUUID();
      const alertId = randomUUID();
      const opened = new Date(Date.now() - 20 * 60_000);
      const resolved = new Date(Date.now() - 5 * 60_000);
      await knex('model_ops_incidents').insert({
        id: incidentId,
        model_id: 'fraud',
        entity_ref: 'component:default/fraud-detector',
        state: 'resolved',
        title: 'fraud: high_error_rate',
        severity: 'critical',
        opened_at: opened,
        acknowledged_at: new Date(opened.getTime() + 120_000),
        acknowledged_by: 'user:default/guest',
        resolved_at: resolved,
        updated_at: resolved,
      });
      await knex('model_ops_alerts').insert({
        id: alertId,
        fingerprint: randomUUID().replace(/-/g, ''),
        model_id: 'fraud',
        entity_ref: 'component:default/fraud-detector',
        alert_type: 'high_error_rate',
        metric: 'errorRate',
        severity: 'critical',
        state: 'resolved',
        value: 12,
        threshold: 10,
        summary: 'error rate 12 % (critical above 10 %)',
        starts_at: opened,
        firing_at: opened,
        resolved_at: resolved,
        acknowledged_by: 'user:default/guest',
        acknowledged_at: new Date(opened.getTime() + 120_000),
        incident_id: incidentId,
        version: '1.3.0',
        updated_at: resolved,
      });
      const list = await request(server)
        .get(`${FRAUD}/incidents`)
        .set('Authorization', user);
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({
          id: incidentId,
          state: 'resolved',
          alertCount: 1,
          timeToAcknowledgeSeconds: 120,
          timeToResolveSeconds: 900,
        }),
      ]);
      const details = await request(server)
        .get(`${FRAUD}/incidents/${incidentId}`)
        .set('Authorization', user);
      expect(details.status).toBe(200);
      expect(details.body.alerts.map((a: any) => a.id)).toEqual([alertId]);
      expect(details.body.timeline.map((e: any) => e.kind)).toEqual([
        'alert-firing',
        'alert-acknowledged',
        'alert-resolved',
      ]);
      const report = await request(server)
        .get(`${FRAUD}/incidents/${incidentId}/report`)
        .set('Authorization', user);
      expect(report.status).toBe(200);
      expect(report.headers['content-type']).toMatch(/^text\/markdown/);
      expect(report.headers['content-disposition']).toBe(
        `attachment; filename="incident-${incidentId}.md"`,
      );
      expect(report.text).toContain('# Incident: fraud: high_error_rate');
      expect(report.text).toContain('| Time to acknowledge | 2 min |');
      expect(report.text).toContain(
        'http://localhost:3000/catalog/default/component/fraud-detector/alerts',
      );
      // Another model's incident: 404; no uuid: 400 naming the parameter.
      for (const url of [
        `${SENTIMENT}/incidents/${incidentId}`,
        `${FRAUD}/incidents/${randomUUID()}/report`,
      ]) {
        const res = await request(server).get(url).set('Authorization', user);
        expect({ url, status: res.status }).toEqual({ url, status: 404 });
      }
      const badId = await request(server)
        .get(`${FRAUD}/incidents/not-a-uuid`)
        .set('Authorization', user);
      expect(badId.status).toBe(400);
      expect(badId.body.error.message).toMatch(/incidentId/);

      // Portal-wide: open and recently resolved incidents, and firing alerts.
      const all = await request(server)
        .get('/api/model-ops/incidents')
        .set('Authorization', user);
      expect(all.status).toBe(200);
      expect(all.body.items.map((i: any) => i.id)).toContain(incidentId);
      const alerts = await request(server)
        .get('/api/model-ops/alerts')
        .set('Authorization', user);
      expect(alerts.status).toBe(200);
      expect(alerts.body.items).toEqual([]);
      expect(
        (await request(server).get('/api/model-ops/incidents')).status,
      ).toBe(401);
    });
  },
);
