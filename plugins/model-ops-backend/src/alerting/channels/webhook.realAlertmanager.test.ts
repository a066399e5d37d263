import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AlertNotification } from '@model-ops/plugin-model-ops-node';
import Ajv from 'ajv';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  freePort,
  stopChild,
  waitFor,
} from '../../sources/__testUtils__/processes';
import { GO_ZERO_TIME, webhookChannelFactory } from './webhook';
import {
  ALERTMANAGER_WEBHOOK_V4,
  HttpReceiver,
  sampleNotification,
  startHttpReceiver,
} from './__testUtils__/receivers';
import { findAlertmanager } from '../__testUtils__/alertmanager';

jest.setTimeout(60_000);

const BASE_URL = 'https://portal.example.com';

const binary = findAlertmanager();
// Runs wherever Alertmanager is installed, and always under CI (where a missing binary fails).
const run = binary !== undefined || Boolean(process.env.CI);

/**
 * Fields later Alertmanager versions added to template.Data, still as version 4:
 * `notification_reason` (0.32) and `routeLabels` (0.34). Ours is the 0.31 shape.
 */
const LATER_FIELDS = ['notification_reason', 'routeLabels'];

/** The shape of a JSON value: its keys (sorted) and the type at every leaf. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map(k => [k, shape((value as Record<string, unknown>)[k])]),
    );
  }
  return typeof value;
}

(run ? describe : describe.skip)(
  "the webhook channel's body against a real Alertmanager's",
  () => {
    let hook: HttpReceiver;
    let child: ChildProcess | undefined;
    let dir: string;
    let amUrl: string;
    let stderr = '';

    beforeAll(async () => {
      if (!binary) {
        throw new Error(
          'no alertmanager binary (apt-get install prometheus-alertmanager, or set ALERTMANAGER_BIN)',
        );
      }
      hook = await startHttpReceiver({ status: 200, body: '' });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-ops-alertmanager-'));
      fs.writeFileSync(
        path.join(dir, 'alertmanager.yml'),
        [
          'route:',
          '  receiver: team-hook',
          "  group_by: ['model_id', 'alertname']",
          '  group_wait: 0s',
          '  group_interval: 1s',
          '  repeat_interval: 1h',
          'receivers:',
          '  - name: team-hook',
          '    webhook_configs:',
          `      - url: '${hook.url}/alerts'`,
          '        send_resolved: true',
          '',
        ].join('\n'),
      );
      const port = await freePort();
      amUrl = `http://127.0.0.1:${port}`;
      child = spawn(
        binary,
        [
          `--config.file=${path.join(dir, 'alertmanager.yml')}`,
          `--storage.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          `--web.external-url=${BASE_URL}`,
          '--cluster.listen-address=',
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir },
      );
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-4000);
      });
      await waitFor(
        'alertmanager ready',
        async () => {
          if (child!.exitCode !== null) {
            throw new Error(`alertmanager exited: ${stderr}`);
          }
          // --web.external-url has no path: the API stays at the root.
          const response = await fetch(`${amUrl}/-/ready`);
          return response.status === 200 ? true : undefined;
        },
        30_000,
      );
    });

    afterAll(async () => {
      if (child) await stopChild(child);
      await hook?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    async function postToAlertmanager(alerts: object[]) {
      const response = await fetch(`${amUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      expect(response.status).toBe(200);
    }

    /** What our channel sends for `notification`, recorded by a receiver of its own. */
    async function ours(notification: AlertNotification) {
      const receiver = await startHttpReceiver({ status: 200, body: '' });
      try {
        const channel = webhookChannelFactory({ baseUrl: BASE_URL }).create({
          id: 'team-hook',
          config: new ConfigReader({ type: 'webhook', url: receiver.url }),
          logger: mockServices.logger.mock(),
        });
        expect((await channel.send(notification)).ok).toBe(true);
        return (await receiver.waitForRequests(1))[0].json();
      } finally {
        await receiver.close();
      }
    }

    function expectSameMessage(theirs: any, mine: any) {
      const validate = new Ajv({ allErrors: true, strict: true }).compile(
        ALERTMANAGER_WEBHOOK_V4,
      );
      for (const field of LATER_FIELDS) {
        if (field in theirs) {
          expect(typeof theirs[field]).toBe(
            field === 'routeLabels' ? 'object' : 'string',
          );
          delete theirs[field];
        }
      }
      // The JSON description the other tests use fits the real thing.
      expect(validate(theirs) ? [] : validate.errors).toEqual([]);
      expect(shape(mine)).toEqual(shape(theirs));
      expect(Object.keys(mine)).toEqual(Object.keys(theirs));
      const { alerts: theirAlerts, groupKey: theirKey, ...theirRest } = theirs;
      const { alerts: myAlerts, groupKey: myKey, ...myRest } = mine;
      expect(myRest).toEqual(theirRest);
      // `<route key>:<group labels>`; the route keys differ (theirs is the root route, `{}`).
      expect(theirKey).toMatch(/^\{\}:\{/);
      expect(myKey.slice(myKey.indexOf(':{'))).toBe(
        theirKey.slice(theirKey.indexOf(':{')),
      );
      expect(myAlerts).toHaveLength(theirAlerts.length);
      myAlerts.forEach((alert: any, i: number) => {
        const { fingerprint: theirFingerprint, ...theirAlert } = theirAlerts[i];
        const { fingerprint, ...myAlert } = alert;
        expect(myAlert).toEqual(theirAlert);
        expect(typeof theirFingerprint).toBe('string');
        expect(typeof fingerprint).toBe('string');
      });
    }

    it('matches field for field, firing and then resolved', async () => {
      const [alert] = sampleNotification().alerts;
      const firing = sampleNotification({ alerts: [alert] });
      const mine = await ours(firing);

      // The same alert, as Prometheus would post it to Alertmanager.
      const posted = {
        labels: mine.alerts[0].labels,
        annotations: mine.alerts[0].annotations,
        startsAt: mine.alerts[0].startsAt,
        generatorURL: mine.alerts[0].generatorURL,
      };
      await postToAlertmanager([posted]);
      const [first] = await hook.waitForRequests(1, 30_000);
      const theirs = first.json();
      expect(theirs.status).toBe('firing');
      expect(theirs.alerts[0].endsAt).toBe(GO_ZERO_TIME);
      expectSameMessage(theirs, mine);

      const endsAt = new Date('2026-01-02T03:30:00.500Z');
      const resolved = sampleNotification({
        kind: 'resolved',
        alerts: [{ ...alert, state: 'resolved', endsAt }],
      });
      const myResolved = await ours(resolved);
      await postToAlertmanager([
        {
          ...posted,
          labels: myResolved.alerts[0].labels,
          annotations: myResolved.alerts[0].annotations,
          endsAt: myResolved.alerts[0].endsAt,
        },
      ]);
      // Labels differ (kind=resolved): a new alert of the same group, resolved at once.
      const requests = await waitFor(
        'a resolved webhook from alertmanager',
        async () => {
          const found = hook.requests
            .map(r => r.json())
            .find(
              body =>
                body.status === 'resolved' ||
                body.alerts.some((a: any) => a.labels.kind === 'resolved'),
            );
          return found;
        },
        30_000,
        100,
      );
      const theirResolvedAlert = requests.alerts.find(
        (a: any) => a.labels.kind === 'resolved',
      );
      expect(theirResolvedAlert.status).toBe('resolved');
      expect(theirResolvedAlert.endsAt).toBe('2026-01-02T03:30:00.5Z');
      const { fingerprint: _a, ...theirs2 } = theirResolvedAlert;
      const { fingerprint: _b, ...mine2 } = myResolved.alerts[0];
      expect(mine2).toEqual(theirs2);
    });
  },
);
