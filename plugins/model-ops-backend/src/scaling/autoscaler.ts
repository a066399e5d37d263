/**
 * The autoscaler's decisions, as pure functions of the measured load, the policy, what was
 * decided before and the clock (the scheduled task that reads the stored metrics and applies a
 * decision through the runtime is built on these).
 *
 * Reactive scaling follows Kubernetes' HPA: for each metric with a target, the replicas that
 * would bring it to the target (`ceil(current * value / target)`, or for throughput
 * `ceil(throughput / target per replica)`), ignored within a tolerance; the largest wins and is
 * clamped to the bounds. A scale-down takes the largest recommendation of its stabilization
 * window (so a dip does not shed replicas a returning peak needs), a scale-up the smallest of
 * its own (0 by default: at once), and no change follows another within the cooldown.
 *
 * Predictive scaling reads the model's hour-of-week load profile (from the capacity report's
 * stored series) and sizes for the busiest hour between now and the lead time ahead, so that
 * replicas are up before the expected peak and go after it.
 */

/** A model's autoscaling policy. @internal */
export interface AutoscalePolicy {
  minReplicas: number;
  maxReplicas: number;
  targets: {
    /** Requests per second one replica should serve. */
    throughputPerReplica?: number;
    /** Average CPU percent of a replica. */
    cpu?: number;
    /** p95 response time in milliseconds. */
    responseTimeP95?: number;
  };
  /** A ratio within this of 1 changes nothing; 0.1. */
  tolerance: number;
  /** How far back a scale-down looks for a larger recommendation; 5 minutes. */
  scaleDownStabilizationMs: number;
  /** How far back a scale-up looks for a smaller recommendation; 0. */
  scaleUpStabilizationMs: number;
  /** No change within this of the last one; 2 minutes. */
  cooldownMs: number;
}

/** The defaults of a policy's timing and tolerance. @internal */
export const DEFAULT_AUTOSCALE_TIMING = {
  tolerance: 0.1,
  scaleDownStabilizationMs: 5 * 60_000,
  scaleUpStabilizationMs: 0,
  cooldownMs: 2 * 60_000,
};

/** The load measured over the last interval, all replicas together. @internal */
export interface MeasuredLoad {
  /** Requests per second. */
  throughput?: number;
  /** Average CPU percent per replica. */
  cpu?: number;
  /** p95 response time in ms. */
  responseTimeP95?: number;
}

/** What earlier evaluations left behind. @internal */
export interface AutoscalerMemory {
  /** Recommendations of earlier evaluations (newest last); kept as long as a window needs. */
  recommendations: Array<{ at: number; replicas: number }>;
  /** When the replicas last changed. */
  lastScaledAt?: number;
}

/** One metric's part in a decision. @internal */
export interface MetricProposal {
  metric: 'throughput' | 'cpu' | 'responseTimeP95';
  value: number;
  target: number;
  /** Replicas that bring the metric to its target (before bounds). */
  replicas: number;
  /** True when the ratio was within the tolerance, so the current count stood. */
  withinTolerance: boolean;
}

/** An autoscaler decision with everything it was made from. @internal */
export interface AutoscaleDecision {
  at: number;
  current: number;
  /** The largest proposal, clamped to the bounds. */
  recommended: number;
  /** What the window and cooldown let through: the replicas to run. */
  replicas: number;
  action: 'scale-up' | 'scale-down' | 'none';
  reason: string;
  proposals: MetricProposal[];
  /** The predictive part, when a profile was given. */
  predicted?: PredictedLoad;
  /** The memory to keep for the next evaluation. */
  memory: AutoscalerMemory;
}

/** The busiest expected load within the lead time, and the replicas it needs. @internal */
export interface PredictedLoad {
  /** Requests per second expected at the busiest hour from now to now + lead. */
  throughput: number;
  /** The start of that hour. */
  hourStart: number;
  replicas: number;
}

function clamp(value: number, policy: AutoscalePolicy): number {
  return Math.min(policy.maxReplicas, Math.max(policy.minReplicas, value));
}

