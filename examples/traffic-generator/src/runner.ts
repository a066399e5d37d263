/**
 * Sends the planned requests over HTTP: one tick every `tickMs`, a keep-alive agent, a timeout
 * per request, a cap on requests in flight per target, backoff for a target that is down, a
 * one-line summary every `summaryMs`, and a bounded stop (on the signal or at `durationMs`).
 */
import { Agent, request as httpRequest } from 'node:http';
import type { BurstState } from './bursts.ts';
import type { PlannedRequest } from './planner.ts';

export interface RunTarget {
  name: string;
  /** Base URL of the model server, e.g. `http://127.0.0.1:7101`; requests go to `<url>/v1/predict`. */
  url: string;
}

export interface TargetStats {
  /** Requests sent. */
  sent: number;
  /** Of those, malformed on purpose (error bursts). */
  malformed: number;
  /** Answered 2xx. */
  ok: number;
  /** Answered with another status. */
  errors: number;
  /** No answer: connection refused or reset, timeout. */
  failed: number;
  /** Planned but not sent: the target was down (waiting to retry) or had too many in flight. */
  skipped: number;
}

export interface RunOptions {
  targets: RunTarget[];
  planner: {
    plan(elapsedMs: number, dtMs: number): PlannedRequest[];
    burstAt(elapsedMs: number): BurstState | undefined;
  };
  /** The burst target, for the summary line. */
  burstTarget?: string;
  /** The run stops by itself this long after it started. */
  durationMs: number;
  /** Default 100 ms. */
  tickMs?: number;
  /** A summary line every this often. Default 30 s. */
  summaryMs?: number;
  /** Timeout of one request. Default 2 s. */
  timeoutMs?: number;
  /** Most requests in flight per target. Default 32. */
  maxInFlight?: number;
  /** Backoff of a target that is down: first wait, doubled after each failed retry up to the max. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** On stop, how long in-flight requests may still finish before they are cut. Default 1 s. */
  drainMs?: number;
  /** Stops the run early. */
  signal?: AbortSignal;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Receives log lines. Default stdout. */
  log?: (line: string) => void;
}

export interface RunResult {
  reason: 'duration' | 'signal' | 'tick-limit';
  elapsedMs: number;
  totals: Record<string, TargetStats>;
}

interface TargetState {
  target: RunTarget;
  total: TargetStats;
  interval: TargetStats;
  inFlight: number;
  down: boolean;
  probing: boolean;
  failures: number;
  backoffMs: number;
  retryAt: number;
}

const emptyStats = (): TargetStats => ({
  sent: 0,
  malformed: 0,
  ok: 0,
  errors: 0,
  failed: 0,
  skipped: 0,
});

class RequestTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

