export {
  ScrapeMetricSource,
  DEFAULT_SCRAPE_METRIC_NAMES,
} from './ScrapeMetricSource';
export type {
  ScrapeMetricSourceOptions,
  ScrapeMetricNames,
  FsUsage,
} from './ScrapeMetricSource';
export {
  PrometheusMetricSource,
  defaultPrometheusQueries,
} from './PrometheusMetricSource';
export type {
  PrometheusMetricSourceOptions,
  PrometheusQueries,
} from './PrometheusMetricSource';
export {
  createMetricSources,
  readMetricSourceSettings,
} from './createMetricSources';
export type { MetricSourceSettings } from './createMetricSources';
export type { CostPerRequestFunction, ErrorStatuses } from './types';
export type { FetchFunction } from './http';
export { histogramQuantile } from './histogramQuantile';
export type { Bucket } from './histogramQuantile';
