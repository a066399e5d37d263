import { ModelMetric, SlotName } from '@model-ops/plugin-model-ops-common';

/**
 * A model whose metrics a source should collect, with the endpoints of its live slots.
 *
 * @public
 */
export interface MetricTarget {
  modelId: string;
  entityRef: string;
  /**
   * Empty for a model Model Ops does not run (`model-ops/runtime: external`): a source reports
   * it by model id, per slot where its data names one.
   */
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
 * What a source keeps from one collect to the next (the scrape source's counter snapshots, say),
 * stored in the plugin's database so the next collect is right on whichever replica runs it.
 * Keys are the source's own and scoped to it; values are anything JSON can hold.
 *
 * @public
 */
export interface MetricSourceState {
  /** The stored values of `keys`; a key without one is absent from the map. */
  get(keys: string[]): Promise<Map<string, unknown>>;
  /** Stores each value under its key, replacing what was there. */
  set(entries: Map<string, unknown>): Promise<void>;
  /** Forgets every key of the source but `keys`. */
  retain(keys: string[]): Promise<void>;
}

/**
 * What the plugin hands a source with each collect, besides the targets and the window.
 *
 * @public
 */
export interface MetricCollectContext {
  /**
   * The source's state in the plugin's database. Absent when the caller keeps none: a source
   * then keeps what it needs in memory.
   */
  state?: MetricSourceState;
  /**
   * Tells the plugin that part of a collect failed (a query timed out, a target did not answer)
   * while the rest went on: the tick reports every problem in its result and its log, so data
   * missing for this reason is never silent. Absent when the caller does not listen.
   */
  reportProblem?: (problem: MetricCollectProblem) => void;
}

/**
 * A part of a collect that failed.
 *
 * @public
 */
export interface MetricCollectProblem {
  /** The metric that could not be collected, when the problem concerns one. */
  metric?: string;
  /** The model whose data is missing, when the problem concerns one. */
  modelId?: string;
  /** What went wrong, e.g. `query timed out after 15000 ms`. */
  message: string;
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
    context?: MetricCollectContext,
  ): Promise<MetricSample[]>;
}
