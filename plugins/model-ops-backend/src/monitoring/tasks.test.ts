/*
 * The retention task with an injected clock, on every database: after a downtime it rolls up
 * every full hour it missed (within the samples' retention), and it prunes resolved alerts past
 * `alertRetentionDays`, leaving open alerts, recent ones and deliveries alone.
 */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { MetricSample } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../models/DatabaseModelStore';
import { createTestDatabases } from '../__testUtils__/databases';
import { DatabaseAlertStore } from './AlertStore';
import { DatabaseMetricsStore } from './MetricsStore';
import { alertFingerprint } from './RuleEvaluator';
import { MetricsRetentionTask } from './tasks';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const MODEL = 'sentiment-classifier';
const ENTITY = 'component:default/sentiment-classifier';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = new Date('2026-11-26T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const SCHEDULE = { frequency: { minutes: 30 }, timeout: { minutes: 5 } };
const RETENTION = {
  sampleRetentionDays: 7,
  rollupRetentionDays: 90,
  alertRetentionDays: 30,
};

const cpu = (value: number, when: Date): MetricSample => ({
  modelId: MODEL,
  slot: 'blue',
  metric: 'cpu',
  value,
  timestamp: when,
});

describe.each(databases.eachSupportedId())(
  'MetricsRetentionTask on %s',
  databaseId => {
    let knex: Knex;
    let clock: Date;
    let metrics: DatabaseMetricsStore;
    let alerts: DatabaseAlertStore;

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      await applyDatabaseMigrations(knex);
      clock = T0;
      metrics = DatabaseMetricsStore.create({ knex });
      alerts = DatabaseAlertStore.create({ knex, now: () => clock });
    });

    const task = () =>
      new MetricsRetentionTask({
        metrics,
        alerts,
        schedule: SCHEDULE,
        retention: RETENTION,
        now: () => clock,
      });

    const rolledHours = async () =>
      (await knex('model_ops_samples_hourly').orderBy('bucket_start')).map(
        r => [
          new Date(r.bucket_start).toISOString(),
          Number(r.sample_count),
          Number(r.value_avg),
        ],
      );

    it('rolls up every hour missed during a downtime, once, and then only the new ones', async () => {
      // Samples every 10 minutes from 10:00 to 16:50.
      const samples: MetricSample[] = [];
      for (let minute = 0; minute < 7 * 60; minute += 10) {
        samples.push(cpu(minute / 60, at(minute * 60_000)));
      }
      await metrics.writeSamples(samples);

      // 11:10: the task rolls up 10:00. Then no replica runs it until 17:20.
      clock = at(HOUR + 10 * 60_000);
      expect((await task().retain()).rolledUp).toEqual([T0]);
      clock = at(7 * HOUR + 20 * 60_000);
      const result = await task().retain();
      expect(result.rolledUp.map(d => d.toISOString())).toEqual([
        '2026-11-26T10:00:00.000Z', // the newest rolled-up hour, again
        '2026-11-26T11:00:00.000Z',
        '2026-11-26T12:00:00.000Z',
        '2026-11-26T13:00:00.000Z',
        '2026-11-26T14:00:00.000Z',
        '2026-11-26T15:00:00.000Z',
        '2026-11-26T16:00:00.000Z',
      ]);
      // Six samples an hour; the average of hour h is h + 25 / 60.
      expect(await rolledHours()).toEqual(
        [0, 1, 2, 3, 4, 5, 6].map(h => [
          at(h * HOUR).toISOString(),
          6,
          expect.closeTo(h + 25 / 60, 9),
        ]),
      );

      // Half an hour later, on two replicas at once: the newest hour again, nothing new.
      clock = at(7 * HOUR + 50 * 60_000);
      const twice = await Promise.all([task().retain(), task().retain()]);
      for (const run of twice) {
        expect(run.rolledUp).toEqual([at(6 * HOUR)]);
      }
      expect(await knex('model_ops_samples_hourly')).toHaveLength(7);
      expect(await metrics.series(MODEL, ['cpu'], T0, clock, 3600)).toEqual([
        expect.objectContaining({
          points: [0, 1, 2, 3, 4, 5, 6].map(h => ({
            t: at(h * HOUR).toISOString(),
            value: expect.closeTo(h + 25 / 60, 9),
          })),
        }),
      ]);
    });

    it('catches up no further back than the samples are kept', async () => {
      await metrics.writeSamples([
        cpu(1, at(5 * 60_000)), // 10:05 on day 0
        cpu(2, at(9 * DAY + 5 * 60_000)), // day 9
      ]);
      clock = at(9 * DAY + 2 * HOUR);
      const result = await task().retain();
      // Day 0 is older than the 7 days of samples: pruned, never rolled up.
      expect(result.rolledUp).toEqual([at(9 * DAY)]);
      expect(result.samples).toBe(1);
      expect(await rolledHours()).toEqual([[at(9 * DAY).toISOString(), 1, 2]]);
    });

    it('prunes alerts resolved more than alertRetentionDays ago, and only those', async () => {
      const open = async (alertType: string, startsAt: Date) => {
        const fingerprint = alertFingerprint(MODEL, alertType, 'blue');
        const applied = await alerts.apply([
          {
            type: 'open',
            alert: {
              fingerprint,
              modelId: MODEL,
              entityRef: ENTITY,
              alertType,
              metric: 'cpu',
              slot: 'blue',
              severity: 'warning',
              state: 'firing',
              value: 90,
              threshold: 80,
              summary: `${alertType} of ${MODEL}`,
              startsAt,
              firingAt: startsAt,
            },
          },
        ]);
        return { id: applied.opened[0].id, fingerprint };
      };
      const resolve = async (
        alert: { id: string; fingerprint: string },
        when: Date,
      ) => {
        clock = when;
        await alerts.apply([{ type: 'resolve', ...alert, at: when }]);
      };
      const old = await open('old', at(0));
      await resolve(old, at(HOUR));
      const recent = await open('recent', at(DAY));
      await resolve(recent, at(2 * DAY));
      const firing = await open('firing', at(0));
      // A delivery of the old alert: deliveries are pruned on their own.
      await knex('model_ops_alert_deliveries').insert({
        id: '00000000-0000-4000-8000-000000000001',
        dedup_key: 'old-resolved',
        model_id: MODEL,
        channel_id: 'default',
        route: 'default',
        kind: 'resolved',
        alert_ids: JSON.stringify([old.id]),
        order_key: old.id,
        payload: '{}',
        status: 'sent',
        created_at: at(HOUR),
        next_attempt_at: at(HOUR),
      });

      // 30 days and 2 hours after the first was resolved: it goes, the rest stays.
      clock = at(30 * DAY + 3 * HOUR);
      expect((await task().retain()).alerts).toBe(1);
      const left = await knex('model_ops_alerts').orderBy('alert_type');
      expect(left.map(r => [r.alert_type, r.state])).toEqual([
        ['firing', 'firing'],
        ['recent', 'resolved'],
      ]);
      expect(await knex('model_ops_alert_deliveries')).toHaveLength(1);
      expect((await task().retain()).alerts).toBe(0);

      // A firing alert is never pruned, however old.
      clock = at(400 * DAY);
      expect((await task().retain()).alerts).toBe(1);
      expect((await alerts.get(firing.id))?.state).toBe('firing');
    });

    it('prunes no alert without an alert store', async () => {
      await knex('model_ops_alerts').insert({
        id: '00000000-0000-4000-8000-000000000002',
        fingerprint: 'f',
        model_id: MODEL,
        entity_ref: ENTITY,
        alert_type: 'x',
        metric: 'cpu',
        severity: 'warning',
        state: 'resolved',
        value: 1,
        threshold: 1,
        summary: 'x',
        starts_at: at(0),
        resolved_at: at(0),
        updated_at: at(0),
      });
      clock = at(365 * DAY);
      const result = await new MetricsRetentionTask({
        metrics,
        schedule: SCHEDULE,
        retention: RETENTION,
        now: () => clock,
      }).retain();
      expect(result.alerts).toBe(0);
      expect(await knex('model_ops_alerts')).toHaveLength(1);
    });
  },
);
