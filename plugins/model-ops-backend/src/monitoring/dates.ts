/** A timestamp as a driver returns it: a Date on PostgreSQL, epoch milliseconds on SQLite. */
export type DbDate = Date | string | number;

export function toDate(value: DbDate): Date {
  if (value instanceof Date) {
    return value;
  }
  // SQLite may hand back epoch milliseconds as a number or as a numeric string.
  if (typeof value === 'string' && /^\d+$/.test(value)) {
    return new Date(Number(value));
  }
  return new Date(value);
}

export function iso(value: DbDate | null | undefined): string | undefined {
  return value === null || value === undefined
    ? undefined
    : toDate(value).toISOString();
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** The start of the bucket of `stepMs` that holds `date` (UTC, epoch-aligned). */
export function floorTo(date: Date, stepMs: number): Date {
  return new Date(Math.floor(date.getTime() / stepMs) * stepMs);
}
