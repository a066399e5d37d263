/*
 * The projection: a least-squares line through the daily request totals, its growth, the date
 * each resource reaches its limit at the current instances, and what the next 30 and 90 days
 * need and cost. Pure functions (the caller passes `now`).
 */
import {
  CapacityHorizon,
  CapacityHourPoint,
  CapacityLimitDate,
  CapacityProjection,
  CapacityProjectionPoint,
  CapacityUtilization,
} from '@model-ops/plugin-model-ops-common';
import { DateTime } from 'luxon';
import { CostModel, costOf } from './costs';
import { LinearFit, linearFit, predict, tQuantile } from './stats';

/** The prediction interval's level. */
export const CONFIDENCE = 0.95;
/** The part of a day's hours that must have data for the day to count. */
export const MIN_DAY_COVERAGE = 0.75;
/** Limit dates further out than this are not given (the trend says nothing that far). */
export const MAX_LIMIT_DAYS = 3650;
/** The horizons projected. */
export const HORIZONS = [30, 90] as const;
/** The resources instances are sized for (disk does not shrink with more instances). */
export const SIZING_RESOURCES = ['cpu', 'memory'] as const;

/**
 * One full day of requests: a calendar day (in the report's time zone) inside the fit window
 * whose hours with data cover at least {@link MIN_DAY_COVERAGE} of it; its total is scaled up
 * to the whole day when some hours are missing.
 *
 * @internal
 */
export interface DailyTotal {
  date: string;
  /** Days since the first day of the fit window. */
  x: number;
  requests: number;
}

/**
 * The full days of the `fitDays` calendar days before today (the day holding `now`).
 *
 * @internal
 */
export function dailyTotals(
  hours: CapacityHourPoint[],
  options: { now: Date; timeZone: string; fitDays: number },
): { days: DailyTotal[]; firstDay: DateTime; today: DateTime } {
  const today = DateTime.fromJSDate(options.now, {
    zone: options.timeZone,
  }).startOf('day');
  const firstDay = today.minus({ days: options.fitDays });
  const byDate = new Map<string, { sum: number; n: number }>();
  for (const h of hours) {
    const date = DateTime.fromISO(h.t, { zone: options.timeZone }).toISODate()!;
    const acc = byDate.get(date) ?? { sum: 0, n: 0 };
    acc.sum += h.requests;
    acc.n += 1;
    byDate.set(date, acc);
  }
  const days: DailyTotal[] = [];
  for (let x = 0; x < options.fitDays; x++) {
    const day = firstDay.plus({ days: x });
    const hoursInDay = Math.round(
      day.plus({ days: 1 }).diff(day, 'hours').hours,
    );
    const acc = byDate.get(day.toISODate()!);
    if (!acc || acc.n < MIN_DAY_COVERAGE * hoursInDay) continue;
    days.push({
      date: day.toISODate()!,
      x,
      requests: (acc.sum * hoursInDay) / acc.n,
    });
  }
  return { days, firstDay, today };
}

/** The message of a projection without enough full days. @internal */
export function insufficientMessage(available: number, needed: number) {
  return `not enough data (${available} days of ${needed} needed)`;
}

/**
 * Instances needed for a load `ratio` times today's at the target utilization: each sizing
 * resource's p95 scaled with the load and spread over instances so that none passes the
 * target; at least one. Undefined without utilization to size from.
 *
 * @internal
 */
export function instancesNeeded(options: {
  ratio: number;
  instances: number;
  targetUtilization: number;
  overall: CapacityUtilization[];
}): number | undefined {
  let needed: number | undefined;
  for (const resource of SIZING_RESOURCES) {
    const u = options.overall.find(
      o => o.resource === resource && o.slot === undefined,
    );
    if (!u) continue;
    const demand = u.p95 * options.instances * Math.max(0, options.ratio);
    // A hair below a whole number is that number, not one more instance.
    const n = Math.max(1, Math.ceil(demand / options.targetUtilization - 1e-9));
    needed = Math.max(needed ?? 0, n);
  }
  return needed;
}

/**
 * What the model's limits and load come to: everything the projection needs besides the
 * hours.
 *
 * @internal
 */
export interface ProjectionOptions {
  now: Date;
  timeZone: string;
  /** Calendar days before today the fit goes over. */
  fitDays: number;
  /** Full days needed for a fit, at least 3. */
  minDays: number;
  /** The model's overall utilization over the period (with limits where a rule watches). */
  overall: CapacityUtilization[];
  instances: number;
  targetUtilization: number;
  costModel: CostModel;
  /** Tokens per request, when tokens are measured. */
  tokensPerRequest?: number;
}

/**
 * The projection and what the recommendations need of it.
 *
 * @internal
 */
export interface ProjectionResult {
  projection: CapacityProjection;
  /** The fit's requests per day today, when there is a fit. */
  currentLevel?: number;
  /** The earliest date a resource reaches its limit (today when one is already past it). */
  earliestLimit?: string;
}

