/*
 * Current usage over a period, from hourly points: request patterns, utilization, cost and
 * bottlenecks. Pure functions of their inputs (no clock, no I/O), so constructed series give
 * known answers.
 */
import {
  CapacityBottleneck,
  CapacityCost,
  CapacityHourPoint,
  CapacityRequests,
  CapacityResource,
  CapacityUtilization,
  RuleSet,
  SlotName,
} from '@model-ops/plugin-model-ops-common';
import { DateTime } from 'luxon';
import { CostModel, costOf, currencyOf } from './costs';
import { mean, percentile } from './stats';

export const HOUR_MS = 3_600_000;

/** The resources whose utilization capacity planning watches. @internal */
export const CAPACITY_RESOURCES: CapacityResource[] = ['cpu', 'memory', 'disk'];

/**
 * One slot's hour as the stored series give it: the averages of the hour's samples, the
 * version the slot served, and how much of the hour counts (1, or the elapsed part of the
 * current hour). A slot-hour exists when the slot reported any sample in the hour.
 *
 * @internal
 */
export interface SlotHour {
  slot: SlotName;
  /** The start of the hour, epoch milliseconds. */
  t: number;
  /** The part of the hour the figures cover, 0 to 1. */
  fraction: number;
  version: string;
  /** Requests a second (the hour's average). */
  throughput?: number;
  cpu?: number;
  memory?: number;
  disk?: number;
  /** Tokens a second, when a token metric is stored. */
  tokens?: number;
}

/** The requests of a slot-hour: the average throughput over the part of the hour it covers. */
export function slotHourRequests(h: SlotHour): number {
  return (h.throughput ?? 0) * 3600 * h.fraction;
}

/** What a slot-hour cost: its instances for the part of the hour, and what it served. */
export function slotHourCost(h: SlotHour, model: CostModel): number {
  return costOf(model, {
    instanceHours: model.instances * h.fraction,
    requests: slotHourRequests(h),
    tokens: h.tokens === undefined ? undefined : h.tokens * 3600 * h.fraction,
  });
}

/**
 * A resource's value of an hour over its slots: weighted by each slot's throughput, so that an
 * idle warm color does not halve the serving color's figure (the status's plain mean would);
 * the plain mean when nothing was served.
 */
function combined(
  hours: SlotHour[],
  resource: CapacityResource,
): number | undefined {
  const withValue = hours.filter(h => h[resource] !== undefined);
  if (withValue.length === 0) return undefined;
  const weight = withValue.reduce((sum, h) => sum + (h.throughput ?? 0), 0);
  if (weight > 0) {
    return (
      withValue.reduce(
        (sum, h) => sum + h[resource]! * (h.throughput ?? 0),
        0,
      ) / weight
    );
  }
  return mean(withValue.map(h => h[resource]!));
}

/**
 * The model's hours, all slots together, oldest first: requests, utilization and cost. Only
 * hours with samples appear.
 *
 * @internal
 */
export function modelHours(
  slotHours: SlotHour[],
  costModel: CostModel,
  seeded?: { from: Date; to: Date },
): CapacityHourPoint[] {
  const byHour = new Map<number, SlotHour[]>();
  for (const h of slotHours) {
    const list = byHour.get(h.t) ?? [];
    list.push(h);
    byHour.set(h.t, list);
  }
  return [...byHour.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, hours]) => {
      const point: CapacityHourPoint = {
        t: new Date(t).toISOString(),
        requests: hours.reduce((sum, h) => sum + slotHourRequests(h), 0),
      };
      for (const resource of CAPACITY_RESOURCES) {
        const value = combined(hours, resource);
        if (value !== undefined) point[resource] = value;
      }
      point.cost = hours.reduce(
        (sum, h) => sum + slotHourCost(h, costModel),
        0,
      );
      if (seeded && t >= seeded.from.getTime() && t < seeded.to.getTime()) {
        point.seeded = true;
      }
      return point;
    });
}

function argMax<T>(items: T[], value: (item: T) => number): T | undefined {
  let best: T | undefined;
  for (const item of items) {
    if (best === undefined || value(item) > value(best)) best = item;
  }
  return best;
}

/**
 * Request patterns: the total, the average hour, the average of each hour of the day and of each
 * weekday (a weekday's average is its requests over the dates of that weekday with data), the
 * 168-cell weekday-by-hour profile, the peaks, the busiest hour over the average hour, and the
 * requests of each version.
 *
 * @internal
 */
