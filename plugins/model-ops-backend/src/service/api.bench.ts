/*
 * `yarn bench:api`: the latency of the entity tabs' routes and of the Model Ops page, through the
 * whole plugin over real HTTP, on a database holding a large history, against a bare indexed
 * knex query of the same rows measured in the same run.
 *
 * Per database (SQLite in memory; PostgreSQL 15 too when
 * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is set, in a database of its own, dropped
 * after):
 * 1. the real migrations, then the history is written with set-based SQL, one INSERT … SELECT
 *    per table (generate_series on PostgreSQL, the tables on concurrent connections and the
 *    minute samples in two halves, for the two cores; a number table made by a recursive CTE on
 *    SQLite, all in one transaction), in the stores' column formats (epoch milliseconds on
 *    SQLite, timestamptz on PostgreSQL, JSON as text). The full run (~30 s on SQLite, ~80 s on
 *    PostgreSQL on 2 cores):
 *    - 100 models with data, each with 10,000 alerts (1,000,000 in all) over 30 days, of 20 types
 *      on two slots, warning or critical, all resolved but the newest 4 firing and 2 pending;
 *    - 1,000 pipeline runs each (100,000), every 43 minutes over 30 days, 80 % succeeded, with
 *      their 4 stage rows (checks, errors, figures), and a `deployment` switch per succeeded deploy
 *      (~72,000); a third are canaries, the succeeded ones with their canary state;
 *    - samples of 7 metrics (latencies, throughput, error rate, CPU, memory, disk): per minute
 *      over the last 7 days, which is what monitoring keeps (`sampleRetentionDays` defaults to 7:
 *      30 days of minutes are never stored), plus 30 minutes ahead so that the newest sample stays
 *      fresh during the measurement as a monitoring tick would keep it; and hourly rollups over
 *      the last 31 days through the last full hour (the 30-day report reads from the start of the
 *      day 30 days back): 7.1 M minute rows and 0.5 M rollups;
 *    - 10,000 models in the catalog and in `model_ops_models` (status, version, update time): the
 *      100 above and 9,900 more, for the Model Ops page; 25 owners, titles and descriptions.
 *    `--quick`: 10 models × 1,000 alerts, 100 runs, 2 days of minute samples and rollups, 1,000
 *    models on the page.
 *    PostgreSQL is then VACUUM ANALYZEd (what autovacuum does shortly after such a load); SQLite is
 *    left as Backstage leaves it (no ANALYZE).
 * 2. the plugin is started as the whole-plugin tests start it (`startTestBackend` with the
 *    database above, an in-memory catalog of the models, mock credentials, the default
 *    permissions), on 127.0.0.1 on a free port. Two differences, both to measure requests alone:
 *    the scheduled tasks do not run (the mock scheduler's startup run is skipped: no monitoring
 *    tick, retention or rollup writes behind the benchmark's back), and the model index is never
 *    stale during the run (`modelOps.models.maxAgeSeconds` is a day; in a backend the refresh task
 *    keeps it fresh so that readers do not wait). The in-memory catalog's getEntityByRef rebuilds
 *    a map of every entity per call (a test double's cost, milliseconds at 10,000 entities); it is
 *    replaced by a map lookup, as the catalog's own indexed lookup is.
 * 3. per route, after `--warmup` requests, `--requests` sequential GETs (200; 30 with `--quick`)
 *    with a user's token, cycling over the models with data, each timed from sending to the last
 *    byte of the body; then the anchor: the bare knex queries (the bench's own, on the same
 *    connection pool, no HTTP, no service) that read the rows the route answers with, for the same
 *    models in the same order, timed the same way:
 *    - /status: the model row, its last hour of minute samples, its 50 newest alerts;
 *    - /alerts: its 200 newest alerts; /deployments: its 21 newest runs and their stages;
 *    - /environments: the model row, its slots, its 20 newest switches;
 *    - /capacity (30d, and the tab's default 7d): the rollups of the report's window and the
 *      minute samples after the last rolled-up hour;
 *    - GET /models (a page of 50, eight mixes of text, owner and status filters, sorts and
 *      offsets): the page's rows of `model_ops_models` and its firing-alert counts;
 *    and, for reference: GET /models per filter mix, the size and time of GET /models?limit=500
 *    (the largest page), and the floor of any answer through this stack, the root health check
 *    (GET /.backstage/health/v1/liveness: HTTP and the backend's middleware, no plugin, no
 *    database): no route answers faster, which bounds the ratio of the routes whose bare query
 *    takes well under a millisecond. The machine's load average before and after is printed: on
 *    a shared machine, other processes' load shows in the tails.
 *
 * Goals (from the issue): each entity route p95 ≤ 50 ms and ≤ 3 × the bare query's p95; the
 * Model Ops page p95 ≤ 200 ms. Prints a table per database, writes the figures as JSON.
 *
 * Run with: node -r sucrase/register/ts src/service/api.bench.ts [--quick] [--requests N]
 *   [--warmup N] [--json file]
 */
import { createServiceFactory } from '@backstage/backend-plugin-api';
// A benchmark is a test tool: it starts the plugin as the whole-plugin tests do.
// eslint-disable-next-line @backstage/no-undeclared-imports
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ANNOTATION_MODEL_ID } from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchDatabase, openBenchDatabases } from '../__benchUtils__/bench';
import { percentileOf } from '../__benchUtils__/spans';
import { CAPACITY_METRICS } from '../capacity/CapacityData';
import { DEFAULT_CAPACITY_OPTIONS, reportWindow } from '../capacity/report';
import { applyDatabaseMigrations } from '../models';
import { modelOpsPlugin } from '../plugin';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (!value) throw new Error(`--${name} needs a value`);
  return value;
};
const positive = (name: string, fallback: number) => {
  const value = Number(option(name) ?? fallback);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`--${name} needs a positive integer`);
  }
  return value;
};
const JSON_FILE = option('json');
const REQUESTS = positive('requests', QUICK ? 30 : 200);
const WARMUP = positive('warmup', QUICK ? 5 : 20);
/** Requests of GET /models?limit=500, for its size and time. */
const UNPAGED_REQUESTS = QUICK ? 3 : 5;

