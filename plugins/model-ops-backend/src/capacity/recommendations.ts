/*
 * Recommendations with the seed's rules and wording (`analyze_capacity_needs`): CPU average over
 * 70 % and memory average over 80 % are high-priority scaling, cost per request over $0.01 is
 * medium cost optimization, growth over 20 % a month medium planning; plus right-sizing for the
 * projected p95 load at the target utilization, and the date by which to act.
 */
import {
  CapacityProjection,
  CapacityRecommendation,
  CapacityRightSizing,
  CapacityUtilization,
} from '@model-ops/plugin-model-ops-common';
import { DateTime } from 'luxon';
import { instancesNeeded } from './projection';

/** The seed's thresholds. @internal */
export const SEED_THRESHOLDS = {
  /** Percent. */
  cpuAverage: 70,
  /** Percent. */
  memoryAverage: 80,
  /** In the cost model's currency. */
  costPerRequest: 0.01,
  /** Relative growth a month. */
  growthPerMonth: 0.2,
};

const PRIORITY_ORDER = { high: 0, medium: 1, low: 2 };

const fixed = (value: number, digits: number) => value.toFixed(digits);

function money(value: number, currency: string, digits: number) {
  return currency === 'USD'
    ? `$${fixed(value, digits)}`
    : `${fixed(value, digits)} ${currency}`;
}

/**
 * What the recommendations are made from.
 *
 * @internal
 */
export interface RecommendationInput {
  /** Today in the report's time zone. */
  today: DateTime;
  instances: number;
  targetUtilization: number;
  /** Days before the earliest limit date by which to act. */
  actLeadDays: number;
  /** The model's overall utilization over the period. */
  overall: CapacityUtilization[];
  costPerRequest?: number;
  currency: string;
  /** Requests a day over the period, on average. */
  requestsPerDay: number;
  projection: CapacityProjection;
  /** The earliest date a resource reaches its limit, from the projection. */
  earliestLimit?: string;
}

/**
 * The instances needed for the projected p95 load in 30 days at the target utilization (today's
 * p95 load when there is no projection).
 *
 * @internal
 */
export function rightSizing(
  input: Pick<
    RecommendationInput,
    'instances' | 'targetUtilization' | 'overall' | 'projection'
  >,
): CapacityRightSizing | undefined {
  const horizon = input.projection.horizons?.find(h => h.days === 30);
  if (horizon) {
    if (
      !input.overall.some(u => u.resource === 'cpu' || u.resource === 'memory')
    )
      return undefined;
    return {
      currentInstances: input.instances,
      neededInstances: horizon.instances,
      targetUtilization: input.targetUtilization,
      basis: `p95 CPU and memory scaled to the projected load in 30 days (${Math.round(
        horizon.requestsPerDay,
      )} requests a day)`,
    };
  }
  const needed = instancesNeeded({
    ratio: 1,
    instances: input.instances,
    targetUtilization: input.targetUtilization,
    overall: input.overall,
  });
  if (needed === undefined) return undefined;
  return {
    currentInstances: input.instances,
    neededInstances: needed,
    targetUtilization: input.targetUtilization,
    basis:
      'p95 CPU and memory over the period (no projection: not enough data)',
  };
}

/**
 * The date by which to act: the earliest limit date minus the lead time, never before today.
 *
 * @internal
 */
export function actBy(
  today: DateTime,
  earliestLimit: string | undefined,
  leadDays: number,
): string | undefined {
  if (!earliestLimit) return undefined;
  const date = DateTime.fromISO(earliestLimit, { zone: today.zone }).minus({
    days: leadDays,
  });
  return (date < today ? today : date).toISODate()!;
}

/**
 * The recommendations, highest priority first (in the seed's order within a priority).
 *
 * @internal
 */