/**
 * The least-squares projection of the daily request totals, or `insufficient` with "not enough
 * data (n days of m needed)" when fewer than `minDays` full days exist.
 *
 * Growth per week and month is the fitted gain over 7 and 30 days relative to the fitted level
 * today. Utilization is taken to scale with load per instance: a resource whose p95 is `p` at
 * today's fitted level `L0` reaches its limit `lim` when the load reaches `L0 · lim / p`, and
 * horizons size instances for their projected load (and its interval's bounds) the same way.
 *
 * @internal
 */
export function project(
  hours: CapacityHourPoint[],
  options: ProjectionOptions,
): ProjectionResult {
  const { days, firstDay, today } = dailyTotals(hours, options);
  const minDays = Math.max(3, options.minDays);
  if (days.length < minDays) {
    return {
      projection: {
        status: 'insufficient',
        message: insufficientMessage(days.length, minDays),
        daysAvailable: days.length,
        daysNeeded: minDays,
      },
    };
  }
  const fit = linearFit(days.map(d => ({ x: d.x, y: d.requests })));
  const t = tQuantile(1 - (1 - CONFIDENCE) / 2, fit.n - 2);
  const xToday = options.fitDays;
  const at = (x: number) => {
    const p = predict(fit, x, CONFIDENCE, t);
    return {
      y: Math.max(0, p.y),
      low: Math.max(0, p.low),
      high: Math.max(0, p.high),
    };
  };
  const fitted = fit.intercept + fit.slope * xToday;
  const meanDaily = days.reduce((s, d) => s + d.requests, 0) / days.length;
  // Today's level the utilization goes with; the measured mean when the line has gone to 0.
  const baseline = fitted > 0 ? fitted : meanDaily;

  const actual = new Map(days.map(d => [d.x, d.requests]));
  const series: CapacityProjectionPoint[] = [];
  for (let x = 0; x <= xToday + HORIZONS[HORIZONS.length - 1]; x++) {
    const p = at(x);
    const point: CapacityProjectionPoint = {
      date: firstDay.plus({ days: x }).toISODate()!,
      requests: p.y,
      low: p.low,
      high: p.high,
    };
    if (actual.has(x)) point.actual = actual.get(x)!;
    series.push(point);
  }

  const sizing = (requestsPerDay: number) =>
    instancesNeeded({
      ratio: baseline > 0 ? requestsPerDay / baseline : 1,
      instances: options.instances,
      targetUtilization: options.targetUtilization,
      overall: options.overall,
    }) ?? options.instances;
  const monthlyCost = (requestsPerDay: number) =>
    costOf(options.costModel, {
      instanceHours: 30 * 24 * sizing(requestsPerDay),
      requests: 30 * requestsPerDay,
      tokens:
        options.tokensPerRequest === undefined
          ? undefined
          : 30 * requestsPerDay * options.tokensPerRequest,
    });
  const horizons: CapacityHorizon[] = HORIZONS.map(daysAhead => {
    const p = at(xToday + daysAhead);
    return {
      days: daysAhead,
      date: today.plus({ days: daysAhead }).toISODate()!,
      requestsPerDay: p.y,
      requestsPerDayLow: p.low,
      requestsPerDayHigh: p.high,
      instances: sizing(p.y),
      monthlyCost: monthlyCost(p.y),
      monthlyCostLow: monthlyCost(p.low),
      monthlyCostHigh: monthlyCost(p.high),
    };
  });

  const limits = limitDates(fit, {
    baseline,
    today,
    overall: options.overall,
  });
  const dates = limits.flatMap(l => {
    if (l.reached) return [today.toISODate()!];
    return l.date ? [l.date] : [];
  });
  return {
    projection: {
      status: 'ok',
      daysAvailable: days.length,
      daysNeeded: minDays,
      method: `least-squares linear fit of daily request totals over the ${options.fitDays} days before today`,
      r2: fit.r2,
      slopePerDay: fit.slope,
      growthPerWeek: baseline > 0 ? (7 * fit.slope) / baseline : 0,
      growthPerMonth: baseline > 0 ? (30 * fit.slope) / baseline : 0,
      confidence: CONFIDENCE,
      series,
      horizons,
      limits,
    },
    currentLevel: fitted,
    earliestLimit: dates.sort()[0],
  };
}

/**
 * When each resource with a limit reaches it at the current instances, if the trend goes on:
 * the first day whose fitted load reaches `baseline · limit / p95`. None on a flat or falling
 * trend, past {@link MAX_LIMIT_DAYS}, or when already reached.
 *
 * @internal
 */
export function limitDates(
  fit: Pick<LinearFit, 'slope'>,
  options: {
    baseline: number;
    today: DateTime;
    overall: CapacityUtilization[];
  },
): CapacityLimitDate[] {
  return options.overall
    .filter(u => u.slot === undefined && u.limit !== undefined && u.limit > 0)
    .map(u => {
      const limit = u.limit!;
      const entry: CapacityLimitDate = {
        resource: u.resource,
        limit,
        reached: u.p95 >= limit,
      };
      if (entry.reached || !(u.p95 > 0) || !(fit.slope > 0)) return entry;
      if (!(options.baseline > 0)) return entry;
      const days = (options.baseline * (limit / u.p95 - 1)) / fit.slope;
      if (days <= MAX_LIMIT_DAYS) {
        entry.date = options.today
          .plus({ days: Math.ceil(days - 1e-9) })
          .toISODate()!;
      }
      return entry;
    });
}
