import { CapacityResource } from '@model-ops/plugin-model-ops-common';
import { formatNumber } from '../AlertsContent/format';

export { formatNumber };

/** ISO weekdays 1 (Monday) to 7 (Sunday), as the report numbers them. */
export const WEEKDAYS = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
] as const;

/** The name of an ISO weekday, 1 (Monday) to 7 (Sunday). */
export function weekdayName(weekday: number): string {
  return WEEKDAYS[weekday - 1] ?? String(weekday);
}

/** An hour of the day as `14:00`. */
export function hourLabel(hour: number): string {
  return `${String(hour).padStart(2, '0')}:00`;
}

export const RESOURCE_TITLES: Record<CapacityResource, string> = {
  cpu: 'CPU',
  memory: 'Memory',
  disk: 'Disk',
};

/** The display name of a resource, e.g. `CPU`. */
export function resourceTitle(resource: CapacityResource | string): string {
  return RESOURCE_TITLES[resource as CapacityResource] ?? resource;
}

/** A percentage the report gives as a number of percent: `72.4 %`. */
export function formatPercent(value: number | undefined): string {
  return value === undefined ? '—' : `${formatNumber(value)} %`;
}

/** A share the report gives as a fraction: 0.052 is `5.2 %`. */
export function formatShare(value: number | undefined): string {
  return value === undefined ? '—' : `${formatNumber(value * 100)} %`;
}

/** A signed relative growth: 0.052 is `+5.2 %`. */
export function formatGrowth(value: number | undefined): string {
  if (value === undefined) return '—';
  const text = formatShare(value);
  return value > 0 ? `+${text}` : text;
}

/**
 * An amount of money in the report's currency, with the digits its size warrants (a cost per
 * request has fractions of a cent). An unknown currency code is shown after the number.
 */
export function formatMoney(value: number | undefined, currency: string) {
  if (value === undefined) return '—';
  const abs = Math.abs(value);
  const digits: Intl.NumberFormatOptions =
    abs >= 1 || abs === 0
      ? { minimumFractionDigits: 2, maximumFractionDigits: 2 }
      : { maximumSignificantDigits: 3 };
  try {
    return value.toLocaleString(undefined, {
      style: 'currency',
      currency,
      ...digits,
    });
  } catch {
    return `${value.toLocaleString(undefined, digits)} ${currency}`;
  }
}

/**
 * A calendar date of the report (`2025-03-24`) in the reader's locale. It is read as a date, not
 * a moment, so no time zone moves it to the day before.
 */
export function formatDate(date: string | undefined): string {
  if (!date) return '—';
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return date;
  const [, y, m, d] = match.map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });
}

/**
 * Formats moments in the report's time zone (the one its hours of the day and weekdays are in),
 * falling back to the reader's when the browser does not know it.
 */
export function momentFormatter(
  timeZone: string,
  options: Intl.DateTimeFormatOptions,
): (t: number | string) => string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat(undefined, { ...options, timeZone });
  } catch {
    format = new Intl.DateTimeFormat(undefined, options);
  }
  return t => {
    const date = new Date(t);
    return Number.isNaN(date.getTime()) ? String(t) : format.format(date);
  };
}

/** A period in words: `7d` is `7 days`. */
export function periodLabel(period: string): string {
  switch (period) {
    case '24h':
      return '24 hours';
    case '7d':
      return '7 days';
    case '30d':
      return '30 days';
    default:
      return period;
  }
}
