/*
 * `yarn bench:switch`: traffic switches under load. A real portal backend (the crash suite's,
 * src/crash: `createBackend()` with the catalog, the permission backend and this plugin from
 * source, on a PostgreSQL database of its own) with the real local runtime (model servers from
 * packages/model-server, the real router), one model whose two production colors run different
 * versions (1.0.0 and 1.1.0 of the demo sentiment model, deployed through POST /deployments, the
 * second blue-green), and an open-loop load of 200 requests/s (`--rps`) to POST /v1/predict
 * through the model's router for the whole measurement (src/crash/load.ts: any non-2xx,
 * connection error or 5 s timeout counts as failed).
 *
 * Measured, in this order, under the same load:
 * 1. the anchor: N changes of the router's table done directly at the lowest layer, a
 *    `PUT /__model-ops/routes` to the router's admin API with the router token (what the local
 *    runtime's setTraffic sends, without the plugin's lease, records, verification or the
 *    runtime's state file); each sends all traffic to the color that has none;
 * 2. N switches through the plugin's own path: `POST /environments/switch` on the backend
 *    (permission check, audit, the switch's intent and lease in the database, setTraffic through
 *    the runtime, version probes, the health watch, the commit);
 * 3. N rollback-switches: `POST /environments/rollback-switch` (back to the warm color).
 * For each: "to 100 %" is from sending the request to the first read of the router's own table
 * (its admin API, polled every 5 ms beside the request) that gives 100 % to the new color and 0
 * to the other; "answered" is from sending the request to its answer (for the switches: set,
 * verified, watched and committed). The health watch is set to its minimum,
 * `modelOps.environments.healthWatchSeconds: 0` (allowed by config; the watch then sends no
 * request), so neither figure contains it; the watch time the switch recorded is printed. Failed
 * requests of each: the load's failures from sending the request to 300 ms after its answer.
 * Other settings are the crash suite's (5 version probes, a 30 s lease here, the reconcilers
 * and cooldown off so that nothing moves traffic behind the benchmark's back).
 *
 * The goal: < 2 s to 100 % on the new color and 0 failed requests (every switch and rollback);
 * the ratio is the plugin's median over the anchor's median, for both figures.
 *
 * Needs BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING (a backend with its pipeline and
 * switch leases runs on PostgreSQL, as the crash suite does); without it, it says so and writes
 * `{ skipped }`.
 *
 * Run with: node -r sucrase/register/ts src/environments/switch.bench.ts [--quick] [--switches N]
 *   [--rps N] [--json file]
 */
import fs from 'node:fs';
import path from 'node:path';
import { percentileOf } from '../__benchUtils__/spans';
import { BackendProcess, CrashWorld, sleep, waitFor } from '../crash/harness';
import { startLoad } from '../crash/load';
import { isTerminal, readRun } from '../crash/observe';

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
const SWITCHES = positive('switches', QUICK ? 2 : 10);
const RPS = positive('rps', 200);
const GOAL_MS = 2000;
const POLL_MS = 5;
const SETTLE_MS = 300;
const MODEL = 'switch-bench';
const ROUTER_TOKEN_HEADER = 'x-model-ops-router-token';

const say = (line = '') => {
  // eslint-disable-next-line no-console
  console.log(line);
};

type Table = Record<string, { url: string; weight: number }>;

interface Measured {
  kind: 'anchor' | 'switch' | 'rollback-switch';
  from: string;
  to: string;
  /** Request sent → the router's table gives 100 % to `to`. */
  toFullMs: number;
  /** Request sent → its answer. */
  answeredMs: number;
  failed: number;
  requests: number;
  /** The switch's own record: its status, duration and health-watch check. */
  status?: string;
  recordedMs?: number;
  watch?: string;
  error?: string;
}

