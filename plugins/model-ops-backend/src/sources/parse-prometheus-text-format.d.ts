/**
 * Types of `parse-prometheus-text-format` (it ships none): the prom2json-like families it returns.
 * Values stay strings, as in the text format (`"+Inf"`, `"NaN"`, `"1.5e3"`).
 */
declare module 'parse-prometheus-text-format' {
  interface ParsedSample {
    value?: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
    /** Histograms and summaries only. */
    count?: string;
    sum?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
  }
  interface ParsedFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED' | string;
    metrics: ParsedSample[];
  }
  /** Throws on a malformed line. */
  function parsePrometheusTextFormat(text: string): ParsedFamily[];
  export default parsePrometheusTextFormat;
}
