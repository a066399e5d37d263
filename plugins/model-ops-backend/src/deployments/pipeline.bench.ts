/*
 * `yarn bench:pipeline`: the pipeline's own overhead. Deploy runs go through the real pipeline
 * (the PipelineWorker and RunExecutor as createDeployments wires them, the database run and
 * model stores, the traffic switcher as createTrafficSwitching builds it, the artifact fetcher)
 * on the real local runtime (model servers from packages/model-server, the real router), with
 * the plugin's default budgets and health watch as readModelOpsConfig reads them from an empty
 * config: performance 50 requests, load 4 clients × 3 s, 10 verification probes, a 10 s health
 * watch after the switch. On SQLite (in memory), and on PostgreSQL when
 * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is set (a database of its own, dropped
 * after).
 *
 * Per database: a seed run puts 1.0.0 of the demo sentiment model into production (a first
 * version, in place; reported, not counted), then N blue-green runs (5, `--quick` 1) each deploy
 * a new version (1.1.1, 1.1.2, ...: the demo's 1.1.0 with its version changed, manifest
 * checksums to fit), so that every run starts a new server in each of testing, staging and the
 * idle color, as a real release does. A run is created in the run store and the worker is poked
 * at once, as the deployments service does on POST /deployments (`onRunCreated`).
 *
 * Per run, from its records (run and stage rows, the stages' checks, whose `at` is taken when
 * the check is made and whose `durationMs` is the request's latency):
 *   wall      = run.finishedAt - run.createdAt
 *   workload  = the functional cases (Σ durationMs of the `functional: *` checks)
 *             + performance ((last functional check).at → (performance check).at)
 *             + load ((performance check).at → (load check).at)
 *             + health watch ((switch: probe-version).at → (switch: health-watch).at)
 *             each interval less the database queries inside it (the stage writes between the
 *             checks: they are the pipeline's, not the workload's)
 *   overhead  = wall - workload (goal < 1 s)
 * The breakdown splits each run's wall time into the intervals between consecutive checks of its
 * stages (labelled with the later check), the claim (created → started), the gaps between
 * stages; and each interval, at 1 ms resolution, into: database queries (every query on the
 * knex instance, timed through its query events), runtime calls (every call of the local
 * runtime, timed by a wrapper: deploy = spawn + the "listening" line + /healthz; undeploy =
 * router update + SIGTERM and wait), workload, and the rest (the pipeline's own requests: smoke,
 * version probes, verification; and its code).
 *
 * The anchor, measured in the same run: the bare model server, started with the runtime's own
 * command and arguments, from spawn to its first healthy /healthz (read from its stdout and
 * polled every 2 ms), and stopped (SIGTERM to exit), median of 5. A run must start three servers
 * (testing, staging, the idle color) and stop two, so the ratio overhead ÷ bare start tells how
 * far the pipeline is from what it cannot avoid, on this machine. It is a better anchor than the
 * workloads' sum, which only follows the configured budgets (3 s of load, a 10 s watch) and says
 * nothing about the pipeline; overhead ÷ workload is printed too.
 *
 * Run with: node -r sucrase/register/ts src/deployments/pipeline.bench.ts [--quick] [--runs N]
 *   [--json file]
 */
