/*
 * `yarn bench:delivery`: N distinct firing alerts (10,000 by default) delivered to one webhook
 * receiver on 127.0.0.1 by Model Ops and by a real Alertmanager, in the same run, to the same
 * kind of receiver. Per system: alerts per second end to end, and per alert how many times it
 * arrived (lost: never; duplicated: more than once).
 *
 * - Model Ops: the alerts are written with their outbox rows (100 models × N/100 types, one
 *   notification per alert), then the delivery workers send them through the `webhook` channel
 *   (Alertmanager's webhook JSON). End to end: from the first write to the last alert's arrival.
 *   On SQLite (in memory), and on PostgreSQL when BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
 *   is set (in a database of its own, dropped after).
 * - Alertmanager (`/usr/bin/prometheus-alertmanager`, or $ALERTMANAGER_BIN): one route with
 *   `group_by: ['...']` (every alert its own group), `group_wait: 0s`, `group_interval: 1s`, and
 *   a webhook receiver with `send_resolved: false`; the alerts are POSTed to `/api/v2/alerts` in
 *   batches, each with an `alert_id` label. End to end: from the first POST to the last alert's
 *   arrival.
 * - The anchor: the Model Ops webhook bodies POSTed directly to the receiver (no database), at
 *   the workers' concurrency.
 *
 * The headline is Model Ops alerts/s ÷ Alertmanager alerts/s (goal ≥ 1, 0 lost, 0 duplicates).
 *
 * Run with: node -r sucrase/register/ts src/alerting/delivery.bench.ts [--alerts N]
 *   [--workers N] [--batch N] [--post-batch N] [--timeout seconds] [--json file]
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { AlertRoute } from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  freePort,
  openBenchDatabases,
  stopChild,
} from '../__benchUtils__/bench';
import { applyDatabaseMigrations } from '../models';
import { DatabaseAlertStore, alertFingerprint } from '../monitoring';
import { alertmanagerMessage, webhookChannelFactory } from './channels/webhook';
import { DeliveryPlanner } from './DeliveryPlanner';
import { DeliveryStore } from './DeliveryStore';
import { DEFAULT_DELIVERY_OPTIONS, DeliveryWorker } from './DeliveryWorker';
// A benchmark is a test tool: it finds Alertmanager as the tests do.
// eslint-disable-next-line no-restricted-imports
import { findAlertmanager } from './__testUtils__/alertmanager';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`--${name} needs a positive integer`);
  }
  return value;
};
const jsonIndex = args.indexOf('--json');
const JSON_FILE = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
if (jsonIndex >= 0 && !JSON_FILE) throw new Error('--json needs a file');
const ALERTS = arg('alerts', 10_000);
const WORKERS = arg('workers', 2);
const BATCH = arg('batch', 50);
/** Alerts per POST to Alertmanager's API. */
const POST_BATCH = arg('post-batch', 500);
/** How long each system has to deliver everything. */
const TIMEOUT_MS = arg('timeout', 120) * 1000;
/** After the last alert arrived, how long to keep counting (duplicates): two group intervals. */
const GRACE_MS = 2000;
const BASE_URL = 'http://portal.bench.invalid';

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

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The alerts of the run: `model-<m>` × `type_<t>`, 100 models, each with its alert id. */
function benchAlerts(): Array<{
  modelId: string;
  alertType: string;
  id: string;
}> {
  const perModel = Math.max(1, Math.round(ALERTS / 100));
  return Array.from({ length: ALERTS }, (_, i) => {
    const modelId = `model-${Math.floor(i / perModel)}`;
    const alertType = `type_${i % perModel}`;
    return { modelId, alertType, id: alertFingerprint(modelId, alertType) };
  });
}

/**
 * A webhook receiver on 127.0.0.1 that only keeps each body and when it arrived, and answers 200
 * at once; the bodies are parsed later, off the request path (`collect`).
 */
class CountingReceiver {
  private readonly bodies: Buffer[] = [];
  private readonly times: number[] = [];
  private parsed = 0;
  /** Per alert id: how many times it arrived, and when first. */
  readonly counts = new Map<string, number>();
  readonly firstAt = new Map<string, number>();
  private server?: http.Server;

  constructor(private readonly idsOf: (body: any) => string[]) {}

