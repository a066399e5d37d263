/**
 * The annotation that makes a catalog entity a model: the model's id in runtimes and metrics.
 * Required; a DNS label (lower-case letters, digits and dashes, at most 63 characters).
 *
 * @public
 */
export const ANNOTATION_MODEL_ID = 'model-ops/model-id';

/**
 * Which runtime serves the model: `local`, `kubernetes`, or the id of a runtime added through the
 * `model-ops.runtimes` extension point. Default `local`.
 *
 * @public
 */
export const ANNOTATION_RUNTIME = 'model-ops/runtime';

/**
 * How a new version reaches production: `blue-green`, `canary` or `recreate`.
 * Default `blue-green`.
 *
 * @public
 */
export const ANNOTATION_STRATEGY = 'model-ops/strategy';

/**
 * Where the model's metrics come from: `scrape`, `prometheus`, or the id of a source added
 * through the `model-ops.metric-sources` extension point. Default `scrape`.
 *
 * @public
 */
export const ANNOTATION_METRICS_SOURCE = 'model-ops/metrics-source';

/**
 * The name of a rule set in `modelOps.rules`. Default `default`.
 *
 * @public
 */
export const ANNOTATION_RULES = 'model-ops/rules';

/**
 * The name of an alert route in `modelOps.alerts.routes`. Default `default`.
 *
 * @public
 */
export const ANNOTATION_ALERT_ROUTE = 'model-ops/alert-route';

/**
 * An http(s) URL of the runbook shown with the model's alerts and incidents. No default.
 *
 * @public
 */
export const ANNOTATION_RUNBOOK = 'model-ops/runbook';

/**
 * The name of a cost model in `modelOps.capacity.costModels`. Default `default`.
 *
 * @public
 */
export const ANNOTATION_COST = 'model-ops/cost';

/**
 * Every annotation of Model Ops, in the order they are documented.
 *
 * @public
 */
export const MODEL_OPS_ANNOTATIONS = [
  ANNOTATION_MODEL_ID,
  ANNOTATION_RUNTIME,
  ANNOTATION_STRATEGY,
  ANNOTATION_METRICS_SOURCE,
  ANNOTATION_RULES,
  ANNOTATION_ALERT_ROUTE,
  ANNOTATION_RUNBOOK,
  ANNOTATION_COST,
] as const;
