/*
 * A constant-rate load generator for the crash suite: prediction requests through a model's
 * production endpoint (its router) at a fixed rate, open loop (a slow answer does not slow the
 * rate down), each answer counted by its `x-model-version`, every non-2xx answer, network error
 * or timeout counted as failed. Bounded: it stops by itself after `maxDurationMs`, and never has
 * more than `maxInFlight` requests open (a request that cannot be sent counts as failed).
 */
import http from 'node:http';

/** What a load run measured. */
export interface LoadFigures {
  /** Requests sent (or due and refused for too many in flight). */
  total: number;
  ok: number;
  failed: number;
  /** Answers by `x-model-version` (`none` when an answer had none). */
  byVersion: Record<string, number>;
  /** Failures by cause (`HTTP 503`, `timeout`, `ECONNREFUSED`, ...). */
  failuresByCause: Record<string, number>;
  /** The first few failures, with when they happened (ms since the load started). */
  firstFailures: Array<{ atMs: number; cause: string }>;
  /** The achieved rate over the whole run. */
  rps: number;
  durationMs: number;
  p95Ms: number;
  maxMs: number;
}

/** A running load. */
export interface Load {
  /** Figures so far. */
  figures(): LoadFigures;
  /** Stops sending, waits for the open requests (at most their timeout) and answers the figures. */
  stop(): Promise<LoadFigures>;
}

/** Options of {@link startLoad}. */
export interface LoadOptions {
  /** The production endpoint, e.g. `http://127.0.0.1:7101`. */
  endpoint: string;
  /** Requests per second. Default 100. */
  rps?: number;
  /** It stops by itself after this long. */
  maxDurationMs: number;
  /** A request not answered in this time counts as failed. Default 5000. */
  timeoutMs?: number;
  /** Default 200. */
  maxInFlight?: number;
  /** The prediction input. */
  input?: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(
    sorted.length - 1,
    Math.ceil((p / 100) * sorted.length) - 1,
  );
  return sorted[Math.max(0, index)];
}

/** Starts sending `rps` requests per second to `endpoint`'s `POST /v1/predict`. */
export function startLoad(options: LoadOptions): Load {
  const rps = options.rps ?? 100;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxInFlight = options.maxInFlight ?? 200;
  const body = JSON.stringify({
    input: options.input ?? 'works great, love it',
  });
  const url = new URL('/v1/predict', options.endpoint);
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const started = performance.now();
  let stoppedAt: number | undefined;
  let due = 0;
  let inFlight = 0;
  let ok = 0;
  const latencies: number[] = [];
  const byVersion: Record<string, number> = {};
  const failuresByCause: Record<string, number> = {};
  const firstFailures: LoadFigures['firstFailures'] = [];
  const settled: Array<() => void> = [];

  const fail = (cause: string) => {
    failuresByCause[cause] = (failuresByCause[cause] ?? 0) + 1;
    if (firstFailures.length < 10) {
      firstFailures.push({
        atMs: Math.round(performance.now() - started),
        cause,
      });
    }
  };

  const done = () => {
    inFlight--;
    if (inFlight === 0) settled.splice(0).forEach(resolve => resolve());
  };

  const send = () => {
    if (inFlight >= maxInFlight) {
      fail('too many in flight');
      return;
    }
    inFlight++;
    const sentAt = performance.now();
    let finished = false;
    const finish = (cause?: string, version?: string) => {
      if (finished) return;
      finished = true;
      if (cause) fail(cause);
      else {
        ok++;
        const key = version ?? 'none';
        byVersion[key] = (byVersion[key] ?? 0) + 1;
        latencies.push(performance.now() - sentAt);
      }
      done();
    };
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: timeoutMs,
      },
      response => {
        response.resume();
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const version = response.headers['x-model-version'];
          finish(
            status >= 200 && status < 300 ? undefined : `HTTP ${status}`,
            Array.isArray(version) ? version[0] : version,
          );
        });
        response.on('error', error =>
          finish((error as NodeJS.ErrnoException).code ?? error.message),
        );
      },
    );
    request.on('timeout', () => {
      request.destroy(new Error('timeout'));
    });
    request.on('error', error =>
      finish((error as NodeJS.ErrnoException).code ?? error.message),
    );
    request.end(body);
  };

  // Each tick sends what is due by now, so the rate holds even when a tick comes late.
  const timer = setInterval(() => {
    const elapsed = performance.now() - started;
    if (elapsed >= options.maxDurationMs) {
      stopSending();
      return;
    }
    const target = Math.floor((elapsed * rps) / 1000);
    while (due < target) {
      due++;
      send();
    }
  }, 5);

  function stopSending() {
    if (stoppedAt === undefined) {
      stoppedAt = performance.now();
      clearInterval(timer);
    }
  }

  const figures = (): LoadFigures => {
    const failed = Object.values(failuresByCause).reduce((a, b) => a + b, 0);
    const durationMs = (stoppedAt ?? performance.now()) - started;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      total: due,
      ok,
      failed,
      byVersion: { ...byVersion },
      failuresByCause: { ...failuresByCause },
      firstFailures: [...firstFailures],
      rps: durationMs > 0 ? Math.round((due / durationMs) * 10000) / 10 : 0,
      durationMs: Math.round(durationMs),
      p95Ms: Math.round(percentile(sorted, 95)),
      maxMs: Math.round(sorted[sorted.length - 1] ?? 0),
    };
  };

  return {
    figures,
    async stop() {
      stopSending();
      if (inFlight > 0) {
        await new Promise<void>(resolve => {
          settled.push(resolve);
          setTimeout(resolve, timeoutMs + 1000).unref();
        });
      }
      agent.destroy();
      return figures();
    },
  };
}
