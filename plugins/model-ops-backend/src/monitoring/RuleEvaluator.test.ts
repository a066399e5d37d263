import {
  AlertRecord,
  DEFAULT_RULE_SET,
  RuleSet,
  ThresholdRule,
} from '@model-ops/plugin-model-ops-common';
import {
  AlertTransition,
  RuleEvaluator,
  SlotValue,
  alertFingerprint,
  ruleLevel,
  trend,
} from './RuleEvaluator';

const MODEL = 'sentiment-classifier';
const ENTITY = 'component:default/sentiment-classifier';

/** Applies transitions to an in-memory alert list, as the store would. */
function applyInMemory(
  alerts: AlertRecord[],
  transitions: AlertTransition[],
  ids: () => string,
): AlertRecord[] {
  let next = alerts.map(a => ({ ...a }));
  for (const t of transitions) {
    if (t.type === 'open') {
      next.push({
        id: ids(),
        ...t.alert,
        startsAt: t.alert.startsAt.toISOString(),
        firingAt: t.alert.firingAt?.toISOString(),
      });
    } else if (t.type === 'discard') {
      next = next.filter(a => a.id !== t.id);
    } else {
      const alert = next.find(a => a.id === t.id)!;
      if (t.type === 'fire') {
        Object.assign(alert, {
          state: 'firing',
          firingAt: t.at.toISOString(),
          severity: t.severity,
          value: t.value,
          threshold: t.threshold,
          summary: t.summary,
        });
      } else if (t.type === 'update') {
        Object.assign(alert, {
          severity: t.severity,
          value: t.value,
          threshold: t.threshold,
          summary: t.summary,
        });
      } else {
        Object.assign(alert, {
          state: 'resolved',
          resolvedAt: t.at.toISOString(),
        });
      }
    }
  }
  return next;
}

