import { BlueGreenStrategy } from './blueGreen';
import { CanaryStrategy } from './canary';
import { DispatchStrategy } from './DispatchStrategy';
import { RecreateStrategy } from './recreate';
import { ProductionStrategy } from './types';

export { BlueGreenStrategy } from './blueGreen';
export { CanaryStrategy } from './canary';
export { DispatchStrategy } from './DispatchStrategy';
export { RecreateStrategy } from './recreate';
export { completeCommitted, otherColor } from './shared';
export type {
  ProductionContext,
  ProductionOutcome,
  ProductionStrategy,
  SlotMark,
} from './types';

/**
 * The built-in production strategies behind one dispatcher that picks by the run's strategy.
 *
 * @internal
 */
export function createProductionStrategy(): ProductionStrategy {
  const recreate = new RecreateStrategy();
  return new DispatchStrategy({
    strategies: {
      'blue-green': new BlueGreenStrategy(),
      canary: new CanaryStrategy(),
      recreate,
    },
    fallback: recreate,
  });
}