/** Checks a policy's numbers; the message names the field. @internal */
export function checkPolicy(policy: AutoscalePolicy): string | undefined {
  const { minReplicas, maxReplicas } = policy;
  if (!Number.isInteger(minReplicas) || minReplicas < 1) {
    return 'minReplicas must be a whole number of at least 1';
  }
  if (!Number.isInteger(maxReplicas) || maxReplicas < minReplicas) {
    return 'maxReplicas must be a whole number of at least minReplicas';
  }
  for (const [name, value] of Object.entries(policy.targets)) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      return `targets.${name} must be a number above 0`;
    }
  }
  if (Object.values(policy.targets).every(v => v === undefined)) {
    return 'targets must name at least one of throughputPerReplica, cpu, responseTimeP95';
  }
  for (const key of [
    'scaleDownStabilizationMs',
    'scaleUpStabilizationMs',
    'cooldownMs',
  ] as const) {
    if (!(Number.isFinite(policy[key]) && policy[key] >= 0)) {
      return `${key} must be 0 or more`;
    }
  }
  if (!(policy.tolerance >= 0 && policy.tolerance < 1)) {
    return 'tolerance must be at least 0 and below 1';
  }
  return undefined;
}

/** Each targeted metric's proposal for the measured load. @internal */
export function proposals(
  current: number,
  load: MeasuredLoad,
  policy: AutoscalePolicy,
): MetricProposal[] {
  const result: MetricProposal[] = [];
  const { targets, tolerance } = policy;
  const add = (
    metric: MetricProposal['metric'],
    value: number | undefined,
    target: number | undefined,
    perReplica: boolean,
  ) => {
    if (
      value === undefined ||
      target === undefined ||
      !Number.isFinite(value)
    ) {
      return;
    }
    // Throughput is a total: the ratio is against what the current replicas serve at target.
    const ratio = perReplica ? value / (target * current) : value / target;
    const withinTolerance = Math.abs(ratio - 1) <= tolerance;
    result.push({
      metric,
      value,
      target,
      replicas: withinTolerance
        ? current
        : Math.max(1, Math.ceil(ratio * current - 1e-9)),
      withinTolerance,
    });
  };
  add('throughput', load.throughput, targets.throughputPerReplica, true);
  add('cpu', load.cpu, targets.cpu, false);
  add('responseTimeP95', load.responseTimeP95, targets.responseTimeP95, false);
  return result;
}

/**
 * The expected load of the busiest hour between `now` and `now + leadMs` from an hour-of-week
 * profile (index `weekday * 24 + hour`, weekday 0 Monday, in UTC), and the replicas it needs at
 * the throughput target. Undefined without a throughput target or a profile.
 *
 * @internal
 */
export function predictLoad(
  profile: number[] | undefined,
  now: number,
  leadMs: number,
  policy: AutoscalePolicy,
): PredictedLoad | undefined {
  const target = policy.targets.throughputPerReplica;
  if (!profile || profile.length !== 168 || target === undefined) {
    return undefined;
  }
  const HOUR = 3_600_000;
  let best: { throughput: number; hourStart: number } | undefined;
  const first = Math.floor(now / HOUR) * HOUR;
  // Bounded: one step per hour of the lead time.
  for (let hourStart = first; hourStart <= now + leadMs; hourStart += HOUR) {
    const date = new Date(hourStart);
    const weekday = (date.getUTCDay() + 6) % 7;
    const throughput = profile[weekday * 24 + date.getUTCHours()] ?? 0;
    if (!best || throughput > best.throughput) best = { throughput, hourStart };
  }
  if (!best) return undefined;
  return {
    ...best,
    replicas: clamp(
      Math.max(1, Math.ceil(best.throughput / target - 1e-9)),
      policy,
    ),
  };
}

/**
 * One evaluation: the replicas to run now, why, and the memory for the next one.
 *
 * @internal
 */
