import {
  AlertRecord,
  MODEL_METRICS,
  MetricTrend,
  ModelMetric,
  ModelStatusResponse,
  RuleSet,
  SlotName,
  ThresholdRule,
} from '@model-ops/plugin-model-ops-common';
import { createHash } from 'node:crypto';

/** The health of a model, as stored in `model_ops_models.status`. */
export type ModelHealth = ModelStatusResponse['status'];

/** Where a value stands against a rule. */
export type RuleLevel = 'ok' | 'warning' | 'critical';

/** A value of one metric of one slot, as {@link MetricsStore.latest} returns it. */
export interface SlotValue {
  slot: SlotName;
  metric: string;
  value: number;
}

/** A new alert, pending (or firing straight away when its rule has no `for` duration). */
export interface NewAlert {
  fingerprint: string;
  modelId: string;
  entityRef: string;
  alertType: string;
  /** The rule's metric; `external` for an alert from Alertmanager. */
  metric: ModelMetric | 'external';
  slot?: SlotName;
  severity: 'warning' | 'critical';
  state: 'pending' | 'firing';
  value: number;
  threshold: number;
  summary: string;
  startsAt: Date;
  firingAt?: Date;
}

/** The current value, severity and threshold of an open alert. */
export interface AlertReading {
  severity: 'warning' | 'critical';
  value: number;
  threshold: number;
  summary: string;
}

/**
 * A change to the alerts of a model. Updates name the state they expect the alert in, so that of
 * two replicas evaluating the same tick only one applies each change.
 */
export type AlertTransition =
  | { type: 'open'; alert: NewAlert }
  /** A pending alert whose breach has held for the rule's `for` duration. */
  | ({ type: 'fire'; id: string; fingerprint: string; at: Date } & AlertReading)
  /** An open alert whose value, and maybe severity, changed; its state stays. */
  | ({
      type: 'update';
      id: string;
      fingerprint: string;
      state: 'pending' | 'firing';
    } & AlertReading)
  /** A firing alert whose value is back within the warning level, or no longer reported. */
  | {
      type: 'resolve';
      id: string;
      fingerprint: string;
      at: Date;
      value?: number;
    }
  /** A pending alert that cleared before it fired: it is deleted, as if it never was. */
  | { type: 'discard'; id: string; fingerprint: string };

/** The outcome of evaluating one model. */
export interface Evaluation {
  transitions: AlertTransition[];
  /** The model's status once the transitions are applied. */
  status: ModelHealth;
}

/**
 * Relative change within which a trend is `stable` (±10 %), and the absolute change per metric
 * under which it is `stable` whatever the relative change (so 0.01 % → 0.02 % errors is not
 * "rising"). Metrics not listed have no absolute floor.
 */
export const TREND_TOLERANCE = {
  relative: 0.1,
  absolute: {
    responseTimeP50: 10,
    responseTimeP95: 10,
    throughput: 0.1,
    errorRate: 0.1,
    cpu: 1,
    memory: 1,
    disk: 1,
    costPerRequest: 0.000001,
  } as Record<ModelMetric, number>,
};

/**
 * How a metric moved from the previous window's average to the current one: `stable` when the
 * change is within ±10 % of the previous value or within the metric's absolute floor
 * ({@link TREND_TOLERANCE}), `rising` or `falling` otherwise.
 */
export function trend(
  current: number,
  previous: number,
  metric?: string,
): MetricTrend {
  const delta = current - previous;
  const floor = metric
    ? TREND_TOLERANCE.absolute[metric as ModelMetric] ?? 0
    : 0;
  const tolerance = Math.max(
    Math.abs(previous) * TREND_TOLERANCE.relative,
    floor,
  );
  if (Math.abs(delta) <= tolerance) {
    return 'stable';
  }
  return delta > 0 ? 'rising' : 'falling';
}

/** The fingerprint of the alert of a rule for one slot of a model: a stable hash. */
export function alertFingerprint(
  modelId: string,
  alertType: string,
  slot?: string,
): string {
  return createHash('sha256')
    .update(JSON.stringify([modelId, alertType, slot ?? null]))
    .digest('hex');
}

/** Where a value stands against a rule: beyond `critical`, beyond `warning`, or ok. */
export function ruleLevel(rule: ThresholdRule, value: number): RuleLevel {
  const beyond = (threshold: number) =>
    rule.operator === '<' ? value < threshold : value > threshold;
  if (beyond(rule.critical)) {
    return 'critical';
  }
  return beyond(rule.warning) ? 'warning' : 'ok';
}

function formatValue(metric: string, value: number): string {
  const unit = MODEL_METRICS[metric as ModelMetric]?.unit;
  const rounded = Number.isInteger(value)
    ? String(value)
    : String(Number(value.toPrecision(4)));
  return unit ? `${rounded} ${unit}` : rounded;
}

/**
 * Turns the latest values of a model into alert transitions and a status. Pure: it reads nothing
 * and writes nothing; the time comes from the injected clock.
 *
 * Per rule (the first rule of a given alert type wins) and per slot reporting its metric:
 * - a value beyond `warning` opens a `pending` alert (a `firing` one when `forSeconds` is 0), with
 *   severity `critical` when it is beyond `critical`;
 * - a pending alert fires once the breach has held for `forSeconds` since it started;
 * - an open alert follows the value: its severity goes up or down in place;
 * - back within `warning`, a firing alert is resolved and a pending one discarded, so a dip
 *   resets the `for` duration;
 * - an open alert whose slot no longer reports the metric, or whose rule is gone from the rule
 *   set, is resolved (or discarded when pending) as well.
 *
 * @internal
 */