async function main() {
  const connectionString =
    process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
  if (!connectionString) {
    say(
      'Switch under load: skipped, BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is not set (the backend runs on PostgreSQL).',
    );
    if (JSON_FILE) {
      fs.writeFileSync(
        JSON_FILE,
        `${JSON.stringify({
          name: 'switch-under-load',
          skipped: 'no PostgreSQL',
        })}\n`,
      );
    }
    return;
  }
  const world = await CrashWorld.create({
    connectionString,
    settings: {
      leaseSeconds: 30,
      pollIntervalSeconds: 0.5,
      healthWatchSeconds: 0,
      canarySteps: [100],
      canaryStepSeconds: 1,
      rps: RPS,
      isolateRuntime: true,
    },
    models: [{ modelId: MODEL, strategy: 'blue-green' }],
  });
  const onExit = () => world.killAllSync();
  process.once('exit', onExit);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(130));
  }
  try {
    await measure(world);
  } finally {
    await world.close();
    process.removeListener('exit', onExit);
  }
}

async function deploy(
  world: CrashWorld,
  backend: BackendProcess,
  version: string,
): Promise<void> {
  const artifact = world.model(MODEL).artifacts[version];
  let id: string | undefined;
  for (let attempt = 0; attempt < 120 && !id; attempt++) {
    const answer = await world.api(
      'POST',
      'model-ops/deployments',
      { entityRef: `component:default/${MODEL}`, version, artifact },
      backend,
    );
    if (answer.status === 202) id = answer.body.id;
    else if (answer.status === 404) await sleep(500);
    else throw new Error(`POST /deployments: ${JSON.stringify(answer)}`);
  }
  if (!id) throw new Error('the backend never knew the model');
  const run = await waitFor(
    `run ${id}`,
    async () => {
      const view = await readRun(world, id!);
      return isTerminal(view?.status) && view;
    },
    180_000,
    100,
  );
  if (run.status !== 'succeeded') {
    throw new Error(`deploying ${version} ended ${run.status}: ${run.error}`);
  }
}

