/*
 * Silences, maintenance windows, incidents and deploy-aware alerts on every database, with an
 * injected clock: a muted alert is recorded but writes no outbox row and joins no incident
 * until its silence ends; overlapping alerts of a model are one incident that resolves with its
 * last alert; an alert that fires shortly after a deployment or switch names it.
 */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AlertRecord, AlertRoute } from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../models';
import { DatabaseAlertStore } from '../monitoring/AlertStore';
import { alertFingerprint } from '../monitoring/RuleEvaluator';
import { createTestDatabases } from '../__testUtils__/databases';
import { AlertModelContext, DeliveryPlanner } from './DeliveryPlanner';
import { DeliveryStore } from './DeliveryStore';
import { Incidents, incidentReport } from './Incidents';
import {
  MaintenanceWindow,
  Silences,
  parseSilenceRequest,
  readMaintenanceWindows,
  windowOccurrence,
} from './Silences';

jest.setTimeout(120_000);

const databases = createTestDatabases();

const MODEL: AlertModelContext = {
  modelId: 'fraud-detector',
  entityRef: 'component:default/fraud-detector',
  route: 'test',
  runbook: 'https://runbooks.example.com/fraud-detector',
  versions: { blue: '1.2.0', green: '1.3.0' },
};

const ROUTE: AlertRoute = {
  name: 'test',
  byType: {},
  fallback: { channels: ['webhook'] },
  groupWaitSeconds: 0,
  groupIntervalSeconds: 0,
  repeatIntervalSeconds: 3600,
};

const T0 = Date.parse('2026-12-03T12:00:00Z');
const MINUTE = 60_000;

describe('parseSilenceRequest', () => {
  const now = new Date(T0);
  it.each([
    [{}, /^reason/],
    [{ reason: 'x', durationMinutes: 60 }, /^matchers: a silence needs/],
    [
      { reason: 'x', durationMinutes: 60, matchers: { type: ['a'] } },
      /^matchers\.type is not a matcher/,
    ],
    [
      { reason: 'x', durationMinutes: 60, matchers: { severity: ['major'] } },
      /^matchers\.severity: "major"/,
    ],
    [
      { reason: 'x', durationMinutes: 60, matchers: { slot: 'blue' } },
      /^matchers\.slot must be a list/,
    ],
    [
      { reason: 'x', durationMinutes: 60, matchers: { alertType: [] } },
      /^matchers\.alertType must be a list/,
    ],
    [
      { reason: 'x', kind: 'maintenance', matchers: { slot: ['blue'] } },
      /^matchers: a maintenance window/,
    ],
    [{ reason: 'x', kind: 'mute', durationMinutes: 5 }, /^kind/],
    [
      { reason: 'x', kind: 'maintenance', durationMinutes: 0 },
      /^durationMinutes/,
    ],
    [
      { reason: 'x', kind: 'maintenance', durationMinutes: 1.5 },
      /^durationMinutes/,
    ],
    [{ reason: 'x', kind: 'maintenance' }, /^endsAt or durationMinutes/],
    [
      { reason: 'x', kind: 'maintenance', endsAt: 'tomorrow' },
      /^endsAt must be an ISO/,
    ],
    [
      { reason: 'x', kind: 'maintenance', endsAt: '2026-12-03T11:00:00Z' },
      /^endsAt must be after startsAt/,
    ],
    [
      {
        reason: 'x',
        kind: 'maintenance',
        startsAt: '2026-12-01T00:00:00Z',
        endsAt: '2026-12-02T00:00:00Z',
      },
      /^endsAt must be in the future/,
    ],
    [
      { reason: 'x', kind: 'maintenance', endsAt: '2027-02-03T11:00:00Z' },
      /^endsAt may be at most 30 days/,
    ],
    [
      {
        reason: 'x',
        kind: 'maintenance',
        durationMinutes: 5,
        endsAt: '2026-12-03T13:00:00Z',
      },
      /^durationMinutes: give endsAt or durationMinutes/,
    ],
    [{ reason: 'x', kind: 'maintenance', until: 5 }, /^until is not a field/],
    [[], /^The request body must be a JSON object/],
  ])('refuses %j naming the field', (body, message) => {
    expect(() => parseSilenceRequest(body, now)).toThrow(message);
  });

  it('takes a silence with matchers and a duration', () => {
    expect(
      parseSilenceRequest(
        {
          reason: ' known issue ',
          matchers: { alertType: ['high_error_rate'], slot: ['green'] },
          durationMinutes: 90,
        },
        now,
      ),
    ).toEqual({
      kind: 'silence',
      matchers: { alertType: ['high_error_rate'], slot: ['green'] },
      reason: 'known issue',
      startsAt: now,
      endsAt: new Date(T0 + 90 * MINUTE),
    });
  });
});

