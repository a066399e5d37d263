import {
  Entity,
  stringifyEntityRef,
  getCompoundEntityRef,
  parseEntityRef,
} from '@backstage/catalog-model';
import {
  ANNOTATION_ALERT_ROUTE,
  ANNOTATION_COST,
  ANNOTATION_METRICS_SOURCE,
  ANNOTATION_MODEL_ID,
  ANNOTATION_RULES,
  ANNOTATION_RUNBOOK,
  ANNOTATION_RUNTIME,
  ANNOTATION_STRATEGY,
} from './annotations';
import type {
  DeploymentStrategy,
  ModelSpec,
  ModelSpecProblem,
} from './generated';

/**
 * Every deployment strategy, in the order the UI offers them.
 *
 * @public
 */
export const DEPLOYMENT_STRATEGIES: readonly DeploymentStrategy[] = [
  'blue-green',
  'canary',
  'recreate',
];

/**
 * The runtime of a model that Model Ops does not deploy (served by KServe, SageMaker or anything
 * else): no pipeline, slots or switches, but monitoring from its metric source by model id,
 * alerts and incidents. Its metric source defaults to `prometheus`.
 *
 * @public
 */
export const EXTERNAL_RUNTIME = 'external';

/**
 * The built-in runtimes. Others can be added through the node package's extension point.
 * `external` deploys nothing: see {@link EXTERNAL_RUNTIME}.
 *
 * @public
 */
export const BUILT_IN_RUNTIMES = [
  'local',
  'kubernetes',
  EXTERNAL_RUNTIME,
] as const;

/**
 * The built-in metric sources. Others can be added through the node package's extension point.
 *
 * @public
 */
export const BUILT_IN_METRIC_SOURCES = ['scrape', 'prometheus'] as const;

/**
 * What the parser knows of the ids that exist; each list, when given, closes the set of accepted
 * values for its annotation (the backend passes its configured rule sets, routes and so on).
 *
 * @public
 */
export interface ModelSpecContext {
  runtimes?: readonly string[];
  metricSources?: readonly string[];
  ruleSets?: readonly string[];
  alertRoutes?: readonly string[];
  costModels?: readonly string[];
  /**
   * The metric sources that are configured and can collect (a subset of `metricSources`). An
   * `external` model, which only its metric source can watch, has a problem when its source is
   * not among them.
   */
  configuredMetricSources?: readonly string[];
}

/**
 * The result of parsing: the spec, filled with defaults where an annotation was bad, and every
 * problem found. A model with problems is shown with them and is never deployed.
 *
 * @public
 */
export type ModelSpecResult =
  | { ok: true; spec: ModelSpec; problems: [] }
  | { ok: false; spec?: ModelSpec; problems: ModelSpecProblem[] };

const MODEL_ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const NAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,62})$/;

/**
 * Whether the entity declares a model, that is, carries the `model-ops/model-id` annotation.
 * An empty or invalid id still makes a model: one whose page shows the problem, the same set the
 * catalog's "annotation exists" filter returns.
 *
 * @public
 */
export function isModelEntity(entity: Entity): boolean {
  return entity.metadata.annotations?.[ANNOTATION_MODEL_ID] !== undefined;
}

/**
 * Reads a model's spec from its entity's annotations, reporting every bad annotation rather than
 * silently falling back to a default.
 *
 * @public
 */
