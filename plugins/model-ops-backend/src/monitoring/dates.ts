// Row values are read with the stores' one row-mapping helper.
export { iso, toDate } from '../lib/rows';
export type { DbDate } from '../lib/rows';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** The start of the bucket of `stepMs` that holds `date` (UTC, epoch-aligned). */
export function floorTo(date: Date, stepMs: number): Date {
  return new Date(Math.floor(date.getTime() / stepMs) * stepMs);
}