  get requests(): number {
    return this.bodies.length;
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.times.push(performance.now());
        this.bodies.push(
          chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
        );
        res.writeHead(200, { 'content-length': '0' });
        res.end();
      });
    });
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // A deep backlog: Alertmanager opens a connection per group it flushes at once.
      server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    return `http://127.0.0.1:${port}/hook`;
  }

  /** Parses the bodies that arrived since the last call; returns how many ids have arrived. */
  collect(): number {
    for (; this.parsed < this.bodies.length; this.parsed++) {
      const at = this.times[this.parsed];
      const body = JSON.parse(this.bodies[this.parsed].toString('utf8'));
      for (const id of this.idsOf(body)) {
        this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
        if (!this.firstAt.has(id)) this.firstAt.set(id, at);
      }
    }
    return this.counts.size;
  }

  /** Lost, duplicated and unexpected ids against `expected`, and when the last one arrived. */
  tally(expected: Set<string>) {
    this.collect();
    let lost = 0;
    let duplicates = 0;
    let extraArrivals = 0;
    let lastArrival = 0;
    for (const id of expected) {
      const count = this.counts.get(id) ?? 0;
      if (count === 0) lost++;
      if (count > 1) {
        duplicates++;
        extraArrivals += count - 1;
      }
      const at = this.firstAt.get(id);
      if (at !== undefined && at > lastArrival) lastArrival = at;
    }
    const unexpected = [...this.counts.keys()].filter(
      id => !expected.has(id),
    ).length;
    return {
      requests: this.bodies.length,
      arrived: expected.size - lost,
      lost,
      duplicates,
      extraArrivals,
      unexpected,
      lastArrival,
    };
  }

  reset() {
    this.bodies.length = 0;
    this.times.length = 0;
    this.parsed = 0;
    this.counts.clear();
    this.firstAt.clear();
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  }
}

interface Result {
  system: string;
  database?: string;
  alerts: number;
  requests: number;
  arrived: number;
  lost: number;
  duplicates: number;
  extraArrivals: number;
  unexpected: number;
  /** Model Ops: writing the alerts and their outbox rows; Alertmanager: the POSTs. */
  ingestMs?: number;
  /** Model Ops: the workers' sending. */
  sendMs?: number;
  endToEndMs: number;
  alertsPerSecond: number;
  /** Model Ops ÷ Alertmanager. */
  ratio?: number;
}

