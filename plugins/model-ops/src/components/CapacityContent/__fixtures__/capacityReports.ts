import {
  CapacityHourPoint,
  CapacityProfileCell,
  CapacityProjectionPoint,
  CapacityReport,
} from '@model-ops/plugin-model-ops-common';

/**
 * Capacity reports as the backend gives them, built from a stated traffic pattern so that every
 * figure in them follows from the hours: a model that grows 8 % a day, busiest at 14:00 on
 * weekdays, on two instances of a GPU cost model. The first five days are seeded demo history.
 * Times are fixed (a Monday to a Monday, UTC), so nothing depends on when the tests run.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The report's period: Monday 3 March 2025 to Monday 10 March 2025, UTC. */
export const FROM = '2025-03-03T00:00:00.000Z';
export const TO = '2025-03-10T00:00:00.000Z';
/** Where the seeded history ends and measured samples start. */
export const SEEDED_TO = '2025-03-08T00:00:00.000Z';
const FROM_MS = Date.parse(FROM);

const INSTANCES = 2;
const INSTANCE_HOUR = 3.2;
const GPU_HOUR = 2.5;
const PER_1K_REQUESTS = 0.02;
/** The rule set's CPU warning level, the limit capacity planning measures headroom to. */
const CPU_LIMIT = 85;
/** When the CPU p95 reaches its limit on this trend, at two instances. */
export const CPU_LIMIT_DATE = '2025-03-13';

/** How close a p95 is to its limit, as the backend grades it. */
const level = (p95: number, limit: number) => {
  if (p95 > limit) return 'over' as const;
  return p95 >= 0.8 * limit ? ('near' as const) : ('ok' as const);
};