describe('maintenance windows from configuration', () => {
  const weekly = (): MaintenanceWindow =>
    readMaintenanceWindows(
      new ConfigReader({
        modelOps: {
          alerts: {
            maintenanceWindows: [
              {
                name: 'sunday-patching',
                models: ['fraud-detector'],
                recurring: {
                  days: ['sun'],
                  at: '02:00',
                  durationMinutes: 120,
                  timezone: 'Europe/Berlin',
                },
              },
            ],
          },
        },
      }),
    )[0];

  it('is on from its start in its zone for its duration, every week', () => {
    const window = weekly();
    // Sunday 6 December 2026, 02:00 in Berlin is 01:00 UTC.
    expect(windowOccurrence(window, new Date('2026-12-06T00:59:59Z'))).toEqual({
      start: new Date('2026-12-06T01:00:00Z'),
      end: new Date('2026-12-06T03:00:00Z'),
    });
    const on = windowOccurrence(window, new Date('2026-12-06T02:30:00Z'))!;
    expect(on.start <= new Date('2026-12-06T02:30:00Z')).toBe(true);
    expect(on.end).toEqual(new Date('2026-12-06T03:00:00Z'));
    // After it ends: the next Sunday.
    expect(
      windowOccurrence(window, new Date('2026-12-06T03:00:00Z'))!.start,
    ).toEqual(new Date('2026-12-13T01:00:00Z'));
  });

  it.each([
    [{ name: 'a', models: [], start: 'x' }, /models must name at least one/],
    [
      { name: 'a', models: ['m'], start: '2026-12-01T00:00:00Z' },
      /give start and end, or recurring/,
    ],
    [
      {
        name: 'a',
        models: ['m'],
        recurring: { days: ['sunday'], at: '02:00', durationMinutes: 5 },
      },
      /recurring\.days: "sunday"/,
    ],
    [
      {
        name: 'a',
        models: ['m'],
        recurring: { days: ['sun'], at: '2am', durationMinutes: 5 },
      },
      /recurring\.at must be HH:mm/,
    ],
    [
      {
        name: 'a',
        models: ['m'],
        recurring: {
          days: ['sun'],
          at: '02:00',
          durationMinutes: 5,
          timezone: 'Mars/Olympus',
        },
      },
      /recurring\.timezone/,
    ],
    [
      {
        name: 'a',
        models: ['m'],
        start: '2026-12-02T00:00:00Z',
        end: '2026-12-01T00:00:00Z',
      },
      /end must be after start/,
    ],
  ])('fails start-up on %j with its key', (window, message) => {
    expect(() =>
      readMaintenanceWindows(
        new ConfigReader({
          modelOps: { alerts: { maintenanceWindows: [window] } },
        }),
      ),
    ).toThrow(message);
  });
});

