import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One series of a scrape: its labels and its value. */
export interface Series {
  labels: Record<string, string>;
  value: number;
}

/** A parsed scrape: the series of each sample name (`foo_bucket`, `foo_sum` are names of their own). */
export type Exposition = Map<string, Series[]>;

/** A float of the text format: also `+Inf`, `-Inf` and `NaN`. */
export function parseFloatValue(text: string | undefined): number {
  if (text === undefined) return NaN;
  const trimmed = text.trim();
  if (trimmed === '+Inf' || trimmed === 'Inf') return Infinity;
  if (trimmed === '-Inf') return -Infinity;
  if (trimmed === '') return NaN;
  return Number(trimmed);
}

const TYPE_LINE = /^\s*#\s*TYPE\s/;

/**
 * Parses the Prometheus text exposition format with `parse-prometheus-text-format`.
 *
 * That parser folds all the series of a histogram or summary family into a single bucket map,
 * dropping every label but `le`/`quantile`. So the `# TYPE` lines are left out before parsing:
 * every sample name (`x_bucket`, `x_sum`, `x_count`, `x`) then comes back as an untyped family
 * with each series and its full label set, which is how Prometheus itself stores them.
 *
 * Throws on a malformed line.
 */
export function parseExposition(text: string): Exposition {
  // The parser also drops the last sample when the text does not end with a newline.
  const untyped = `${text
    .split('\n')
    .filter(line => !TYPE_LINE.test(line))
    .join('\n')}\n`;
  const result: Exposition = new Map();
  for (const family of parsePrometheusTextFormat(untyped)) {
    if (family.metrics.length === 0) continue;
    let list = result.get(family.name);
    if (!list) {
      list = [];
      result.set(family.name, list);
    }
    for (const sample of family.metrics) {
      list.push({
        labels: sample.labels ?? {},
        value: parseFloatValue(sample.value),
      });
    }
  }
  return result;
}
