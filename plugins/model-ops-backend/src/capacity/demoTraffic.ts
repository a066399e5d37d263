import { ModelMetric, SlotName } from '@model-ops/plugin-model-ops-common';
import { MetricSample } from '@model-ops/plugin-model-ops-node';
import { seededRandom } from '../lib/random';
import type { CostPerRequestFunction } from '../sources';

/**
 * The demo traffic pattern, as a metric source would have measured it minute by minute: what
 * the demo history task seeds the demo models' past with.
 *
 * The daily shape mirrors the demo traffic generator's
 * (`examples/traffic-generator/src/profile.ts`: low at night, a late-morning peak, an afternoon
 * plateau, a smaller evening peak, averaging 1 over a day); the backend does not import from
 * `examples/`, so the formula is repeated here and must be kept in step with it. Unlike the
 * generator, which compresses a day into minutes, a seeded day lasts 24 hours (UTC), weekends
 * are quieter, and a model may grow.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** The month growth rates are given per. */
export const MONTH_DAYS = 30;

/** A smooth, 24-hour periodic bump centred on `centre` (von Mises shape; larger `k` is narrower). */
function bump(hour: number, centre: number, k: number): number {
  return Math.exp(k * (Math.cos((2 * Math.PI * (hour - centre)) / 24) - 1));
}

function rawProfile(hour: number): number {
  return (
    0.1 + // night floor
    1.0 * bump(hour, 11, 2.2) + // late-morning peak
    0.8 * bump(hour, 20, 3.5) + // evening peak
    0.25 * bump(hour, 15, 1.2) // afternoon plateau
  );
}

const RAW_MEAN = (() => {
  const steps = 24 * 60;
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += rawProfile((24 * i) / steps);
  return sum / steps;
})();

/**
 * The traffic multiplier at `hour` of the day (any number, taken modulo 24): about 0.25 at
 * 03:00, 1.84 at 11:00 and 1.5 at 20:00, averaging 1 over a day. The traffic generator's
 * `dayProfile`.
 */
export function dayProfile(hour: number): number {
  const h = ((hour % 24) + 24) % 24;
  return rawProfile(h) / RAW_MEAN;
}

/** Relative traffic per weekday (UTC), Sunday first, before normalising: quieter weekends. */
const RAW_WEEKDAY = [0.68, 1.02, 1.06, 1.06, 1.04, 0.98, 0.72];
const RAW_WEEKDAY_MEAN = RAW_WEEKDAY.reduce((a, b) => a + b, 0) / 7;

/** The traffic multiplier of a weekday (0 = Sunday), averaging 1 over a week. */
export function weekdayFactor(weekday: number): number {
  return RAW_WEEKDAY[((weekday % 7) + 7) % 7] / RAW_WEEKDAY_MEAN;
}

/**
 * How one demo model's traffic and resources behave. Resource use follows the load: CPU and
 * memory rise with the requests each instance serves, latency with CPU, so a growing model
 * approaches its limits.
 */
export interface DemoModelTraffic {
  /** Seeds the model's noise: the same seed gives the same history. */
  seed: number;
  /**
   * Requests a second averaged over a week at the end of the history, where measured traffic
   * starts (the demo traffic generator's 4 a second per model).
   */
  baseRps: number;
  /**
   * Growth of the daily totals per month (30 days), relative to their mean over the history: a
   * least-squares line through the seeded days' expected totals rises by this share of their
   * mean every 30 days (see {@link growthPerDay}). 0 is flat.
   */
  growthPerMonth: number;
  /** Amplitude of the slow multiplicative noise of the rate (0.15: up to ±15 %). */
  noise: number;
  /** CPU % of an idle instance, and the CPU % one request a second adds to an instance. */
  cpuIdlePct: number;
  cpuPerRpsPct: number;
  /** Memory % of an idle instance, and what one request a second per instance adds. */
  memoryIdlePct: number;
  memoryPerRpsPct: number;
  /** Disk % at the start of the history, and how much it fills a day (logs, caches). */
  diskStartPct: number;
  diskPerDayPct: number;
  /** Median response time of an idle instance; it rises as CPU nears saturation. */
  p50Ms: number;
  /** p95 as a multiple of p50 when idle. */
  p95Factor: number;
  /** Share of answers that are errors, in %. */
  errorRatePct: number;
}

