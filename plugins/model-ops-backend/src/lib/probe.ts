/**
 * The one way the plugin measures a model server from the outside: prediction requests over the
 * `model-server/v1` HTTP contract (POST /v1/predict, `x-model-version` on every answer), and the
 * "send N requests, then p95 and error rate" loop that the pipeline's testing stage, production
 * verification, the switch's health watch and the canary analysis all run. It knows no runtime:
 * it only needs an endpoint.
 */

/**
 * The answer to one prediction request.
 *
 * @internal
 */
export interface PredictResult {
  ok: boolean;
  /** The HTTP status; 0 when no answer came (network error, timeout). */
  status: number;
  /** The `x-model-version` of the answer, which tells apart the colors behind a router. */
  version?: string;
  label?: string;
  score?: number;
  error?: string;
  latencyMs: number;
}

/**
 * Sends one prediction request and measures it; network errors become a failed result.
 *
 * @internal
 */
export async function predict(
  endpoint: string,
  input: string,
  timeoutMs = 10_000,
): Promise<PredictResult> {
  const started = performance.now();
  try {
    const response = await fetch(new URL('/v1/predict', endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const latencyMs = performance.now() - started;
    const version = response.headers.get('x-model-version') ?? undefined;
    const body = parseBody(text);
    if (!response.ok) {
      return {
        ok: false,
        status: response.status,
        version,
        error:
          typeof body?.error === 'string'
            ? body.error
            : `HTTP ${response.status}`,
        latencyMs,
      };
    }
    const prediction = body?.predictions?.[0];
    return {
      ok: true,
      status: response.status,
      version,
      label: prediction?.label,
      score: prediction?.score,
      latencyMs,
    };
  } catch (error) {
    return {
      ok: false,
      status: 0,
      error: (error as Error).message,
      latencyMs: performance.now() - started,
    };
  }
}

type PredictBody = {
  error?: unknown;
  predictions?: Array<{ label?: string; score?: number }>;
};

function parseBody(text: string): PredictBody | undefined {
  try {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed === 'object'
      ? (parsed as PredictBody)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The p-th percentile (0..100) of the values, nearest-rank; NaN for no values.
 *
 * @internal
 */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Rounds a figure for display in stage metrics and check details.
 *
 * @internal
 */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * One request of a probe: what was sent and how it was answered.
 *
 * @internal
 */
export interface ProbeSample extends PredictResult {
  input: string;
}

/**
 * The figures of a set of samples. Percentiles are unrounded (budgets compare them exactly) and
 * 0 when there are no samples; so is the error rate.
 *
 * @internal
 */
export interface ProbeFigures {
  requests: number;
  errors: number;
  errorRatePct: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * A finished probe: its samples in the order they were sent, their figures, and the rate.
 *
 * @internal
 */
export interface ProbeResult extends ProbeFigures {
  samples: ProbeSample[];
  latencies: number[];
  elapsedMs: number;
  throughputRps: number;
}

/**
 * What to send and for how long: `count` requests, or requests until `durationMs` has passed
 * (whichever of the two is given; with both, the first reached ends the probe).
 *
 * @internal
 */
export interface ProbeOptions {
  endpoint: string;
  /** Sent in turn; request n sends `inputs[n % inputs.length]`. */
  inputs: string[];
  count?: number;
  durationMs?: number;
  /** Clients sending at once; default 1 (sequential). */
  concurrency?: number;
  /** Pause of each client after each request; default none. */
  intervalMs?: number;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** Ends the probe early; the samples so far are returned, the caller decides what it means. */
  signal?: AbortSignal;
  /** Called after each answer with its 0-based position, e.g. to look for a command. */
  onSample?: (sample: ProbeSample, index: number) => void | Promise<void>;
}

/**
 * The figures of some samples, e.g. those one version answered.
 *
 * @internal
 */
export function summarize(samples: ProbeSample[]): ProbeFigures {
  const latencies = samples.map(s => s.latencyMs);
  const errors = samples.filter(s => !s.ok).length;
  return {
    requests: samples.length,
    errors,
    errorRatePct: samples.length ? (errors / samples.length) * 100 : 0,
    p50Ms: samples.length ? percentile(latencies, 50) : 0,
    p95Ms: samples.length ? percentile(latencies, 95) : 0,
  };
}

/**
 * Sends prediction requests to an endpoint and measures the answers.
 *
 * @internal
 */
export async function probe(options: ProbeOptions): Promise<ProbeResult> {
  const { endpoint, count, durationMs, signal } = options;
  if (count === undefined && durationMs === undefined) {
    throw new TypeError('probe needs a count or a durationMs');
  }
  const inputs = options.inputs.length ? options.inputs : ['probe'];
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const started = performance.now();
  const deadline = durationMs === undefined ? Infinity : started + durationMs;
  const samples: ProbeSample[] = [];
  let dispatched = 0;

  const more = () =>
    !signal?.aborted &&
    (count === undefined || dispatched < count) &&
    performance.now() < deadline;

  const client = async () => {
    while (more()) {
      const input = inputs[dispatched++ % inputs.length];
      const result = await predict(endpoint, input, options.timeoutMs);
      const sample = { ...result, input };
      samples.push(sample);
      await options.onSample?.(sample, samples.length - 1);
      if (options.intervalMs && options.intervalMs > 0 && more()) {
        await new Promise(resolve => setTimeout(resolve, options.intervalMs));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));

  const elapsedMs = performance.now() - started;
  return {
    ...summarize(samples),
    samples,
    latencies: samples.map(s => s.latencyMs),
    elapsedMs,
    throughputRps: elapsedMs > 0 ? samples.length / (elapsedMs / 1000) : 0,
  };
}
