/**
 * One cumulative bucket of a classic Prometheus histogram.
 *
 * @public
 */
export interface Bucket {
  /** The `le` bound; `Infinity` for `+Inf`. */
  upperBound: number;
  /** Observations at or below `upperBound` (cumulative). */
  count: number;
}

/**
 * The `q` quantile of a classic histogram, computed as PromQL's `histogram_quantile` does: the
 * bucket holding the rank `q * total` is found and the value interpolated linearly inside it
 * (from 0 for the first bucket when its bound is positive); a rank in the `+Inf` bucket returns
 * the highest finite bound. NaN when there are no observations, no `+Inf` bucket or fewer than
 * two buckets.
 *
 * @public
 */
export function histogramQuantile(q: number, input: Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...input]
    .filter(b => !Number.isNaN(b.upperBound) && !Number.isNaN(b.count))
    .sort((a, b) => a.upperBound - b.upperBound);
  if (sorted.length === 0 || sorted[sorted.length - 1].upperBound !== Infinity)
    return NaN;
  // Coalesce equal bounds (e.g. `1` and `1.0`) and force the counts monotonic, as Prometheus does
  // against scrapes that are not atomic.
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last && last.upperBound === b.upperBound) last.count += b.count;
    else buckets.push({ upperBound: b.upperBound, count: b.count });
  }
  let max = -Infinity;
  for (const b of buckets) {
    if (b.count < max) b.count = max;
    else max = b.count;
  }
  if (buckets.length < 2) return NaN;
  const observations = buckets[buckets.length - 1].count;
  if (!(observations > 0)) return NaN;
  let rank = q * observations;
  const b = buckets.findIndex(bucket => bucket.count >= rank);
  if (b === -1 || b === buckets.length - 1)
    return buckets[buckets.length - 2].upperBound;
  if (b === 0 && buckets[0].upperBound <= 0) return buckets[0].upperBound;
  let bucketStart = 0;
  const bucketEnd = buckets[b].upperBound;
  let count = buckets[b].count;
  if (b > 0) {
    bucketStart = buckets[b - 1].upperBound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}