/**
 * The demo models (examples/models.yaml) and their traffic: fraud-detector grows by about 30 %
 * a month and runs out of CPU room (its `strict` rules warn at 70 %), so its Capacity tab has
 * a projection and a planning recommendation; the other two are steady.
 */
export const DEMO_TRAFFIC: Readonly<Record<string, DemoModelTraffic>> = {
  'sentiment-classifier': {
    seed: 101,
    baseRps: 4,
    growthPerMonth: 0.04,
    noise: 0.15,
    cpuIdlePct: 6,
    cpuPerRpsPct: 5,
    memoryIdlePct: 32,
    memoryPerRpsPct: 1.5,
    diskStartPct: 22,
    diskPerDayPct: 0.05,
    p50Ms: 18,
    p95Factor: 2.6,
    errorRatePct: 0.3,
  },
  'fraud-detector': {
    seed: 202,
    baseRps: 4,
    growthPerMonth: 0.3,
    noise: 0.12,
    cpuIdlePct: 8,
    cpuPerRpsPct: 12.5,
    memoryIdlePct: 38,
    memoryPerRpsPct: 5,
    diskStartPct: 30,
    diskPerDayPct: 0.12,
    p50Ms: 35,
    p95Factor: 2.8,
    errorRatePct: 0.2,
  },
  'churn-predictor': {
    seed: 303,
    baseRps: 4,
    growthPerMonth: -0.03,
    noise: 0.2,
    cpuIdlePct: 4,
    cpuPerRpsPct: 3,
    memoryIdlePct: 25,
    memoryPerRpsPct: 1,
    diskStartPct: 15,
    diskPerDayPct: 0.03,
    p50Ms: 12,
    p95Factor: 3,
    errorRatePct: 1.2,
  },
};

/**
 * The slope of the growth multiplier per day for a history `[from, to)` (the multiplier is
 * `1 + slope × days before the end`, so 1 where measured traffic starts): chosen so that a
 * least-squares line through the expected totals of the history's complete (UTC) days rises by
 * `growthPerMonth` of their mean every 30 days, whichever weekday the history starts on (the
 * quieter weekends would otherwise tilt the line by up to ±9 points a month). With fewer than
 * two complete days, the line through the multiplier itself.
 */
export function growthPerDay(
  growthPerMonth: number,
  from: Date,
  to: Date,
): number {
  const k = growthPerMonth / MONTH_DAYS;
  const end = to.getTime();
  const firstDay = Math.ceil(from.getTime() / DAY_MS);
  const days = Math.floor(end / DAY_MS) - firstDay;
  if (days < 2) {
    const length = (end - from.getTime()) / DAY_MS;
    return k / (1 + (k * length) / 2);
  }
  // Day i's expected total is W_i × (1 + slope × x_i), x_i its middle in days before the end;
  // solve slope(totals) / mean(totals) = k for the multiplier's slope.
  const middle = (days - 1) / 2;
  let sxx = 0;
  let a1 = 0;
  let b1 = 0;
  let a2 = 0;
  let b2 = 0;
  for (let i = 0; i < days; i++) {
    const dayStart = (firstDay + i) * DAY_MS;
    const w = weekdayFactor(new Date(dayStart).getUTCDay());
    const x = (dayStart + DAY_MS / 2 - end) / DAY_MS;
    sxx += (i - middle) ** 2;
    a1 += (i - middle) * w;
    b1 += (i - middle) * w * x;
    a2 += w / days;
    b2 += (w * x) / days;
  }
  return (k * a2 - a1 / sxx) / (b1 / sxx - k * b2);
}

/** A value in [-1, 1] for knot `index` of a noise keyed by `seed`, from the two alone. */
function knot(seed: number, index: number): number {
  return seededRandom((Math.imul(seed, 0x9e3779b1) ^ index) >>> 0)() * 2 - 1;
}

/** Noise knots this far apart; the noise changes linearly between them. */
const KNOT_MS = 20 * MINUTE_MS;