const round = (value: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** The share of a day's peak an hour of the day reaches: low at night, highest at 14:00. */
function diurnal(hour: number): number {
  return 0.55 + 0.45 * Math.exp(-(((hour - 14) / 4.5) ** 2));
}

/** The requests of hour `i` of the period. */
function requestsAt(i: number): number {
  const day = Math.floor(i / 24);
  const hour = i % 24;
  const weekday = (day % 7) + 1; // the period starts on a Monday
  const weekend = weekday >= 6 ? 0.8 : 1;
  return Math.round(1200 * 1.08 ** day * weekend * diurnal(hour));
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function buildHours(): CapacityHourPoint[] {
  return Array.from({ length: 7 * 24 }, (_, i) => {
    const t = FROM_MS + i * HOUR_MS;
    const requests = requestsAt(i);
    return {
      t: new Date(t).toISOString(),
      requests,
      cpu: round(46 + requests / 40, 1),
      memory: round(52 + requests / 400, 1),
      disk: round(38 + i / 56, 1),
      cost: round(
        INSTANCES * (INSTANCE_HOUR + GPU_HOUR) +
          (requests / 1000) * PER_1K_REQUESTS,
        4,
      ),
      seeded: t < Date.parse(SEEDED_TO),
    };
  });
}

export const hours = buildHours();

function buildProfile(): CapacityProfileCell[] {
  const cells: CapacityProfileCell[] = [];
  for (let weekday = 1; weekday <= 7; weekday++) {
    for (let hour = 0; hour < 24; hour++) {
      const i = (weekday - 1) * 24 + hour;
      cells.push({ weekday, hour, requests: hours[i].requests, samples: 1 });
    }
  }
  return cells;
}

const profile = buildProfile();
const total = hours.reduce((sum, h) => sum + h.requests, 0);
const dailyTotals = Array.from({ length: 7 }, (_, d) =>
  hours.slice(d * 24, d * 24 + 24).reduce((sum, h) => sum + h.requests, 0),
);
const costTotal = round(
  hours.reduce((sum, h) => sum + (h.cost ?? 0), 0),
  2,
);

/** The least-squares fit over the daily totals, as the backend computes it. */
function fit() {
  const n = dailyTotals.length;
  const xs = dailyTotals.map((_, i) => i);
  const xMean = xs.reduce((a, b) => a + b, 0) / n;
  const yMean = dailyTotals.reduce((a, b) => a + b, 0) / n;
  const sxx = xs.reduce((a, x) => a + (x - xMean) ** 2, 0);
  const sxy = xs.reduce(
    (a, x, i) => a + (x - xMean) * (dailyTotals[i] - yMean),
    0,
  );
  const slope = sxy / sxx;
  const intercept = yMean - slope * xMean;
  const predicted = xs.map(x => intercept + slope * x);
  const ssRes = dailyTotals.reduce((a, y, i) => a + (y - predicted[i]) ** 2, 0);
  const ssTot = dailyTotals.reduce((a, y) => a + (y - yMean) ** 2, 0);
  const s = Math.sqrt(ssRes / (n - 2));
  // t(0.975, 5 degrees of freedom)
  const t = 2.571;
  const half = (x: number) =>
    t * s * Math.sqrt(1 + 1 / n + (x - xMean) ** 2 / sxx);
  return { slope, intercept, r2: 1 - ssRes / ssTot, half, n };
}

const line = fit();
const at = (x: number) => line.intercept + line.slope * x;
const lastFitted = at(line.n - 1);

const projectionSeries: CapacityProjectionPoint[] = Array.from(
  { length: 7 + 90 },
  (_, x) => ({
    date: isoDate(FROM_MS + x * DAY_MS),
    requests: Math.round(at(x)),
    low: Math.max(0, Math.round(at(x) - line.half(x))),
    high: Math.round(at(x) + line.half(x)),
    ...(x < 7 ? { actual: dailyTotals[x] } : {}),
  }),
);

function horizon(days: 30 | 90) {
  const x = line.n - 1 + days;
  const perDay = at(x);
  const low = Math.max(0, perDay - line.half(x));
  const high = perDay + line.half(x);
  const instances = days === 30 ? 3 : 5;
  const monthly = (requests: number, n: number) =>
    round(
      30 * (n * 24 * (INSTANCE_HOUR + GPU_HOUR)) +
        ((30 * requests) / 1000) * PER_1K_REQUESTS,
      2,
    );
  return {
    days,
    date: isoDate(FROM_MS + x * DAY_MS),
    requestsPerDay: Math.round(perDay),
    requestsPerDayLow: Math.round(low),
    requestsPerDayHigh: Math.round(high),
    instances,
    monthlyCost: monthly(perDay, instances),
    monthlyCostLow: monthly(low, instances),
    monthlyCostHigh: monthly(high, instances),
  };
}

const cpuHours = hours.map(h => h.cpu!);
const sortedCpu = [...cpuHours].sort((a, b) => a - b);
const p95 = (sorted: number[]) => sorted[Math.ceil(0.95 * sorted.length) - 1];
const avg = (values: number[]) =>
  round(values.reduce((a, b) => a + b, 0) / values.length, 1);
const cpuAverage = avg(cpuHours);
const cpuP95 = p95(sortedCpu);
const memoryValues = hours.map(h => h.memory!);
const memoryAverage = avg(memoryValues);
const memoryP95 = p95([...memoryValues].sort((a, b) => a - b));
const diskValues = hours.map(h => h.disk!);
const diskAverage = avg(diskValues);
const diskP95 = p95([...diskValues].sort((a, b) => a - b));

/** Requests of version 1.5.0: none before Friday, then 70 % of each hour. */
const NEW_VERSION_FROM_DAY = 4;
const newVersionRequests = hours
  .slice(NEW_VERSION_FROM_DAY * 24)
  .reduce((sum, h) => sum + Math.round(h.requests * 0.7), 0);
const oldVersionRequests = total - newVersionRequests;

const dailyCost = Array.from({ length: 7 }, (_, d) =>
  hours.slice(d * 24, d * 24 + 24).reduce((sum, h) => sum + (h.cost ?? 0), 0),
);

export const GROWTH_PER_WEEK = round((line.slope * 7) / lastFitted, 4);
export const GROWTH_PER_MONTH = round((line.slope * 30) / lastFitted, 4);

/** The peak cell of the profile: Friday at 14:00 (the latest weekday, its busiest hour). */
export const PEAK_CELL = profile.reduce((a, b) =>
  b.requests > a.requests ? b : a,
);

/** A 7-day report of a growing model with a projection and four recommendations. */
export const growingReport: CapacityReport = {
  entityRef: 'component:default/sentiment-classifier',
  period: '7d',
  from: FROM,
  to: TO,
  timeZone: 'UTC',
  generatedAt: TO,
  seeded: {
    from: FROM,
    to: SEEDED_TO,
    note: 'demo traffic pattern run through ingestion in accelerated time at start-up',
  },
  instances: INSTANCES,
  costModel: {
    name: 'gpu-small',
    currency: 'USD',
    instanceHour: INSTANCE_HOUR,
    gpuHour: GPU_HOUR,
    gpusPerInstance: 1,
    per1kRequests: PER_1K_REQUESTS,
    per1kTokens: 0.002,
    instances: INSTANCES,
  },
  hours,
  requests: {
    total,
    averagePerHour: round(total / hours.length, 1),
    peakHour: 14,
    peakWeekday: 5,
    peakToAverage: round(PEAK_CELL.requests / (total / hours.length), 2),
    byHourOfDay: Array.from({ length: 24 }, (_, hour) => ({
      hour,
      requests: round(
        profile
          .filter(c => c.hour === hour)
          .reduce((sum, c) => sum + c.requests, 0) / 7,
        1,
      ),
    })),
    byWeekday: dailyTotals.map((requests, i) => ({
      weekday: i + 1,
      requests,
    })),
    profile,
    byVersion: [
      {
        version: '1.4.0',
        requests: oldVersionRequests,
        share: round(oldVersionRequests / total, 4),
      },
      {
        version: '1.5.0',
        requests: newVersionRequests,
        share: round(newVersionRequests / total, 4),
      },
    ],
  },
  utilization: [
    { resource: 'cpu', average: cpuAverage, p95: cpuP95, limit: CPU_LIMIT },
    { resource: 'memory', average: memoryAverage, p95: memoryP95, limit: 85 },
    { resource: 'disk', average: diskAverage, p95: diskP95, limit: 90 },
    { resource: 'cpu', slot: 'blue', average: cpuAverage, p95: cpuP95 },
    {
      resource: 'memory',
      slot: 'blue',
      average: memoryAverage,
      p95: memoryP95,
    },
    { resource: 'disk', slot: 'blue', average: diskAverage, p95: diskP95 },
  ],
  cost: {
    currency: 'USD',
    total: costTotal,
    perRequest: round(costTotal / total, 6),
    perDay: round(costTotal / 7, 2),
    byVersion: [
      {
        version: '1.4.0',
        cost: round((costTotal * oldVersionRequests) / total, 2),
        requests: oldVersionRequests,
        perRequest: round(costTotal / total, 6),
      },
      {
        version: '1.5.0',
        cost: round((costTotal * newVersionRequests) / total, 2),
        requests: newVersionRequests,
        perRequest: round(costTotal / total, 6),
      },
    ],
    bySlot: [
      { slot: 'blue', cost: costTotal, instanceHours: INSTANCES * 7 * 24 },
    ],
    daily: dailyCost.flatMap((cost, d) => {
      const date = isoDate(FROM_MS + d * DAY_MS);
      return d < NEW_VERSION_FROM_DAY
        ? [{ date, version: '1.4.0', cost: round(cost, 2) }]
        : [
            { date, version: '1.4.0', cost: round(cost * 0.3, 2) },
            { date, version: '1.5.0', cost: round(cost * 0.7, 2) },
          ];
    }),
    notes: [
      'tokens are not measured; the per-1,000-tokens price is not applied',
    ],
  },
  bottlenecks: [
    {
      resource: 'cpu',
      p95: cpuP95,
      average: cpuAverage,
      limit: CPU_LIMIT,
      headroom: round(CPU_LIMIT - cpuP95, 1),
      usedShare: round(cpuP95 / CPU_LIMIT, 3),
      level: level(cpuP95, CPU_LIMIT),
    },
    {
      resource: 'memory',
      p95: memoryP95,
      average: memoryAverage,
      limit: 85,
      headroom: round(85 - memoryP95, 1),
      usedShare: round(memoryP95 / 85, 3),
      level: level(memoryP95, 85),
    },
    {
      resource: 'disk',
      p95: diskP95,
      average: diskAverage,
      limit: 90,
      headroom: round(90 - diskP95, 1),
      usedShare: round(diskP95 / 90, 3),
      level: level(diskP95, 90),
    },
  ],
  projection: {
    status: 'ok',
    daysAvailable: 7,
    daysNeeded: 3,
    method: 'least-squares linear fit of daily request totals',
    r2: round(line.r2, 4),
    slopePerDay: round(line.slope, 1),
    growthPerWeek: GROWTH_PER_WEEK,
    growthPerMonth: GROWTH_PER_MONTH,
    confidence: 0.95,
    series: projectionSeries,
    horizons: [horizon(30), horizon(90)],
    limits: [
      {
        resource: 'cpu',
        limit: CPU_LIMIT,
        date: CPU_LIMIT_DATE,
        reached: false,
      },
      { resource: 'memory', limit: 85, date: '2025-05-27', reached: false },
      { resource: 'disk', limit: 90, reached: false },
    ],
  },
  rightSizing: {
    currentInstances: INSTANCES,
    neededInstances: 3,
    targetUtilization: 70,
    basis: 'p95 CPU of the last 7 days scaled to the load projected in 30 days',
  },
  recommendations: [
    {
      id: 'high-cpu',
      type: 'scaling',
      priority: 'high',
      title: 'High CPU utilization',
      description: `CPU averages ${cpuAverage} % over the last 7 days, above the 70 % threshold.`,
      action:
        'Scale out to more instances or optimize the model for inference.',
      expectedImpact: 'Lower response times and room for the projected load.',
      actBy: CPU_LIMIT_DATE,
      figures: { cpuAverage, cpuP95, threshold: 70 },
    },
    {
      id: 'growth',
      type: 'planning',
      priority: 'medium',
      title: 'Rapid growth in requests',
      description: `Requests grow ${round(
        GROWTH_PER_MONTH * 100,
        1,
      )} % a month at the fitted rate, above the 20 % threshold.`,
      action: 'Plan capacity for the next 90 days and review the cost model.',
      expectedImpact: 'No saturation or surprise cost as the load grows.',
      figures: {
        growthPerMonth: GROWTH_PER_MONTH,
        r2: round(line.r2, 4),
        threshold: 0.2,
      },
    },
    {
      id: 'cost-per-request',
      type: 'cost_optimization',
      priority: 'medium',
      title: 'High cost per request',
      description: `A request costs ${round(
        costTotal / total,
        4,
      )} USD on average, above the 0.01 USD threshold.`,
      action:
        'Batch requests, cache frequent answers or move to a cheaper instance type.',
      expectedImpact: 'A lower cost per request at the same quality.',
      figures: { costPerRequest: round(costTotal / total, 6), threshold: 0.01 },
    },
    {
      id: 'right-size',
      type: 'right_sizing',
      priority: 'medium',
      title: 'Run 3 instances instead of 2',
      description:
        'The p95 load projected for 30 days needs 3 instances at a 70 % target.',
      action: 'Raise the production slot to 3 instances.',
      expectedImpact: 'p95 CPU back to about 70 % at the projected load.',
      actBy: CPU_LIMIT_DATE,
      figures: {
        currentInstances: 2,
        neededInstances: 3,
        targetUtilization: 70,
      },
    },
  ],
};

/** A report of a model with two days of history: no fit, no numbers, the reason instead. */
export const insufficientReport: CapacityReport = {
  ...growingReport,
  period: '24h',
  from: '2025-03-09T00:00:00.000Z',
  seeded: undefined,
  hours: hours.slice(-24).map(h => ({ ...h, seeded: false })),
  projection: {
    status: 'insufficient',
    message: 'not enough data (2 days of 3 needed)',
    daysAvailable: 2,
    daysNeeded: 3,
  },
  rightSizing: undefined,
  recommendations: [],
};

/** A report of a model with nothing stored in the period. */
export const emptyReport: CapacityReport = {
  ...insufficientReport,
  hours: [],
  requests: {
    ...growingReport.requests,
    total: 0,
    averagePerHour: 0,
    peakHour: undefined,
    peakWeekday: undefined,
    peakToAverage: 0,
    profile: [],
    byVersion: [],
  },
  projection: {
    status: 'insufficient',
    message: 'not enough data (0 days of 3 needed)',
    daysAvailable: 0,
    daysNeeded: 3,
  },
};