/** What is written, per run. */
const PLAN = QUICK
  ? {
      models: 10,
      pageModels: 1_000,
      alertsPerModel: 1_000,
      runsPerModel: 100,
      minuteDays: 2,
      rollupDays: 2,
      switchDaysAgo: 1,
    }
  : {
      models: 100,
      pageModels: 10_000,
      alertsPerModel: 10_000,
      runsPerModel: 1_000,
      minuteDays: 7,
      rollupDays: 31,
      switchDaysAgo: 3,
    };
/** Days the alerts and runs are spread over. */
const HISTORY_DAYS = 30;
/** Minute samples written ahead of now, so that the newest stays fresh while measuring. */
const AHEAD_MINUTES = 30;
/** Distinct fingerprints (alert type × slot) per model; the newest of a few are open. */
const FINGERPRINTS = 40;
const FIRING_PER_MODEL = 4;
const PENDING_PER_MODEL = 2;
const OWNERS = 25;
const ENTITY_GOAL_MS = 50;
const ENTITY_GOAL_RATIO = 3;
const PAGE_GOAL_MS = 200;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The sampled metrics, each with a base value its samples vary around. */
const SAMPLED_METRICS: Array<[string, number]> = [
  ['responseTimeP50', 60],
  ['responseTimeP95', 180],
  ['throughput', 20],
  ['errorRate', 0.4],
  ['cpu', 35],
  ['memory', 45],
  ['disk', 12],
];
const STAGES = ['validation', 'testing', 'staging', 'production'];

const say = (line = '') => {
  // eslint-disable-next-line no-console
  console.log(line);
};

const modelName = (m: number) => `model-${String(m).padStart(5, '0')}`;
const ownerOf = (m: number) =>
  m % 5 === 4 ? `group:ml/team-${m % OWNERS}` : `team-${m % OWNERS}`;
const TOPICS = ['fraud', 'ranking', 'churn', 'search', 'pricing', 'vision'];

/** The catalog's models: the first `PLAN.models` have the history. */
function benchEntities(): Entity[] {
  return Array.from({ length: PLAN.pageModels }, (_, m) => {
    const name = modelName(m);
    const topic = TOPICS[m % TOPICS.length];
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        namespace: 'default',
        title: m % 3 === 0 ? `${topic} model ${m}` : undefined,
        description: `Scores ${topic} events for product line ${m % 40}`,
        annotations: { [ANNOTATION_MODEL_ID]: name },
      },
      spec: { type: 'service', lifecycle: 'production', owner: ownerOf(m) },
    };
  });
}

/**
 * The in-memory catalog, with getEntityByRef a map lookup (the test double rebuilds a map of
 * every entity per call; the catalog's own lookup is indexed).
 */
function indexedCatalog(entities: Entity[]) {
  const inner = catalogServiceMock({ entities });
  const byRef = new Map(entities.map(e => [stringifyEntityRef(e), e]));
  const getEntityByRef = async (ref: string | CompoundEntityRef) =>
    byRef.get(stringifyEntityRef(parseEntityRef(ref)));
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'getEntityByRef') return getEntityByRef;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const showMs = (v: number) => {
  if (Number.isNaN(v)) return 'n/a';
  return v < 10
    ? `${v.toFixed(2)} ms`
    : `${Math.round(v).toLocaleString('en')} ms`;
};
const seconds = (v: number) => `${(v / 1000).toFixed(1)} s`;
const kb = (v: number) =>
  v < 1024 ? `${v} B` : `${(v / 1024).toFixed(v < 10_240 ? 1 : 0)} kB`;

// --- Writing the history -------------------------------------------------------------------

/** The SQL that differs between the engines. */
function dialect(knex: Knex) {
  const pg = knex.client.config.client === 'pg';
  return {
    pg,
    /** The integers 0 … count - 1 as `alias(i)` (bigint on PostgreSQL). */
    series: (count: number, alias: string, column = 'i') =>
      pg
        ? `generate_series(0::bigint, ${count - 1}) AS ${alias}(${column})`
        : `(SELECT i AS ${column} FROM bench_n WHERE i < ${count}) AS ${alias}`,
    /** A timestamp column's value from epoch milliseconds. */
    at: (epochMs: string) =>
      pg ? `to_timestamp((${epochMs}) / 1000.0)` : `(${epochMs})`,
    /** A uuid from two integers; `tag` (4 hex digits) tells the tables apart. */
    uuidText: (tag: string, a: string, b: string) =>
      pg
        ? `(lpad(to_hex(${a}), 8, '0') || '-${tag}-4000-8000-' || lpad(to_hex(${b}), 12, '0'))`
        : `printf('%08x-${tag}-4000-8000-%012x', ${a}, ${b})`,
    uuid: (text: string) => (pg ? `(${text})::uuid` : text),
    modelId: (m: string) =>
      pg
        ? `('model-' || lpad((${m})::text, 5, '0'))`
        : `printf('model-%05d', ${m})`,
    text: (v: string) => (pg ? `(${v})::text` : `CAST(${v} AS TEXT)`),
    bool: (v: boolean) => (pg ? String(v) : String(Number(v))),
    /** A table of literal rows as `alias(columns…)`. */
    values: (
      rows: Array<Array<string | number>>,
      alias: string,
      columns: string[],
    ) => {
      const literal = (v: string | number) =>
        typeof v === 'number' ? String(v) : `'${v}'`;
      const list = rows.map(r => `(${r.map(literal).join(', ')})`).join(', ');
      return pg
        ? `(VALUES ${list}) AS ${alias}(${columns.join(', ')})`
        : `(SELECT ${columns
            .map((c, i) => `column${i + 1} AS ${c}`)
            .join(', ')} FROM (VALUES ${list})) AS ${alias}`;
    },
  };
}

/** `CASE expr WHEN 0 THEN values[0] …` */
const pick = (expr: string, values: string[]) =>
  `CASE ${expr} ${values
    .map((v, i) => `WHEN ${i} THEN '${v}'`)
    .join(' ')} ELSE '${values[0]}' END`;

interface Fill {
  rows: Record<string, number>;
  ms: Record<string, number>;
  totalMs: number;
  vacuumMs?: number;
}