export function decide(input: {
  now: number;
  current: number;
  load: MeasuredLoad;
  policy: AutoscalePolicy;
  memory: AutoscalerMemory;
  /** Hour-of-week throughput profile, for predictive scaling. */
  profile?: number[];
  /** How far ahead predictive scaling sizes for; 30 minutes. */
  leadMs?: number;
}): AutoscaleDecision {
  const { now, current, policy } = input;
  const props = proposals(current, input.load, policy);
  const predicted = predictLoad(
    input.profile,
    now,
    input.leadMs ?? 30 * 60_000,
    policy,
  );
  const window = Math.max(
    policy.scaleDownStabilizationMs,
    policy.scaleUpStabilizationMs,
  );
  const kept = input.memory.recommendations.filter(r => r.at > now - window);
  const base: Omit<
    AutoscaleDecision,
    'recommended' | 'replicas' | 'action' | 'reason' | 'memory'
  > = { at: now, current, proposals: props, predicted };

  if (props.length === 0 && !predicted) {
    const replicas = clamp(current, policy);
    return {
      ...base,
      recommended: replicas,
      replicas,
      action: action(current, replicas),
      reason:
        replicas === current
          ? 'no measurement of a targeted metric: replicas unchanged'
          : `no measurement; ${current} is outside ${policy.minReplicas}-${policy.maxReplicas}`,
      memory: { ...input.memory, recommendations: kept },
    };
  }

  const reactive = props.length
    ? Math.max(...props.map(p => p.replicas))
    : current;
  const recommended = clamp(
    Math.max(reactive, predicted?.replicas ?? 0),
    policy,
  );
  const history = [...kept, { at: now, replicas: recommended }];
  const inWindow = (ms: number) =>
    history.filter(r => r.at > now - ms || r.at === now);
  let replicas = recommended;
  let reason: string;
  const driver = describeDriver(props, predicted, reactive, recommended);
  // A scale-down takes the largest recommendation of its window, a scale-up the smallest.
  const down = recommended < current;
  const windowMs = down
    ? policy.scaleDownStabilizationMs
    : policy.scaleUpStabilizationMs;
  const windowed = inWindow(windowMs).map(r => r.replicas);
  if (recommended !== current) {
    replicas = down
      ? Math.min(current, Math.max(...windowed))
      : Math.max(current, Math.min(...windowed));
  }
  if (recommended === current) reason = `${driver}; replicas unchanged`;
  else if (replicas === current) {
    reason = `${driver}; held at ${current} by the ${Math.round(
      windowMs / 1000,
    )} s scale-${down ? 'down' : 'up'} window`;
  } else reason = driver;
  // Outside the bounds (a bound changed): back inside at once, cooldown or not.
  if (current < policy.minReplicas || current > policy.maxReplicas) {
    replicas = clamp(replicas, policy);
    reason = `${current} is outside ${policy.minReplicas}-${policy.maxReplicas}; ${reason}`;
  } else if (
    replicas !== current &&
    input.memory.lastScaledAt !== undefined &&
    now - input.memory.lastScaledAt < policy.cooldownMs
  ) {
    reason = `${reason}; waits for the cooldown until ${new Date(
      input.memory.lastScaledAt + policy.cooldownMs,
    ).toISOString()}`;
    replicas = current;
  }
  return {
    ...base,
    recommended,
    replicas,
    action: action(current, replicas),
    reason,
    memory: {
      recommendations: history,
      lastScaledAt: replicas !== current ? now : input.memory.lastScaledAt,
    },
  };
}

function action(
  current: number,
  replicas: number,
): AutoscaleDecision['action'] {
  if (replicas > current) return 'scale-up';
  if (replicas < current) return 'scale-down';
  return 'none';
}

const METRIC_WORDS: Record<MetricProposal['metric'], string> = {
  throughput: 'throughput',
  cpu: 'CPU',
  responseTimeP95: 'p95 response time',
};

function describeDriver(
  props: MetricProposal[],
  predicted: PredictedLoad | undefined,
  reactive: number,
  recommended: number,
): string {
  const top = [...props].sort((a, b) => b.replicas - a.replicas)[0];
  const parts: string[] = [];
  if (top) {
    parts.push(
      `${METRIC_WORDS[top.metric]} ${round(top.value)} against target ${round(
        top.target,
      )}${top.metric === 'throughput' ? ' per replica' : ''} needs ${
        top.replicas
      }`,
    );
  }
  if (predicted && predicted.replicas > reactive) {
    parts.push(
      `the expected ${round(predicted.throughput)} req/s at ${new Date(
        predicted.hourStart,
      ).toISOString()} needs ${predicted.replicas}`,
    );
  }
  return `${parts.join('; ')} (recommended ${recommended})`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