/** Writes the alerts firing, each with its outbox row: one transaction per model. */
async function seed(
  knex: Knex,
  planner: DeliveryPlanner,
  alerts: ReturnType<typeof benchAlerts>,
): Promise<void> {
  const store = DatabaseAlertStore.create({ knex });
  const byModel = new Map<string, string[]>();
  for (const a of alerts) {
    byModel.set(a.modelId, [...(byModel.get(a.modelId) ?? []), a.alertType]);
  }
  const now = new Date();
  for (const [modelId, types] of byModel) {
    const model = {
      modelId,
      entityRef: `component:default/${modelId}`,
      route: 'bench',
    };
    await store.apply(
      types.map(alertType => ({
        type: 'open' as const,
        alert: {
          fingerprint: alertFingerprint(modelId, alertType),
          modelId,
          entityRef: model.entityRef,
          alertType,
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
          // One message per alert, as Alertmanager's `group_by: ['...']` sends.
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
}

/** The webhook bodies' alerts, by the id both systems carry (`fingerprint` / `alert_id`). */
const modelOpsIds = (body: any): string[] =>
  (body.alerts ?? []).map((a: any) => a.fingerprint);
const alertmanagerIds = (body: any): string[] =>
  (body.alerts ?? []).map((a: any) => a.labels?.alert_id);

async function modelOps(
  db: { name: string; knex: Knex },
  alerts: ReturnType<typeof benchAlerts>,
): Promise<{ result: Result; anchor: Result }> {
  const expected = new Set(alerts.map(a => a.id));
  const receiver = new CountingReceiver(modelOpsIds);
  const url = await receiver.start();
  try {
    await applyDatabaseMigrations(db.knex);
    const store = new DeliveryStore(db.knex);
    const channel = webhookChannelFactory({ baseUrl: BASE_URL }).create({
      id: 'hook',
      config: new ConfigReader({ type: 'webhook', url }),
      logger: quiet,
    });
    const planner = new DeliveryPlanner({
      store,
      routes: new Map([['bench', ROUTE]]),
      channelIds: () => new Set(['hook']),
    });
    const workers = Array.from(
      { length: WORKERS },
      (_, i) =>
        new DeliveryWorker({
          store,
          getChannel: id => (id === 'hook' ? channel : undefined),
          logger: quiet,
          options: { ...DEFAULT_DELIVERY_OPTIONS, batchSize: BATCH },
          owner: `bench-${i}`,
        }),
    );

    const started = performance.now();
    await seed(db.knex, planner, alerts);
    const written = performance.now();
    const deadline = written + TIMEOUT_MS;
    await Promise.all(
      workers.map(async worker => {
        // Until nothing is due (a row sent again later would be a retry: counted as lost).
        while (performance.now() < deadline) {
          if ((await worker.runOnce()).claimed === 0) return;
        }
      }),
    );
    const sent = performance.now();
    const tally = receiver.tally(expected);
    const endToEndMs = (tally.lastArrival || sent) - started;

    // The anchor: the same bodies, POSTed directly at the workers' concurrency.
    const bodies = (
      await db.knex('model_ops_alert_deliveries').select('payload')
    ).map(r =>
      JSON.stringify(
        alertmanagerMessage(JSON.parse(r.payload as string), {
          receiver: 'hook',
          maxAlerts: 0,
          baseUrl: BASE_URL,
        }),
      ),
    );
    receiver.reset();
    const anchorStarted = performance.now();
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
    const anchorTally = receiver.tally(expected);
    const anchorMs =
      (anchorTally.lastArrival || performance.now()) - anchorStarted;
    const { lastArrival: _a, ...counts } = tally;
    const { lastArrival: _b, ...anchorCounts } = anchorTally;
    return {
      result: {
        system: 'Model Ops',
        database: db.name,
        alerts: alerts.length,
        ...counts,
        ingestMs: written - started,
        sendMs: sent - written,
        endToEndMs,
        alertsPerSecond: (tally.arrived / endToEndMs) * 1000,
      },
      anchor: {
        system: 'direct POSTs (anchor)',
        database: db.name,
        alerts: alerts.length,
        ...anchorCounts,
        endToEndMs: anchorMs,
        alertsPerSecond: (anchorTally.arrived / anchorMs) * 1000,
      },
    };
  } finally {
    await receiver.stop();
  }
}

/** Children still running, killed when the process exits however it does. */
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.on('exit', () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

function alertmanagerVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const match = /version (\S+)/.exec(`${out.stdout}${out.stderr}`);
  return match ? match[1] : 'unknown version';
}

async function alertmanager(
  binary: string,
  alerts: ReturnType<typeof benchAlerts>,
): Promise<Result> {
  const expected = new Set(alerts.map(a => a.id));
  const receiver = new CountingReceiver(alertmanagerIds);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-ops-bench-am-'));
  tempDirs.add(dir);
  let child: ChildProcess | undefined;
  let stderr = '';
  try {
    const hook = await receiver.start();
    fs.writeFileSync(
      path.join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: hook',
        "  group_by: ['...']",
        '  group_wait: 0s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: hook',
        '    webhook_configs:',
        `      - url: '${hook}'`,
        '        send_resolved: false',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const amUrl = `http://127.0.0.1:${port}`;
    child = spawn(
      binary,
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=${BASE_URL}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir },
    );
    children.add(child);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const readyBy = performance.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`alertmanager exited: ${stderr}`);
      }
      const ready = await fetch(`${amUrl}/-/ready`).then(
        r => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (performance.now() > readyBy) {
        throw new Error(`alertmanager not ready within 30 s: ${stderr}`);
      }
      await sleep(100);
    }

    const startsAt = new Date().toISOString();
    const bodies: string[] = [];
    for (let i = 0; i < alerts.length; i += POST_BATCH) {
      bodies.push(
        JSON.stringify(
          alerts.slice(i, i + POST_BATCH).map(a => ({
            labels: {
              alertname: a.alertType,
              model_id: a.modelId,
              severity: 'critical',
              alert_id: a.id,
            },
            annotations: { summary: 'bench' },
            startsAt,
          })),
        ),
      );
    }
    const started = performance.now();
    for (const body of bodies) {
      const response = await fetch(`${amUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      if (response.status !== 200) {
        throw new Error(
          `POST /api/v2/alerts: HTTP ${response.status} ${text.slice(0, 300)}`,
        );
      }
    }
    const posted = performance.now();
    const deadline = started + TIMEOUT_MS;
    while (receiver.collect() < expected.size && performance.now() < deadline) {
      await sleep(20);
    }
    // Group intervals go on ticking: whatever Alertmanager sends again shows up here.
    await sleep(GRACE_MS);
    const { lastArrival, ...counts } = receiver.tally(expected);
    const endToEndMs = (lastArrival || performance.now()) - started;
    return {
      system: `Alertmanager ${alertmanagerVersion(binary)}`,
      alerts: alerts.length,
      ...counts,
      ingestMs: posted - started,
      endToEndMs,
      alertsPerSecond: (counts.arrived / endToEndMs) * 1000,
    };
  } finally {
    if (child) {
      await stopChild(child);
      children.delete(child);
    }
    await receiver.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}

const ms = (value?: number) =>
  value === undefined ? '' : `${Math.round(value).toLocaleString('en')} ms`;

function table(results: Result[]): string {
  const rows = results.map(r =>
    [
      r.system,
      r.database ?? '',
      r.requests.toLocaleString('en'),
      r.arrived.toLocaleString('en'),
      r.lost,
      `${r.duplicates}${r.unexpected ? ` (+${r.unexpected} unexpected)` : ''}`,
      ms(r.ingestMs),
      ms(r.sendMs),
      ms(r.endToEndMs),
      `${Math.round(r.alertsPerSecond).toLocaleString('en')}/s`,
      r.ratio === undefined ? '' : r.ratio.toFixed(2),
    ].join(' | '),
  );
  return [
    '| system | database | webhook requests | alerts arrived | lost | duplicated | write / POST | send | end to end | alerts/s | ÷ Alertmanager |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(row => `| ${row} |`),
  ].join('\n');
}

async function main() {
  const alerts = benchAlerts();
  const results: Result[] = [];
  const ours: Result[] = [];
  for (const db of await openBenchDatabases()) {
    try {
      const { result, anchor } = await modelOps(db, alerts);
      ours.push(result);
      results.push(result, anchor);
    } finally {
      await db.drop();
    }
  }
  const binary = findAlertmanager();
  let theirs: Result | undefined;
  if (binary) {
    theirs = await alertmanager(binary, alerts);
    results.push(theirs);
    for (const r of ours) r.ratio = r.alertsPerSecond / theirs.alertsPerSecond;
  }
  const lines = [
    `Alert delivery: ${ALERTS.toLocaleString(
      'en',
    )} distinct firing alerts to one webhook receiver on 127.0.0.1`,
    `Model Ops: ${WORKERS} delivery workers × batches of ${BATCH}, the webhook channel; Alertmanager: group_by ['...'], group_wait 0s, group_interval 1s, POSTs of ${POST_BATCH} alerts`,
    '',
    table(results),
    '',
  ];
  if (theirs) {
    const met = (r: Result) =>
      r.ratio !== undefined &&
      r.ratio >= 1 &&
      r.lost === 0 &&
      r.duplicates === 0;
    for (const r of ours) {
      lines.push(
        `${r.database}: Model Ops ÷ Alertmanager = ${r.ratio!.toFixed(
          2,
        )} (goal ≥ 1, 0 lost, 0 duplicates: ${met(r) ? 'met' : 'not met'})`,
      );
    }
  } else {
    lines.push(
      'No Alertmanager binary (apt-get install prometheus-alertmanager, or set ALERTMANAGER_BIN): no ratio.',
    );
  }
  // eslint-disable-next-line no-console
  console.log(lines.join('\n'));
  if (JSON_FILE) {
    fs.writeFileSync(
      JSON_FILE,
      `${JSON.stringify(
        {
          name: 'alert-delivery',
          date: new Date().toISOString(),
          alerts: ALERTS,
          workers: WORKERS,
          batch: BATCH,
          postBatch: POST_BATCH,
          results: results.map(r => ({
            ...r,
            alertsPerSecond: Math.round(r.alertsPerSecond),
            endToEndMs: Math.round(r.endToEndMs),
            ingestMs:
              r.ingestMs === undefined ? undefined : Math.round(r.ingestMs),
            sendMs: r.sendMs === undefined ? undefined : Math.round(r.sendMs),
            ratio:
              r.ratio === undefined ? undefined : Number(r.ratio.toFixed(3)),
          })),
        },
        null,
        2,
      )}\n`,
    );
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