/** Slow noise in [-1, 1] at `t`: the same at the same time however the range is cut. */
function slowNoise(seed: number, t: number): number {
  const position = t / KNOT_MS;
  const index = Math.floor(position);
  const f = position - index;
  return knot(seed, index) * (1 - f) + knot(seed, index + 1) * f;
}

/** The metrics of one minute, as a metric source reports them. */
export type DemoMinute = Record<
  Extract<
    ModelMetric,
    | 'throughput'
    | 'responseTimeP50'
    | 'responseTimeP95'
    | 'errorRate'
    | 'cpu'
    | 'memory'
    | 'disk'
  >,
  number
> & { costPerRequest?: number };

/** What a seeded range needs besides the model's traffic. */
export interface DemoRange {
  modelId: string;
  slot: SlotName;
  /** The first minute of the whole history, and its end (exclusive). */
  from: Date;
  to: Date;
  /** Instances serving the model (its cost model's). */
  instances: number;
  costPerRequest?: CostPerRequestFunction;
}

const clamp = (value: number, min: number, max: number) =>
  Math.min(max, Math.max(min, value));

/**
 * The samples of the minutes in `[segmentFrom, segmentTo)` of a history, one per metric and
 * minute stamped at the minute's start, as a metric source would have collected them. Pure:
 * the same range and traffic give the same samples, however the history is cut into segments.
 */
export function demoSamples(
  traffic: DemoModelTraffic,
  range: DemoRange,
  segmentFrom: Date,
  segmentTo: Date,
): MetricSample[] {
  const samples: MetricSample[] = [];
  const end = range.to.getTime();
  const slope = growthPerDay(traffic.growthPerMonth, range.from, range.to);
  const first = Math.max(
    Math.ceil(segmentFrom.getTime() / MINUTE_MS) * MINUTE_MS,
    range.from.getTime(),
  );
  const last = Math.min(segmentTo.getTime(), end);
  const instances = Math.max(1, range.instances);
  for (let t = first; t < last; t += MINUTE_MS) {
    // The per-minute jitter comes from a sequence per minute, so it does not depend on where a
    // segment starts either.
    const random = seededRandom(
      (Math.imul(traffic.seed, 0x85ebca6b) ^ (t / MINUTE_MS)) >>> 0,
    );
    const jitter = () => random() * 2 - 1;
    const date = new Date(t);
    const hour = date.getUTCHours() + date.getUTCMinutes() / 60;
    const rps =
      traffic.baseRps *
      dayProfile(hour) *
      weekdayFactor(date.getUTCDay()) *
      Math.max(0, 1 + (slope * (t - end)) / DAY_MS) *
      (1 + traffic.noise * slowNoise(traffic.seed, t)) *
      (1 + 0.03 * jitter());
    const perInstance = rps / instances;
    const cpu = clamp(
      traffic.cpuIdlePct + traffic.cpuPerRpsPct * perInstance + jitter(),
      0,
      100,
    );
    const memory = clamp(
      traffic.memoryIdlePct +
        traffic.memoryPerRpsPct * perInstance +
        0.5 * jitter(),
      0,
      100,
    );
    const disk = clamp(
      traffic.diskStartPct +
        (traffic.diskPerDayPct * (t - range.from.getTime())) / DAY_MS +
        0.05 * jitter(),
      0,
      100,
    );
    const busy = cpu / 100;
    const p50 = (traffic.p50Ms / (1 - 0.6 * busy)) * (1 + 0.05 * jitter());
    const p95 = p50 * traffic.p95Factor * (1 + 0.5 * busy);
    const errorRate = Math.max(0, traffic.errorRatePct * (1 + 0.5 * jitter()));
    const minute: DemoMinute = {
      throughput: rps,
      responseTimeP50: p50,
      responseTimeP95: p95,
      errorRate,
      cpu,
      memory,
      disk,
      costPerRequest: range.costPerRequest?.({
        modelId: range.modelId,
        slot: range.slot,
        window: { from: date, to: new Date(t + MINUTE_MS) },
        requests: rps * 60,
      }),
    };
    for (const [metric, value] of Object.entries(minute)) {
      if (value === undefined) continue;
      samples.push({
        modelId: range.modelId,
        slot: range.slot,
        metric,
        value,
        timestamp: date,
      });
    }
  }
  return samples;
}
