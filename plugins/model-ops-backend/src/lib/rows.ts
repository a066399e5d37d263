/**
 * Row mapping shared by every store: the drivers hand values back in different shapes, and
 * this is the one place that knows how.
 */

/**
 * A timestamp as a driver returns it: a Date on PostgreSQL, a string or epoch milliseconds on
 * SQLite.
 *
 * @internal
 */
export type DbDate = Date | string | number;

/** @internal */
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

/** @internal */
export function toOptionalDate(
  value: DbDate | null | undefined,
): Date | undefined {
  return value === null || value === undefined ? undefined : toDate(value);
}

/** The ISO form of a stored timestamp, or undefined for none. @internal */
export function iso(value: DbDate | null | undefined): string | undefined {
  return toOptionalDate(value)?.toISOString();
}

/** A JSON column: PostgreSQL's json type arrives parsed, a text column as a string. @internal */
export function fromJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined || value === '') {
    return fallback;
  }
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/**
 * Whether an insert failed on a unique index, on PostgreSQL (23505) or SQLite; the stores turn
 * it into a ConflictError, which is how replicas find out that another one got there first.
 *
 * @internal
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed/i.test(e?.message ?? '')
  );
}
