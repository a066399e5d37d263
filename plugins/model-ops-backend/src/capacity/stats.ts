/*
 * The statistics capacity planning needs, without a dependency: means, percentiles, a
 * least-squares line with its prediction interval, and Student's t quantile for that interval.
 */

/** The mean, or undefined for no values. @internal */
export function mean(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * The `p` quantile (0 to 1) by linear interpolation between the closest ranks (numpy's and
 * Excel's PERCENTILE.INC default), or undefined for no values.
 *
 * @internal
 */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028,
    771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) {
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return (
    0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
  );
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) -
      logGamma(a) -
      logGamma(b) +
      a * Math.log(x) +
      b * Math.log(1 - x),
  );
  // The fraction converges fast on this side of the mean; the symmetry gives the other.
  if (x < (a + 1) / (a + b + 2)) {
    return (front * betaContinuedFraction(a, b, x)) / a;
  }
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. @internal */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The `p` quantile of Student's t with `df` degrees of freedom (p in (0, 1)): the CDF inverted
 * by bisection, good to about 1e-10. `tQuantile(0.975, 28)` is 2.0484.
 *
 * @internal
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) {
    throw new RangeError(`tQuantile needs 0 < p < 1 and df > 0`);
  }
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let low = 0;
  let high = 1;
  // Bounded: the 0.9995 quantile at df = 1 is 636.6, far below 2^40.
  for (let i = 0; i < 40 && studentTCdf(high, df) < p; i++) high *= 2;
  for (let i = 0; i < 100 && high - low > 1e-12; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/**
 * A least-squares line y = intercept + slope·x with what its prediction interval needs.
 *
 * @internal
 */
export interface LinearFit {
  n: number;
  slope: number;
  intercept: number;
  /** 1 - SSE/SST; 1 for a perfect fit (a flat series included). */
  r2: number;
  /** The residual standard error, sqrt(SSE / (n - 2)). */
  residualStdError: number;
  meanX: number;
  /** Σ(x - x̄)². */
  sxx: number;
}

/**
 * The ordinary least-squares line through the points; needs at least 3 points with at least
 * two distinct x (two are a line without residual degrees of freedom).
 *
 * @internal
 */
export function linearFit(points: Array<{ x: number; y: number }>): LinearFit {
  const n = points.length;
  if (n < 3) throw new RangeError('a linear fit needs at least 3 points');
  const meanX = mean(points.map(p => p.x))!;
  const meanY = mean(points.map(p => p.y))!;
  let sxx = 0;
  let sxy = 0;
  let sst = 0;
  for (const { x, y } of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
    sst += (y - meanY) ** 2;
  }
  if (sxx === 0) throw new RangeError('a linear fit needs two distinct x');
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  let sse = 0;
  for (const { x, y } of points) sse += (y - (intercept + slope * x)) ** 2;
  // Rounding leaves residuals of ~1e-12 on exact lines; they are no scatter.
  const scale = Math.max(1, Math.abs(meanY));
  if (sse < (1e-9 * scale) ** 2 * n) sse = 0;
  return {
    n,
    slope,
    intercept,
    r2: sst === 0 || sse === 0 ? 1 : 1 - sse / sst,
    residualStdError: Math.sqrt(sse / (n - 2)),
    meanX,
    sxx,
  };
}

/**
 * The fit's value at `x` and the prediction interval of a new observation there at `level`
 * (e.g. 0.95): ŷ ± t(1 - (1 - level)/2, n - 2) · s · sqrt(1 + 1/n + (x - x̄)²/Sxx).
 *
 * @internal
 */
export function predict(
  fit: LinearFit,
  x: number,
  level: number,
  t = tQuantile(1 - (1 - level) / 2, fit.n - 2),
): { y: number; low: number; high: number } {
  const y = fit.intercept + fit.slope * x;
  const half =
    t *
    fit.residualStdError *
    Math.sqrt(1 + 1 / fit.n + (x - fit.meanX) ** 2 / fit.sxx);
  return { y, low: y - half, high: y + half };
}
