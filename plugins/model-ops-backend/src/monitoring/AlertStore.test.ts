import { TestDatabaseId } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import {
  DEFAULT_RULE_SET,
  SlotName,
  ThresholdRule,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../models/DatabaseModelStore';
import { AlertStore, DatabaseAlertStore } from './AlertStore';
import { DatabaseMetricsStore, MetricsStore } from './MetricsStore';
import { RuleEvaluator } from './RuleEvaluator';
import { createTestDatabases } from '../__testUtils__/databases';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const MODEL = 'sentiment-classifier';
const ENTITY = 'component:default/sentiment-classifier';
/** Values older than this are stale and left out of an evaluation. */
const STALE_MS = 5 * 60_000;

describe.each(databases.eachSupportedId())('AlertStore on %s', databaseId => {
  let knex: Knex;
  let clock: Date;
  let metrics: MetricsStore;
  let alerts: AlertStore;
  let evaluator: RuleEvaluator;
  let ids: number;

  beforeEach(async () => {
    knex = await databases.init(databaseId as TestDatabaseId);
    await applyDatabaseMigrations(knex);
    clock = new Date('2026-11-26T10:00:00.000Z');
    ids = 0;
    const newId = () =>
      `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
    metrics = DatabaseMetricsStore.create({ knex });
    alerts = DatabaseAlertStore.create({ knex, now: () => clock, newId });
    evaluator = new RuleEvaluator(() => clock);
    await knex('model_ops_models').insert({
      model_id: MODEL,
      entity_ref: ENTITY,
    });
  });

  const advance = (seconds: number) => {
    clock = new Date(clock.getTime() + seconds * 1000);
  };

  /** Collects values at the current time. */
  const collect = (values: Array<[SlotName, string, number]>) =>
    metrics.writeSamples(
      values.map(([slot, metric, value]) => ({
        modelId: MODEL,
        slot,
        metric,
        value,
        timestamp: clock,
      })),
    );

  /** What one replica decides in a monitoring tick. */
  const evaluate = async (store: AlertStore = alerts) =>
    evaluator.evaluate({
      modelId: MODEL,
      entityRef: ENTITY,
      ruleSet: DEFAULT_RULE_SET,
      latest: await metrics.latest(MODEL, {
        since: new Date(clock.getTime() - STALE_MS),
      }),
      openAlerts: await store.listOpen(MODEL),
    });

  /** A monitoring tick of one replica: evaluate, apply, store the status. */
  const tick = async () => {
    const evaluation = await evaluate();
    const applied = await alerts.apply(evaluation.transitions);
    await alerts.setModelStatus(MODEL, evaluation.status);
    return { evaluation, applied };
  };

  const modelStatus = async () =>
    (await knex('model_ops_models').where({ model_id: MODEL }).first()).status;

  describe.each(
    DEFAULT_RULE_SET.rules.map(rule => [rule.alert, rule] as const),
  )('the default rule %s', (_name, rule: ThresholdRule) => {
    it('goes pending, fires as a warning after its for duration, and escalates to critical', async () => {
      await collect([['blue', rule.metric, rule.warning + 1]]);
      const first = await tick();
      expect(first.applied.opened).toEqual([
        expect.objectContaining({
          alertType: rule.alert,
          metric: rule.metric,
          slot: 'blue',
          state: 'pending',
          severity: 'warning',
          threshold: rule.warning,
          startsAt: '2026-11-26T10:00:00.000Z',
          entityRef: ENTITY,
        }),
      ]);
      expect(first.applied.newlyFiring).toEqual([]);
      expect(await modelStatus()).toBe('healthy');

      advance(rule.forSeconds - 30);
      await collect([['blue', rule.metric, rule.warning + 1]]);
      expect((await tick()).applied.newlyFiring).toEqual([]);

      advance(30);
      await collect([['blue', rule.metric, rule.warning + 1]]);
      const fired = await tick();
      expect(fired.applied.newlyFiring).toEqual([
        expect.objectContaining({
          state: 'firing',
          severity: 'warning',
          firingAt: clock.toISOString(),
        }),
      ]);
      expect(await modelStatus()).toBe('warning');

      advance(60);
      await collect([['blue', rule.metric, rule.critical + 1]]);
      const escalated = await tick();
      expect(escalated.applied.newlyFiring).toEqual([]);
      expect(escalated.applied.escalated).toEqual([
        expect.objectContaining({
          severity: 'critical',
          threshold: rule.critical,
        }),
      ]);
      expect(await modelStatus()).toBe('critical');
      expect(await alerts.list({ modelId: MODEL })).toHaveLength(1);
    });

    it('is critical over the critical level', async () => {
      await collect([['green', rule.metric, rule.critical + 1]]);
      await tick();
      advance(rule.forSeconds);
      await collect([['green', rule.metric, rule.critical + 1]]);
      const { applied } = await tick();
      expect(applied.newlyFiring).toEqual([
        expect.objectContaining({ severity: 'critical', slot: 'green' }),
      ]);
      expect(await modelStatus()).toBe('critical');
    });
  });

  it('discards a pending alert when the value dips back, restarting the for duration', async () => {
    await collect([['blue', 'cpu', 85]]);
    const [pending] = (await tick()).applied.opened;
    advance(60);
    await collect([['blue', 'cpu', 50]]);
    expect((await tick()).applied.discarded).toEqual([pending.id]);
    expect(await alerts.get(pending.id)).toBeUndefined();
    advance(60);
    await collect([['blue', 'cpu', 85]]);
    await tick();
    advance(60);
    await collect([['blue', 'cpu', 85]]);
    expect((await tick()).applied.newlyFiring).toEqual([]);
    advance(60);
    await collect([['blue', 'cpu', 85]]);
    expect((await tick()).applied.newlyFiring).toHaveLength(1);
  });

  it('resolves when the value is back, and opens a new alert on the next breach', async () => {
    await collect([['blue', 'errorRate', 7]]);
    await tick();
    advance(60);
    await collect([['blue', 'errorRate', 7]]);
    const [firing] = (await tick()).applied.newlyFiring;
    advance(60);
    await collect([['blue', 'errorRate', 2]]);
    const { applied } = await tick();
    expect(applied.resolved).toEqual([
      expect.objectContaining({
        id: firing.id,
        state: 'resolved',
        value: 2,
        resolvedAt: clock.toISOString(),
      }),
    ]);
    expect(await modelStatus()).toBe('healthy');
    advance(60);
    await collect([['blue', 'errorRate', 7]]);
    const again = await tick();
    expect(again.applied.opened).toEqual([
      expect.objectContaining({
        fingerprint: firing.fingerprint,
        state: 'pending',
      }),
    ]);
    expect(again.applied.opened[0].id).not.toBe(firing.id);
    expect(
      (await alerts.list({ modelId: MODEL, state: 'resolved' })).map(a => a.id),
    ).toEqual([firing.id]);
  });

  it('resolves alerts of a slot that stopped reporting', async () => {
    await collect([
      ['green', 'memory', 97],
      ['blue', 'memory', 50],
    ]);
    await tick();
    advance(120);
    await collect([
      ['green', 'memory', 97],
      ['blue', 'memory', 50],
    ]);
    expect((await tick()).applied.newlyFiring).toHaveLength(1);
    advance(10 * 60);
    await collect([['blue', 'memory', 50]]);
    const { applied } = await tick();
    expect(applied.resolved).toEqual([
      expect.objectContaining({ slot: 'green', value: 97 }),
    ]);
    expect(await modelStatus()).toBe('healthy');
  });

  it('reports a firing alert once when two replicas apply the same tick', async () => {
    const other = DatabaseAlertStore.create({ knex, now: () => clock });
    await collect([['blue', 'responseTimeP95', 6000]]);
    const [a, b] = [await evaluate(), await evaluate(other)];
    const opened = await Promise.all([
      alerts.apply(a.transitions),
      other.apply(b.transitions),
    ]);
    expect(opened.map(o => o.opened.length).sort()).toEqual([0, 1]);
    expect(await alerts.listOpen(MODEL)).toHaveLength(1);

    advance(60);
    await collect([['blue', 'responseTimeP95', 6000]]);
    const [c, d] = [await evaluate(), await evaluate(other)];
    const fired = await Promise.all([
      alerts.apply(c.transitions),
      other.apply(d.transitions),
    ]);
    expect(fired.map(f => f.newlyFiring.length).sort()).toEqual([0, 1]);

    advance(60);
    await collect([['blue', 'responseTimeP95', 20000]]);
    const [e, f] = [await evaluate(), await evaluate(other)];
    const escalated = await Promise.all([
      alerts.apply(e.transitions),
      other.apply(f.transitions),
    ]);
    expect(escalated.map(x => x.escalated.length).sort()).toEqual([0, 1]);

    advance(60);
    await collect([['blue', 'responseTimeP95', 100]]);
    const [g, h] = [await evaluate(), await evaluate(other)];
    const resolved = await Promise.all([
      alerts.apply(g.transitions),
      other.apply(h.transitions),
    ]);
    expect(resolved.map(x => x.resolved.length).sort()).toEqual([0, 1]);
    expect(await alerts.list({ modelId: MODEL })).toEqual([
      expect.objectContaining({ state: 'resolved', severity: 'critical' }),
    ]);
  });

  it('keeps at most one open alert per fingerprint', async () => {
    await collect([['blue', 'cpu', 95]]);
    const evaluation = await evaluate();
    await alerts.apply(evaluation.transitions);
    expect((await alerts.apply(evaluation.transitions)).opened).toEqual([]);
    expect(await knex('model_ops_alerts')).toHaveLength(1);
  });

  it('acknowledges, resolves by hand, gets and lists alerts', async () => {
    await collect([
      ['blue', 'cpu', 95],
      ['green', 'memory', 90],
    ]);
    await tick();
    advance(120);
    await collect([
      ['blue', 'cpu', 95],
      ['green', 'memory', 90],
    ]);
    await tick();
    advance(60);
    await collect([
      ['blue', 'cpu', 95],
      ['green', 'memory', 90],
      ['blue', 'errorRate', 6],
    ]);
    await tick();
    const firing = await alerts.list({ modelId: MODEL, state: 'firing' });
    // Newest first; ties on the start go by id, descending.
    expect(firing.map(a => a.alertType)).toEqual([
      'high_memory_usage',
      'high_cpu_usage',
    ]);
    const [memory, cpu] = firing;
    expect(await alerts.list({ modelId: MODEL, state: 'pending' })).toEqual([
      expect.objectContaining({ alertType: 'high_error_rate' }),
    ]);
    expect(await alerts.list({ modelId: MODEL })).toHaveLength(3);
    expect(await alerts.list({ modelId: 'other' })).toEqual([]);
    expect(
      await alerts.list({ state: ['pending', 'firing'], limit: 2 }),
    ).toHaveLength(2);

    advance(5);
    const acknowledged = await alerts.acknowledge(cpu.id, 'user:default/ada');
    expect(acknowledged).toMatchObject({
      acknowledgedBy: 'user:default/ada',
      acknowledgedAt: clock.toISOString(),
      state: 'firing',
    });
    expect(await alerts.get(cpu.id)).toEqual(acknowledged);

    advance(5);
    const resolved = await alerts.resolve(memory.id);
    expect(resolved).toMatchObject({
      state: 'resolved',
      resolvedAt: clock.toISOString(),
    });
    advance(5);
    expect(await alerts.resolve(memory.id)).toEqual(resolved);

    await expect(
      alerts.acknowledge('00000000-0000-4000-8000-999999999999', 'x'),
    ).rejects.toThrow(NotFoundError);
    await expect(
      alerts.resolve('00000000-0000-4000-8000-999999999999'),
    ).rejects.toThrow(NotFoundError);
    expect(
      await alerts.get('00000000-0000-4000-8000-999999999999'),
    ).toBeUndefined();

    // The breach goes on: the next tick opens a new alert for the resolved one.
    advance(45);
    await collect([
      ['blue', 'cpu', 95],
      ['green', 'memory', 90],
      ['blue', 'errorRate', 6],
    ]);
    const { applied } = await tick();
    expect(applied.opened).toEqual([
      expect.objectContaining({
        alertType: 'high_memory_usage',
        state: 'pending',
      }),
    ]);
    expect(applied.newlyFiring).toEqual([
      expect.objectContaining({ alertType: 'high_error_rate' }),
    ]);

    expect(await alerts.pruneResolved(clock)).toBe(1);
    expect(await alerts.get(memory.id)).toBeUndefined();
  });

  it('stores the model status and when it changed', async () => {
    expect(await modelStatus()).toBe('unknown');
    await tick();
    expect(await modelStatus()).toBe('unknown');
    await collect([['blue', 'throughput', 3]]);
    await tick();
    const row = await knex('model_ops_models')
      .where({ model_id: MODEL })
      .first();
    expect(row.status).toBe('healthy');
    expect(new Date(row.status_changed_at).toISOString()).toBe(
      clock.toISOString(),
    );
    advance(60);
    expect(await alerts.setModelStatus(MODEL, 'healthy')).toBe(false);
    expect(await alerts.setModelStatus('no-such-model', 'healthy')).toBe(false);
    expect(await alerts.setModelStatus(MODEL, 'critical')).toBe(true);
    const changed = await knex('model_ops_models')
      .where({ model_id: MODEL })
      .first();
    expect(new Date(changed.status_changed_at).toISOString()).toBe(
      clock.toISOString(),
    );
  });
});
