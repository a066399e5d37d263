import type { CostPerRequestFunction } from '../sources';

/**
 * A named cost model (`modelOps.capacity.costModels.<name>`): what running a slot costs per
 * instance-hour and GPU-hour, what serving costs per 1,000 requests and per 1,000 tokens, and how
 * many instances a slot runs. The prices are in `currency` (the keys say `Usd` because USD is the
 * default).
 *
 * @internal
 */
export interface CostModel {
  name: string;
  /** ISO 4217 code of the prices; USD unless configured. */
  currency?: string;
  instanceHourUsd: number;
  instances: number;
  /** Price of one GPU-hour; each instance runs `gpusPerInstance` GPUs (1 when absent). */
  gpuHourUsd?: number;
  gpusPerInstance?: number;
  per1kRequestsUsd?: number;
  /** Applied only where tokens are measured. */
  per1kTokensUsd?: number;
}

/** The currency a cost model's prices are in. @internal */
export function currencyOf(model: CostModel): string {
  return model.currency ?? 'USD';
}

/**
 * What one instance of the cost model costs an hour: its instance-hour and its GPUs' hours.
 *
 * @internal
 */
export function instanceHourPrice(model: CostModel): number {
  const gpus = model.gpuHourUsd ? model.gpusPerInstance ?? 1 : 0;
  return model.instanceHourUsd + (model.gpuHourUsd ?? 0) * gpus;
}

/**
 * What some running and serving cost: `instanceHours` instance-hours (GPUs included), plus the
 * per-1,000 prices of the requests and, when measured (`tokens` given), the tokens.
 *
 * @internal
 */
export function costOf(
  model: CostModel,
  usage: { instanceHours: number; requests: number; tokens?: number },
): number {
  return (
    usage.instanceHours * instanceHourPrice(model) +
    (usage.requests / 1000) * (model.per1kRequestsUsd ?? 0) +
    ((usage.tokens ?? 0) / 1000) * (model.per1kTokensUsd ?? 0)
  );
}

/**
 * What one request cost over a window: the instance-hours of the window spread over the
 * requests answered in it, plus the price per request. Undefined when nothing was answered (no
 * cost per request exists).
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
  return (
    costOf(model, { instanceHours: model.instances * hours, requests }) /
    requests
  );
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
