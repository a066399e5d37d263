import {
  CapacityCost,
  CapacityProjection,
  CapacityRecommendation,
  CapacityReport,
  CapacityRequests,
  CapacityResource,
} from '@model-ops/plugin-model-ops-common';
import { weekdayName } from './format';

/** A CSV cell before quoting: numbers are written as JavaScript prints them, nothing as empty. */
export type CsvCell = string | number | boolean | undefined | null;

/** A series as a table: a header row and its rows. */
export interface CsvTable {
  columns: string[];
  rows: CsvCell[][];
}

/** The resources charted and exported, in order. */
export const CSV_RESOURCES: readonly CapacityResource[] = [
  'cpu',
  'memory',
  'disk',
];

/**
 * One cell as RFC 4180 wants it: quoted when it holds a comma, a quote or a line break (quotes
 * doubled). Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first, e.g. a
 * version named by hand) gets a leading apostrophe; numbers are left alone, negative ones too.
 */
export function csvCell(value: CsvCell): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number')
    return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A table as CSV text: the header row, then one line per row, CRLF line ends. */
export function toCsv(table: CsvTable): string {
  return [table.columns, ...table.rows]
    .map(row => row.map(csvCell).join(','))
    .join('\r\n')
    .concat('\r\n');
}

/** A moment as an ISO 8601 UTC timestamp; anything unreadable is passed on as it came. */
export function isoTimestamp(t: string): string {
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : new Date(ms).toISOString();
}

/** Requests per hour over the period, with the hours seeded as demo history marked. */
export function hourlyRequestsCsv(
  report: Pick<CapacityReport, 'hours'>,
): CsvTable {
  return {
    columns: ['timestamp', 'requests', 'seeded'],
    rows: report.hours.map(h => [
      isoTimestamp(h.t),
      h.requests,
      h.seeded ?? false,
    ]),
  };
}

/** Daily requests: measured, the fit, and the prediction interval, over the period and beyond. */
export function projectionCsv(projection: CapacityProjection): CsvTable {
  return {
    columns: ['date', 'actual', 'fit', 'low', 'high'],
    rows: (projection.series ?? []).map(p => [
      p.date,
      p.actual,
      p.requests,
      p.low,
      p.high,
    ]),
  };
}

/** Utilization per hour in percent, with each resource's limit on every row. */
export function utilizationCsv(
  report: Pick<CapacityReport, 'hours' | 'utilization'>,
): CsvTable {
  const limits = CSV_RESOURCES.map(
    r => report.utilization.find(u => u.resource === r && !u.slot)?.limit,
  );
  return {
    columns: [
      'timestamp',
      ...CSV_RESOURCES.map(r => `${r}_percent`),
      ...CSV_RESOURCES.map(r => `${r}_limit_percent`),
      'seeded',
    ],
    rows: report.hours.map(h => [
      isoTimestamp(h.t),
      ...CSV_RESOURCES.map(r => h[r]),
      ...limits,
      h.seeded ?? false,
    ]),
  };
}

/** Average and p95 utilization per resource, overall and per slot. */
export function utilizationSummaryCsv(
  report: Pick<CapacityReport, 'utilization'>,
): CsvTable {
  return {
    columns: [
      'resource',
      'slot',
      'average_percent',
      'p95_percent',
      'limit_percent',
    ],
    rows: report.utilization.map(u => [
      u.resource,
      u.slot ?? 'overall',
      u.average,
      u.p95,
      u.limit,
    ]),
  };
}

/** Cost per day and version, in the report's currency. */
export function costDailyCsv(cost: CapacityCost): CsvTable {
  return {
    columns: ['date', 'version', 'cost', 'currency'],
    rows: cost.daily.map(d => [d.date, d.version, d.cost, cost.currency]),
  };
}

/** Requests, share and cost of each version over the period. */
export function versionsCsv(
  report: Pick<CapacityReport, 'requests' | 'cost'>,
): CsvTable {
  const { requests, cost } = report;
  const versions = [
    ...requests.byVersion.map(v => v.version),
    ...cost.byVersion
      .map(v => v.version)
      .filter(v => !requests.byVersion.some(r => r.version === v)),
  ];
  return {
    columns: [
      'version',
      'requests',
      'share',
      'cost',
      'cost_per_request',
      'currency',
    ],
    rows: versions.map(version => {
      const r = requests.byVersion.find(v => v.version === version);
      const c = cost.byVersion.find(v => v.version === version);
      return [
        version,
        r?.requests ?? c?.requests,
        r?.share,
        c?.cost,
        c?.perRequest,
        cost.currency,
      ];
    }),
  };
}

