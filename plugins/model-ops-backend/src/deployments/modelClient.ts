/**
 * The pipeline's view of a model server: the `model-server/v1` HTTP contract (POST /v1/predict,
 * GET /healthz, x-model-version on every answer).
 */

export interface PredictResult {
  ok: boolean;
  status: number;
  version?: string;
  label?: string;
  score?: number;
  error?: string;
  latencyMs: number;
}

/** Sends one prediction request and measures it; network errors become a failed result. */
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
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      return {
        ok: false,
        status: response.status,
        version,
        error: body?.error ?? `HTTP ${response.status}`,
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

/** The p-th percentile (0..100) of the values, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Rounds a figure for display in stage metrics. */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
