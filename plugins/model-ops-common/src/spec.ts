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
 * The built-in runtimes. Others can be added through the node package's extension point.
 *
 * @public
 */
export const BUILT_IN_RUNTIMES = ['local', 'kubernetes'] as const;

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

  const metricsSource = fromList(
    ANNOTATION_METRICS_SOURCE,
    'scrape',
    context.metricSources,
    'metric source',
  );
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