/** Writes the history relative to `now` (on the minute); returns rows and times per table. */
async function fill(knex: Knex, now: number): Promise<Fill> {
  const d = dialect(knex);
  const M = PLAN.models;
  const A = PLAN.alertsPerModel;
  const R = PLAN.runsPerModel;
  const minutes = PLAN.minuteDays * 1440 + AHEAD_MINUTES;
  const firstMinute = now - PLAN.minuteDays * DAY;
  const currentHour = Math.floor(now / HOUR) * HOUR;
  const rollupHours = PLAN.rollupDays * 24;
  const firstHour = currentHour - rollupHours * HOUR;
  const switchAt = now - PLAN.switchDaysAgo * DAY;
  const historyEnd = now - 20 * MINUTE;
  const historyStart = historyEnd - HISTORY_DAYS * DAY;
  const alertStep = Math.floor((HISTORY_DAYS * DAY) / A);
  const runStep = Math.floor((HISTORY_DAYS * DAY) / R);
  const checkAt = new Date(historyEnd).toISOString();
  const metrics = d.values(
    SAMPLED_METRICS.map(([name, base], k) => [name, base, k]),
    'mt',
    ['name', 'base', 'k'],
  );
  const stages = d.values(
    STAGES.map((name, k) => [name, k]),
    'st',
    ['name', 'k'],
  );
  // A value around the metric's base: higher for some models, in a daily triangle.
  const value = (minuteOfDay: string) =>
    `mt.base * (1 + (md.m % 10) / 10.0) * (0.6 + abs(720 - (${minuteOfDay})) / 1800.0)`;
  const ref = `'component:default/' || ${d.modelId('md.m')}`;

  // Per minute, per metric; on PostgreSQL in two halves of the models, written concurrently.
  const samples = (where: string) =>
    `INSERT INTO model_ops_samples (model_id, slot, metric, bucket_start, value, sampled_at)
      SELECT ${d.modelId('md.m')},
        CASE WHEN ${firstMinute} + n.i * ${MINUTE} < ${switchAt} THEN 'blue' ELSE 'green' END,
        mt.name, ${d.at(`${firstMinute} + n.i * ${MINUTE}`)}, ${value(
      'n.i % 1440',
    )},
        ${d.at(`${firstMinute} + n.i * ${MINUTE} + 15000`)}
      FROM ${d.series(
        M,
        'md',
        'm',
      )} CROSS JOIN ${metrics} CROSS JOIN ${d.series(minutes, 'n')}
      ${where}`;
  const statements: Record<string, string[]> = {
    model_ops_models: [
      `INSERT INTO model_ops_models
        (model_id, entity_ref, production_version, active_slot, status, status_changed_at, created_at, updated_at)
      SELECT ${d.modelId('md.m')}, ${ref}, '1.9.' || ${d.text('md.m % 50')},
        'green', ${pick('(md.m % 20)', [
          ...Array<string>(14).fill('healthy'),
          'warning',
          'warning',
          'warning',
          'critical',
          'unknown',
          'unknown',
        ])},
        ${d.at(`${now} - md.m * ${MINUTE}`)}, ${d.at(String(historyStart))},
        ${d.at(`${now} - md.m * ${MINUTE}`)}
      FROM ${d.series(PLAN.pageModels, 'md', 'm')}`,
    ],
    model_ops_slots: [
      `INSERT INTO model_ops_slots
        (model_id, slot, version, endpoint, state, traffic_weight, updated_at)
      SELECT ${d.modelId('md.m')}, sl.name,
        CASE sl.k WHEN 0 THEN NULL ELSE '1.9.' || ${d.text(
          'md.m % 50 + sl.k',
        )} END,
        CASE sl.k WHEN 2 THEN 'http://127.0.0.1:9/' || ${d.modelId(
          'md.m',
        )} ELSE NULL END,
        CASE sl.k WHEN 0 THEN 'empty' WHEN 1 THEN 'stopped' ELSE 'running' END,
        CASE sl.k WHEN 2 THEN 100 ELSE 0 END, ${d.at(String(switchAt))}
      FROM ${d.series(M, 'md', 'm')} CROSS JOIN ${d.values(
        [
          ['staging', 0],
          ['blue', 1],
          ['green', 2],
        ],
        'sl',
        ['name', 'k'],
      )}`,
    ],
    model_ops_alerts: [
      // i: the alert's number in its model, oldest first; the newest of each of the first
      // FIRING + PENDING fingerprints is open.
      `INSERT INTO model_ops_alerts
        (id, fingerprint, model_id, entity_ref, alert_type, metric, slot, severity, state, value,
         threshold, summary, starts_at, firing_at, resolved_at, acknowledged_by, acknowledged_at,
         updated_at, version)
      SELECT ${d.uuid(d.uuidText('a1e7', 'md.m', 'n.i'))},
        'fp-' || ${d.text('md.m')} || '-' || ${d.text(`n.i % ${FINGERPRINTS}`)},
        ${d.modelId('md.m')}, ${ref},
        'type_' || ${d.text(`n.i % ${FINGERPRINTS / 2}`)},
        ${pick(
          `(n.i % ${FINGERPRINTS / 2} % ${SAMPLED_METRICS.length})`,
          SAMPLED_METRICS.map(([name]) => name),
        )},
        CASE WHEN n.i % ${FINGERPRINTS} < ${
        FINGERPRINTS / 2
      } THEN 'blue' ELSE 'green' END,
        CASE WHEN n.i % 3 = 0 THEN 'critical' ELSE 'warning' END,
        CASE WHEN n.i < ${A - FINGERPRINTS} THEN 'resolved'
          WHEN n.i % ${FINGERPRINTS} < ${FIRING_PER_MODEL} THEN 'firing'
          WHEN n.i % ${FINGERPRINTS} < ${
        FIRING_PER_MODEL + PENDING_PER_MODEL
      } THEN 'pending'
          ELSE 'resolved' END,
        1.5 + n.i % 17, 1,
        'The metric stayed above its threshold for 2 minutes on the slot',
        ${d.at(`${historyStart} + n.i * ${alertStep}`)},
        CASE WHEN n.i >= ${
          A - FINGERPRINTS
        } AND n.i % ${FINGERPRINTS} >= ${FIRING_PER_MODEL}
            AND n.i % ${FINGERPRINTS} < ${
        FIRING_PER_MODEL + PENDING_PER_MODEL
      } THEN NULL
          WHEN n.i % 5 = 4 THEN NULL
          ELSE ${d.at(`${historyStart} + n.i * ${alertStep} + ${MINUTE}`)} END,
        CASE WHEN n.i < ${A - FINGERPRINTS}
            OR n.i % ${FINGERPRINTS} >= ${FIRING_PER_MODEL + PENDING_PER_MODEL}
          THEN ${d.at(
            `${historyStart} + n.i * ${alertStep} + ${
              5 * MINUTE
            } + (n.i % 11) * ${MINUTE}`,
          )} ELSE NULL END,
        CASE WHEN n.i % 7 = 0 THEN 'user:default/alice' ELSE NULL END,
        CASE WHEN n.i % 7 = 0 THEN ${d.at(
          `${historyStart} + n.i * ${alertStep} + ${2 * MINUTE}`,
        )} ELSE NULL END,
        ${d.at(`${historyStart} + n.i * ${alertStep} + ${5 * MINUTE}`)},
        '1.9.' || ${d.text('md.m % 50')}
      FROM ${d.series(M, 'md', 'm')} CROSS JOIN ${d.series(A, 'n')}`,
    ],
    model_ops_samples: [samples(d.pg ? 'WHERE md.m % 2 = 0' : '')],
    model_ops_samples_odd: d.pg ? [samples('WHERE md.m % 2 = 1')] : [],
    model_ops_samples_hourly: [
      `INSERT INTO model_ops_samples_hourly
        (model_id, slot, metric, bucket_start, value_avg, value_min, value_max, sample_count)
      SELECT ${d.modelId('md.m')},
        CASE WHEN ${firstHour} + n.i * ${HOUR} < ${switchAt} THEN 'blue' ELSE 'green' END,
        mt.name, ${d.at(`${firstHour} + n.i * ${HOUR}`)},
        ${value('(n.i % 24) * 60')}, 0.8 * ${value('(n.i % 24) * 60')},
        1.2 * ${value('(n.i % 24) * 60')}, 60
      FROM ${d.series(
        M,
        'md',
        'm',
      )} CROSS JOIN ${metrics} CROSS JOIN ${d.series(rollupHours, 'n')}`,
    ],
  };
  // Runs: i % 25 says how a run ended: < 20 succeeded, 20-22 failed, 23 rolled back, 24
  // cancelled; every tenth is a rollback, every third (from 1) a canary.
  const runId = (m: string, i: string) => d.uuidText('0000', m, i);
  const created = (i: string) => `${historyStart} + ${i} * ${runStep}`;
  const version = (i: string) =>
    `'1.' || ${d.text(`${i} / 100`)} || '.' || ${d.text(`${i} % 100`)}`;
  const previous = (i: string) =>
    `CASE WHEN ${i} = 0 THEN NULL ELSE ${version(`(${i} - 1)`)} END`;
  statements.model_ops_runs = [
    `INSERT INTO model_ops_runs
      (id, model_id, entity_ref, kind, version, artifact_uri, sha256, config, strategy, runtime,
       rules, canary, status, stage, previous_version, error, created_by, cancel_requested,
       created_at, started_at, finished_at)
    SELECT ${d.uuid(runId('md.m', 'n.i'))}, ${d.modelId('md.m')}, ${ref},
      CASE WHEN n.i % 10 = 9 THEN 'rollback' ELSE 'deploy' END, ${version(
        'n.i',
      )},
      'file:///srv/artifacts/' || ${d.modelId('md.m')} || '/' || ${version(
      'n.i',
    )} || '/model.tar.gz',
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      '{"runtime":{"replicas":2,"resources":{"cpu":"500m","memory":"1Gi"}}}',
      ${pick('(n.i % 3)', [
        'blue-green',
        'canary',
        'big-bang',
      ])}, 'local', 'default',
      CASE WHEN n.i % 3 = 1 AND n.i % 25 < 20 THEN
        '{"runId":"' || ${runId('md.m', 'n.i')} || '","version":"' || ${version(
      'n.i',
    )} ||
        '","slot":"green","steps":[10,50,100],"step":2,"weight":100,"status":"promoted","analyses":[]}'
        ELSE NULL END,
      CASE WHEN n.i % 25 < 20 THEN 'succeeded' WHEN n.i % 25 < 23 THEN 'failed'
        WHEN n.i % 25 = 23 THEN 'rolled_back' ELSE 'cancelled' END,
      CASE WHEN n.i % 25 < 20 THEN NULL WHEN n.i % 25 = 23 THEN 'production'
        ELSE 'testing' END,
      ${previous('n.i')},
      CASE WHEN n.i % 25 >= 20 AND n.i % 25 < 23
        THEN 'testing: 2 of 40 test cases failed (accuracy 0.81 < 0.85)' ELSE NULL END,
      'user:default/alice', ${d.bool(false)},
      ${d.at(created('n.i'))}, ${d.at(`${created('n.i')} + 2000`)},
      ${d.at(`${created('n.i')} + ${4 * MINUTE}`)}
    FROM ${d.series(M, 'md', 'm')} CROSS JOIN ${d.series(R, 'n')}`,
    `INSERT INTO model_ops_run_stages
      (run_id, name, position, status, started_at, finished_at, checks, errors, metrics)
    SELECT ${d.uuid(runId('q.m', 'q.i'))}, q.name, q.k, q.status,
      CASE WHEN q.status = 'skipped' THEN NULL
        ELSE ${d.at(`${created('q.i')} + 2000 + q.k * ${MINUTE}`)} END,
      CASE WHEN q.status = 'skipped' THEN NULL
        ELSE ${d.at(`${created('q.i')} + 2000 + q.k * ${MINUTE} + 45000`)} END,
      CASE WHEN q.status = 'skipped' THEN '[]' ELSE
        '[{"name":"' || q.name || '-check","ok":' ||
        CASE WHEN q.status = 'succeeded' THEN 'true' ELSE 'false' END ||
        ',"detail":"checked","at":"${checkAt}","durationMs":1200},{"name":"artifact","ok":true,"at":"${checkAt}"}]'
        END,
      CASE WHEN q.status = 'failed' THEN '["2 of 40 test cases failed"]' ELSE '[]' END,
      CASE WHEN q.k = 1 AND q.status <> 'skipped'
        THEN '{"accuracy":0.91,"latencyP95Ms":84,"cases":40}' ELSE '{}' END
    FROM (
      SELECT md.m AS m, n.i AS i, st.name AS name, st.k AS k,
        CASE WHEN n.i % 25 < 20 THEN 'succeeded'
          WHEN n.i % 25 < 23 THEN
            CASE WHEN st.k = 0 THEN 'succeeded' WHEN st.k = 1 THEN 'failed' ELSE 'skipped' END
          WHEN n.i % 25 = 23 THEN CASE WHEN st.k < 3 THEN 'succeeded' ELSE 'failed' END
          ELSE CASE WHEN st.k = 0 THEN 'succeeded' WHEN st.k = 1 THEN 'cancelled'
            ELSE 'skipped' END
          END AS status
      FROM ${d.series(M, 'md', 'm')} CROSS JOIN ${d.series(
      R,
      'n',
    )} CROSS JOIN ${stages}
    ) AS q`,
    `INSERT INTO model_ops_switches
      (id, model_id, kind, from_slot, to_slot, from_version, to_version, requested_by,
       run_id, status, checks, started_at, finished_at)
    SELECT ${d.uuid(d.uuidText('5a17', 'md.m', 'n.i'))}, ${d.modelId(
      'md.m',
    )}, 'deployment',
      CASE WHEN n.i % 2 = 0 THEN 'blue' ELSE 'green' END,
      CASE WHEN n.i % 2 = 0 THEN 'green' ELSE 'blue' END,
      ${previous('n.i')}, ${version('n.i')}, 'user:default/alice',
      ${d.uuid(runId('md.m', 'n.i'))}, 'succeeded', '[]',
      ${d.at(`${created('n.i')} + ${3 * MINUTE}`)},
      ${d.at(`${created('n.i')} + ${4 * MINUTE}`)}
    FROM ${d.series(M, 'md', 'm')} CROSS JOIN ${d.series(R, 'n')}
    WHERE n.i % 25 < 20 AND n.i % 10 <> 9`,
  ];

  const rows: Record<string, number> = {};
  const ms: Record<string, number> = {};
  const run = async (db: Knex | Knex.Transaction, tables: string[]) => {
    for (const group of tables) {
      for (const sql of statements[group]) {
        const started = performance.now();
        await db.raw(sql);
        const table = /INSERT INTO (\w+)/.exec(sql)![1];
        ms[table] = Math.max(ms[table] ?? 0, performance.now() - started);
      }
    }
  };
  const started = performance.now();
  if (d.pg) {
    // Independent tables on connections of their own (two cores); runs before their stages.
    await Promise.all([
      run(knex, ['model_ops_samples']),
      run(knex, ['model_ops_samples_odd']),
      run(knex, ['model_ops_alerts']),
      run(knex, [
        'model_ops_runs',
        'model_ops_samples_hourly',
        'model_ops_models',
        'model_ops_slots',
      ]),
    ]);
  } else {
    await knex.raw('CREATE TEMP TABLE bench_n (i INTEGER PRIMARY KEY)');
    const count = Math.max(minutes, A, R, rollupHours, PLAN.pageModels);
    await knex.raw(
      `INSERT INTO bench_n (i) WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ${
        count - 1
      }) SELECT i FROM c`,
    );
    await knex.transaction(tx => run(tx, Object.keys(statements)));
    await knex.raw('DROP TABLE bench_n');
  }
  const totalMs = performance.now() - started;
  for (const table of [
    ...Object.keys(statements).filter(t => !t.endsWith('_odd')),
    'model_ops_run_stages',
    'model_ops_switches',
  ]) {
    const [row] = await knex(table).count({ n: '*' });
    rows[table] = Number(row.n);
  }
  let vacuumMs: number | undefined;
  if (d.pg) {
    const vacuumStarted = performance.now();
    await knex.raw('VACUUM ANALYZE');
    vacuumMs = performance.now() - vacuumStarted;
  }
  return { rows, ms, totalMs, vacuumMs };
}

