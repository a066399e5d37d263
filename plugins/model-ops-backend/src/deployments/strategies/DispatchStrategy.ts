import { DeploymentStrategy } from '@model-ops/plugin-model-ops-common';
import {
  ProductionContext,
  ProductionOutcome,
  ProductionStrategy,
} from './types';

/**
 * Runs the strategy a run names, or the fallback (recreate) when that strategy cannot deploy in
 * this context, e.g. blue-green for a model's first version.
 *
 * @internal
 */
export class DispatchStrategy implements ProductionStrategy {
  readonly name: DeploymentStrategy;

  constructor(
    private readonly options: {
      strategies: Partial<Record<DeploymentStrategy, ProductionStrategy>>;
      fallback: ProductionStrategy;
    },
  ) {
    this.name = options.fallback.name;
  }

  /** The strategy that will deploy the context's run. */
  pick(ctx: ProductionContext): ProductionStrategy {
    const named = this.options.strategies[ctx.run.strategy];
    return named?.canDeploy(ctx) ? named : this.options.fallback;
  }

  canDeploy(ctx: ProductionContext): boolean {
    return this.pick(ctx).canDeploy(ctx);
  }

  deploy(ctx: ProductionContext): Promise<ProductionOutcome> {
    return this.pick(ctx).deploy(ctx);
  }
}