export function parseModelSpec(
  entity: Entity,
  context: ModelSpecContext = {},
): ModelSpecResult {
  const annotations = entity.metadata.annotations ?? {};
  const problems: ModelSpecProblem[] = [];

  const read = (key: string): string | undefined => {
    const value = annotations[key];
    if (value === undefined) return undefined;
    const trimmed = String(value).trim();
    if (trimmed === '') {
      problems.push({
        annotation: key,
        value: String(value),
        message: `${key} is empty; remove it to use the default or give a value`,
      });
      return undefined;
    }
    return trimmed;
  };

  const fromList = (
    key: string,
    fallback: string,
    known: readonly string[] | undefined,
    what: string,
  ): string => {
    const value = read(key);
    if (value === undefined) return fallback;
    if (known) {
      if (!known.includes(value)) {
        problems.push({
          annotation: key,
          value,
          message: `${key} names ${what} "${value}", which is not configured`,
          allowed: [...known],
        });
        return fallback;
      }
      return value;
    }
    if (!NAME_PATTERN.test(value)) {
      problems.push({
        annotation: key,
        value,
        message: `${key} must be a name of letters, digits, ".", "_" or "-" (at most 63 characters)`,
      });
      return fallback;
    }
    return value;
  };

  const rawModelId = annotations[ANNOTATION_MODEL_ID];
  let modelId: string | undefined;
  if (rawModelId === undefined || String(rawModelId).trim() === '') {
    problems.push({
      annotation: ANNOTATION_MODEL_ID,
      value: rawModelId === undefined ? '' : String(rawModelId),
      message: `${ANNOTATION_MODEL_ID} is required`,
    });
  } else if (!MODEL_ID_PATTERN.test(String(rawModelId).trim())) {
    problems.push({
      annotation: ANNOTATION_MODEL_ID,
      value: String(rawModelId),
      message: `${ANNOTATION_MODEL_ID} must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters`,
    });
  } else {
    modelId = String(rawModelId).trim();
  }

  const runtime = fromList(
    ANNOTATION_RUNTIME,
    'local',
    context.runtimes,
    'runtime',
  );

  let strategy: DeploymentStrategy = 'blue-green';
  const rawStrategy = read(ANNOTATION_STRATEGY);
  if (rawStrategy !== undefined) {
    if ((DEPLOYMENT_STRATEGIES as readonly string[]).includes(rawStrategy)) {
      strategy = rawStrategy as DeploymentStrategy;
    } else {
      problems.push({
        annotation: ANNOTATION_STRATEGY,
        value: rawStrategy,
        message: `${ANNOTATION_STRATEGY} must be one of ${DEPLOYMENT_STRATEGIES.join(
          ', ',
        )}`,
        allowed: [...DEPLOYMENT_STRATEGIES],
      });
    }
  }

  // A model Model Ops does not run has no slot endpoints to scrape: it is watched by model id.
  const external = runtime === EXTERNAL_RUNTIME;
  const metricsSource = fromList(
    ANNOTATION_METRICS_SOURCE,
    external ? 'prometheus' : 'scrape',
    context.metricSources,
    'metric source',
  );
  // One problem per annotation: a source name already refused above is not checked again.
  if (
    external &&
    !problems.some(p => p.annotation === ANNOTATION_METRICS_SOURCE)
  ) {
    const named = annotations[ANNOTATION_METRICS_SOURCE] !== undefined;
    const configured = context.configuredMetricSources;
    const usable = configured?.filter(id => id !== 'scrape') ?? [];
    if (metricsSource === 'scrape') {
      problems.push({
        annotation: ANNOTATION_METRICS_SOURCE,
        value: metricsSource,
        message: `${ANNOTATION_METRICS_SOURCE} scrape reads the /metrics of the slots Model Ops runs, and a model with ${ANNOTATION_RUNTIME}: ${EXTERNAL_RUNTIME} has none; name a source that knows the model by its id, such as prometheus`,
        ...(usable.length ? { allowed: usable } : {}),
      });
    } else if (configured && !configured.includes(metricsSource)) {
      const fix =
        metricsSource === 'prometheus'
          ? 'set modelOps.metrics.prometheus.baseUrl'
          : `install the module that adds "${metricsSource}"`;
      problems.push({
        annotation: ANNOTATION_METRICS_SOURCE,
        value: metricsSource,
        message: `A model with ${ANNOTATION_RUNTIME}: ${EXTERNAL_RUNTIME} is watched only by its metric source, and ${metricsSource}${
          named ? '' : ' (the default for external models)'
        } is not configured in this backend: ${fix}, or name a configured source in ${ANNOTATION_METRICS_SOURCE}`,
        ...(usable.length ? { allowed: usable } : {}),
      });
    }
  }

  const rules = fromList(
    ANNOTATION_RULES,
    'default',
    context.ruleSets,
    'rule set',
  );
  const alertRoute = fromList(
    ANNOTATION_ALERT_ROUTE,
    'default',
    context.alertRoutes,
    'alert route',
  );
  const costModel = fromList(
    ANNOTATION_COST,
    'default',
    context.costModels,
    'cost model',
  );

  let runbook: string | undefined;
  const rawRunbook = read(ANNOTATION_RUNBOOK);
  if (rawRunbook !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(rawRunbook);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push({
        annotation: ANNOTATION_RUNBOOK,
        value: rawRunbook,
        message: `${ANNOTATION_RUNBOOK} must be an http(s) URL`,
      });
    } else {
      runbook = url.toString();
    }
  }

  const spec: ModelSpec | undefined = modelId
    ? {
        entityRef: stringifyEntityRef(entity),
        modelId,
        runtime,
        strategy,
        metricsSource,
        rules,
        alertRoute,
        runbook,
        costModel,
      }
    : undefined;

  if (problems.length === 0 && spec) {
    return { ok: true, spec, problems: [] };
  }
  return { ok: false, spec, problems };
}

/**
 * The `/entities/:kind/:namespace/:name` path of an entity in the Model Ops API.
 *
 * @public
 */
export function entityRoutePath(entity: Entity | string): string {
  const { kind, namespace, name } =
    typeof entity === 'string'
      ? parseEntityRef(entity)
      : getCompoundEntityRef(entity);
  return `/entities/${encodeURIComponent(
    kind.toLocaleLowerCase('en-US'),
  )}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}
