import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { ModelStore } from '../models';

/** The runtime calls that change what runs or what it serves. */
const RUNTIME_WRITES = new Set<PropertyKey>([
  'deploy',
  'undeploy',
  'setTraffic',
]);
/** The model store's writes. */
const STORE_WRITES = new Set<PropertyKey>([
  'upsertModel',
  'upsertSlot',
  'upsertVersion',
]);

/**
 * `target` with each of `writes` preceded by `confirm`, which throws once the run's lease is
 * another worker's: a worker that lost its run changes nothing outside the run row either. Reads
 * pass through unchanged. A Proxy keeps the target's own `this`, private fields included.
 */
function fence<T extends object>(
  target: T,
  writes: Set<PropertyKey>,
  confirm: () => Promise<void>,
): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      if (!writes.has(property)) return value.bind(object);
      return async (...args: unknown[]) => {
        await confirm();
        return value.apply(object, args);
      };
    },
  });
}

/**
 * The runtime as a run uses it: deploy, undeploy and setTraffic only while the run's lease holds.
 *
 * @internal
 */
export function fencedRuntime(
  runtime: ModelRuntime,
  confirm: () => Promise<void>,
): ModelRuntime {
  return fence(runtime, RUNTIME_WRITES, confirm);
}

/**
 * The model store as a run uses it: slots, versions and the model row are written only while
 * the run's lease holds.
 *
 * @internal
 */
export function fencedModels(
  models: ModelStore,
  confirm: () => Promise<void>,
): ModelStore {
  return fence(models, STORE_WRITES, confirm);
}