// --- The plugin, over HTTP -----------------------------------------------------------------

const USER = mockCredentials.user.header();

/** The whole plugin as the route tests start it, on a free port of 127.0.0.1. */
async function startPlugin(knex: Knex, entities: Entity[], stateDir: string) {
  const catalog = indexedCatalog(entities);
  const backend = await startTestBackend({
    features: [
      modelOpsPlugin,
      createServiceFactory({
        service: catalogServiceRef,
        deps: {},
        factory: () => catalog,
      }),
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          modelOps: {
            local: { stateDir },
            models: { maxAgeSeconds: 86_400 },
          },
        },
      }),
      // Requests without a token have no credentials; the benchmark sends a user's.
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      // No task runs behind the benchmark's back (monitoring, retention, rollups, reconcilers).
      mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
    ],
  });
  return {
    backend,
    base: `http://127.0.0.1:${backend.server.port()}/api/model-ops`,
  };
}

/** One GET with the user's token, timed from sending to the last byte of the body. */
async function get(
  url: string,
): Promise<{ ms: number; bytes: number; body: any }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: USER } });
  const buffer = Buffer.from(await response.arrayBuffer());
  const ms = performance.now() - started;
  if (response.status !== 200) {
    throw new Error(
      `GET ${url}: HTTP ${response.status} ${buffer
        .toString('utf8')
        .slice(0, 300)}`,
    );
  }
  return {
    ms,
    bytes: buffer.length,
    body: JSON.parse(buffer.toString('utf8')),
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

// --- The anchors: bare knex queries of the rows each route answers with ----------------------

const newestFirst = (column: string) => [
  { column, order: 'desc' as const },
  { column: 'id', order: 'desc' as const },
];

const MODEL_METRIC_KEYS = [
  'responseTimeP50',
  'responseTimeP95',
  'throughput',
  'errorRate',
  'cpu',
  'memory',
  'disk',
  'costPerRequest',
  'userSatisfaction',
  'featureUsage',
];

async function bareCapacity(knex: Knex, modelId: string, period: '7d' | '30d') {
  const now = new Date();
  const { readFrom } = reportWindow(
    period,
    now,
    DEFAULT_CAPACITY_OPTIONS.timeZone,
  );
  const start = new Date(Math.floor(readFrom.getTime() / HOUR) * HOUR);
  const end = new Date(Math.floor(now.getTime() / HOUR) * HOUR + HOUR);
  const hourly = await knex('model_ops_samples_hourly')
    .select('slot', 'metric', 'bucket_start', 'value_avg')
    .where('model_id', modelId)
    .whereIn('metric', [...CAPACITY_METRICS])
    .andWhere('bucket_start', '>=', start)
    .andWhere('bucket_start', '<', end);
  const last = hourly.reduce(
    (max, r) => Math.max(max, new Date(r.bucket_start).getTime()),
    start.getTime(),
  );
  await knex('model_ops_samples')
    .select('slot', 'metric', 'bucket_start', 'value')
    .where('model_id', modelId)
    .whereIn('metric', [...CAPACITY_METRICS])
    .andWhere('bucket_start', '>=', new Date(last))
    .andWhere('bucket_start', '<', end);
}

interface EntityRoute {
  name: string;
  path: (entity: string) => string;
  bare: (knex: Knex, modelId: string) => Promise<unknown>;
  /** What an answer held, to show the data was read. */
  held: (body: any) => string;
}

const ENTITY_ROUTES: EntityRoute[] = [
  {
    name: '/status',
    path: e => `/entities/component/default/${e}/status`,
    bare: async (knex, modelId) => {
      const now = Date.now();
      await knex('model_ops_models').where({ model_id: modelId }).first();
      await knex('model_ops_samples')
        .select('slot', 'metric', 'bucket_start', 'value')
        .where('model_id', modelId)
        .whereIn('metric', MODEL_METRIC_KEYS)
        .andWhere('bucket_start', '>=', new Date(now - HOUR))
        .andWhere('bucket_start', '<=', new Date(now));
      await knex('model_ops_alerts')
        .where('model_id', modelId)
        .orderBy(newestFirst('starts_at'))
        .limit(50);
    },
    held: b =>
      `${
        b.metrics.filter((m: any) => m.sparkline.length).length
      } metrics × ${Math.max(
        ...b.metrics.map((m: any) => m.sparkline.length),
      )} min, ${b.alerts.length} alerts`,
  },
  {
    name: '/alerts',
    path: e => `/entities/component/default/${e}/alerts`,
    bare: (knex, modelId) =>
      knex('model_ops_alerts')
        .where('model_id', modelId)
        .orderBy(newestFirst('starts_at'))
        .limit(200),
    held: b => `${b.items.length} alerts`,
  },
  {
    name: '/deployments',
    path: e => `/entities/component/default/${e}/deployments`,
    bare: async (knex, modelId) => {
      const runs = await knex('model_ops_runs')
        .where({ model_id: modelId })
        .orderBy(newestFirst('created_at'))
        .limit(21);
      await knex('model_ops_run_stages')
        .whereIn(
          'run_id',
          runs.slice(0, 20).map(r => r.id),
        )
        .orderBy('position');
    },
    held: b =>
      `${b.items.length} runs, ${b.items.reduce(
        (n: number, r: any) => n + r.stages.length,
        0,
      )} stages`,
  },
  {
    name: '/environments',
    path: e => `/entities/component/default/${e}/environments`,
    bare: async (knex, modelId) => {
      await knex('model_ops_models').where({ model_id: modelId }).first();
      await knex('model_ops_slots').where({ model_id: modelId });
      await knex('model_ops_switches')
        .where({ model_id: modelId })
        .orderBy(newestFirst('started_at'))
        .limit(20);
    },
    held: b => `${b.slots.length} slots, ${b.history.length} switches`,
  },
  {
    name: '/capacity?period=30d',
    path: e => `/entities/component/default/${e}/capacity?period=30d`,
    bare: (knex, modelId) => bareCapacity(knex, modelId, '30d'),
    held: b => `${b.hours.length} hours`,
  },
  {
    name: '/capacity (7d)',
    path: e => `/entities/component/default/${e}/capacity`,
    bare: (knex, modelId) => bareCapacity(knex, modelId, '7d'),
    held: b => `${b.hours.length} hours`,
  },
];

/** The Model Ops page's requests: a page of 50, filtered and sorted server-side. */
function pageQueries(): string[] {
  const n = PLAN.pageModels;
  return [
    'limit=50&offset=0',
    `limit=50&offset=${Math.floor(n * 0.4)}&sort=name&order=desc`,
    'limit=50&owner=team-3&sort=status&order=desc',
    'limit=50&status=warning&sort=updatedAt&order=desc&offset=50',
    'limit=50&q=fraud&sort=owner',
    'limit=50&q=product%20line%207&status=healthy&sort=productionVersion',
    `limit=50&owner=${encodeURIComponent(
      'group:ml/team-4',
    )}&q=ranking&sort=openAlerts&order=desc`,
    'limit=50&sort=openAlerts&order=desc&offset=100',
  ];
}

async function barePage(knex: Knex, modelIds: string[]) {
  await knex('model_ops_models').whereIn('model_id', modelIds);
  await knex('model_ops_alerts')
    .select('model_id')
    .count({ n: '*' })
    .whereIn('model_id', modelIds)
    .andWhere('state', 'firing')
    .groupBy('model_id');
}

interface RouteResult {
  route: string;
  requests: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  bareP50Ms?: number;
  bareP95Ms?: number;
  /** The route's p95 ÷ the bare query's p95. */
  ratio?: number;
  meanBytes: number;
  held: string;
  goal: string;
  goalMet: boolean;
}

interface DatabaseResult {
  database: string;
  fill: Fill;
  startMs: number;
  /** The first request: the model index's first load (catalog, claims). */
  firstRequestMs: number;
  routes: RouteResult[];
  /** GET /models per filter mix. */
  mixes: Array<{
    query: string;
    requests: number;
    p50Ms: number;
    p95Ms: number;
  }>;
  /** GET /.backstage/health/v1/liveness: HTTP, the backend's middleware, no plugin. */
  floor: { p50Ms: number; p95Ms: number };
  unpaged: {
    query: string;
    requests: number;
    p50Ms: number;
    bytes: number;
    totalCount: number;
  };
}

async function measure(
  db: BenchDatabase,
  now: number,
  entities: Entity[],
): Promise<DatabaseResult> {
  await applyDatabaseMigrations(db.knex);
  say(`${db.name}: writing the history…`);
  const filled = await fill(db.knex, now);
  say(
    `${db.name}: written in ${seconds(filled.totalMs)}${
      filled.vacuumMs === undefined
        ? ''
        : `, VACUUM ANALYZE ${seconds(filled.vacuumMs)}`
    }; starting the plugin…`,
  );
  const stateDir = fs.mkdtempSync(
    path.join(os.tmpdir(), 'model-ops-bench-api-'),
  );
  const startStarted = performance.now();
  const { backend, base } = await startPlugin(db.knex, entities, stateDir);
  const startMs = performance.now() - startStarted;
  try {
    const first = await get(`${base}/models?limit=1`);
    const routes: RouteResult[] = [];
    const model = (k: number) => modelName(k % PLAN.models);
    const stats = (values: number[]) => ({
      p50: percentileOf(values, 50),
      p95: percentileOf(values, 95),
      max: Math.max(...values),
    });

    for (const route of ENTITY_ROUTES) {
      let held = '';
      for (let k = 0; k < WARMUP; k++) {
        const answer = await get(`${base}${route.path(model(k))}`);
        if (k === 0) held = route.held(answer.body);
      }
      const times: number[] = [];
      let bytes = 0;
      for (let k = 0; k < REQUESTS; k++) {
        const answer = await get(`${base}${route.path(model(k))}`);
        times.push(answer.ms);
        bytes += answer.bytes;
      }
      for (let k = 0; k < WARMUP; k++) await route.bare(db.knex, model(k));
      const bare: number[] = [];
      for (let k = 0; k < REQUESTS; k++) {
        bare.push(await timed(() => route.bare(db.knex, model(k))));
      }
      const r = stats(times);
      const b = stats(bare);
      const ratio = r.p95 / b.p95;
      routes.push({
        route: route.name,
        requests: REQUESTS,
        p50Ms: r.p50,
        p95Ms: r.p95,
        maxMs: r.max,
        bareP50Ms: b.p50,
        bareP95Ms: b.p95,
        ratio,
        meanBytes: Math.round(bytes / REQUESTS),
        held,
        goal: `p95 ≤ ${ENTITY_GOAL_MS} ms, ≤ ${ENTITY_GOAL_RATIO}× bare`,
        goalMet: r.p95 <= ENTITY_GOAL_MS && ratio <= ENTITY_GOAL_RATIO,
      });
      say(`  ${route.name}: p95 ${showMs(r.p95)} (bare ${showMs(b.p95)})`);
    }

    // The Model Ops page.
    const queries = pageQueries();
    const pageIds = new Map<string, string[]>();
    const byQuery = new Map<string, number[]>(queries.map(q => [q, []]));
    for (let k = 0; k < Math.max(WARMUP, queries.length); k++) {
      const query = queries[k % queries.length];
      const answer = await get(`${base}/models?${query}`);
      pageIds.set(
        query,
        answer.body.items.map((item: any) => item.spec?.modelId ?? item.name),
      );
    }
    const times: number[] = [];
    let bytes = 0;
    let shown = 0;
    let matched = 0;
    for (let k = 0; k < REQUESTS; k++) {
      const query = queries[k % queries.length];
      const answer = await get(`${base}/models?${query}`);
      times.push(answer.ms);
      byQuery.get(query)!.push(answer.ms);
      bytes += answer.bytes;
      shown += answer.body.items.length;
      matched += answer.body.totalCount;
    }
    for (let k = 0; k < WARMUP; k++) {
      await barePage(db.knex, pageIds.get(queries[k % queries.length])!);
    }
    const bare: number[] = [];
    for (let k = 0; k < REQUESTS; k++) {
      const ids = pageIds.get(queries[k % queries.length])!;
      bare.push(await timed(() => barePage(db.knex, ids)));
    }
    const r = stats(times);
    const b = stats(bare);
    routes.push({
      route: `GET /models (page of 50, ${queries.length} filter mixes)`,
      requests: REQUESTS,
      p50Ms: r.p50,
      p95Ms: r.p95,
      maxMs: r.max,
      bareP50Ms: b.p50,
      bareP95Ms: b.p95,
      ratio: r.p95 / b.p95,
      meanBytes: Math.round(bytes / REQUESTS),
      held: `${Math.round(shown / REQUESTS)} of ${Math.round(
        matched / REQUESTS,
      )} matching on average`,
      goal: `p95 ≤ ${PAGE_GOAL_MS} ms`,
      goalMet: r.p95 <= PAGE_GOAL_MS,
    });
    say(`  /models: p95 ${showMs(r.p95)} (bare ${showMs(b.p95)})`);

    const mixes = queries.map(query => ({
      query,
      requests: byQuery.get(query)!.length,
      p50Ms: percentileOf(byQuery.get(query)!, 50),
      p95Ms: percentileOf(byQuery.get(query)!, 95),
    }));

    // The floor of any answer through this stack: the root health check (no plugin, no database).
    const floorUrl = `${new URL(base).origin}/.backstage/health/v1/liveness`;
    for (let k = 0; k < WARMUP; k++) await get(floorUrl);
    const floor: number[] = [];
    for (let k = 0; k < REQUESTS; k++) floor.push((await get(floorUrl)).ms);

    const unpagedQuery = 'limit=500';
    const unpaged: number[] = [];
    let unpagedBytes = 0;
    let totalCount = 0;
    for (let k = 0; k < UNPAGED_REQUESTS; k++) {
      const answer = await get(`${base}/models?${unpagedQuery}`);
      unpaged.push(answer.ms);
      unpagedBytes = answer.bytes;
      totalCount = answer.body.totalCount;
    }
    return {
      database: db.name,
      fill: filled,
      startMs,
      firstRequestMs: first.ms,
      routes,
      mixes,
      floor: {
        p50Ms: percentileOf(floor, 50),
        p95Ms: percentileOf(floor, 95),
      },
      unpaged: {
        query: unpagedQuery,
        requests: UNPAGED_REQUESTS,
        p50Ms: percentileOf(unpaged, 50),
        bytes: unpagedBytes,
        totalCount,
      },
    };
  } finally {
    await backend.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

function report(result: DatabaseResult) {
  const { fill: f } = result;
  say('');
  say(`${result.database}`);
  say(
    `Written: ${Object.entries(f.rows)
      .map(
        ([table, n]) =>
          `${table.replace('model_ops_', '')} ${n.toLocaleString('en')}`,
      )
      .join(', ')} in ${seconds(f.totalMs)} (${Object.entries(f.ms)
      .map(([table, t]) => `${table.replace('model_ops_', '')} ${seconds(t)}`)
      .join(', ')}${
      f.vacuumMs === undefined ? '' : `; VACUUM ANALYZE ${seconds(f.vacuumMs)}`
    })`,
  );
  say(
    `Plugin started in ${seconds(
      result.startMs,
    )}; first request (model index load of ${PLAN.pageModels.toLocaleString(
      'en',
    )} models) ${showMs(result.firstRequestMs)}`,
  );
  say('');
  say(
    '| route | requests | p50 | p95 | max | bare p50 | bare p95 | ratio (p95) | body | answer | goal | met |',
  );
  say(
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of result.routes) {
    say(
      `| ${r.route} | ${r.requests} | ${showMs(r.p50Ms)} | ${showMs(
        r.p95Ms,
      )} | ${showMs(r.maxMs)} | ${
        r.bareP50Ms === undefined ? '' : showMs(r.bareP50Ms)
      } | ${r.bareP95Ms === undefined ? '' : showMs(r.bareP95Ms)} | ${
        r.ratio === undefined ? '' : `${r.ratio.toFixed(1)}×`
      } | ${kb(r.meanBytes)} | ${r.held} | ${r.goal} | ${
        r.goalMet ? 'yes' : 'no'
      } |`,
    );
  }
  say('');
  say('| GET /models? | requests | p50 | p95 |');
  say('| --- | --- | --- | --- |');
  for (const m of result.mixes) {
    say(
      `| ${decodeURIComponent(m.query)} | ${m.requests} | ${showMs(
        m.p50Ms,
      )} | ${showMs(m.p95Ms)} |`,
    );
  }
  say('');
  say(
    `Floor (GET /.backstage/health/v1/liveness: HTTP and the backend's middleware, no plugin): p50 ${showMs(
      result.floor.p50Ms,
    )}, p95 ${showMs(result.floor.p95Ms)}`,
  );
  const u = result.unpaged;
  say(
    `Reference: GET /models?${u.query} (the largest page) answers ${kb(
      u.bytes,
    )} in ${showMs(u.p50Ms)} (median of ${
      u.requests
    }); all ${u.totalCount.toLocaleString(
      'en',
    )} models at that size would be ~${(
      (u.bytes * u.totalCount) /
      500 /
      1024 /
      1024
    ).toFixed(1)} MB.`,
  );
}

async function main() {
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const entities = benchEntities();
  say(
    `Entity-tab API and the Model Ops page${QUICK ? ' (quick)' : ''}: ${
      PLAN.models
    } models with ${(PLAN.models * PLAN.alertsPerModel).toLocaleString(
      'en',
    )} alerts, ${(PLAN.models * PLAN.runsPerModel).toLocaleString(
      'en',
    )} runs, ${PLAN.minuteDays} days of minute samples and ${
      PLAN.rollupDays
    } days of hourly rollups of ${
      SAMPLED_METRICS.length
    } metrics; ${PLAN.pageModels.toLocaleString(
      'en',
    )} models on the page; ${REQUESTS} sequential requests per route after ${WARMUP} warm-up`,
  );
  if (!QUICK) {
    say(
      'Samples: 7 days per minute (monitoring keeps no more by default: sampleRetentionDays 7) and 31 days of hourly rollups, not 30 days of minutes.',
    );
  }
  const loadBefore = os.loadavg();
  const results: DatabaseResult[] = [];
  for (const db of await openBenchDatabases()) {
    try {
      results.push(await measure(db, now, entities));
    } finally {
      await db.drop();
    }
  }
  const loadAfter = os.loadavg();
  for (const result of results) report(result);
  say('');
  say(
    `Load average (1 min) on this ${
      os.cpus().length
    }-core machine: ${loadBefore[0].toFixed(1)} before, ${loadAfter[0].toFixed(
      1,
    )} after (anything above the benchmark's own ~1 is another process's share).`,
  );
  for (const result of results) {
    const missed = result.routes.filter(r => !r.goalMet).map(r => r.route);
    say(
      `${result.database}: ${
        missed.length === 0
          ? 'every goal met'
          : `goal not met by ${missed.join(', ')}`
      }`,
    );
  }

  if (JSON_FILE) {
    const round = (v: number | undefined) =>
      v === undefined ? undefined : Number(v.toFixed(2));
    fs.writeFileSync(
      JSON_FILE,
      `${JSON.stringify(
        {
          name: 'entity-api',
          date: new Date().toISOString(),
          quick: QUICK,
          machine: {
            cpus: os.cpus().length,
            cpuModel: os.cpus()[0]?.model,
            memoryGb: Math.round(os.totalmem() / 1024 ** 3),
            node: process.version,
            platform: `${os.platform()} ${os.release()}`,
            loadAverageBefore: loadBefore.map(v => Number(v.toFixed(2))),
            loadAverageAfter: loadAfter.map(v => Number(v.toFixed(2))),
          },
          plan: {
            ...PLAN,
            sampledMetrics: SAMPLED_METRICS.map(([name]) => name),
            aheadMinutes: AHEAD_MINUTES,
            requests: REQUESTS,
            warmup: WARMUP,
          },
          goals: {
            entityP95Ms: ENTITY_GOAL_MS,
            entityRatio: ENTITY_GOAL_RATIO,
            pageP95Ms: PAGE_GOAL_MS,
          },
          results: results.map(r => ({
            database: r.database,
            counts: r.fill.rows,
            fillMs: Math.round(r.fill.totalMs),
            fillMsByTable: Object.fromEntries(
              Object.entries(r.fill.ms).map(([t, v]) => [t, Math.round(v)]),
            ),
            vacuumMs:
              r.fill.vacuumMs === undefined
                ? undefined
                : Math.round(r.fill.vacuumMs),
            startMs: Math.round(r.startMs),
            firstRequestMs: round(r.firstRequestMs),
            routes: r.routes.map(x => ({
              ...x,
              p50Ms: round(x.p50Ms),
              p95Ms: round(x.p95Ms),
              maxMs: round(x.maxMs),
              bareP50Ms: round(x.bareP50Ms),
              bareP95Ms: round(x.bareP95Ms),
              ratio: round(x.ratio),
            })),
            modelsByMix: r.mixes.map(m => ({
              ...m,
              p50Ms: round(m.p50Ms),
              p95Ms: round(m.p95Ms),
            })),
            floor: {
              p50Ms: round(r.floor.p50Ms),
              p95Ms: round(r.floor.p95Ms),
            },
            unpaged: { ...r.unpaged, p50Ms: round(r.unpaged.p50Ms) },
          })),
        },
        null,
        2,
      )}\n`,
    );
    say(`\nWrote ${JSON_FILE}`);
  }
}

main().then(
  () => process.exit(0),
  error => {
    // eslint-disable-next-line no-console
    console.error(error);
    process.exit(1);
  },
);