export function requestPatterns(
  hours: CapacityHourPoint[],
  slotHours: SlotHour[],
  timeZone: string,
): CapacityRequests {
  const total = hours.reduce((sum, h) => sum + h.requests, 0);
  const averagePerHour = hours.length ? total / hours.length : 0;

  const hourOfDay = Array.from({ length: 24 }, () => ({ sum: 0, n: 0 }));
  const weekday = Array.from({ length: 8 }, () => ({
    sum: 0,
    dates: new Set<string>(),
  }));
  const cells = new Map<string, { sum: number; n: number }>();
  for (const h of hours) {
    const local = DateTime.fromISO(h.t, { zone: timeZone });
    hourOfDay[local.hour].sum += h.requests;
    hourOfDay[local.hour].n += 1;
    weekday[local.weekday].sum += h.requests;
    weekday[local.weekday].dates.add(local.toISODate()!);
    const key = `${local.weekday}:${local.hour}`;
    const cell = cells.get(key) ?? { sum: 0, n: 0 };
    cell.sum += h.requests;
    cell.n += 1;
    cells.set(key, cell);
  }
  const byHourOfDay = hourOfDay.map((acc, hour) => ({
    hour,
    requests: acc.n ? acc.sum / acc.n : 0,
  }));
  const byWeekday = weekday.slice(1).map((acc, i) => ({
    weekday: i + 1,
    requests: acc.dates.size ? acc.sum / acc.dates.size : 0,
  }));
  const profile = [];
  for (let wd = 1; wd <= 7; wd++) {
    for (let hour = 0; hour < 24; hour++) {
      const cell = cells.get(`${wd}:${hour}`);
      profile.push({
        weekday: wd,
        hour,
        requests: cell ? cell.sum / cell.n : 0,
        samples: cell?.n ?? 0,
      });
    }
  }

  const versions = new Map<string, number>();
  for (const h of slotHours) {
    versions.set(
      h.version,
      (versions.get(h.version) ?? 0) + slotHourRequests(h),
    );
  }
  const byVersion = [...versions.entries()]
    .map(([version, requests]) => ({
      version,
      requests,
      share: total > 0 ? requests / total : 0,
    }))
    .sort((a, b) => b.requests - a.requests || cmp(a.version, b.version));

  const result: CapacityRequests = {
    total,
    averagePerHour,
    peakToAverage:
      averagePerHour > 0
        ? Math.max(...hours.map(h => h.requests)) / averagePerHour
        : 0,
    byHourOfDay,
    byWeekday,
    profile,
    byVersion,
  };
  if (total > 0) {
    result.peakHour = argMax(byHourOfDay, e => e.requests)!.hour;
    result.peakWeekday = argMax(byWeekday, e => e.requests)!.weekday;
  }
  return result;
}

function cmp(a: string, b: string): number {
  return Number(a > b) - Number(a < b);
}

/** The warning level of the rule set's rule on a resource, when one watches it going up. */
export function resourceLimit(
  ruleSet: RuleSet,
  resource: CapacityResource,
): number | undefined {
  const rule = ruleSet.rules.find(
    r => r.metric === resource && r.operator === '>',
  );
  return rule?.warning;
}

/**
 * Average and p95 of each resource over the period's hours: the model overall (slots combined
 * by throughput) first, then each slot. The p95 is of hourly averages.
 *
 * @internal
 */
export function utilization(
  hours: CapacityHourPoint[],
  slotHours: SlotHour[],
  ruleSet: RuleSet,
): CapacityUtilization[] {
  const result: CapacityUtilization[] = [];
  const entry = (
    resource: CapacityResource,
    values: number[],
    slot?: SlotName,
  ) => {
    if (values.length === 0) return;
    const u: CapacityUtilization = {
      resource,
      average: mean(values)!,
      p95: percentile(values, 0.95)!,
    };
    if (slot) u.slot = slot;
    const limit = resourceLimit(ruleSet, resource);
    if (limit !== undefined) u.limit = limit;
    result.push(u);
  };
  for (const resource of CAPACITY_RESOURCES) {
    entry(
      resource,
      hours.flatMap(h => (h[resource] === undefined ? [] : [h[resource]!])),
    );
  }
  const slots = [...new Set(slotHours.map(h => h.slot))].sort(cmp);
  for (const slot of slots) {
    for (const resource of CAPACITY_RESOURCES) {
      entry(
        resource,
        slotHours.flatMap(h =>
          h.slot === slot && h[resource] !== undefined ? [h[resource]!] : [],
        ),
        slot,
      );
    }
  }
  return result;
}