/** Cost and instance-hours of each slot over the period. */
export function costBySlotCsv(cost: CapacityCost): CsvTable {
  return {
    columns: ['slot', 'cost', 'instance_hours', 'currency'],
    rows: cost.bySlot.map(s => [
      s.slot,
      s.cost,
      s.instanceHours,
      cost.currency,
    ]),
  };
}

/** The weekday by hour-of-day profile: average requests per hour in each cell. */
export function profileCsv(
  requests: Pick<CapacityRequests, 'profile'>,
): CsvTable {
  return {
    columns: ['weekday', 'weekday_name', 'hour', 'requests', 'samples'],
    rows: [...requests.profile]
      .sort((a, b) => a.weekday - b.weekday || a.hour - b.hour)
      .map(c => [
        c.weekday,
        weekdayName(c.weekday),
        c.hour,
        c.requests,
        c.samples,
      ]),
  };
}

/** The profile's margins: average requests per hour of the day, and per day of each weekday. */
export function profileMarginsCsv(
  requests: Pick<CapacityRequests, 'byHourOfDay' | 'byWeekday'>,
): CsvTable {
  return {
    columns: ['series', 'weekday', 'weekday_name', 'hour', 'requests'],
    rows: [
      ...requests.byHourOfDay.map(h => [
        'average_per_hour_of_day',
        undefined,
        undefined,
        h.hour,
        h.requests,
      ]),
      ...requests.byWeekday.map(w => [
        'average_per_weekday',
        w.weekday,
        weekdayName(w.weekday),
        undefined,
        w.requests,
      ]),
    ],
  };
}

/** Each resource's headroom to its limit, closest first, with the date the trend reaches it. */
export function bottlenecksCsv(
  report: Pick<CapacityReport, 'bottlenecks' | 'projection'>,
): CsvTable {
  return {
    columns: [
      'resource',
      'average_percent',
      'p95_percent',
      'limit_percent',
      'headroom_points',
      'used_share',
      'level',
      'limit_date',
      'limit_reached',
    ],
    rows: report.bottlenecks.map(b => {
      const limit = report.projection.limits?.find(
        l => l.resource === b.resource,
      );
      return [
        b.resource,
        b.average,
        b.p95,
        b.limit,
        b.headroom,
        b.usedShare,
        b.level,
        limit?.date,
        limit?.reached,
      ];
    }),
  };
}

/** What the fit projects 30 and 90 days ahead. */
export function horizonsCsv(
  projection: CapacityProjection,
  currency: string,
): CsvTable {
  return {
    columns: [
      'days',
      'date',
      'requests_per_day',
      'requests_per_day_low',
      'requests_per_day_high',
      'instances',
      'monthly_cost',
      'monthly_cost_low',
      'monthly_cost_high',
      'currency',
    ],
    rows: (projection.horizons ?? []).map(h => [
      h.days,
      h.date,
      h.requestsPerDay,
      h.requestsPerDayLow,
      h.requestsPerDayHigh,
      h.instances,
      h.monthlyCost,
      h.monthlyCostLow,
      h.monthlyCostHigh,
      currency,
    ]),
  };
}

/** The recommendations, highest priority first, with the figures that triggered each. */
export function recommendationsCsv(
  recommendations: CapacityRecommendation[],
): CsvTable {
  return {
    columns: [
      'priority',
      'type',
      'id',
      'title',
      'description',
      'action',
      'expected_impact',
      'act_by',
      'figures',
    ],
    rows: recommendations.map(r => [
      r.priority,
      r.type,
      r.id,
      r.title,
      r.description,
      r.action,
      r.expectedImpact,
      r.actBy,
      Object.entries(r.figures)
        .map(([name, value]) => `${name}=${value}`)
        .join('; '),
    ]),
  };
}

/**
 * A file name for an export: the model, the period and the series, e.g.
 * `sentiment-classifier-capacity-7d-requests-per-hour.csv`.
 */
export function csvFileName(
  report: Pick<CapacityReport, 'entityRef' | 'period'>,
  series: string,
): string {
  const name = report.entityRef.split('/').pop() || 'model';
  return `${name}-capacity-${report.period}-${series}.csv`
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .toLowerCase();
}

/**
 * Hands the browser a CSV file to save. The text gets a byte-order mark so that spreadsheets
 * read it as UTF-8; the object URL is let go once the click has been handled.
 */
export function downloadCsv(fileName: string, text: string): void {
  const blob = new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
