import { Knex } from 'knex';
import { toDate } from './rows';

/**
 * The database's current time. Switch leases are compared with it, never with a replica's own
 * clock, so replicas whose clocks disagree still agree on whose lease has run out. Read once per
 * operation and bound as a parameter, it is stored in the same form as every other timestamp.
 *
 * @internal
 */
export async function databaseNow(db: Knex): Promise<Date> {
  const client = String(db.client.config.client);
  if (client === 'pg') {
    // clock_timestamp, not now(): now() stands still for the length of a transaction.
    const result = await db.raw('select clock_timestamp() as now');
    return toDate(result.rows[0].now);
  }
  if (client.includes('sqlite')) {
    const [row] = await db.raw(
      `select cast((julianday('now') - 2440587.5) * 86400000 as integer) as now`,
    );
    return toDate(Number(row.now));
  }
  const [rows] = await db.raw('select current_timestamp(3) as now');
  return toDate(rows[0].now);
}

/**
 * `seconds` after `from`.
 *
 * @internal
 */
export function secondsAfter(from: Date, seconds: number): Date {
  return new Date(from.getTime() + seconds * 1000);
}