export function recommendations(
  input: RecommendationInput,
  sizing: CapacityRightSizing | undefined,
): CapacityRecommendation[] {
  const result: CapacityRecommendation[] = [];
  const by = actBy(input.today, input.earliestLimit, input.actLeadDays);
  const withActBy = (r: CapacityRecommendation) =>
    by ? { ...r, actBy: by } : r;
  const overall = (resource: string) =>
    input.overall.find(u => u.resource === resource && u.slot === undefined);
  const target = input.targetUtilization;

  const cpu = overall('cpu');
  if (cpu && cpu.average > SEED_THRESHOLDS.cpuAverage) {
    const needed = Math.max(
      input.instances + 1,
      Math.ceil((cpu.average * input.instances) / target - 1e-9),
    );
    result.push(
      withActBy({
        id: 'high-cpu',
        type: 'scaling',
        priority: 'high',
        title: 'High CPU Usage',
        description: `Average CPU usage is ${fixed(
          cpu.average,
          1,
        )}%, consider scaling up`,
        action: `Scale from ${input.instances} to ${needed} instances (the cost model's instances), or move to a larger instance type`,
        expectedImpact: `Average CPU about ${fixed(
          (cpu.average * input.instances) / needed,
          1,
        )}% at ${needed} instances, leaving room for peaks (p95 ${fixed(
          cpu.p95,
          1,
        )}%)`,
        figures: {
          cpuAverage: cpu.average,
          cpuP95: cpu.p95,
          threshold: SEED_THRESHOLDS.cpuAverage,
          instances: input.instances,
          neededInstances: needed,
        },
      }),
    );
  }

  const memory = overall('memory');
  if (memory && memory.average > SEED_THRESHOLDS.memoryAverage) {
    result.push(
      withActBy({
        id: 'high-memory',
        type: 'scaling',
        priority: 'high',
        title: 'High Memory Usage',
        description: `Average memory usage is ${fixed(
          memory.average,
          1,
        )}%, consider increasing memory allocation`,
        action:
          'Give each instance more memory (a larger instance type or a higher memory limit), or spread the load over more instances',
        expectedImpact: `Fewer out-of-memory restarts and less swapping; doubling the memory brings the average to about ${fixed(
          memory.average / 2,
          1,
        )}%`,
        figures: {
          memoryAverage: memory.average,
          memoryP95: memory.p95,
          threshold: SEED_THRESHOLDS.memoryAverage,
        },
      }),
    );
  }

  const perRequest = input.costPerRequest;
  if (perRequest !== undefined && perRequest > SEED_THRESHOLDS.costPerRequest) {
    const monthlyRequests = input.requestsPerDay * 30;
    result.push({
      id: 'cost-per-request',
      type: 'cost_optimization',
      priority: 'medium',
      title: 'High Cost Per Request',
      description: `Cost per request is ${money(
        perRequest,
        input.currency,
        4,
      )}, consider optimization`,
      action:
        'Batch requests, cache frequent answers, quantize or distil the model, or serve it on a smaller instance type',
      expectedImpact: `At ${money(
        SEED_THRESHOLDS.costPerRequest,
        input.currency,
        2,
      )} per request the ${Math.round(
        monthlyRequests,
      )} requests of a month would cost ${money(
        (perRequest - SEED_THRESHOLDS.costPerRequest) * monthlyRequests,
        input.currency,
        2,
      )} less`,
      figures: {
        costPerRequest: perRequest,
        threshold: SEED_THRESHOLDS.costPerRequest,
        requestsPerDay: input.requestsPerDay,
      },
    });
  }

  const p = input.projection;
  if (
    p.status === 'ok' &&
    p.growthPerMonth !== undefined &&
    p.growthPerMonth > SEED_THRESHOLDS.growthPerMonth
  ) {
    const in30 = p.horizons?.find(h => h.days === 30);
    result.push(
      withActBy({
        id: 'growth',
        type: 'planning',
        priority: 'medium',
        title: 'High Growth Rate',
        description: `Growth rate is ${fixed(
          p.growthPerMonth * 100,
          1,
        )}%, plan for capacity increase`,
        action: in30
          ? `Plan for ${in30.instances} instances by ${in30.date} and budget for the projected monthly cost`
          : 'Plan for more instances and budget for the projected monthly cost',
        expectedImpact: in30
          ? `About ${Math.round(
              in30.requestsPerDay,
            )} requests a day in 30 days (${Math.round(
              in30.requestsPerDayLow,
            )} to ${Math.round(
              in30.requestsPerDayHigh,
            )} at 95 %), served without running out of headroom`
          : 'The growing load is served without running out of headroom',
        figures: {
          growthPerMonth: p.growthPerMonth * 100,
          threshold: SEED_THRESHOLDS.growthPerMonth * 100,
          ...(p.slopePerDay !== undefined
            ? { slopePerDay: p.slopePerDay }
            : {}),
          ...(in30 ? { requestsPerDayIn30Days: in30.requestsPerDay } : {}),
        },
      }),
    );
  }

  if (sizing && sizing.neededInstances !== sizing.currentInstances) {
    const up = sizing.neededInstances > sizing.currentInstances;
    const rec: CapacityRecommendation = {
      id: 'right-size',
      type: 'right_sizing',
      priority: up ? 'high' : 'low',
      title: up ? 'Add Instances' : 'Remove Instances',
      description: `${sizing.neededInstances} instances keep the ${sizing.basis} at or below ${sizing.targetUtilization}%; the model runs ${sizing.currentInstances}`,
      action: `Set the cost model's instances (or the replicas) to ${sizing.neededInstances}`,
      expectedImpact: up
        ? 'Utilization back at the target before the load arrives'
        : `${
            sizing.currentInstances - sizing.neededInstances
          } fewer instances to pay for, still at or below the target`,
      figures: {
        currentInstances: sizing.currentInstances,
        neededInstances: sizing.neededInstances,
        targetUtilization: sizing.targetUtilization,
      },
    };
    result.push(up ? withActBy(rec) : rec);
  }

  return result
    .map((r, i) => ({ r, i }))
    .sort(
      (a, b) =>
        PRIORITY_ORDER[a.r.priority] - PRIORITY_ORDER[b.r.priority] ||
        a.i - b.i,
    )
    .map(({ r }) => r);
}