describe.each(databases.eachSupportedId())(
  'silences and incidents on %s',
  id => {
    let knex: Knex;
    let time: number;
    let alerts: DatabaseAlertStore;
    let store: DeliveryStore;
    let silences: Silences;
    let incidents: Incidents;
    let planner: DeliveryPlanner;
    let windows: MaintenanceWindow[];
    const clock = () => new Date(time);

    beforeEach(async () => {
      knex = await databases.init(id as TestDatabaseId);
      await applyDatabaseMigrations(knex);
      time = T0;
      windows = [];
      alerts = DatabaseAlertStore.create({ knex, now: clock });
      store = new DeliveryStore(knex);
      silences = new Silences({ knex, windows });
      incidents = new Incidents({
        knex,
        deliveries: store,
        changeWindowMs: 30 * MINUTE,
      });
      planner = new DeliveryPlanner({
        store,
        routes: new Map([['test', ROUTE]]),
        channelIds: () => new Set(['webhook']),
        silences,
        incidents,
        changeWindowMs: 30 * MINUTE,
      });
    });

    async function fire(
      alertType: string,
      slot: 'blue' | 'green' = 'green',
    ): Promise<AlertRecord> {
      const applied = await alerts.apply(
        [
          {
            type: 'open',
            alert: {
              fingerprint: alertFingerprint(MODEL.modelId, alertType, slot),
              modelId: MODEL.modelId,
              entityRef: MODEL.entityRef,
              alertType,
              metric: 'errorRate',
              slot,
              severity: 'critical',
              state: 'firing',
              value: 12.5,
              threshold: 10,
              summary: `${alertType} is 12.5 (critical above 10)`,
              startsAt: clock(),
              firingAt: clock(),
            },
          },
        ],
        {
          within: (tx, changes) =>
            planner.plan(tx, changes, MODEL, clock()).then(() => undefined),
        },
      );
      return (await alerts.get(applied.newlyFiring[0].id))!;
    }

    async function resolve(alert: AlertRecord) {
      await alerts.apply(
        [
          {
            type: 'resolve',
            id: alert.id,
            fingerprint: alert.fingerprint,
            at: clock(),
          },
        ],
        {
          within: (tx, changes) =>
            planner.plan(tx, changes, MODEL, clock()).then(() => undefined),
        },
      );
    }

    const rows = async () =>
      (await store.listForModel(MODEL.modelId)).map(
        d => `${d.kind}:${d.alertIds.length}`,
      );

    it('records a muted alert without notifying it, and notifies it once its silence ends', async () => {
      const silence = await silences.create(
        MODEL,
        parseSilenceRequest(
          {
            reason: 'retraining',
            matchers: { alertType: ['high_error_rate'] },
            durationMinutes: 30,
          },
          clock(),
        ),
        'user:default/alice',
        clock(),
      );
      const muted = await fire('high_error_rate');
      const audible = await fire('high_cpu_usage');
      expect(muted.silencedBy).toBe(silence.id);
      expect(muted.incidentId).toBeUndefined();
      expect(audible.silencedBy).toBeUndefined();
      expect(audible.incidentId).toBeDefined();
      // Only the audible alert went out.
      const sent = await store.listForAlerts([muted.id, audible.id]);
      expect(sent.map(d => d.alertIds)).toEqual([[audible.id]]);

      // Still muted a minute later: a repeat pass writes nothing for it.
      time += MINUTE;
      await planner.transaction(tx =>
        planner.planRepeats(tx, [muted], MODEL, clock()),
      );
      expect(await store.listForAlerts([muted.id])).toEqual([]);

      // The silence ends: the next pass sends its first message, and it joins the incident.
      time += 30 * MINUTE;
      await planner.transaction(tx =>
        planner.planRepeats(tx, [muted], MODEL, clock()),
      );
      const after = await store.listForAlerts([muted.id]);
      expect(after.map(d => d.kind)).toEqual(['firing']);
      expect((await alerts.get(muted.id))!.incidentId).toBe(audible.incidentId);
      // And only once.
      time += MINUTE;
      await planner.transaction(tx =>
        planner.planRepeats(tx, [muted], MODEL, clock()),
      );
      expect((await store.listForAlerts([muted.id])).length).toBe(1);
    });

    it('says nothing when an alert muted all along resolves or is acknowledged', async () => {
      await silences.create(
        MODEL,
        parseSilenceRequest(
          { reason: 'load test', kind: 'maintenance', durationMinutes: 60 },
          clock(),
        ),
        'user:default/alice',
        clock(),
      );
      const alert = await fire('high_response_time');
      await alerts.acknowledge(alert.id, 'user:default/bob', {
        within: (tx, a) =>
          planner
            .planAcknowledged(tx, a, MODEL, undefined, clock())
            .then(() => undefined),
      });
      time += MINUTE;
      await resolve(alert);
      expect(await rows()).toEqual([]);
      const recorded = (await alerts.get(alert.id))!;
      expect(recorded.state).toBe('resolved');
      expect(recorded.silencedBy).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('mutes by a configured maintenance window, and not after it', async () => {
      windows.push({
        name: 'migration',
        models: ['component:default/fraud-detector'],
        reason: 'database migration',
        start: new Date(T0 - MINUTE),
        end: new Date(T0 + 10 * MINUTE),
      });
      const during = await fire('high_error_rate', 'blue');
      expect(during.silencedBy).toBe('maintenance:migration');
      expect(
        (await silences.list(MODEL, clock())).map(s => [s.id, s.state]),
      ).toEqual([['maintenance:migration', 'active']]);
      time += 10 * MINUTE;
      const after = await fire('high_cpu_usage', 'blue');
      expect(after.silencedBy).toBeUndefined();
      expect(await rows()).toEqual(['firing:1']);
    });

    it('expires a silence by hand, and lists it as expired', async () => {
      const silence = await silences.create(
        MODEL,
        parseSilenceRequest(
          { reason: 'x', matchers: { slot: ['green'] }, durationMinutes: 60 },
          clock(),
        ),
        'user:default/alice',
        clock(),
      );
      time += MINUTE;
      const expired = await silences.expire(
        MODEL.modelId,
        silence.id,
        'user:default/bob',
        clock(),
      );
      expect(expired).toMatchObject({
        state: 'expired',
        expiredBy: 'user:default/bob',
        expiredAt: new Date(time).toISOString(),
      });
      const alert = await fire('high_error_rate');
      expect(alert.silencedBy).toBeUndefined();
      await expect(
        silences.expire('other-model', silence.id, 'x', clock()),
      ).rejects.toThrow(/No silence/);
    });

    it('groups overlapping alerts into one incident that resolves with its last alert', async () => {
      const first = await fire('high_error_rate');
      time += 2 * MINUTE;
      const second = await fire('high_response_time', 'blue');
      expect(second.incidentId).toBe(first.incidentId);
      time += 3 * MINUTE;
      await alerts.acknowledge(first.id, 'user:default/alice', {
        comment: 'looking',
        within: (tx, a) =>
          planner
            .planAcknowledged(tx, a, MODEL, 'looking', clock())
            .then(() => undefined),
      });
      time += 5 * MINUTE;
      await resolve(first);
      let [incident] = await incidents.list({ modelIds: [MODEL.modelId] });
      expect(incident).toMatchObject({
        state: 'open',
        alertCount: 2,
        timeToAcknowledgeSeconds: 300,
        acknowledgedBy: 'user:default/alice',
      });
      time += 10 * MINUTE;
      await resolve(second);
      [incident] = await incidents.list({ modelIds: [MODEL.modelId] });
      expect(incident).toMatchObject({
        state: 'resolved',
        timeToResolveSeconds: 20 * 60,
        resolvedAt: new Date(time).toISOString(),
      });

      // A later alert opens a new incident.
      time += MINUTE;
      const third = await fire('high_error_rate');
      expect(third.incidentId).toBeDefined();
      expect(third.incidentId).not.toBe(first.incidentId);
      expect(
        (await incidents.list({ modelIds: [MODEL.modelId] })).map(i => [
          i.id,
          i.state,
        ]),
      ).toEqual([
        [third.incidentId, 'open'],
        [first.incidentId, 'resolved'],
      ]);
    });

    it('names the deployment that preceded an alert, and builds the timeline and report around it', async () => {
      await knex('model_ops_runs').insert({
        id: '00000000-0000-4000-8000-000000000001',
        model_id: MODEL.modelId,
        entity_ref: MODEL.entityRef,
        kind: 'deploy',
        version: '1.3.0',
        artifact_uri: 'https://artifacts.example.com/fraud-1.3.0.tar.gz',
        config: '{}',
        strategy: 'blue-green',
        runtime: 'local',
        rules: 'default',
        status: 'succeeded',
        previous_version: '1.2.0',
        created_by: 'user:default/alice',
        created_at: new Date(T0 - 12 * MINUTE),
        finished_at: new Date(T0 - 5 * MINUTE),
      });
      const alert = await fire('high_error_rate');
      expect(alert.version).toBe('1.3.0');
      expect(alert.change).toEqual({
        kind: 'deployment',
        id: '00000000-0000-4000-8000-000000000001',
        at: new Date(T0 - 5 * MINUTE).toISOString(),
        summary: 'Deployment of 1.3.0 succeeded (from 1.2.0)',
        version: '1.3.0',
      });
      // The message names it too.
      const [delivery] = await store.listForAlerts([alert.id]);
      const payload = JSON.parse(
        (await knex('model_ops_alert_deliveries')
          .where({ id: delivery.id })
          .first('payload'))!.payload,
      );
      expect(payload.alerts[0].change.summary).toBe(
        'Deployment of 1.3.0 succeeded (from 1.2.0)',
      );

      time += 4 * MINUTE;
      await resolve(alert);
      const details = await incidents.details(
        MODEL.modelId,
        alert.incidentId!,
        {
          runbook: MODEL.runbook,
          alerts: incidentId => alerts.list({ incidentId }),
          now: clock(),
        },
      );
      expect(details.incident.change?.id).toBe(
        '00000000-0000-4000-8000-000000000001',
      );
      expect(details.timeline.map(e => e.kind)).toEqual([
        'deployment',
        'alert-firing',
        'alert-resolved',
      ]);
      const report = incidentReport(details, {
        url: 'http://localhost:3000/catalog/default/component/fraud-detector/alerts',
        generatedAt: clock(),
      });
      expect(report).toContain('# Incident: fraud-detector: high_error_rate');
      expect(report).toContain('| Time to resolve | 4 min |');
      expect(report).toContain('## Preceding change');
      expect(report).toContain(
        '| high_error_rate | critical | green | 1.3.0 | 12.5 | 10 |',
      );
      expect(report).toContain(
        `| Runbook | https://runbooks.example.com/fraud-detector |`,
      );
      await expect(
        incidents.details('other-model', alert.incidentId!, {
          alerts: async () => [],
          now: clock(),
        }),
      ).rejects.toThrow(/No incident/);
    });

    it('names no change older than the window', async () => {
      await knex('model_ops_switches').insert({
        id: '00000000-0000-4000-8000-000000000002',
        model_id: MODEL.modelId,
        kind: 'switch',
        from_slot: 'blue',
        to_slot: 'green',
        to_version: '1.3.0',
        status: 'succeeded',
        checks: '[]',
        started_at: new Date(T0 - 31 * MINUTE - 5000),
        finished_at: new Date(T0 - 31 * MINUTE),
      });
      expect((await fire('high_error_rate')).change).toBeUndefined();
      time += 2 * MINUTE;
      await knex('model_ops_switches')
        .where({ id: '00000000-0000-4000-8000-000000000002' })
        .update({ finished_at: new Date(time - 29 * MINUTE) });
      expect((await fire('high_cpu_usage')).change).toMatchObject({
        kind: 'switch',
        summary: 'Traffic switch to green (1.3.0) succeeded',
      });
    });

    it('keeps one open incident per model when two writers open one at once', async () => {
      const open = (n: number) =>
        knex.transaction(tx =>
          incidents.attach(
            tx,
            MODEL,
            [
              {
                id: `00000000-0000-4000-8000-00000000010${n}`,
                alertType: 't',
                severity: 'warning',
              } as AlertRecord,
            ],
            clock(),
          ),
        );
      const ids = await Promise.all([open(1), open(2), open(3)]);
      expect(new Set(ids).size).toBe(1);
      const [{ n }] = await knex('model_ops_incidents').count({ n: '*' });
      expect(Number(n)).toBe(1);
    });
  },
);
