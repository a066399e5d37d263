/*
 * The outbox end to end on every database: alert transitions write delivery rows in their
 * transaction, the delivery task sends them to a real HTTP receiver on loopback, retries with
 * backoff through an outage, gives up after the configured age, and two workers on one database
 * send every row once. Escalation is checked with an injected clock around its thresholds.
 */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { mockServices } from '@backstage/backend-test-utils';
import {
  AlertRecord,
  AlertRoute,
  DEFAULT_ALERT_ROUTE,
} from '@model-ops/plugin-model-ops-common';
import { AlertChannel } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../models';
import { DatabaseAlertStore } from '../monitoring/AlertStore';
import { alertFingerprint } from '../monitoring/RuleEvaluator';
import { createTestDatabases } from '../__testUtils__/databases';
import { AlertModelContext, DeliveryPlanner } from './DeliveryPlanner';
import { DeliveryStore } from './DeliveryStore';
import {
  DEFAULT_DELIVERY_OPTIONS,
  DeliveryOptions,
  DeliveryWorker,
} from './DeliveryWorker';
import { HttpReceiver, jsonPostChannel } from './__testUtils__/httpReceiver';

jest.setTimeout(120_000);

const databases = createTestDatabases();

const MODEL: AlertModelContext = {
  modelId: 'fraud-detector',
  entityRef: 'component:default/fraud-detector',
  route: 'test',
  owner: 'group:default/fraud-team',
  runbook: 'https://runbooks.example.com/fraud-detector',
  versions: { blue: '1.2.0', green: '1.3.0' },
};

/** Every type to the webhook at once: no group wait, so each test says when it waits. */
const TEST_ROUTE: AlertRoute = {
  name: 'test',
  byType: {},
  fallback: { channels: ['webhook'] },
  groupWaitSeconds: 0,
  groupIntervalSeconds: 0,
  repeatIntervalSeconds: 3600,
};

const T0 = Date.parse('2026-12-03T12:00:00Z');

