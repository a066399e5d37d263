import { ModelMetric, SlotName } from '@model-ops/plugin-model-ops-common';

/**
 * A model whose metrics a source should collect, with the endpoints of its live slots.
 *
 * @public
 */
export interface MetricTarget {
  modelId: string;
  entityRef: string;
  slots: Array<{ slot: SlotName; endpoint?: string; version?: string }>;
}

/**
 * One collected value. A metric a model does not report is left out, never invented.
 *
 * @public
 */
export interface MetricSample {
  modelId: string;
  slot: SlotName;
  metric: ModelMetric | string;
  value: number;
  timestamp: Date;
}

/**
 * Where metrics come from: the built-in `scrape` and `prometheus` sources, or one added through
 * {@link modelOpsMetricSourcesExtensionPoint}. A source only collects: storage, rules and alerts
 * are the plugin's.
 *
 * @public
 */
export interface MetricSource {
  /** The id models name in their `model-ops/metrics-source` annotation. */
  readonly id: string;
  /**
   * Collects the window's values for all the given models at once; called once per monitoring
   * tick, so a source should batch (one query per metric, not per model).
   */
  collect(
    targets: MetricTarget[],
    window: { from: Date; to: Date },
  ): Promise<MetricSample[]>;
}