import { DatabaseService, LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import {
  DeploymentRun,
  STAGE_NAMES,
  StageCheck,
} from '@model-ops/plugin-model-ops-common';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BenchDatabase,
  freePort,
  openBenchDatabases,
} from '../__benchUtils__/bench';
import {
  cleanUpOnExit,
  killProcessesUnder,
} from '../__benchUtils__/localProcesses';
import {
  Span,
  SpanLog,
  coverage,
  percentileOf,
  timeKnexQueries,
  timedRuntime,
} from '../__benchUtils__/spans';
import { readModelOpsConfig } from '../config/config';
import { createTrafficSwitching } from '../environments';
import { createModelStore } from '../models';
import {
  LocalRuntime,
  createLocalRuntime,
  findRepoRoot,
} from '../runtimes/local';
import { ArtifactFetcher } from './ArtifactFetcher';
import { DatabaseRunStore } from './DatabaseRunStore';
import { PipelineWorker } from './PipelineWorker';
import { NewRun } from './RunStore';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (!value) throw new Error(`--${name} needs a value`);
  return value;
};
const JSON_FILE = option('json');
const RUNS = Number(option('runs') ?? (QUICK ? 1 : 5));
if (!Number.isInteger(RUNS) || RUNS < 1) {
  throw new Error('--runs needs a positive integer');
}
const GOAL_MS = 1000;
const ANCHOR_SAMPLES = 5;

// eslint-disable-next-line no-restricted-syntax
const repoRoot = findRepoRoot(__dirname);
const SOURCE = path.join(repoRoot, 'examples/models/sentiment-classifier');
const MODEL = 'sentiment-classifier';
const ENTITY = `component:default/${MODEL}`;

const quiet: LoggerService = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => quiet,
};

const say = (line = '') => {
  // eslint-disable-next-line no-console
  console.log(line);
};
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const sha256 = (text: string | Buffer) =>
  createHash('sha256').update(text).digest('hex');
const round = (value: number) => Math.round(value);

/** `file:` artifacts of the demo model under `root`: 1.0.0 as it is, and 1.1.k copies of 1.1.0. */
function writeArtifacts(
  root: string,
  versions: string[],
): Record<string, { uri: string; sha256: string }> {
  const result: Record<string, { uri: string; sha256: string }> = {};
  for (const version of versions) {
    const from = path.join(SOURCE, version === '1.0.0' ? '1.0.0' : '1.1.0');
    const dir = path.join(root, 'artifacts', version);
    fs.mkdirSync(dir, { recursive: true });
    const model = JSON.parse(
      fs.readFileSync(path.join(from, 'model.json'), 'utf8'),
    );
    model.version = version;
    const files: Record<string, string> = {
      'model.json': JSON.stringify(model),
      'tests.json': fs.readFileSync(path.join(from, 'tests.json'), 'utf8'),
    };
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, name), content);
    }
    const manifest = JSON.stringify({
      modelId: MODEL,
      version,
      files: Object.entries(files).map(([name, content]) => ({
        path: name,
        sha256: sha256(content),
      })),
    });
    fs.writeFileSync(path.join(dir, 'manifest.json'), manifest);
    result[version] = {
      uri: `file:artifacts/${version}`,
      sha256: sha256(manifest),
    };
  }
  return result;
}

/** A blue-green run deploys its version to the idle color, whichever it is. */
const idleColor = (label: string) =>
  label.replace(/^deploy (blue|green)$/, 'deploy idle color');

/** performance.now() of a recorded date. */
const perfOf = (iso: string | undefined) =>
  iso === undefined ? NaN : Date.parse(iso) - performance.timeOrigin;

interface Segment {
  /** `<stage> / <check>`, `claim`, `between stages`, ... */
  label: string;
  start: number;
  end: number;
}

interface RunFigures {
  database: string;
  version: string;
  strategy: string;
  status: string;
  wallMs: number;
  workload: {
    functionalMs: number;
    performanceMs: number;
    loadMs: number;
    healthWatchMs: number;
    totalMs: number;
  };
  overheadMs: number;
  /** overhead by kind: db, runtime, other. */
  overheadByKind: Record<string, number>;
  /** overhead by interval (label): its db, runtime and other milliseconds. */
  segments: Array<{ label: string; overheadMs: number } & Record<string, any>>;
  /** Runtime calls by label: count and milliseconds. */
  runtimeCalls: Record<string, { calls: number; ms: number }>;
  dbQueries: number;
}