describe.each(databases.eachSupportedId())('alert delivery on %s', id => {
  let knex: Knex;
  let time: number;
  let receiver: HttpReceiver;
  let url: string;
  let alerts: DatabaseAlertStore;
  let store: DeliveryStore;
  let routes: Map<string, AlertRoute>;
  let channels: Map<string, AlertChannel>;
  let planner: DeliveryPlanner;
  const clock = () => new Date(time);

  beforeEach(async () => {
    knex = await databases.init(id as TestDatabaseId);
    await applyDatabaseMigrations(knex);
    time = T0;
    receiver = new HttpReceiver();
    url = await receiver.start();
    alerts = DatabaseAlertStore.create({ knex, now: clock });
    store = new DeliveryStore(knex);
    routes = new Map([
      ['test', TEST_ROUTE],
      ['default', DEFAULT_ALERT_ROUTE],
    ]);
    channels = new Map([['webhook', jsonPostChannel('webhook', url)]]);
    planner = new DeliveryPlanner({
      store,
      routes,
      channelIds: () => new Set(channels.keys()),
      baseUrl: 'http://localhost:3000',
    });
  });

  afterEach(async () => {
    await receiver.stop();
  });

  function worker(options: Partial<DeliveryOptions> = {}, owner?: string) {
    return new DeliveryWorker({
      store,
      getChannel: channelId => channels.get(channelId),
      logger: mockServices.logger.mock(),
      options: { ...DEFAULT_DELIVERY_OPTIONS, ...options },
      now: clock,
      random: () => 0.5,
      owner,
    });
  }

  /** Fires an alert (it opens firing, as a rule without `for` does) and plans its messages. */
  async function fire(
    alertType: string,
    options: { slot?: 'blue' | 'green'; model?: AlertModelContext } = {},
  ): Promise<AlertRecord> {
    const model = options.model ?? MODEL;
    const applied = await alerts.apply(
      [
        {
          type: 'open',
          alert: {
            fingerprint: alertFingerprint(
              model.modelId,
              alertType,
              options.slot,
            ),
            modelId: model.modelId,
            entityRef: model.entityRef,
            alertType,
            metric: 'errorRate',
            slot: options.slot,
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
          planner.plan(tx, changes, model, clock()).then(() => undefined),
      },
    );
    return applied.newlyFiring[0];
  }

  async function resolve(alert: AlertRecord, model = MODEL) {
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
          planner.plan(tx, changes, model, clock()).then(() => undefined),
      },
    );
  }

  it('writes a delivery in the transition and sends it once, with its attempt recorded', async () => {
    const alert = await fire('high_error_rate', { slot: 'green' });
    const [row] = await store.listForModel(MODEL.modelId);
    expect(row).toMatchObject({
      channelId: 'webhook',
      kind: 'firing',
      status: 'pending',
      alertIds: [alert.id],
    });
    const round = await worker().runOnce();
    expect(round).toEqual({ claimed: 1, sent: 1, retried: 0, failed: 0 });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].body).toMatchObject({
      kind: 'firing',
      modelId: 'fraud-detector',
      owner: 'group:default/fraud-team',
      runbook: MODEL.runbook,
      severity: 'critical',
      title: '[critical] fraud-detector: high_error_rate',
      url: 'http://localhost:3000/catalog/default/component/fraud-detector/alerts',
      alerts: [
        {
          id: alert.id,
          fingerprint: alert.fingerprint,
          slot: 'green',
          version: '1.3.0',
          value: 12.5,
          threshold: 10,
          state: 'firing',
        },
      ],
    });
    const [sent] = await store.listForModel(MODEL.modelId);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1 });
    const attempts = await store.attempts(sent.seq);
    expect(attempts).toEqual([
      expect.objectContaining({ ok: true, status: 200, detail: 'HTTP 200' }),
    ]);
    // Nothing is due any more.
    expect((await worker().runOnce()).claimed).toBe(0);
    expect(receiver.received).toHaveLength(1);
  });

  it('writes nothing when the transition is rolled back, and no transition when the outbox fails', async () => {
    await expect(
      alerts.apply(
        [
          {
            type: 'open',
            alert: {
              fingerprint: alertFingerprint(MODEL.modelId, 'high_cpu_usage'),
              modelId: MODEL.modelId,
              entityRef: MODEL.entityRef,
              alertType: 'high_cpu_usage',
              metric: 'cpu',
              severity: 'warning',
              state: 'firing',
              value: 85,
              threshold: 80,
              summary: 'cpu',
              startsAt: clock(),
              firingAt: clock(),
            },
          },
        ],
        {
          within: async (tx, changes) => {
            await planner.plan(tx, changes, MODEL, clock());
            throw new Error('the process died here');
          },
        },
      ),
    ).rejects.toThrow('the process died here');
    expect(await store.listForModel(MODEL.modelId)).toEqual([]);
    expect(await alerts.list({ modelId: MODEL.modelId })).toEqual([]);
  });

  it('groups alerts that fire within the group wait into one message', async () => {
    routes.set('test', { ...TEST_ROUTE, groupWaitSeconds: 30 });
    const a = await fire('high_error_rate');
    time += 10_000;
    const b = await fire('high_response_time');
    // Not due before the wait is over.
    expect((await worker().runOnce()).claimed).toBe(0);
    time = T0 + 30_000;
    expect((await worker().runOnce()).sent).toBe(1);
    expect(receiver.received).toHaveLength(1);
    expect(
      receiver.received[0].body.alerts.map((x: { id: string }) => x.id),
    ).toEqual([a.id, b.id]);
    expect(receiver.received[0].body.title).toBe(
      '[critical] fraud-detector: high_error_rate, high_response_time',
    );
  });

  it('holds new alerts for the group interval after a message of the model', async () => {
    routes.set('test', { ...TEST_ROUTE, groupIntervalSeconds: 300 });
    await fire('high_error_rate');
    await worker().runOnce();
    time += 60_000;
    await fire('high_response_time');
    expect((await worker().runOnce()).claimed).toBe(0);
    time = T0 + 300_000;
    expect((await worker().runOnce()).sent).toBe(1);
    expect(receiver.received).toHaveLength(2);
  });

  it('delivers every message once, in order per alert, after a 60 s outage of the receiver', async () => {
    const outageEnds = T0 + 60_000;
    receiver.status = () => (time < outageEnds ? 503 : 200);
    const fired: AlertRecord[] = [];
    for (const slot of ['blue', 'green'] as const) {
      fired.push(await fire('high_error_rate', { slot }));
    }
    time += 5_000;
    await resolve(fired[0]);
    const w = worker({ initialBackoffSeconds: 5, maxBackoffSeconds: 20 });
    // The worker runs every 5 s, as its schedule says, for two minutes.
    for (; time <= T0 + 120_000; time += 5_000) await w.run();
    const bodies = receiver.received.map(r => r.body);
    expect(bodies.map(b => `${b.kind} ${b.alerts[0].slot}`)).toEqual([
      'firing blue',
      'firing green',
      'resolved blue',
    ]);
    expect(new Set(bodies.map(b => b.id)).size).toBe(bodies.length);
    const rows = await store.listForModel(MODEL.modelId);
    expect(rows.every(r => r.status === 'sent')).toBe(true);
    const attempts = await store.attempts(rows[rows.length - 1].seq);
    expect(attempts.filter(a => !a.ok).length).toBeGreaterThan(2);
    expect(attempts.filter(a => !a.ok)[0]).toMatchObject({
      status: 503,
      detail: 'HTTP 503',
    });
  });

  it('backs off exponentially with jitter, up to the ceiling', async () => {
    const w = worker({ initialBackoffSeconds: 5, maxBackoffSeconds: 600 });
    // random() is 0.5: three quarters of each ceiling.
    expect([1, 2, 3, 4, 10].map(n => w.backoffMs(n))).toEqual([
      3750, 7500, 15000, 30000, 450000,
    ]);
    const jittered = new DeliveryWorker({
      store,
      getChannel: () => undefined,
      logger: mockServices.logger.mock(),
      options: DEFAULT_DELIVERY_OPTIONS,
      random: () => 0.999,
    });
    expect(jittered.backoffMs(1)).toBeLessThanOrEqual(5000);
    expect(jittered.backoffMs(1)).toBeGreaterThan(4900);
  });

  it('gives up after the configured age and shows why', async () => {
    receiver.status = 503;
    await fire('high_error_rate');
    const w = worker({ maxAgeSeconds: 60, initialBackoffSeconds: 5 });
    for (; time <= T0 + 180_000; time += 5_000) await w.run();
    const [row] = await store.listForModel(MODEL.modelId);
    expect(row).toMatchObject({
      status: 'failed',
      lastStatus: 503,
      lastError: 'HTTP 503',
    });
    expect(row.failedAt).toBeDefined();
    // No attempt after it was given up.
    const attempts = await store.attempts(row.seq);
    expect(
      Date.parse(attempts[attempts.length - 1].attemptedAt) - T0,
    ).toBeGreaterThanOrEqual(60_000);
    expect(
      Date.parse(attempts[attempts.length - 2].attemptedAt) - T0,
    ).toBeLessThan(60_000);
  });

  it('does not retry what the receiver refuses (4xx), nor a channel that is not configured', async () => {
    receiver.status = 400;
    await fire('high_error_rate');
    channels.set('gone', jsonPostChannel('gone', url));
    routes.set('test', {
      ...TEST_ROUTE,
      fallback: { channels: ['webhook', 'gone'] },
    });
    await fire('high_cpu_usage');
    channels.delete('gone');
    const round = await worker().runOnce();
    expect(round).toMatchObject({ failed: 3, retried: 0 });
    const rows = await store.listForModel(MODEL.modelId);
    expect(rows.map(r => [r.channelId, r.status, r.lastError])).toEqual(
      expect.arrayContaining([
        ['webhook', 'failed', 'HTTP 400'],
        ['gone', 'failed', 'no alert channel "gone" is configured'],
      ]),
    );
  });

  it('lets two workers on one database send each of 1,000 alerts exactly once', async () => {
    const models: AlertModelContext[] = Array.from({ length: 100 }, (_, i) => ({
      ...MODEL,
      modelId: `model-${i}`,
      entityRef: `component:default/model-${i}`,
    }));
    for (const model of models) {
      for (const type of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']) {
        await fire(`type_${type}`, { model });
      }
    }
    const a = worker({ batchSize: 25 }, 'replica-a');
    const b = worker({ batchSize: 25 }, 'replica-b');
    const started = performance.now();
    await Promise.all([a.run(), b.run()]);
    const seconds = (performance.now() - started) / 1000;
    const ids = receiver.received.flatMap(r =>
      r.body.alerts.map((x: { id: string }) => x.id),
    );
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
    const sentBy = await knex('model_ops_alert_delivery_attempts')
      .select('worker')
      .count({ n: '*' })
      .groupBy('worker');
    // Both took part: the claims skip each other's rows instead of waiting or failing.
    expect(
      (sentBy as Array<{ worker: string }>).map(r => r.worker).sort(),
    ).toEqual(['replica-a', 'replica-b']);
    // eslint-disable-next-line no-console
    console.log(
      `[measure] ${id}: 1000 alerts delivered once by two workers in ${seconds.toFixed(
        2,
      )} s (${Math.round(
        1000 / seconds,
      )}/s); attempts by worker ${JSON.stringify(sentBy)}`,
    );
  });

  it('takes over the rows of a replica that died holding them, once its claim ran out', async () => {
    await fire('high_error_rate');
    // A replica claims and dies before it sends.
    const claimed = await store.claim({
      owner: 'dead-replica',
      limit: 10,
      leaseMs: 120_000,
      now: clock(),
    });
    expect(claimed).toHaveLength(1);
    expect((await worker().runOnce()).claimed).toBe(0);
    time += 121_000;
    expect((await worker().runOnce()).sent).toBe(1);
    expect(receiver.received).toHaveLength(1);
    // The dead replica's late finish changes nothing.
    expect(
      await store.finish({
        seq: claimed[0].seq,
        owner: 'dead-replica',
        result: { ok: true },
        latencyMs: 1,
        attemptedAt: clock(),
      }),
    ).toBe(false);
  });

  describe('escalation with the default route', () => {
    const model = { ...MODEL, route: 'default' };
    beforeEach(() => {
      channels = new Map(
        ['slack', 'pagerduty', 'webhook', 'email'].map(c => [
          c,
          jsonPostChannel(c, url),
        ]),
      );
    });

    /** Fires `type` `count` times, `gapSeconds` apart (resolving in between). */
    async function fireTimes(type: string, count: number, gapSeconds: number) {
      const fired: AlertRecord[] = [];
      for (let i = 0; i < count; i++) {
        if (i > 0) time += gapSeconds * 1000;
        const alert = await fire(type, { model });
        fired.push(alert);
        time += 1000;
        await resolve(alert, model);
      }
      return fired;
    }

    const escalations = async () =>
      (await store.listForModel(model.modelId)).filter(
        r => r.kind === 'escalation',
      );

    it.each([
      ['high_response_time', 3, 300],
      ['high_error_rate', 2, 180],
      ['high_cpu_usage', 5, 600],
      ['high_memory_usage', 3, 300],
      ['model_drift', 5, 600],
    ])(
      '%s escalates at %i within %i s, once per window, and not just outside it',
      async (type, threshold, windowSeconds) => {
        // One fewer than the threshold, inside the window: no escalation.
        const gap = Math.floor((windowSeconds - threshold) / threshold);
        await fireTimes(type, threshold - 1, gap);
        expect(await escalations()).toEqual([]);
        // The threshold-th inside the window: one escalation, to pagerduty and webhook.
        time += gap * 1000;
        const last = await fire(type, { model });
        const first = await escalations();
        expect(first.map(r => r.channelId).sort()).toEqual([
          'pagerduty',
          'webhook',
        ]);
        expect(first[0].alertIds).toEqual([last.id]);
        const row = await knex('model_ops_alerts')
          .where({ id: last.id })
          .first();
        expect(row.escalation).toBe(
          `${type} fired ${threshold} times for fraud-detector within ${
            windowSeconds / 60
          } min (threshold ${threshold})`,
        );
        // More of the type in the same window: no second escalation.
        time += 1000;
        await resolve(last, model);
        time += 1000;
        await fire(type, { model });
        expect(await escalations()).toHaveLength(2);
      },
    );

    it('does not escalate when the alerts are spread just wider than the window', async () => {
      // high_error_rate: 2 within 180 s. The second fires 181 s after the first.
      const [first] = await fireTimes('high_error_rate', 1, 0);
      time = Date.parse(first.firingAt!) + 181_000;
      await fire('high_error_rate', { model });
      expect(await escalations()).toEqual([]);
      // And does when they are just inside it.
      time = Date.parse(first.firingAt!) + 181_000;
      await knex('model_ops_alerts').delete();
      await knex('model_ops_alert_deliveries').delete();
      await fire('high_error_rate', { model });
      time += 1000;
      await resolve((await alerts.list())[0], model);
      time += 178_000;
      await fire('high_error_rate', { model });
      expect((await escalations()).length).toBe(2);
    });

    it('sends the escalation with its reason and counts', async () => {
      await fireTimes('high_error_rate', 1, 0);
      time += 60_000;
      await fire('high_error_rate', { model });
      await worker().run();
      const escalation = receiver.received
        .map(r => r.body)
        .find(b => b.kind === 'escalation');
      expect(escalation).toMatchObject({
        severity: 'critical',
        title: '[escalated] fraud-detector: high_error_rate',
        escalation: {
          count: 2,
          threshold: 2,
          windowSeconds: 180,
          reason:
            'high_error_rate fired 2 times for fraud-detector within 3 min (threshold 2)',
        },
      });
      // The firing messages went to the route's channels: slack and pagerduty.
      const firingChannels = (await store.listForModel(model.modelId))
        .filter(r => r.kind === 'firing')
        .map(r => r.channelId);
      expect(new Set(firingChannels)).toEqual(new Set(['slack', 'pagerduty']));
    });
  });
});