describe('RuleEvaluator', () => {
  let clock: Date;
  let evaluator: RuleEvaluator;
  let alerts: AlertRecord[];
  let n: number;

  beforeEach(() => {
    clock = new Date('2026-11-26T10:00:00.000Z');
    evaluator = new RuleEvaluator(() => clock);
    alerts = [];
    n = 0;
  });

  const advance = (seconds: number) => {
    clock = new Date(clock.getTime() + seconds * 1000);
  };

  /** One tick: evaluate and apply; returns the transitions and status. */
  const tick = (latest: SlotValue[], ruleSet: RuleSet = DEFAULT_RULE_SET) => {
    const evaluation = evaluator.evaluate({
      modelId: MODEL,
      entityRef: ENTITY,
      ruleSet,
      latest,
      openAlerts: alerts.filter(a => a.state !== 'resolved'),
    });
    alerts = applyInMemory(
      alerts,
      evaluation.transitions,
      () => `alert-${++n}`,
    );
    return evaluation;
  };

  const open = () => alerts.filter(a => a.state !== 'resolved');

  describe.each(
    DEFAULT_RULE_SET.rules.map(rule => [rule.alert, rule] as const),
  )('the default rule %s', (_name, rule: ThresholdRule) => {
    const value = (v: number): SlotValue[] => [
      { slot: 'blue', metric: rule.metric, value: v },
    ];

    it('does nothing at or below the warning level', () => {
      expect(tick(value(rule.warning))).toEqual({
        transitions: [],
        status: 'healthy',
      });
      expect(tick(value(rule.warning - 1)).transitions).toEqual([]);
    });

    it('opens a pending warning just over the warning level, firing after its for duration', () => {
      const first = tick(value(rule.warning + 0.5));
      expect(first.status).toBe('healthy');
      expect(first.transitions).toEqual([
        {
          type: 'open',
          alert: expect.objectContaining({
            fingerprint: alertFingerprint(MODEL, rule.alert, 'blue'),
            alertType: rule.alert,
            metric: rule.metric,
            slot: 'blue',
            state: 'pending',
            severity: 'warning',
            threshold: rule.warning,
            value: rule.warning + 0.5,
            startsAt: clock,
          }),
        },
      ]);
      advance(rule.forSeconds - 1);
      expect(tick(value(rule.warning + 0.5)).transitions).toEqual([]);
      advance(1);
      const fired = tick(value(rule.warning + 0.5));
      expect(fired.transitions).toEqual([
        expect.objectContaining({
          type: 'fire',
          severity: 'warning',
          at: clock,
        }),
      ]);
      expect(fired.status).toBe('warning');
    });

    it('is a warning at the critical level and critical over it', () => {
      tick(value(rule.critical));
      expect(open()[0]).toMatchObject({
        severity: 'warning',
        threshold: rule.warning,
      });
      advance(rule.forSeconds);
      const fired = tick(value(rule.critical + 1));
      expect(fired.transitions).toEqual([
        expect.objectContaining({
          type: 'fire',
          severity: 'critical',
          threshold: rule.critical,
        }),
      ]);
      expect(fired.status).toBe('critical');
      expect(open()[0].summary).toContain('critical threshold');
    });
  });

  it('resets the for duration when the value dips back', () => {
    const cpu = (v: number): SlotValue[] => [
      { slot: 'green', metric: 'cpu', value: v },
    ];
    tick(cpu(85));
    advance(60);
    expect(tick(cpu(70)).transitions).toEqual([
      expect.objectContaining({ type: 'discard', id: 'alert-1' }),
    ]);
    expect(open()).toEqual([]);
    advance(60);
    tick(cpu(85));
    expect(open()).toEqual([
      expect.objectContaining({ id: 'alert-2', state: 'pending' }),
    ]);
    advance(60);
    // 120 s since the first breach, but only 60 s since this one.
    expect(tick(cpu(85)).transitions).toEqual([]);
    expect(open()[0].state).toBe('pending');
    advance(60);
    expect(tick(cpu(86)).transitions.map(t => t.type)).toEqual(['fire']);
  });

  it('resolves a firing alert once the value is back within the warning level', () => {
    const err = (v: number): SlotValue[] => [
      { slot: 'blue', metric: 'errorRate', value: v },
    ];
    tick(err(6));
    advance(60);
    tick(err(6));
    expect(open()[0].state).toBe('firing');
    advance(60);
    // Still over warning: stays firing.
    expect(tick(err(5.1)).transitions.map(t => t.type)).toEqual(['update']);
    advance(60);
    const resolved = tick(err(5));
    expect(resolved.transitions).toEqual([
      {
        type: 'resolve',
        id: 'alert-1',
        fingerprint: expect.any(String),
        at: clock,
        value: 5,
      },
    ]);
    expect(resolved.status).toBe('healthy');
    expect(alerts[0]).toMatchObject({
      state: 'resolved',
      resolvedAt: clock.toISOString(),
    });
  });

  it('upgrades and downgrades the severity of an open alert in place', () => {
    const rt = (v: number): SlotValue[] => [
      { slot: 'blue', metric: 'responseTimeP95', value: v },
    ];
    tick(rt(6000));
    advance(60);
    expect(tick(rt(6000)).status).toBe('warning');
    advance(60);
    const up = tick(rt(12000));
    expect(up.transitions).toEqual([
      expect.objectContaining({
        type: 'update',
        id: 'alert-1',
        state: 'firing',
        severity: 'critical',
        threshold: 10000,
      }),
    ]);
    expect(up.status).toBe('critical');
    advance(60);
    const down = tick(rt(7000));
    expect(down.transitions).toEqual([
      expect.objectContaining({
        type: 'update',
        id: 'alert-1',
        severity: 'warning',
      }),
    ]);
    expect(down.status).toBe('warning');
    expect(alerts).toHaveLength(1);
  });

  it('keeps one alert per rule and slot', () => {
    const both = (blue: number, green: number): SlotValue[] => [
      { slot: 'blue', metric: 'memory', value: blue },
      { slot: 'green', metric: 'memory', value: green },
    ];
    tick(both(90, 96));
    expect(open().map(a => [a.slot, a.severity])).toEqual([
      ['blue', 'warning'],
      ['green', 'critical'],
    ]);
    expect(new Set(open().map(a => a.fingerprint)).size).toBe(2);
    advance(120);
    expect(tick(both(90, 96)).status).toBe('critical');
    advance(60);
    expect(tick(both(90, 50)).status).toBe('warning');
  });

  it('resolves alerts whose metric is no longer reported or whose rule is gone', () => {
    tick([
      { slot: 'blue', metric: 'cpu', value: 95 },
      { slot: 'green', metric: 'memory', value: 99 },
    ]);
    advance(120);
    tick([
      { slot: 'blue', metric: 'cpu', value: 95 },
      { slot: 'green', metric: 'memory', value: 99 },
    ]);
    expect(open().map(a => a.state)).toEqual(['firing', 'firing']);
    advance(60);
    const next = tick([{ slot: 'blue', metric: 'cpu', value: 95 }], {
      name: 'memory-only',
      rules: DEFAULT_RULE_SET.rules.filter(r => r.metric === 'memory'),
    });
    expect(
      next.transitions.map(t => [t.type, t.type === 'open' ? '' : t.id]),
    ).toEqual([
      ['resolve', 'alert-1'],
      ['resolve', 'alert-2'],
    ]);
    expect(next.status).toBe('healthy');
  });

  it('fires at once when a rule has no for duration, and honours the < operator', () => {
    const ruleSet: RuleSet = {
      name: 'traffic',
      rules: [
        {
          alert: 'low_throughput',
          metric: 'throughput',
          operator: '<',
          warning: 10,
          critical: 1,
          forSeconds: 0,
        },
      ],
    };
    const tp = (v: number): SlotValue[] => [
      { slot: 'blue', metric: 'throughput', value: v },
    ];
    expect(tick(tp(10), ruleSet).transitions).toEqual([]);
    const opened = tick(tp(0.5), ruleSet);
    expect(opened.transitions).toEqual([
      {
        type: 'open',
        alert: expect.objectContaining({
          state: 'firing',
          severity: 'critical',
          firingAt: clock,
          summary:
            'Throughput of sentiment-classifier (blue) is 0.5 req/s, under the critical threshold of 1 req/s',
        }),
      },
    ]);
    expect(opened.status).toBe('critical');
  });

  it('reports the status of a model', () => {
    expect(tick([]).status).toBe('unknown');
    expect(
      tick([{ slot: 'blue', metric: 'throughput', value: 3 }]).status,
    ).toBe('healthy');
    // Pending alerts do not change the status.
    expect(
      tick([{ slot: 'blue', metric: 'errorRate', value: 50 }]).status,
    ).toBe('healthy');
    expect(RuleEvaluator.status(['warning', 'critical'], true)).toBe(
      'critical',
    );
    expect(RuleEvaluator.status(['warning'], true)).toBe('warning');
    expect(RuleEvaluator.status([], false)).toBe('unknown');
  });

  it('rates values against a rule', () => {
    const rule = DEFAULT_RULE_SET.rules[1];
    expect([4, 5, 5.01, 10, 10.01].map(v => ruleLevel(rule, v))).toEqual([
      'ok',
      'ok',
      'warning',
      'warning',
      'critical',
    ]);
  });

  it('hashes fingerprints stably and distinctly', () => {
    const a = alertFingerprint('m', 'high_cpu_usage', 'blue');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(alertFingerprint('m', 'high_cpu_usage', 'blue')).toBe(a);
    expect(alertFingerprint('m', 'high_cpu_usage', 'green')).not.toBe(a);
    expect(alertFingerprint('m', 'high_memory_usage', 'blue')).not.toBe(a);
    expect(alertFingerprint('n', 'high_cpu_usage', 'blue')).not.toBe(a);
  });

  describe('trend', () => {
    it('is stable within ±10 % of the previous value', () => {
      expect(trend(110, 100)).toBe('stable');
      expect(trend(90, 100)).toBe('stable');
      expect(trend(110.1, 100)).toBe('rising');
      expect(trend(89.9, 100)).toBe('falling');
      expect(evaluator.trend(200, 100, 'throughput')).toBe('rising');
    });

    it('is stable within the absolute floor of a metric', () => {
      expect(trend(0.05, 0, 'errorRate')).toBe('stable');
      expect(trend(0.2, 0, 'errorRate')).toBe('rising');
      expect(trend(0.05, 0)).toBe('rising');
      expect(trend(1005, 1000, 'responseTimeP95')).toBe('stable');
      expect(trend(45, 50.5, 'cpu')).toBe('falling');
      expect(trend(50, 50.9, 'cpu')).toBe('stable');
    });
  });
});
