/*
 * `yarn bench:delivery`: notifications delivered per second through the outbox to a webhook
 * receiver on loopback, for 10,000 alerts, against the anchor measured in the same run: the
 * same receiver sent the same bodies directly (no database, no outbox) at the same concurrency.
 * On SQLite (in memory), and on PostgreSQL when BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
 * is set (in a database of its own, dropped after).
 *
 * Run with: node -r sucrase/register/ts src/alerting/delivery.bench.ts [--alerts N] [--workers N]
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { AlertRoute } from '@model-ops/plugin-model-ops-common';
import knexFactory, { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { applyDatabaseMigrations } from '../models';
import { DatabaseAlertStore, alertFingerprint } from '../monitoring';
import { DeliveryPlanner } from './DeliveryPlanner';
import { DeliveryStore } from './DeliveryStore';
import { DEFAULT_DELIVERY_OPTIONS, DeliveryWorker } from './DeliveryWorker';
// A benchmark is a test tool: it uses the tests' loopback receiver.
// eslint-disable-next-line no-restricted-imports
import { HttpReceiver, jsonPostChannel } from './__testUtils__/httpReceiver';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ALERTS = arg('alerts', 10_000);
const WORKERS = arg('workers', 2);
const BATCH = 50;

/** The workers' logger: the benchmark prints its own figures only. */
const quiet: LoggerService = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => quiet,
};

const ROUTE: AlertRoute = {
  name: 'bench',
  byType: {},
  fallback: { channels: ['hook'] },
  groupWaitSeconds: 0,
  groupIntervalSeconds: 0,
  repeatIntervalSeconds: 3600,
};

async function databases(): Promise<
  Array<{ name: string; knex: Knex; drop: () => Promise<void> }>
> {
  const result = [
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

/** Writes `count` firing alerts (100 models × count/100 types), each with its outbox row. */
async function seed(knex: Knex, planner: DeliveryPlanner): Promise<number> {
  const alerts = DatabaseAlertStore.create({ knex });
  const perModel = Math.max(1, Math.round(ALERTS / 100));
  const now = new Date();
  const started = performance.now();
  for (let m = 0; m < Math.ceil(ALERTS / perModel); m++) {
    const model = {
      modelId: `model-${m}`,
      entityRef: `component:default/model-${m}`,
      route: 'bench',
    };
    await alerts.apply(
      Array.from({ length: perModel }, (_, t) => ({
        type: 'open' as const,
        alert: {
          fingerprint: alertFingerprint(model.modelId, `type_${t}`),
          modelId: model.modelId,
          entityRef: model.entityRef,
          alertType: `type_${t}`,
          metric: 'errorRate' as const,
          severity: 'critical' as const,
          state: 'firing' as const,
          value: 12,
          threshold: 10,
          summary: 'bench',
          startsAt: now,
          firingAt: now,
        },
      })),
      {
        within: async (tx, changes) => {
          // One message per alert: grouping would make the count of messages smaller.
          for (const alert of changes.newlyFiring) {
            await planner.plan(
              tx,
              { newlyFiring: [alert], escalated: [], resolved: [] },
              model,
              now,
            );
          }
        },
      },
    );
  }
  return performance.now() - started;
}

async function anchor(url: string, bodies: string[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WORKERS * BATCH }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
      }
    }),
  );
  return performance.now() - started;
}

async function main() {
  const rows: string[] = [];
  for (const db of await databases()) {
    const receiver = new HttpReceiver();
    const url = await receiver.start();
    try {
      await applyDatabaseMigrations(db.knex);
      const store = new DeliveryStore(db.knex);
      const channels = new Map([['hook', jsonPostChannel('hook', url)]]);
      const planner = new DeliveryPlanner({
        store,
        routes: new Map([['bench', ROUTE]]),
        channelIds: () => new Set(channels.keys()),
      });
      const seedMs = await seed(db.knex, planner);
      const bodies = (
        await db.knex('model_ops_alert_deliveries').select('payload')
      ).map(r => r.payload as string);
      const workers = Array.from(
        { length: WORKERS },
        (_, i) =>
          new DeliveryWorker({
            store,
            getChannel: id => channels.get(id),
            logger: quiet,
            options: { ...DEFAULT_DELIVERY_OPTIONS, batchSize: BATCH },
            owner: `bench-${i}`,
          }),
      );
      const started = performance.now();
      await Promise.all(workers.map(w => w.run()));
      const outboxMs = performance.now() - started;
      const delivered = receiver.received.length;
      const ids = new Set(receiver.received.map(r => r.body.id));
      receiver.received.length = 0;
      const anchorMs = await anchor(url, bodies);
      const outboxRate = (delivered / outboxMs) * 1000;
      const anchorRate = (bodies.length / anchorMs) * 1000;
      rows.push(
        `| ${db.name} | ${bodies.length} | ${delivered} (${
          delivered - ids.size
        } duplicates) | ${Math.round(seedMs)} ms | ${Math.round(
          outboxMs,
        )} ms | ${Math.round(outboxRate)}/s | ${Math.round(anchorRate)}/s | ${(
          outboxRate / anchorRate
        ).toFixed(2)} |`,
      );
    } finally {
      await receiver.stop();
      await db.drop();
    }
  }
  // eslint-disable-next-line no-console
  console.log(
    [
      `Delivery through the outbox, ${ALERTS} alerts, ${WORKERS} workers × batches of ${BATCH}, to a webhook on 127.0.0.1`,
      '',
      '| database | rows | delivered | write alerts + outbox | send | outbox rate | anchor (direct POSTs) | ratio |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  error => {
    // eslint-disable-next-line no-console
    console.error(error);
    process.exit(1);
  },
);
