import {
  AutoscalePolicy,
  AutoscalerMemory,
  DEFAULT_AUTOSCALE_TIMING,
  checkPolicy,
  decide,
  predictLoad,
  proposals,
} from './autoscaler';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A Monday, 00:00 UTC. */
const MONDAY = Date.parse('2026-11-30T00:00:00Z');

const policy: AutoscalePolicy = {
  minReplicas: 1,
  maxReplicas: 6,
  targets: { throughputPerReplica: 50, cpu: 60 },
  ...DEFAULT_AUTOSCALE_TIMING,
};
const empty: AutoscalerMemory = { recommendations: [] };

describe('proposals', () => {
  it('sizes each targeted metric to its target, ignoring ratios within the tolerance', () => {
    expect(proposals(2, { throughput: 230, cpu: 90 }, policy)).toEqual([
      {
        metric: 'throughput',
        value: 230,
        target: 50,
        replicas: 5,
        withinTolerance: false,
      },
      {
        metric: 'cpu',
        value: 90,
        target: 60,
        replicas: 3,
        withinTolerance: false,
      },
    ]);
    // 105 req/s on 2 replicas is 5 % over target: no change.
    expect(proposals(2, { throughput: 105 }, policy)[0]).toMatchObject({
      replicas: 2,
      withinTolerance: true,
    });
    // Exactly on target needs exactly the replicas it has, not one more.
    expect(proposals(3, { throughput: 150 }, policy)[0].replicas).toBe(3);
    expect(
      proposals(
        1,
        { responseTimeP95: 900 },
        {
          ...policy,
          targets: { responseTimeP95: 300 },
        },
      )[0].replicas,
    ).toBe(3);
    // A metric without a target, or without a measurement, proposes nothing.
    expect(proposals(2, { responseTimeP95: 900 }, policy)).toEqual([]);
  });
});