/** The workload spans of a run and the intervals its wall time is split into. */
function analyse(
  database: string,
  run: DeploymentRun,
  recorded: Span[],
): RunFigures {
  const created = perfOf(run.createdAt);
  const started = perfOf(run.startedAt);
  const finished = perfOf(run.finishedAt);
  const workloads: Span[] = [];
  const segments: Segment[] = [
    { label: 'claim', start: created, end: started },
  ];
  let previous = started;
  const checkAt = (checks: StageCheck[], name: string) => {
    const check = checks.find(c => c.name === name);
    return check ? perfOf(check.at) : undefined;
  };
  for (const stage of run.stages) {
    if (!stage.startedAt || !stage.finishedAt) continue;
    const stageStart = perfOf(stage.startedAt);
    const stageEnd = perfOf(stage.finishedAt);
    if (stageStart > previous) {
      segments.push({
        label: 'between stages',
        start: previous,
        end: stageStart,
      });
    }
    let at = stageStart;
    for (const check of stage.checks) {
      const checkTime = perfOf(check.at);
      segments.push({
        // One label for every functional case, and for the idle color whichever it is.
        label: `${stage.name} / ${check.name
          .replace(/^functional: .*/, 'functional')
          .replace(/^deploy (blue|green)$/, 'deploy idle color')}`,
        start: at,
        end: checkTime,
      });
      at = checkTime;
    }
    segments.push({ label: `${stage.name} / (end)`, start: at, end: stageEnd });
    previous = stageEnd;

    if (stage.name === 'testing') {
      const functional = stage.checks.filter(c =>
        c.name.startsWith('functional: '),
      );
      for (const c of functional) {
        const end = perfOf(c.at);
        workloads.push({
          kind: 'workload',
          label: 'functional',
          start: end - (c.durationMs ?? 0),
          end,
        });
      }
      const lastFunctional = functional.length
        ? perfOf(functional[functional.length - 1].at)
        : undefined;
      const performanceAt = checkAt(stage.checks, 'performance');
      const loadAt = checkAt(stage.checks, 'load');
      if (lastFunctional !== undefined && performanceAt !== undefined) {
        workloads.push({
          kind: 'workload',
          label: 'performance',
          start: lastFunctional,
          end: performanceAt,
        });
      }
      if (performanceAt !== undefined && loadAt !== undefined) {
        workloads.push({
          kind: 'workload',
          label: 'load',
          start: performanceAt,
          end: loadAt,
        });
      }
    }
    if (stage.name === 'production') {
      const probesAt = checkAt(stage.checks, 'switch: probe-version');
      const watchAt = checkAt(stage.checks, 'switch: health-watch');
      if (probesAt !== undefined && watchAt !== undefined) {
        workloads.push({
          kind: 'workload',
          label: 'health watch',
          start: probesAt,
          end: watchAt,
        });
      }
    }
  }
  if (finished > previous) {
    segments.push({ label: 'finish', start: previous, end: finished });
  }

  const spans = [...recorded, ...workloads];
  const priority = ['db', 'runtime', 'fetch', 'workload'];
  const workloadOf = (label: string) =>
    workloads
      .filter(w => w.label === label)
      .reduce(
        (sum, w) =>
          sum +
          coverage(
            spans.filter(s => s.kind === 'db' || s === w),
            w.start,
            w.end,
            priority,
          ).workload,
        0,
      );
  const total = coverage(spans, created, finished, priority);
  const wallMs = finished - created;
  const segmentFigures = segments.map(segment => {
    const c = coverage(spans, segment.start, segment.end, priority);
    return {
      label: segment.label,
      overheadMs: c.db + c.runtime + c.fetch + c.other,
      db: c.db,
      fetch: c.fetch,
      runtime: c.runtime,
      other: c.other,
      runtimeCalls: [
        ...new Set(
          recorded
            .filter(
              s =>
                s.kind === 'runtime' &&
                s.start >= segment.start - 1 &&
                s.end <= segment.end + 1,
            )
            .map(s => idleColor(s.label)),
        ),
      ],
    };
  });
  const runtimeCalls: RunFigures['runtimeCalls'] = {};
  for (const s of recorded) {
    if (s.kind !== 'runtime' || s.end < created || s.start > finished) continue;
    const entry = (runtimeCalls[idleColor(s.label)] ??= { calls: 0, ms: 0 });
    entry.calls++;
    entry.ms += s.end - s.start;
  }
  return {
    database,
    version: run.version,
    strategy: run.strategy,
    status: run.status,
    wallMs,
    workload: {
      functionalMs: workloadOf('functional'),
      performanceMs: workloadOf('performance'),
      loadMs: workloadOf('load'),
      healthWatchMs: workloadOf('health watch'),
      totalMs: total.workload,
    },
    overheadMs: wallMs - total.workload,
    overheadByKind: {
      db: total.db,
      runtime: total.runtime,
      fetch: total.fetch,
      other: total.other,
    },
    segments: segmentFigures,
    runtimeCalls,
    dbQueries: recorded.filter(
      s => s.kind === 'db' && s.end >= created && s.start <= finished,
    ).length,
  };
}

