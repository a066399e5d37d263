/*
 * What the benchmarks share: their databases (a fresh in-memory SQLite, and a PostgreSQL database
 * of their own when one is configured, dropped after), and killing the processes they start when
 * they exit, however they exit. Process helpers (free ports, stopping a child, polling, finding
 * Prometheus) are the real-process tests' own, re-exported.
 */
import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import knexFactory, { Knex } from 'knex';

// Benchmarks are test tools: they use the real-process tests' helpers.
// eslint-disable-next-line no-restricted-imports
export {
  findPrometheus,
  freePort,
  stopChild,
  waitFor,
} from '../sources/__testUtils__/processes';

export interface BenchDatabase {
  name: string;
  knex: Knex;
  drop: () => Promise<void>;
}

/** A fresh SQLite, and a fresh PostgreSQL database when one is configured. */
export async function openBenchDatabases(): Promise<BenchDatabase[]> {
  const result: BenchDatabase[] = [
    {
      name: 'SQLite (in memory)',
      knex: knexFactory({
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
      }),
      drop: async () => undefined,
    },
  ];
  const pg = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
  if (pg) {
    const admin = knexFactory({ client: 'pg', connection: pg });
    const db = `modelops_bench_${randomUUID().slice(0, 8)}`;
    await admin.raw(`create database ${db}`);
    const url = new URL(pg);
    url.pathname = `/${db}`;
    const knex = knexFactory({
      client: 'pg',
      connection: url.toString(),
      pool: { min: 0, max: 10 },
    });
    result.push({
      name: 'PostgreSQL 15',
      knex,
      drop: async () => {
        await knex.destroy();
        await admin.raw(`drop database ${db}`);
        await admin.destroy();
      },
    });
  }
  return result;
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Kills `child` (SIGKILL) when this process exits, however it exits: on an error, on SIGINT or
 * SIGTERM too. `cleanup` runs after the kill (synchronously).
 */
export function killOnExit(child: ChildProcess, cleanup?: () => void): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (cleanup) {
    const hook = () => {
      try {
        cleanup();
      } catch {
        // exiting anyway
      }
    };
    process.once('exit', hook);
    child.once('exit', () => process.removeListener('exit', hook));
  }
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.prependListener('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(130));
  }
}