describe('decide', () => {
  it('scales up at once to the largest proposal, within the bounds', () => {
    const d = decide({
      now: MONDAY,
      current: 2,
      load: { throughput: 230, cpu: 90 },
      policy,
      memory: empty,
    });
    expect(d).toMatchObject({
      recommended: 5,
      replicas: 5,
      action: 'scale-up',
      memory: { lastScaledAt: MONDAY },
    });
    expect(d.reason).toMatch(
      /throughput 230 against target 50 per replica needs 5/,
    );
    const capped = decide({
      now: MONDAY,
      current: 2,
      load: { throughput: 5000 },
      policy,
      memory: empty,
    });
    expect(capped).toMatchObject({ recommended: 6, replicas: 6 });
    const floor = decide({
      now: MONDAY,
      current: 2,
      load: { throughput: 1, cpu: 1 },
      policy: { ...policy, minReplicas: 2, scaleDownStabilizationMs: 0 },
      memory: empty,
    });
    expect(floor).toMatchObject({
      recommended: 2,
      replicas: 2,
      action: 'none',
    });
  });

  it('holds a scale-down for the stabilization window, then takes its largest recommendation', () => {
    let memory = empty;
    let current = 4;
    const at = (m: number) => MONDAY + m * MINUTE;
    // Minute 0: 200 req/s needs 4. Minutes 1-5: 60 req/s needs 2.
    const step = (m: number, throughput: number) => {
      const d = decide({
        now: at(m),
        current,
        load: { throughput },
        policy: { ...policy, cooldownMs: 0 },
        memory,
      });
      memory = d.memory;
      current = d.replicas;
      return d;
    };
    expect(step(0, 200).replicas).toBe(4);
    for (const m of [1, 2, 3, 4]) {
      const d = step(m, 60);
      expect(d).toMatchObject({ recommended: 2, replicas: 4, action: 'none' });
      expect(d.reason).toMatch(/held at 4 by the 300 s scale-down window/);
    }
    // Minute 5: the 4 of minute 0 has left the 5-minute window.
    expect(step(5, 60)).toMatchObject({ replicas: 2, action: 'scale-down' });
    // A dip inside the window of a higher recommendation sheds only to that one.
    step(6, 160); // 4
    step(7, 110); // 3, held at 4
    expect(current).toBe(4);
    // Minute 11: the 3 of minute 7 is still in the window (minutes 7-11 are after 6).
    expect(step(11, 60).replicas).toBe(3);
    expect(step(12, 60).replicas).toBe(2);
  });

  it('waits for the cooldown after a change, then acts', () => {
    const first = decide({
      now: MONDAY,
      current: 1,
      load: { throughput: 100 },
      policy,
      memory: empty,
    });
    expect(first.replicas).toBe(2);
    const soon = decide({
      now: MONDAY + MINUTE,
      current: 2,
      load: { throughput: 290 },
      policy,
      memory: first.memory,
    });
    expect(soon).toMatchObject({ recommended: 6, replicas: 2, action: 'none' });
    expect(soon.reason).toMatch(
      /waits for the cooldown until 2026-11-30T00:02:00.000Z/,
    );
    const later = decide({
      now: MONDAY + 2 * MINUTE,
      current: 2,
      load: { throughput: 290 },
      policy,
      memory: soon.memory,
    });
    expect(later).toMatchObject({ replicas: 6, action: 'scale-up' });
  });

  it('keeps the replicas without a measurement, but brings them inside changed bounds', () => {
    expect(
      decide({ now: MONDAY, current: 3, load: {}, policy, memory: empty }),
    ).toMatchObject({ replicas: 3, action: 'none' });
    const outside = decide({
      now: MONDAY,
      current: 9,
      load: { throughput: 400 },
      policy,
      memory: { recommendations: [], lastScaledAt: MONDAY - 1000 },
    });
    expect(outside).toMatchObject({ replicas: 6, action: 'scale-down' });
    expect(outside.reason).toMatch(/9 is outside 1-6/);
  });

  it('scales ahead of the expected peak and down after it (predictive)', () => {
    // Every day: 40 req/s, except 200 req/s from 14:00 to 16:00 UTC.
    const profile = Array.from({ length: 168 }, (_, i) =>
      i % 24 >= 14 && i % 24 < 16 ? 200 : 40,
    );
    const run = (hours: number, current: number, memory = empty) =>
      decide({
        now: MONDAY + hours * HOUR,
        current,
        load: { throughput: profile[Math.floor(hours) % 24] },
        policy: { ...policy, cooldownMs: 0, scaleDownStabilizationMs: 0 },
        memory,
        profile,
        leadMs: 30 * MINUTE,
      });
    // 13:00: the peak is 60 minutes away, beyond the lead: 1 replica.
    expect(run(13, 1).replicas).toBe(1);
    // 13:30: the peak is within the lead: 4 replicas before the load comes.
    const ahead = run(13.5, 1);
    expect(ahead).toMatchObject({
      replicas: 4,
      action: 'scale-up',
      predicted: {
        throughput: 200,
        hourStart: MONDAY + 14 * HOUR,
        replicas: 4,
      },
    });
    expect(ahead.reason).toMatch(
      /expected 200 req\/s at 2026-11-30T14:00:00.000Z needs 4/,
    );
    // 16:00: past the peak, and none ahead: back to 1.
    expect(run(16, 4)).toMatchObject({ replicas: 1, action: 'scale-down' });
    // Over the simulated day: replica-hours against a deployment sized for the peak.
    let current = 1;
    let replicaHours = 0;
    for (let quarter = 0; quarter < 96; quarter++) {
      current = run(quarter / 4, current).replicas;
      replicaHours += current / 4;
    }
    expect(replicaHours).toBeCloseTo(20 * 1 + 2.5 * 4 + 1.5 * 1, 6);
    expect(replicaHours).toBeLessThan(24 * 4);
  });

  it('predicts nothing without a throughput target or a whole profile', () => {
    expect(
      predictLoad(new Array(168).fill(10), MONDAY, HOUR, {
        ...policy,
        targets: { cpu: 50 },
      }),
    ).toBeUndefined();
    expect(predictLoad([1, 2, 3], MONDAY, HOUR, policy)).toBeUndefined();
  });
});

describe('checkPolicy', () => {
  it.each<[Partial<AutoscalePolicy>, RegExp]>([
    [{ minReplicas: 0 }, /^minReplicas/],
    [{ minReplicas: 1.5 }, /^minReplicas/],
    [{ maxReplicas: 0 }, /^maxReplicas/],
    [{ targets: {} }, /^targets must name/],
    [{ targets: { cpu: -1 } }, /^targets\.cpu/],
    [{ cooldownMs: -1 }, /^cooldownMs/],
    [{ tolerance: 1 }, /^tolerance/],
  ])('names the field of %j', (change, message) => {
    expect(checkPolicy({ ...policy, ...change })).toMatch(message);
  });

  it('accepts a good policy', () => {
    expect(checkPolicy(policy)).toBeUndefined();
  });
});
