import type { CostPerRequestFunction } from '../sources';

/**
 * A named cost model: what one instance-hour of a slot costs, and how many instances a slot
 * runs.
 *
 * @internal
 */
export interface CostModel {
  name: string;
  instanceHourUsd: number;
  instances: number;
}

/**
 * What one request cost over a window: the instance-hours of the window spread over the
 * requests answered in it. Undefined when nothing was answered (no cost per request exists).
 *
 * @internal
 */
export function costPerRequest(
  model: CostModel,
  window: { from: Date; to: Date },
  requests: number,
): number | undefined {
  if (!(requests > 0)) return undefined;
  const hours = (window.to.getTime() - window.from.getTime()) / 3_600_000;
  return (model.instanceHourUsd * model.instances * hours) / requests;
}

/**
 * The metric sources' cost-per-request function: each model's own cost model (by its
 * annotation), or `default`.
 *
 * @internal
 */
export function createCostPerRequest(deps: {
  costModels: Map<string, CostModel>;
  /** The cost model a model names, if known. */
  costModelOf: (modelId: string) => string | undefined;
}): CostPerRequestFunction {
  return ({ modelId, window, requests }) => {
    const model =
      deps.costModels.get(deps.costModelOf(modelId) ?? 'default') ??
      deps.costModels.get('default');
    return model ? costPerRequest(model, window, requests) : undefined;
  };
}
