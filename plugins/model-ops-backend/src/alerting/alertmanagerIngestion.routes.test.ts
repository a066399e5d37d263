/*
 * Alerts from an existing Prometheus stack: `POST /alertmanager/webhook` through the whole
 * plugin, first with hand-made payloads (mapping, de-duplication, resolution, refusals), then
 * with Debian's real `prometheus-alertmanager` as the sender: alerts posted to its API are
 * grouped by it and delivered to the plugin's route with a service token, firing and resolved.
 */
import {
  TestDatabaseId,
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { startAlertingBackend } from './__testUtils__/backend';
import { findAlertmanager } from './__testUtils__/alertmanager';
import {
  freePort,
  stopChild,
  waitFor,
} from '../sources/__testUtils__/processes';

jest.setTimeout(90_000);

const databases = createTestDatabases();
const WEBHOOK = '/api/model-ops/alertmanager/webhook';
// The mock service token's subject is `external:test-service`, allowlisted below.
const SERVICE_TOKEN = mockCredentials.service.token();
const service = `Bearer ${SERVICE_TOKEN}`;

function amAlert(
  status: 'firing' | 'resolved',
  labels: Record<string, string>,
  extra: Record<string, unknown> = {},
) {
  return {
    status,
    labels: { alertname: 'ModelHighLatency', severity: 'critical', ...labels },
    annotations: {
      summary: 'p95 latency of fraud above 800 ms',
      value: '912',
      threshold: '800',
    },
    startsAt: '2026-12-03T12:00:00Z',
    endsAt:
      status === 'firing'
        ? '0001-01-01T00:00:00Z'
        : new Date(Date.now() - 1000).toISOString(),
    generatorURL: 'http://prometheus.example.com/graph',
    fingerprint: `fp-${labels.model_id ?? 'none'}-${labels.slot ?? ''}`,
    ...extra,
  };
}

const payload = (alerts: object[]) => ({
  version: '4',
  status: 'firing',
  receiver: 'model-ops',
  groupKey: '{}:{model_id="fraud"}',
  truncatedAlerts: 0,
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager.example.com',
  alerts,
});

describe.each(databases.eachSupportedId())(
  'alerts from Alertmanager on %s',
  id => {
    let knex: Knex;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let stop: () => Promise<void>;

    beforeAll(async () => {
      knex = await databases.init(id as TestDatabaseId);
      const backend = await startAlertingBackend(knex, {
        permissions: { allowedServicePrincipals: ['external:test-service'] },
      });
      server = backend.server;
      stop = () => backend.stop();
    });

    afterAll(async () => {
      await stop?.();
    });

    beforeEach(async () => {
      await knex('model_ops_alert_deliveries').delete();
      await knex('model_ops_alerts').delete();
    });

    const alertsOf = async (modelId: string) =>
      knex('model_ops_alerts')
        .where({ model_id: modelId })
        .orderBy('starts_at');

    it('turns firing alerts into alerts of the model they name, once, and resolves them', async () => {
      const first = await request(server)
        .post(WEBHOOK)
        .set('Authorization', service)
        .send(
          payload([
            amAlert('firing', { model_id: 'fraud', slot: 'blue' }),
            amAlert('firing', { model_id: 'nobody' }),
            amAlert('firing', { job: 'other' }),
          ]),
        );
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        accepted: 1,
        skipped: [
          {
            fingerprint: 'fp-none-',
            reason: 'alerts[2] has no model_id label',
          },
          {
            fingerprint: 'fp-nobody-',
            reason: 'no model nobody in the catalog',
          },
        ],
      });
      let [alert] = await alertsOf('fraud');
      expect(alert).toMatchObject({
        alert_type: 'ModelHighLatency',
        metric: 'external',
        slot: 'blue',
        severity: 'critical',
        state: 'firing',
        summary: 'p95 latency of fraud above 800 ms',
        entity_ref: 'component:default/fraud-detector',
      });
      expect(Number(alert.value)).toBe(912);
      // Routed like the plugin's own alerts: one firing message to the route's channel.
      expect(
        await knex('model_ops_alert_deliveries').select('kind', 'channel_id'),
      ).toEqual([{ kind: 'firing', channel_id: 'hook' }]);

      // Alertmanager repeats a firing alert: no second alert, no second message.
      const again = await request(server)
        .post(WEBHOOK)
        .set('Authorization', service)
        .send(
          payload([amAlert('firing', { model_id: 'fraud', slot: 'blue' })]),
        );
      expect(again.body.accepted).toBe(1);
      expect(await alertsOf('fraud')).toHaveLength(1);
      expect(await knex('model_ops_alert_deliveries')).toHaveLength(1);

      const resolved = await request(server)
        .post(WEBHOOK)
        .set('Authorization', service)
        .send(
          payload([amAlert('resolved', { model_id: 'fraud', slot: 'blue' })]),
        );
      expect(resolved.body).toEqual({ accepted: 1, skipped: [] });
      [alert] = await alertsOf('fraud');
      expect(alert.state).toBe('resolved');
      expect(
        (await knex('model_ops_alert_deliveries').select('kind')).map(
          r => r.kind,
        ),
      ).toEqual(['firing', 'resolved']);

      // The model's Alerts API shows it like any other.
      const listed = await request(server)
        .get('/api/model-ops/entities/component/default/fraud-detector/alerts')
        .set('Authorization', mockCredentials.user.header());
      expect(listed.status).toBe(200);
      expect(listed.body.items[0]).toMatchObject({
        alertType: 'ModelHighLatency',
        metric: 'external',
        state: 'resolved',
      });
    });

    it('refuses what it may not take, and writes nothing', async () => {
      const body = payload([amAlert('firing', { model_id: 'fraud' })]);
      const cases: Array<[string | undefined, unknown, number, RegExp]> = [
        [undefined, body, 401, /.+/],
        // A service that is not allowlisted.
        [
          mockCredentials.service.header({
            onBehalfOf: mockCredentials.service('external:stranger'),
            targetPluginId: 'model-ops',
          }),
          body,
          403,
          /external:stranger .*allowedServicePrincipals/,
        ],
        [service, { alerts: 'nope' }, 400, /alerts/],
        [
          service,
          { alerts: [{ labels: { model_id: 'fraud' } }] },
          400,
          /status/,
        ],
        [
          service,
          { alerts: [{ status: 'firing', labels: { model_id: 7 } }] },
          400,
          /labels/,
        ],
      ];
      for (const [authorization, sent, status, message] of cases) {
        let call = request(server).post(WEBHOOK);
        if (authorization) call = call.set('Authorization', authorization);
        const res = await call.send(sent as object);
        expect({ sent, status: res.status }).toEqual({ sent, status });
        expect(res.body.error.message).toMatch(message);
      }
      expect(await knex('model_ops_alerts')).toEqual([]);
      expect(await knex('model_ops_alert_deliveries')).toEqual([]);
    });

    const binary = findAlertmanager();
    // Runs wherever Alertmanager is installed, and always under CI (where a missing one fails).
    const withAlertmanager =
      binary || process.env.CI ? describe : describe.skip;
    withAlertmanager('with a real Alertmanager', () => {
      it('takes firing and resolved alerts from its webhook', async () => {
        if (!binary) throw new Error('no prometheus-alertmanager binary');
        const { port: backendPort } = (server as any).address() as AddressInfo;
        const dir = fs.mkdtempSync(
          path.join(os.tmpdir(), 'model-ops-alertmanager-'),
        );
        fs.writeFileSync(
          path.join(dir, 'alertmanager.yml'),
          [
            'route:',
            '  receiver: model-ops',
            "  group_by: ['model_id']",
            '  group_wait: 0s',
            '  group_interval: 1s',
            '  repeat_interval: 1h',
            'receivers:',
            '  - name: model-ops',
            '    webhook_configs:',
            `      - url: 'http://127.0.0.1:${backendPort}${WEBHOOK}'`,
            '        send_resolved: true',
            '        http_config:',
            '          authorization:',
            `            credentials: '${SERVICE_TOKEN}'`,
            '',
          ].join('\n'),
        );
        const amPort = await freePort();
        const amUrl = `http://127.0.0.1:${amPort}`;
        let stderr = '';
        const child: ChildProcess = spawn(
          binary,
          [
            `--config.file=${path.join(dir, 'alertmanager.yml')}`,
            `--storage.path=${path.join(dir, 'data')}`,
            `--web.listen-address=127.0.0.1:${amPort}`,
            '--cluster.listen-address=',
            '--log.level=warn',
          ],
          { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir },
        );
        child.stderr!.setEncoding('utf8');
        child.stderr!.on('data', (chunk: string) => {
          stderr = (stderr + chunk).slice(-4000);
        });
        try {
          await waitFor(
            'alertmanager ready',
            async () => {
              if (child.exitCode !== null) {
                throw new Error(`alertmanager exited: ${stderr}`);
              }
              const response = await fetch(`${amUrl}/-/ready`).catch(
                () => undefined,
              );
              return response?.status === 200 ? true : undefined;
            },
            30_000,
          );
          const post = async (alerts: object[]) => {
            const response = await fetch(`${amUrl}/api/v2/alerts`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(alerts),
            });
            expect(response.status).toBe(200);
          };
          const labels = (slot: string) => ({
            alertname: 'ModelHighErrorRate',
            model_id: 'fraud',
            severity: 'warning',
            slot,
          });
          // Two alerts of one model: Alertmanager groups them into one webhook.
          await post([
            {
              labels: labels('blue'),
              annotations: { summary: 'errors on blue', value: '7.5' },
            },
            {
              labels: labels('green'),
              annotations: { summary: 'errors on green', value: '6.1' },
            },
          ]);
          await waitFor(
            'both alerts firing in Model Ops',
            async () => {
              const rows = await alertsOf('fraud');
              return rows.filter(r => r.state === 'firing').length === 2
                ? true
                : undefined;
            },
            20_000,
          );
          const firing = await alertsOf('fraud');
          expect(
            firing.map(r => [r.alert_type, r.slot, r.severity]).sort(),
          ).toEqual([
            ['ModelHighErrorRate', 'blue', 'warning'],
            ['ModelHighErrorRate', 'green', 'warning'],
          ]);
          // The grouped webhook became one grouped message.
          const deliveries = await knex('model_ops_alert_deliveries').select(
            'kind',
            'alert_ids',
          );
          expect(deliveries).toHaveLength(1);
          expect(JSON.parse(deliveries[0].alert_ids)).toHaveLength(2);

          // Resolve blue: Alertmanager sends resolved with its next group interval.
          await post([
            {
              labels: labels('blue'),
              annotations: { summary: 'errors on blue', value: '0.5' },
              endsAt: new Date(Date.now() - 1000).toISOString(),
            },
          ]);
          await waitFor(
            'blue resolved in Model Ops',
            async () => {
              const rows = await alertsOf('fraud');
              return rows.find(r => r.slot === 'blue')?.state === 'resolved'
                ? true
                : undefined;
            },
            20_000,
          );
          const after = await alertsOf('fraud');
          expect(after.find(r => r.slot === 'green')?.state).toBe('firing');
        } finally {
          await stopChild(child);
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  },
);