/** POSTs `body` to `<url>/v1/predict`; resolves with the status once the response has been read. */
export function postPredict(
  agent: Agent,
  url: string,
  body: string,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      `${url}/v1/predict`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      res => {
        res.on('error', reject);
        res.on('end', () => resolvePromise(res.statusCode ?? 0));
        res.resume();
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new RequestTimeout(`no answer within ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `m:ss` or `h:mm:ss`. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** One line: requests and errors (non-2xx answers plus failures) per target. */
export function formatSummary(
  label: string,
  stats: Array<{
    name: string;
    stats: TargetStats;
    down?: boolean;
    burst?: boolean;
  }>,
): string {
  const parts = stats.map(({ name, stats: s, down, burst }) => {
    const notes = [
      down ? 'DOWN' : '',
      s.skipped ? `${s.skipped} skipped` : '',
      burst ? 'error burst' : '',
    ].filter(Boolean);
    return `${name} ${s.sent} req ${s.errors + s.failed} err${
      notes.length ? ` (${notes.join(', ')})` : ''
    }`;
  });
  return `${label} | ${parts.join(' | ')}`;
}

const errorText = (e: unknown) => {
  const err = e as { code?: string; message?: string };
  return err.code ?? err.message ?? String(e);
};

export async function runTraffic(options: RunOptions): Promise<RunResult> {
  const {
    targets,
    planner,
    burstTarget,
    durationMs,
    tickMs = 100,
    summaryMs = 30000,
    timeoutMs = 2000,
    maxInFlight = 32,
    backoffInitialMs = 1000,
    backoffMaxMs = 30000,
    drainMs = 1000,
    signal,
    now = Date.now,
    log = (line: string) => process.stdout.write(`${line}\n`),
  } = options;
  if (!(durationMs >= 0))
    throw new RangeError('durationMs must not be negative');
  if (!(tickMs > 0)) throw new RangeError('tickMs must be positive');

  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const states = new Map<string, TargetState>(
    targets.map(target => [
      target.name,
      {
        target,
        total: emptyStats(),
        interval: emptyStats(),
        inFlight: 0,
        down: false,
        probing: false,
        failures: 0,
        backoffMs: backoffInitialMs,
        retryAt: 0,
      },
    ]),
  );
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  const count = (state: TargetState, key: keyof TargetStats) => {
    state.total[key]++;
    state.interval[key]++;
  };

  const markFailed = (state: TargetState, error: unknown, probe: boolean) => {
    if (stopping || error instanceof RequestTimeout) return;
    const name = state.target.name;
    if (!state.down) {
      state.down = true;
      state.failures = 1;
      state.backoffMs = backoffInitialMs;
      state.retryAt = now() + state.backoffMs;
      log(
        `${name} is down (${errorText(error)} at ${
          state.target.url
        }); retrying in ${state.backoffMs / 1000} s`,
      );
    } else if (probe) {
      state.failures++;
      state.backoffMs = Math.min(state.backoffMs * 2, backoffMaxMs);
      state.retryAt = now() + state.backoffMs;
      log(
        `${name} still down after ${state.failures} attempts (${errorText(
          error,
        )}); retrying in ${state.backoffMs / 1000} s`,
      );
    }
  };

  const dispatch = (planned: PlannedRequest, t: number) => {
    const state = states.get(planned.target);
    if (!state) return;
    let probe = false;
    if (state.down) {
      if (t < state.retryAt || state.probing) {
        count(state, 'skipped');
        return;
      }
      probe = true;
      state.probing = true;
    } else if (state.inFlight >= maxInFlight) {
      count(state, 'skipped');
      return;
    }
    count(state, 'sent');
    if (planned.malformed) count(state, 'malformed');
    state.inFlight++;
    const done = postPredict(agent, state.target.url, planned.body, timeoutMs)
      .then(
        status => {
          if (state.down) {
            log(
              `${state.target.name} is back up after ${state.failures} failed attempts`,
            );
            state.down = false;
            state.failures = 0;
            state.backoffMs = backoffInitialMs;
          }
          count(state, status >= 200 && status < 300 ? 'ok' : 'errors');
        },
        error => {
          count(state, 'failed');
          markFailed(state, error, probe);
        },
      )
      .finally(() => {
        state.inFlight--;
        if (probe) state.probing = false;
        inFlight.delete(done);
      });
    inFlight.add(done);
  };

  // One pending sleep at a time; the abort listener wakes it.
  let wake: (() => void) | undefined;
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  const sleep = (ms: number) =>
    new Promise<void>(resolveSleep => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolveSleep();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolveSleep();
      };
    });

  const summaryLine = (
    label: string,
    pick: (s: TargetState) => TargetStats,
    elapsedMs: number,
  ) => {
    const burstActive = planner.burstAt(elapsedMs)?.active ?? false;
    return formatSummary(
      label,
      [...states.values()].map(s => ({
        name: s.target.name,
        stats: pick(s),
        down: s.down,
        burst: burstActive && s.target.name === burstTarget,
      })),
    );
  };

  const start = now();
  let last = start;
  let lastSummary = start;
  let reason: RunResult['reason'] = 'tick-limit';
  const maxTicks = Math.ceil(durationMs / tickMs) * 2 + 10;
  try {
    for (let tick = 0; tick < maxTicks; tick++) {
      if (signal?.aborted) {
        reason = 'signal';
        break;
      }
      const t = now();
      const elapsed = t - start;
      if (elapsed >= durationMs) {
        reason = 'duration';
        break;
      }
      for (const planned of planner.plan(elapsed, t - last))
        dispatch(planned, t);
      last = t;
      if (t - lastSummary >= summaryMs) {
        log(
          summaryLine(
            `+${formatElapsed(elapsed)} last ${formatElapsed(t - lastSummary)}`,
            s => s.interval,
            elapsed,
          ),
        );
        for (const s of states.values()) s.interval = emptyStats();
        lastSummary = t;
      }
      await sleep(Math.min(tickMs, Math.max(1, durationMs - elapsed)));
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stopping = true;
    if (inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise<void>(r => {
          timer = setTimeout(r, drainMs);
        }),
      ]);
      clearTimeout(timer);
    }
    agent.destroy();
  }
  const elapsedMs = now() - start;
  log(
    summaryLine(
      `done (${reason}) after ${formatElapsed(elapsedMs)}, totals`,
      s => s.total,
      elapsedMs,
    ),
  );
  const totals: Record<string, TargetStats> = {};
  for (const [name, s] of states) totals[name] = { ...s.total };
  return { reason, elapsedMs, totals };
}