/** The bare model server: spawn → healthy /healthz, and SIGTERM → exit. */
async function bareServer(
  runtime: LocalRuntime,
  artifactDir: string,
  version: string,
): Promise<{ startMs: number; stopMs: number }> {
  const { server } = runtime.settings;
  const port = await freePort();
  const argsOf = server.args.map(a =>
    a
      .replace('{artifact}', artifactDir)
      .replace('{port}', String(port))
      .replace('{modelId}', MODEL),
  );
  const started = performance.now();
  const child = spawn(server.command, argsOf, {
    cwd: server.cwd,
    env: { ...process.env, ...server.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let listening = false;
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    out += chunk;
    if (/"event":"listening"/.test(out)) listening = true;
  });
  child.stderr!.resume();
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  try {
    const deadline = started + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
      if (performance.now() > deadline) throw new Error('server not healthy');
      if (listening) {
        const healthy = await fetch(`http://127.0.0.1:${port}/healthz`)
          .then(
            async r => r.status === 200 && (await r.json()).version === version,
          )
          .catch(() => false);
        if (healthy) break;
      }
      await sleep(2);
    }
    const startMs = performance.now() - started;
    const stopping = performance.now();
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    return { startMs, stopMs: performance.now() - stopping };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
}

async function benchDatabase(
  db: BenchDatabase,
  versions: string[],
): Promise<{
  seed: RunFigures;
  runs: RunFigures[];
  anchor: { startMs: number[]; stopMs: number[] };
  settings: Record<string, unknown>;
}> {
  const tmp = fs.mkdtempSync(
    path.join(os.tmpdir(), 'model-ops-bench-pipeline-'),
  );
  const forget = cleanUpOnExit(tmp);
  const artifacts = writeArtifacts(tmp, versions);
  fs.copyFileSync(
    path.join(repoRoot, 'examples/models/verification.json'),
    path.join(tmp, 'verification.json'),
  );
  const routerPort = await freePort();
  const config = new ConfigReader({
    modelOps: {
      artifacts: { fileRoot: tmp },
      pipeline: { verificationFile: 'verification.json' },
      local: {
        stateDir: path.join(tmp, 'local'),
        routerPorts: { [MODEL]: routerPort },
      },
    },
  });
  const options = await readModelOpsConfig(config, {
    workingDirectory: repoRoot,
  });
  const log = new SpanLog();
  timeKnexQueries(db.knex, log);
  const database = {
    getClient: async () => db.knex,
  } as unknown as DatabaseService;
  const models = await createModelStore({ database });
  const runs = DatabaseRunStore.create({ knex: db.knex });
  const local = createLocalRuntime({ settings: options.local, logger: quiet });
  const runtime = timedRuntime(local, log);
  const switching = createTrafficSwitching({
    knex: db.knex,
    logger: quiet,
    options: {
      ...options.environments,
      inputs: options.pipeline.verificationInputs,
    },
    ruleSets: options.ruleSets,
  });
  const fetcher = new ArtifactFetcher({
    cacheDir: options.pipeline.cacheDir,
    fileRoot: options.pipeline.fileRoot,
    fileRoots: options.pipeline.fileRoots,
    maxBytes: options.pipeline.maxArtifactBytes,
    logger: quiet,
  });
  const worker = new PipelineWorker({
    runs,
    models,
    fetcher,
    options: options.pipeline,
    logger: quiet,
    getRuntime: id => (id === 'local' ? runtime : undefined),
    switching: switching.service,
    canary: options.canary,
  });
  const fetchTimed = fetcher.fetch.bind(fetcher);
  fetcher.fetch = request =>
    log.time('fetch', 'artifact fetch', () => fetchTimed(request));

  const deploy = async (version: string): Promise<RunFigures> => {
    log.clear();
    const newRun: NewRun = {
      id: randomUUID(),
      modelId: MODEL,
      entityRef: ENTITY,
      kind: 'deploy',
      version,
      artifact: artifacts[version],
      config: {},
      strategy: 'blue-green',
      runtime: 'local',
      stages: [...STAGE_NAMES],
    };
    await runs.createRun(newRun);
    // As DefaultDeploymentsService's onRunCreated does.
    void worker.poll();
    await worker.idle();
    const run = (await runs.getRun(newRun.id))!;
    if (run.status !== 'succeeded') {
      throw new Error(
        `run of ${version} ended ${run.status}: ${run.error ?? ''}`,
      );
    }
    return analyse(db.name, run, [...log.spans]);
  };

  try {
    const seed = await deploy(versions[0]);
    const measured: RunFigures[] = [];
    for (const version of versions.slice(1)) {
      measured.push(await deploy(version));
      say(
        `  ${db.name} ${version}: wall ${round(
          measured.at(-1)!.wallMs,
        )} ms, workload ${round(
          measured.at(-1)!.workload.totalMs,
        )} ms, overhead ${round(measured.at(-1)!.overheadMs)} ms`,
      );
    }
    const anchor = { startMs: [] as number[], stopMs: [] as number[] };
    const artifactDir = path.join(tmp, 'artifacts', versions[0]);
    for (let i = 0; i < ANCHOR_SAMPLES; i++) {
      const sample = await bareServer(local, artifactDir, versions[0]);
      anchor.startMs.push(sample.startMs);
      anchor.stopMs.push(sample.stopMs);
    }
    return {
      seed,
      runs: measured,
      anchor,
      settings: {
        budgets: options.pipeline.defaults,
        healthWatchSeconds: options.environments.healthWatchSeconds,
        probes: options.environments.probes,
        watchIntervalMs: options.environments.watchIntervalMs,
        leaseSeconds: options.pipeline.leaseSeconds,
        stopTimeoutSeconds: options.local.stopTimeoutSeconds,
      },
    };
  } finally {
    await worker.stop();
    await local.shutdown();
    killProcessesUnder(tmp);
    fs.rmSync(tmp, { recursive: true, force: true });
    forget();
  }
}

const median = (values: number[]) => percentileOf(values, 50);
const ms = (value: number) => `${Math.round(value).toLocaleString('en')} ms`;

async function main() {
  const versions = [
    '1.0.0',
    ...Array.from({ length: RUNS }, (_, i) => `1.1.${i + 1}`),
  ];
  say(
    `Pipeline overhead: ${RUNS} blue-green deploy run${
      RUNS === 1 ? '' : 's'
    } per database through the real pipeline on the local runtime${
      QUICK ? ' (quick)' : ''
    }`,
  );
  const results: Array<
    Awaited<ReturnType<typeof benchDatabase>> & { database: string }
  > = [];
  for (const db of await openBenchDatabases()) {
    try {
      results.push({
        database: db.name,
        ...(await benchDatabase(db, versions)),
      });
    } finally {
      await db.drop();
    }
  }
  const settings = results[0]?.settings;
  say(
    `Settings (the plugin's defaults): performance ${JSON.stringify(
      (settings?.budgets as any)?.performance,
    )}, load ${JSON.stringify(
      (settings?.budgets as any)?.load,
    )}, health watch ${settings?.healthWatchSeconds} s every ${
      settings?.watchIntervalMs
    } ms, ${settings?.probes} switch probes`,
  );
  say('');
  say(
    '| database | run | version | wall | functional | performance | load | health watch | workload | overhead | db | runtime | other | ÷ bare start |',
  );
  say(
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  const summaries = [];
  for (const r of results) {
    const startMedian = median(r.anchor.startMs);
    const rows = [
      { label: 'seed (in place, not counted)', f: r.seed },
      ...r.runs.map((f, i) => ({ label: String(i + 1), f })),
    ];
    for (const { label, f } of rows) {
      say(
        `| ${r.database} | ${label} | ${f.version} | ${ms(f.wallMs)} | ${ms(
          f.workload.functionalMs,
        )} | ${ms(f.workload.performanceMs)} | ${ms(f.workload.loadMs)} | ${ms(
          f.workload.healthWatchMs,
        )} | ${ms(f.workload.totalMs)} | **${ms(f.overheadMs)}** | ${ms(
          f.overheadByKind.db,
        )} | ${ms(f.overheadByKind.runtime)} | ${ms(
          f.overheadByKind.other,
        )} | ${(f.overheadMs / startMedian).toFixed(1)} |`,
      );
    }
    const overheads = r.runs.map(f => f.overheadMs);
    const workloads = r.runs.map(f => f.workload.totalMs);
    summaries.push({
      database: r.database,
      runs: r.runs.length,
      overheadP50Ms: median(overheads),
      overheadMaxMs: Math.max(...overheads),
      workloadP50Ms: median(workloads),
      bareStartP50Ms: startMedian,
      bareStopP50Ms: median(r.anchor.stopMs),
      ratioToBareStart: median(overheads) / startMedian,
      ratioToWorkload: median(overheads) / median(workloads),
      goalMet: Math.max(...overheads) < GOAL_MS,
    });
  }
  say('');
  for (const s of summaries) {
    say(
      `${s.database}: overhead p50 ${ms(s.overheadP50Ms)}, max ${ms(
        s.overheadMaxMs,
      )} over ${s.runs} runs (goal < 1 s: ${
        s.goalMet ? 'met' : 'not met'
      }); bare model server start ${ms(s.bareStartP50Ms)} (stop ${ms(
        s.bareStopP50Ms,
      )}): overhead ÷ bare start = ${s.ratioToBareStart.toFixed(
        2,
      )}; overhead ÷ workload = ${s.ratioToWorkload.toFixed(3)}`,
    );
  }

  // Where the overhead goes: per interval, the median over a database's runs.
  const breakdowns = results.map(r => {
    const labels = [
      ...new Set(r.runs.flatMap(f => f.segments.map(s => s.label))),
    ];
    const rows = labels
      .map(label => {
        const per = r.runs.map(f => {
          const matching = f.segments.filter(s => s.label === label);
          const sum = (key: string) =>
            matching.reduce((a, s) => a + (s[key] as number), 0);
          return {
            overheadMs: sum('overheadMs'),
            db: sum('db'),
            runtime: sum('runtime'),
            other: sum('other'),
            calls: [
              ...new Set(matching.flatMap(s => s.runtimeCalls as string[])),
            ],
          };
        });
        return {
          label,
          overheadMs: median(per.map(p => p.overheadMs)),
          db: median(per.map(p => p.db)),
          runtime: median(per.map(p => p.runtime)),
          other: median(per.map(p => p.other)),
          runtimeCalls: [...new Set(per.flatMap(p => p.calls))],
        };
      })
      .sort((a, b) => b.overheadMs - a.overheadMs);
    const calls: Record<string, { calls: number; ms: number }> = {};
    for (const f of r.runs) {
      for (const [label, c] of Object.entries(f.runtimeCalls)) {
        const entry = (calls[label] ??= { calls: 0, ms: 0 });
        entry.calls += c.calls / r.runs.length;
        entry.ms += c.ms / r.runs.length;
      }
    }
    return { database: r.database, rows, runtimeCalls: calls };
  });
  for (const b of breakdowns) {
    say('');
    say(
      `Where the overhead goes (${b.database}, median per run, 1 ms resolution):`,
    );
    say(
      '| interval (stage / up to check) | overhead | runtime calls | db | other | calls in it |',
    );
    say('| --- | --- | --- | --- | --- | --- |');
    for (const row of b.rows.filter(x => x.overheadMs >= 5)) {
      say(
        `| ${row.label} | ${ms(row.overheadMs)} | ${ms(row.runtime)} | ${ms(
          row.db,
        )} | ${ms(row.other)} | ${row.runtimeCalls.join(', ')} |`,
      );
    }
    say('');
    say('Runtime calls per run (mean):');
    for (const [label, c] of Object.entries(b.runtimeCalls).sort(
      (x, y) => y[1].ms - x[1].ms,
    )) {
      say(`  ${label.padEnd(20)} ${c.calls.toFixed(1)} calls, ${ms(c.ms)}`);
    }
    const r = results.find(x => x.database === b.database)!;
    say(
      `  database queries per run: ${Math.round(
        median(r.runs.map(f => f.dbQueries)),
      )} (median)`,
    );
  }

  if (JSON_FILE) {
    const r2 = (v: number) => Math.round(v);
    fs.writeFileSync(
      JSON_FILE,
      `${JSON.stringify(
        {
          name: 'pipeline-overhead',
          date: new Date().toISOString(),
          quick: QUICK,
          runsPerDatabase: RUNS,
          goalMs: GOAL_MS,
          settings,
          summaries: summaries.map(s => ({
            ...s,
            overheadP50Ms: r2(s.overheadP50Ms),
            overheadMaxMs: r2(s.overheadMaxMs),
            workloadP50Ms: r2(s.workloadP50Ms),
            bareStartP50Ms: r2(s.bareStartP50Ms),
            bareStopP50Ms: r2(s.bareStopP50Ms),
            ratioToBareStart: Number(s.ratioToBareStart.toFixed(3)),
            ratioToWorkload: Number(s.ratioToWorkload.toFixed(4)),
          })),
          runs: results.flatMap(r =>
            [r.seed, ...r.runs].map((f, i) => ({
              database: f.database,
              run: i === 0 ? 'seed' : i,
              version: f.version,
              status: f.status,
              wallMs: r2(f.wallMs),
              workload: Object.fromEntries(
                Object.entries(f.workload).map(([k, v]) => [k, r2(v)]),
              ),
              overheadMs: r2(f.overheadMs),
              overheadByKind: f.overheadByKind,
              dbQueries: f.dbQueries,
              runtimeCalls: Object.fromEntries(
                Object.entries(f.runtimeCalls).map(([k, v]) => [
                  k,
                  { calls: v.calls, ms: r2(v.ms) },
                ]),
              ),
            })),
          ),
          breakdown: breakdowns.map(b => ({
            database: b.database,
            intervals: b.rows.map(row => ({
              ...row,
              overheadMs: r2(row.overheadMs),
            })),
          })),
          anchor: results.map(r => ({
            database: r.database,
            bareStartMs: r.anchor.startMs.map(r2),
            bareStopMs: r.anchor.stopMs.map(r2),
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
