/*
 * A synthetic Prometheus exporter for `yarn bench:tick`: N models × two slots (blue, green) with
 * the series the `prometheus` metric source's default queries read (see
 * defaultPrometheusQueries in src/sources/PrometheusMetricSource.ts), labelled `model_id` and
 * `slot`:
 *
 * - `model_requests_total{status="200"|"500"}`: a counter;
 * - `model_request_duration_seconds_bucket{le=…}`, `_sum`, `_count`: the latency histogram;
 * - `process_cpu_seconds_total`: a counter (CPU seconds, so its rate is in cores);
 * - `process_resident_memory_bytes`: a gauge.
 *
 * Every value is a formula of the seconds since the exporter started (no randomness at scrape
 * time): each slot's rates come from a seeded PRNG, so a given `--models` and `--seed` serve the
 * same series. Four models in every 200 breach one default rule on their blue slot (see
 * {@link BREACHES}); the rest stay well within the default rules.
 *
 * It runs as a child process (`startExporter`), so that generating the exposition (tens of MB
 * at 10,000 models) neither blocks the benchmark's event loop during a tick nor counts in its
 * RSS.
 */
import { ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { killOnExit, stopChild } from '../../__benchUtils__/bench';

/** The slots every model reports. */
export const EXPORTER_SLOTS = ['blue', 'green'] as const;
/** The histogram's bucket bounds in seconds (and +Inf). */
export const LATENCY_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** What the source is told of the hosts (`cpuCores`, `totalMemoryBytes`): fixed, not this host's. */
export const EXPORTER_CPU_CORES = 2;
export const EXPORTER_TOTAL_MEMORY_BYTES = 8 * 1024 ** 3;
/** The counters start as if the models had served for this long. */
const HISTORY_SECONDS = 600;
/** Request rates and memory wobble ±10 % / ±2 % with this period. */
const WOBBLE_PERIOD_SECONDS = 120;
const OMEGA = (2 * Math.PI) / WOBBLE_PERIOD_SECONDS;
/** Share of a slow request's latency spread evenly over (5 s, 10 s]. */
const SLOW_FROM_SECONDS = 5;
const SLOW_TO_SECONDS = 10;

/** The default rule a breaching model breaks (the Model Ops metric), on its blue slot. */
export type Breach = 'responseTimeP95' | 'errorRate' | 'cpu' | 'memory';

/** Model `i` breaches `BREACHES[k][1]` when `i % BREACH_EVERY === BREACHES[k][0]`. */
export const BREACH_EVERY = 200;
export const BREACHES: ReadonlyArray<readonly [number, Breach]> = [
  [7, 'responseTimeP95'], // p95 ≈ 7.9 s: over the 5 s warning
  [19, 'errorRate'], // 12 %: over the 10 % critical
  [31, 'cpu'], // 85 %: over the 80 % warning
  [43, 'memory'], // 90 % (±2 %): over the 85 % warning
];

/** One slot's parameters. */
export interface SlotProfile {
  slot: (typeof EXPORTER_SLOTS)[number];
  /** Mean requests a second. */
  rps: number;
  /** Share of requests answered 500. */
  errorShare: number;
  /** Mean latency of the fast requests (exponential), in seconds. */
  latencyMeanSeconds: number;
  /** Share of requests taking 5 to 10 s. */
  slowShare: number;
  /** CPU seconds a second (cores). */
  cpuCores: number;
  /** Resident memory as a share of {@link EXPORTER_TOTAL_MEMORY_BYTES}. */
  memoryShare: number;
  phase: number;
}

export interface ModelProfile {
  modelId: string;
  breach?: Breach;
  slots: SlotProfile[];
}

/** The id of model `i`: `model-00042`. */
export function benchModelId(i: number): string {
  return `model-${String(i).padStart(5, '0')}`;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The models the exporter serves, and which of them breach what. */
export function exporterPlan(models: number, seed: number): ModelProfile[] {
  const random = seededRandom(seed);
  return Array.from({ length: models }, (_, i) => {
    const breach = BREACHES.find(([r]) => i % BREACH_EVERY === r)?.[1];
    const slots = EXPORTER_SLOTS.map(slot => {
      // Always the same draws per slot, breaching or not, so the plan of model i is stable.
      const profile: SlotProfile = {
        slot,
        // At least 10 requests a second and at most 1 % errors: over a 15 s window a request
        // more or less cannot move a healthy slot's error rate near the 5 % threshold.
        rps: 10 + 40 * random(),
        errorShare: 0.01 * random(),
        latencyMeanSeconds: 0.02 + 0.13 * random(),
        slowShare: 0,
        cpuCores: (0.05 + 0.55 * random()) * EXPORTER_CPU_CORES,
        memoryShare: 0.2 + 0.5 * random(),
        phase: 2 * Math.PI * random(),
      };
      if (slot === 'blue' && breach === 'responseTimeP95')
        profile.slowShare = 0.12;
      if (slot === 'blue' && breach === 'errorRate') profile.errorShare = 0.12;
      if (slot === 'blue' && breach === 'cpu')
        profile.cpuCores = 0.85 * EXPORTER_CPU_CORES;
      if (slot === 'blue' && breach === 'memory') profile.memoryShare = 0.9;
      return profile;
    });
    return { modelId: benchModelId(i), breach, slots };
  });
}

/** The breaching models of a plan, as `modelId` → the metric it breaches. */
export function expectedBreaches(plan: ModelProfile[]): Map<string, Breach> {
  return new Map(
    plan.filter(m => m.breach).map(m => [m.modelId, m.breach!] as const),
  );
}

/** Requests served by `t` seconds: the integral of rps × (1 + 0.1 sin(ωt + φ)). */
function served(p: SlotProfile, t: number): number {
  return (
    p.rps *
    (t - (0.1 / OMEGA) * (Math.cos(OMEGA * t + p.phase) - Math.cos(p.phase)))
  );
}

/** The share of requests at or under `le` seconds. */
function latencyCdf(p: SlotProfile, le: number): number {
  const fast = 1 - Math.exp(-le / p.latencyMeanSeconds);
  const slow = Math.min(
    1,
    Math.max(
      0,
      (le - SLOW_FROM_SECONDS) / (SLOW_TO_SECONDS - SLOW_FROM_SECONDS),
    ),
  );
  return (1 - p.slowShare) * fast + p.slowShare * slow;
}

const SERIES_PER_CHUNK = 1000;

/**
 * A request counter's value: whole requests, as a real server counts them. Rounding down is
 * monotonic, so buckets stay cumulative and counters never go down. (Fractional counters were
 * tried: they make Prometheus' chunks larger and its queries slower at 10,000 models.)
 */
function counter(value: number): string {
  return String(Math.floor(value));
}

/**
 * The exposition at `t` seconds of history, in chunks, one metric family after another (the
 * text format wants a family's lines together).
 */
export function* exposition(
  plan: ModelProfile[],
  t: number,
): Generator<string> {
  const slots = plan.flatMap(m =>
    m.slots.map(p => ({
      p,
      labels: `model_id="${m.modelId}",slot="${p.slot}"`,
      total: served(p, t),
    })),
  );
  function* family(
    header: string,
    line: (s: (typeof slots)[number]) => string,
  ): Generator<string> {
    yield header;
    for (let i = 0; i < slots.length; i += SERIES_PER_CHUNK) {
      let chunk = '';
      for (const s of slots.slice(i, i + SERIES_PER_CHUNK)) chunk += line(s);
      yield chunk;
    }
  }
  yield* family(
    '# HELP model_requests_total Requests by status.\n# TYPE model_requests_total counter\n',
    ({ p, labels, total }) =>
      `model_requests_total{${labels},status="200"} ${counter(
        total * (1 - p.errorShare),
      )}\nmodel_requests_total{${labels},status="500"} ${counter(
        total * p.errorShare,
      )}\n`,
  );
  yield* family(
    '# HELP model_request_duration_seconds Request latency.\n# TYPE model_request_duration_seconds histogram\n',
    ({ p, labels, total }) => {
      const count = counter(total);
      let lines = '';
      for (const le of LATENCY_BUCKETS_SECONDS) {
        lines += `model_request_duration_seconds_bucket{${labels},le="${le}"} ${counter(
          total * latencyCdf(p, le),
        )}\n`;
      }
      const mean =
        (1 - p.slowShare) * p.latencyMeanSeconds +
        (p.slowShare * (SLOW_FROM_SECONDS + SLOW_TO_SECONDS)) / 2;
      return `${lines}model_request_duration_seconds_bucket{${labels},le="+Inf"} ${count}\nmodel_request_duration_seconds_sum{${labels}} ${(
        total * mean
      ).toFixed(
        3,
      )}\nmodel_request_duration_seconds_count{${labels}} ${count}\n`;
    },
  );
  yield* family(
    '# HELP process_cpu_seconds_total CPU seconds.\n# TYPE process_cpu_seconds_total counter\n',
    ({ p, labels }) =>
      `process_cpu_seconds_total{${labels}} ${(p.cpuCores * t).toFixed(3)}\n`,
  );
  yield* family(
    '# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\n',
    ({ p, labels }) =>
      `process_resident_memory_bytes{${labels}} ${Math.round(
        p.memoryShare *
          EXPORTER_TOTAL_MEMORY_BYTES *
          (1 + 0.02 * Math.sin(OMEGA * t + p.phase)),
      )}\n`,
  );
}

/** Series per model: 2 request counters, 9 buckets + sum + count, CPU, memory; per slot. */
export const SERIES_PER_MODEL =
  EXPORTER_SLOTS.length * (2 + LATENCY_BUCKETS_SECONDS.length + 3 + 2);

export interface ExporterStats {
  scrapes: number;
  lastBytes: number;
  lastMs: number;
  maxMs: number;
}

export interface ExporterProcess {
  child: ChildProcess;
  /** `127.0.0.1:port`, for a scrape config. */
  host: string;
  url: string;
  stats(): Promise<ExporterStats>;
  stop(): Promise<void>;
}

/** Serves the exposition on an ephemeral loopback port: the child process's side. */
function serve(models: number, seed: number) {
  const plan = exporterPlan(models, seed);
  const started = Date.now();
  const stats: ExporterStats = {
    scrapes: 0,
    lastBytes: 0,
    lastMs: 0,
    maxMs: 0,
  };
  const server = http.createServer((req, res) => {
    if (req.url === '/stats') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(stats));
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const begun = performance.now();
    const t = HISTORY_SECONDS + (Date.now() - started) / 1000;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    let bytes = 0;
    for (const chunk of exposition(plan, t)) {
      bytes += chunk.length;
      res.write(chunk);
    }
    res.end();
    stats.scrapes += 1;
    stats.lastBytes = bytes;
    stats.lastMs = performance.now() - begun;
    stats.maxMs = Math.max(stats.maxMs, stats.lastMs);
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
  // The parent holds our stdin: when it goes (even killed), so do we.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}

/** Starts the exporter in a child process and resolves once it listens. */
export function startExporter(options: {
  models: number;
  seed: number;
  timeoutMs?: number;
}): Promise<ExporterProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      require.resolve('sucrase/register/ts'),
      __filename,
      '--serve',
      String(options.models),
      String(options.seed),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  killOnExit(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    let settled = false;
    let timer: NodeJS.Timeout | undefined = undefined;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${message}; stderr: ${stderr}`));
    };
    timer = setTimeout(
      () => fail('the exporter did not listen'),
      options.timeoutMs ?? 30_000,
    );
    child.once('exit', code => fail(`the exporter exited with ${code}`));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (settled) return;
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline === -1) return;
      settled = true;
      clearTimeout(timer);
      const { port } = JSON.parse(buffered.slice(0, newline));
      const url = `http://127.0.0.1:${port}`;
      resolve({
        child,
        host: `127.0.0.1:${port}`,
        url,
        async stats() {
          const response = await fetch(`${url}/stats`);
          return (await response.json()) as ExporterStats;
        },
        stop: () => stopChild(child),
      });
    });
  });
}

if (require.main === module && process.argv[2] === '--serve') {
  serve(Number(process.argv[3]), Number(process.argv[4]));
}