export class RuleEvaluator {
  constructor(private readonly now: () => Date = () => new Date()) {}

  evaluate(input: {
    modelId: string;
    entityRef: string;
    ruleSet: RuleSet;
    /** The newest value per slot and metric; leave stale values out. */
    latest: SlotValue[];
    /** The model's pending and firing alerts. */
    openAlerts: AlertRecord[];
  }): Evaluation {
    const now = this.now();
    const open = new Map<string, AlertRecord>();
    for (const alert of input.openAlerts) {
      if (alert.state !== 'resolved' && alert.modelId === input.modelId) {
        open.set(alert.fingerprint, alert);
      }
    }
    const transitions: AlertTransition[] = [];
    /** The severity of each alert that is firing after this tick. */
    const firing: Array<'warning' | 'critical'> = [];
    const seen = new Set<string>();
    const rulesSeen = new Set<string>();

    for (const rule of input.ruleSet.rules) {
      if (rulesSeen.has(rule.alert)) {
        continue;
      }
      rulesSeen.add(rule.alert);
      for (const { slot, value } of input.latest.filter(
        v => v.metric === rule.metric,
      )) {
        if (!Number.isFinite(value)) {
          continue;
        }
        const fingerprint = alertFingerprint(input.modelId, rule.alert, slot);
        if (seen.has(fingerprint)) {
          continue;
        }
        seen.add(fingerprint);
        const existing = open.get(fingerprint);
        const level = ruleLevel(rule, value);

        if (level === 'ok') {
          if (existing?.state === 'pending') {
            transitions.push({ type: 'discard', id: existing.id, fingerprint });
          } else if (existing?.state === 'firing') {
            transitions.push({
              type: 'resolve',
              id: existing.id,
              fingerprint,
              at: now,
              value,
            });
          }
          continue;
        }

        const reading = RuleEvaluator.reading(
          input.modelId,
          rule,
          slot,
          value,
          level,
        );
        if (!existing) {
          const fires = rule.forSeconds <= 0;
          transitions.push({
            type: 'open',
            alert: {
              fingerprint,
              modelId: input.modelId,
              entityRef: input.entityRef,
              alertType: rule.alert,
              metric: rule.metric,
              slot,
              state: fires ? 'firing' : 'pending',
              startsAt: now,
              firingAt: fires ? now : undefined,
              ...reading,
            },
          });
          if (fires) {
            firing.push(reading.severity);
          }
          continue;
        }

        if (existing.state === 'pending') {
          const heldMs = now.getTime() - new Date(existing.startsAt).getTime();
          if (heldMs >= rule.forSeconds * 1000) {
            transitions.push({
              type: 'fire',
              id: existing.id,
              fingerprint,
              at: now,
              ...reading,
            });
            firing.push(reading.severity);
            continue;
          }
        } else {
          firing.push(reading.severity);
        }
        if (
          existing.severity !== reading.severity ||
          existing.value !== reading.value ||
          existing.threshold !== reading.threshold ||
          existing.summary !== reading.summary
        ) {
          transitions.push({
            type: 'update',
            id: existing.id,
            fingerprint,
            state: existing.state as 'pending' | 'firing',
            ...reading,
          });
        }
      }
    }

    // Open alerts no rule and slot spoke for this tick: the metric is gone, or the rule is.
    for (const [fingerprint, alert] of open) {
      if (seen.has(fingerprint)) {
        continue;
      }
      transitions.push(
        alert.state === 'pending'
          ? { type: 'discard', id: alert.id, fingerprint }
          : { type: 'resolve', id: alert.id, fingerprint, at: now },
      );
    }

    return {
      transitions,
      status: RuleEvaluator.status(firing, input.latest.length > 0),
    };
  }

  /** See {@link trend}. */
  trend(current: number, previous: number, metric?: string): MetricTrend {
    return trend(current, previous, metric);
  }

  /**
   * A model's status: `critical` when a critical alert fires, else `warning` when a warning one
   * fires, else `healthy` when it has metrics, else `unknown`. Pending alerts do not count.
   */
  static status(
    firingSeverities: Array<'warning' | 'critical'>,
    hasMetrics: boolean,
  ): ModelHealth {
    if (firingSeverities.includes('critical')) {
      return 'critical';
    }
    if (firingSeverities.includes('warning')) {
      return 'warning';
    }
    return hasMetrics ? 'healthy' : 'unknown';
  }

  private static reading(
    modelId: string,
    rule: ThresholdRule,
    slot: string,
    value: number,
    severity: 'warning' | 'critical',
  ): AlertReading {
    const threshold = severity === 'critical' ? rule.critical : rule.warning;
    const title = MODEL_METRICS[rule.metric]?.title ?? rule.metric;
    const direction = rule.operator === '<' ? 'under' : 'over';
    return {
      severity,
      value,
      threshold,
      summary: `${title} of ${modelId} (${slot}) is ${formatValue(
        rule.metric,
        value,
      )}, ${direction} the ${severity} threshold of ${formatValue(
        rule.metric,
        threshold,
      )}`,
    };
  }
}