/** The note when a per-token price is configured but no tokens are measured. */
export const TOKENS_NOT_MEASURED =
  'tokens are not measured; the per-1,000-tokens price is not applied';

/**
 * The cost over the period from the cost model: each slot-hour costs its instances for the part
 * of the hour it covers (GPU-hours included) plus its requests (and measured tokens) at their
 * per-1,000 prices. Per day is the total over the days of data (hours with data / 24).
 *
 * @internal
 */
export function costAnalysis(
  slotHours: SlotHour[],
  costModel: CostModel,
  timeZone: string,
): CapacityCost {
  let total = 0;
  let requests = 0;
  const hoursWithData = new Set<number>();
  const versions = new Map<string, { cost: number; requests: number }>();
  const slots = new Map<SlotName, { cost: number; instanceHours: number }>();
  const daily = new Map<string, number>();
  let tokensMeasured = false;
  for (const h of slotHours) {
    const cost = slotHourCost(h, costModel);
    const served = slotHourRequests(h);
    if (h.tokens !== undefined) tokensMeasured = true;
    total += cost;
    requests += served;
    hoursWithData.add(h.t);
    const v = versions.get(h.version) ?? { cost: 0, requests: 0 };
    v.cost += cost;
    v.requests += served;
    versions.set(h.version, v);
    const s = slots.get(h.slot) ?? { cost: 0, instanceHours: 0 };
    s.cost += cost;
    s.instanceHours += costModel.instances * h.fraction;
    slots.set(h.slot, s);
    const date = DateTime.fromMillis(h.t, { zone: timeZone }).toISODate()!;
    const key = `${date}\u0000${h.version}`;
    daily.set(key, (daily.get(key) ?? 0) + cost);
  }
  const notes: string[] = [];
  if (costModel.per1kTokensUsd && !tokensMeasured) {
    notes.push(TOKENS_NOT_MEASURED);
  }
  const result: CapacityCost = {
    currency: currencyOf(costModel),
    total,
    perDay: hoursWithData.size ? (total * 24) / hoursWithData.size : 0,
    byVersion: [...versions.entries()]
      .sort(([a], [b]) => cmp(a, b))
      .map(([version, v]) => ({
        version,
        cost: v.cost,
        requests: v.requests,
        ...(v.requests > 0 ? { perRequest: v.cost / v.requests } : {}),
      })),
    bySlot: [...slots.entries()]
      .sort(([a], [b]) => cmp(a, b))
      .map(([slot, s]) => ({ slot, ...s })),
    daily: [...daily.entries()]
      .map(([key, cost]) => {
        const [date, version] = key.split('\u0000');
        return { date, version, cost };
      })
      .sort((a, b) => cmp(a.date, b.date) || cmp(a.version, b.version)),
    notes,
  };
  if (requests > 0) result.perRequest = total / requests;
  return result;
}

/** The share of its limit from which a resource counts as near it. */
export const NEAR_SHARE = 0.8;

/**
 * Each watched resource's headroom: its p95 against the warning level of the model's rule for
 * it, closest to the limit first. Resources no rule watches have no limit and are left out.
 *
 * @internal
 */
export function bottlenecks(
  usage: CapacityUtilization[],
): CapacityBottleneck[] {
  return usage
    .filter(u => u.slot === undefined && u.limit !== undefined && u.limit > 0)
    .map(u => {
      const limit = u.limit!;
      const usedShare = u.p95 / limit;
      let level: CapacityBottleneck['level'] = 'ok';
      if (u.p95 > limit) level = 'over';
      else if (usedShare >= NEAR_SHARE) level = 'near';
      return {
        resource: u.resource,
        p95: u.p95,
        average: u.average,
        limit,
        headroom: limit - u.p95,
        usedShare,
        level,
      };
    })
    .sort((a, b) => b.usedShare - a.usedShare || cmp(a.resource, b.resource));
}
