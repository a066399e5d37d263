/*
 * The capacity report from a model's slot-hours: the period's usage, the projection over the
 * fit window, the recommendations. Pure: the service reads the data and passes the clock.
 */
import {
  CapacityCostModel,
  CapacityPeriod,
  CapacityReport,
  RuleSet,
} from '@model-ops/plugin-model-ops-common';
import { DateTime } from 'luxon';
import {
  HOUR_MS,
  SlotHour,
  bottlenecks,
  costAnalysis,
  modelHours,
  requestPatterns,
  utilization,
} from './analysis';
import { CostModel, currencyOf } from './costs';
import { project } from './projection';
import { recommendations, rightSizing } from './recommendations';
import type { SeededRange } from './SeededHistory';

/** The periods and their hours. @internal */
export const PERIOD_HOURS: Record<CapacityPeriod, number> = {
  '24h': 24,
  '7d': 7 * 24,
  '30d': 30 * 24,
};

/** The projection fits over at least this many days, whatever the period. */
export const MIN_FIT_DAYS = 7;

/**
 * Capacity planning's settings (`modelOps.capacity`).
 *
 * @internal
 */
export interface CapacityOptions {
  /** Percent of a resource an instance is sized to; 70. */
  targetUtilization: number;
  /** IANA name of the zone hours of the day, weekdays and days are in; UTC. */
  timeZone: string;
  /** Full days a projection needs; 3. */
  minProjectionDays: number;
  /** Days before a limit date by which to act; 14. */
  actLeadDays: number;
}

/** The defaults of {@link CapacityOptions}. @internal */
export const DEFAULT_CAPACITY_OPTIONS: CapacityOptions = {
  targetUtilization: 70,
  timeZone: 'UTC',
  minProjectionDays: 3,
  actLeadDays: 14,
};

/**
 * The window a report reads: the period's hours (the first starts on the hour, the last is the
 * current one, partly elapsed) and the calendar days the projection fits over (the period's,
 * at least {@link MIN_FIT_DAYS}, before today).
 *
 * @internal
 */
export function reportWindow(
  period: CapacityPeriod,
  now: Date,
  timeZone: string,
): { from: Date; readFrom: Date; fitDays: number } {
  const hours = PERIOD_HOURS[period];
  const currentHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const from = new Date(currentHour - (hours - 1) * HOUR_MS);
  const fitDays = Math.max(MIN_FIT_DAYS, hours / 24);
  const fitFrom = DateTime.fromJSDate(now, { zone: timeZone })
    .startOf('day')
    .minus({ days: fitDays })
    .toJSDate();
  return {
    from,
    readFrom: new Date(Math.min(from.getTime(), fitFrom.getTime())),
    fitDays,
  };
}

function describeCostModel(model: CostModel): CapacityCostModel {
  const described: CapacityCostModel = {
    name: model.name,
    currency: currencyOf(model),
    instanceHour: model.instanceHourUsd,
    instances: model.instances,
  };
  if (model.gpuHourUsd !== undefined) {
    described.gpuHour = model.gpuHourUsd;
    described.gpusPerInstance = model.gpusPerInstance ?? 1;
  }
  if (model.per1kRequestsUsd !== undefined)
    described.per1kRequests = model.per1kRequestsUsd;
  if (model.per1kTokensUsd !== undefined)
    described.per1kTokens = model.per1kTokensUsd;
  return described;
}

/**
 * Everything a report is made from.
 *
 * @internal
 */
export interface ReportInput {
  entityRef: string;
  period: CapacityPeriod;
  now: Date;
  /** The slot-hours from {@link reportWindow}'s `readFrom` through now. */
  slotHours: SlotHour[];
  costModel: CostModel;
  ruleSet: RuleSet;
  options: CapacityOptions;
  seeded?: SeededRange;
}

/**
 * The capacity report of one model.
 *
 * @internal
 */
export function buildReport(input: ReportInput): CapacityReport {
  const { options, costModel, now } = input;
  const { timeZone } = options;
  const window = reportWindow(input.period, now, timeZone);
  const inPeriod = input.slotHours.filter(
    h => h.t >= window.from.getTime() && h.t <= now.getTime(),
  );
  const seeded =
    input.seeded &&
    input.seeded.to.getTime() > window.from.getTime() &&
    input.seeded.from.getTime() <= now.getTime()
      ? {
          from: new Date(
            Math.max(input.seeded.from.getTime(), window.from.getTime()),
          ),
          to: new Date(Math.min(input.seeded.to.getTime(), now.getTime())),
        }
      : undefined;

  const allHours = modelHours(input.slotHours, costModel, input.seeded);
  const hours = allHours.filter(h => Date.parse(h.t) >= window.from.getTime());
  const requests = requestPatterns(hours, inPeriod, timeZone);
  const usage = utilization(hours, inPeriod, input.ruleSet);
  const overall = usage.filter(u => u.slot === undefined);
  const cost = costAnalysis(inPeriod, costModel, timeZone);

  const tokenHours = inPeriod.filter(h => h.tokens !== undefined);
  const tokens = tokenHours.reduce(
    (sum, h) => sum + h.tokens! * 3600 * h.fraction,
    0,
  );
  const instances = costModel.instances;
  const { projection, earliestLimit } = project(allHours, {
    now,
    timeZone,
    fitDays: window.fitDays,
    minDays: options.minProjectionDays,
    overall,
    instances,
    targetUtilization: options.targetUtilization,
    costModel,
    tokensPerRequest:
      tokenHours.length && requests.total > 0
        ? tokens / requests.total
        : undefined,
  });
  const today = DateTime.fromJSDate(now, { zone: timeZone }).startOf('day');
  const sizing = rightSizing({
    instances,
    targetUtilization: options.targetUtilization,
    overall,
    projection,
  });
  const days = new Set(hours.map(h => h.t)).size / 24;
  const report: CapacityReport = {
    entityRef: input.entityRef,
    period: input.period,
    from: window.from.toISOString(),
    to: now.toISOString(),
    timeZone,
    generatedAt: now.toISOString(),
    instances,
    costModel: describeCostModel(costModel),
    hours,
    requests,
    utilization: usage,
    cost,
    bottlenecks: bottlenecks(usage),
    projection,
    recommendations: recommendations(
      {
        today,
        instances,
        targetUtilization: options.targetUtilization,
        actLeadDays: options.actLeadDays,
        overall,
        costPerRequest: cost.perRequest,
        currency: cost.currency,
        requestsPerDay: days > 0 ? requests.total / days : 0,
        projection,
        earliestLimit,
      },
      sizing,
    ),
  };
  if (sizing) report.rightSizing = sizing;
  if (seeded) {
    report.seeded = {
      from: seeded.from.toISOString(),
      to: seeded.to.toISOString(),
      note: `The samples from ${seeded.from.toISOString()} to ${seeded.to.toISOString()} were seeded as demo history, not measured`,
    };
  }
  return report;
}