async function measure(world: CrashWorld) {
  const setupStarted = performance.now();
  const backend = await world.spawnBackend();
  await backend.ready();
  await deploy(world, backend, '1.0.0');
  await deploy(world, backend, '1.1.0');
  const setupMs = performance.now() - setupStarted;

  const { routerPort } = world.model(MODEL);
  const routerUrl = `http://127.0.0.1:${routerPort}`;
  const token = fs
    .readFileSync(path.join(world.stateDir, 'router.token'), 'utf8')
    .trim();
  const readTable = async (): Promise<Table | undefined> => {
    try {
      const response = await fetch(`${routerUrl}/__model-ops/routes`, {
        headers: { [ROUTER_TOKEN_HEADER]: token },
        signal: AbortSignal.timeout(2000),
      });
      if (response.status !== 200) return undefined;
      return ((await response.json()) as { upstreams?: Table }).upstreams;
    } catch {
      return undefined;
    }
  };
  const fullOn = (table: Table | undefined, color: string) =>
    !!table &&
    table[color]?.weight === 100 &&
    Object.entries(table).every(([c, r]) => c === color || r.weight === 0);
  const activeOf = (table: Table | undefined) =>
    Object.entries(table ?? {}).find(([, r]) => r.weight === 100)?.[0];

  const load = startLoad({
    endpoint: routerUrl,
    rps: RPS,
    maxDurationMs: 30 * 60_000,
    maxInFlight: 400,
  });
  const failedSoFar = () => load.figures().failed;
  const sentSoFar = () => load.figures().total;

  /** Times one change: `send` starts it, the table is polled until it gives `to` 100 %. */
  const timeChange = async (
    kind: Measured['kind'],
    from: string,
    to: string,
    send: () => Promise<Partial<Measured>>,
  ): Promise<Measured> => {
    const failedBefore = failedSoFar();
    const sentBefore = sentSoFar();
    const started = performance.now();
    let toFullMs: number | undefined;
    let answered = false;
    const poller = (async () => {
      const deadline = started + 60_000;
      while (toFullMs === undefined && performance.now() < deadline) {
        const table = await readTable();
        if (fullOn(table, to)) {
          toFullMs = performance.now() - started;
          return;
        }
        if (answered && performance.now() - started > 10_000) return;
        await sleep(POLL_MS);
      }
    })();
    const result = await send();
    const answeredMs = performance.now() - started;
    answered = true;
    await poller;
    await sleep(SETTLE_MS);
    return {
      kind,
      from,
      to,
      toFullMs: toFullMs ?? NaN,
      answeredMs,
      failed: failedSoFar() - failedBefore,
      requests: sentSoFar() - sentBefore,
      ...result,
    };
  };

  await sleep(1000);
  const warmFailed = failedSoFar();
  const results: Measured[] = [];

  // 1. The anchor: the router's table, changed directly.
  for (let i = 0; i < SWITCHES; i++) {
    const table = (await readTable())!;
    const from = activeOf(table)!;
    const to = from === 'blue' ? 'green' : 'blue';
    const next: Table = {
      [to]: { url: table[to].url, weight: 100 },
      [from]: { url: table[from].url, weight: 0 },
    };
    results.push(
      await timeChange('anchor', from, to, async () => {
        const response = await fetch(`${routerUrl}/__model-ops/routes`, {
          method: 'PUT',
          headers: {
            [ROUTER_TOKEN_HEADER]: token,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ upstreams: next }),
        });
        await response.text();
        return response.status === 200
          ? { status: 'applied' }
          : { status: 'refused', error: `HTTP ${response.status}` };
      }),
    );
  }
  if (SWITCHES % 2 === 1) {
    // Back to the color the database has active, unmeasured.
    const table = (await readTable())!;
    const from = activeOf(table)!;
    const to = from === 'blue' ? 'green' : 'blue';
    await fetch(`${routerUrl}/__model-ops/routes`, {
      method: 'PUT',
      headers: {
        [ROUTER_TOKEN_HEADER]: token,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        upstreams: {
          [to]: { url: table[to].url, weight: 100 },
          [from]: { url: table[from].url, weight: 0 },
        },
      }),
    }).then(r => r.text());
  }

  // 2 and 3: through the backend's routes.
  const entityPath = `model-ops/entities/component/default/${MODEL}/environments`;
  for (const kind of ['switch', 'rollback-switch'] as const) {
    for (let i = 0; i < SWITCHES; i++) {
      const from = activeOf(await readTable())!;
      const to = from === 'blue' ? 'green' : 'blue';
      results.push(
        await timeChange(kind, from, to, async () => {
          const answer = await world.api(
            'POST',
            `${entityPath}/${kind}`,
            { reason: `bench ${kind} ${i + 1}` },
            backend,
          );
          if (answer.status !== 200) {
            return {
              status: `HTTP ${answer.status}`,
              error: JSON.stringify(answer.body).slice(0, 300),
            };
          }
          const record = answer.body;
          const watch = (record.checks ?? []).find(
            (c: { name: string }) => c.name === 'health-watch',
          );
          return {
            status: record.status,
            recordedMs: record.durationMs,
            watch: watch?.detail,
          };
        }),
      );
    }
  }
  const figures = await load.stop();

  // Report.
  const kinds = ['anchor', 'switch', 'rollback-switch'] as const;
  const label = {
    anchor: 'anchor: PUT /__model-ops/routes',
    switch: 'POST /environments/switch',
    'rollback-switch': 'POST /environments/rollback-switch',
  };
  const stats = (kind: (typeof kinds)[number]) => {
    const rows = results.filter(r => r.kind === kind);
    const full = rows.map(r => r.toFullMs).filter(v => !Number.isNaN(v));
    const answered = rows.map(r => r.answeredMs);
    return {
      kind,
      count: rows.length,
      succeeded: rows.filter(
        r => r.status === 'succeeded' || r.status === 'applied',
      ).length,
      neverFull: rows.length - full.length,
      toFullP50Ms: percentileOf(full, 50),
      toFullMaxMs: full.length ? Math.max(...full) : NaN,
      answeredP50Ms: percentileOf(answered, 50),
      answeredMaxMs: Math.max(...answered),
      failed: rows.reduce((a, r) => a + r.failed, 0),
      requests: rows.reduce((a, r) => a + r.requests, 0),
    };
  };
  const summary = kinds.map(stats);
  const anchor = summary[0];
  const ms = (v: number) =>
    Number.isNaN(v) ? 'n/a' : `${Math.round(v).toLocaleString('en')} ms`;
  say(
    `Switch under load: ${RPS} req/s through the router of one model (1.0.0 and 1.1.0 on its colors), ${SWITCHES} of each${
      QUICK ? ' (quick)' : ''
    }; health watch 0 s (its minimum)`,
  );
  say(`Setup (backend start, two deploy runs): ${ms(setupMs)}`);
  say('');
  say(
    '| # | change | from → to | to 100 % | answered | recorded | failed / sent | status | watch |',
  );
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  results.forEach((r, i) =>
    say(
      `| ${i + 1} | ${r.kind} | ${r.from} → ${r.to} | ${ms(r.toFullMs)} | ${ms(
        r.answeredMs,
      )} | ${r.recordedMs === undefined ? '' : ms(r.recordedMs)} | ${
        r.failed
      } / ${r.requests} | ${r.status ?? ''}${r.error ? ` ${r.error}` : ''} | ${
        r.watch ?? ''
      } |`,
    ),
  );
  say('');
  say(
    '| change | n | to 100 % p50 | max | answered p50 | max | failed | ÷ anchor (to 100 % / answered) |',
  );
  say('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of summary) {
    say(
      `| ${label[s.kind]} | ${s.count} | ${ms(s.toFullP50Ms)} | ${ms(
        s.toFullMaxMs,
      )} | ${ms(s.answeredP50Ms)} | ${ms(s.answeredMaxMs)} | ${s.failed} of ${
        s.requests
      } | ${
        s.kind === 'anchor'
          ? ''
          : `${(s.toFullP50Ms / anchor.toFullP50Ms).toFixed(1)} / ${(
              s.answeredP50Ms / anchor.answeredP50Ms
            ).toFixed(1)}`
      } |`,
    );
  }
  const plugin = summary.slice(1);
  const goalMet = plugin.every(
    s =>
      s.succeeded === s.count &&
      s.neverFull === 0 &&
      s.toFullMaxMs < GOAL_MS &&
      s.failed === 0,
  );
  const answeredMet = plugin.every(s => s.answeredMaxMs < GOAL_MS);
  say('');
  say(
    `Load over the whole measurement: ${figures.total} requests at ${
      figures.rps
    } req/s, ${figures.failed} failed (${warmFailed} before the first change)${
      figures.failed ? `: ${JSON.stringify(figures.failuresByCause)}` : ''
    }, p95 ${figures.p95Ms} ms, max ${
      figures.maxMs
    } ms, answers by version ${JSON.stringify(figures.byVersion)}`,
  );
  say(
    `Goal (< 2 s to 100 % on the new color, 0 failed, every switch and rollback-switch): ${
      goalMet ? 'met' : 'not met'
    }; answered (set, verified, committed) within 2 s too: ${
      answeredMet ? 'yes' : 'no'
    }`,
  );

  if (JSON_FILE) {
    const r = (v: number) => (Number.isNaN(v) ? null : Math.round(v));
    fs.writeFileSync(
      JSON_FILE,
      `${JSON.stringify(
        {
          name: 'switch-under-load',
          date: new Date().toISOString(),
          quick: QUICK,
          rps: RPS,
          switches: SWITCHES,
          healthWatchSeconds: 0,
          goalMs: GOAL_MS,
          goalMet,
          answeredWithinGoal: answeredMet,
          setupMs: r(setupMs),
          summary: summary.map(s => ({
            ...s,
            toFullP50Ms: r(s.toFullP50Ms),
            toFullMaxMs: r(s.toFullMaxMs),
            answeredP50Ms: r(s.answeredP50Ms),
            answeredMaxMs: r(s.answeredMaxMs),
            ratioToAnchor:
              s.kind === 'anchor'
                ? undefined
                : {
                    toFull: Number(
                      (s.toFullP50Ms / anchor.toFullP50Ms).toFixed(2),
                    ),
                    answered: Number(
                      (s.answeredP50Ms / anchor.answeredP50Ms).toFixed(2),
                    ),
                  },
          })),
          changes: results.map(x => ({
            ...x,
            toFullMs: r(x.toFullMs),
            answeredMs: r(x.answeredMs),
          })),
          load: figures,
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
