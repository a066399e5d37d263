import { InputError } from '@backstage/errors';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import { TrafficWeights } from '@model-ops/plugin-model-ops-node';

/**
 * Checks traffic weights as every runtime takes them: known slots, whole numbers from 0 to 100
 * that add up to 100. Returns the weights given (undefined ones left out).
 *
 * @internal
 */
export function checkTrafficWeights(
  modelId: string,
  weights: TrafficWeights,
): Partial<Record<SlotName, number>> {
  const prefix = `Invalid traffic weights for ${modelId}`;
  if (!weights || typeof weights !== 'object' || Array.isArray(weights)) {
    throw new InputError(`${prefix}: expected an object of slot -> percentage`);
  }
  const result: Partial<Record<SlotName, number>> = {};
  let sum = 0;
  for (const [slot, weight] of Object.entries(weights)) {
    if (!(SLOT_NAMES as readonly string[]).includes(slot)) {
      throw new InputError(
        `${prefix}: unknown slot "${slot}"; expected ${SLOT_NAMES.join(', ')}`,
      );
    }
    if (weight === undefined) {
      continue;
    }
    if (
      typeof weight !== 'number' ||
      !Number.isInteger(weight) ||
      weight < 0 ||
      weight > 100
    ) {
      throw new InputError(
        `${prefix}: the weight of ${slot} must be a whole number from 0 to 100, got ${JSON.stringify(
          weight,
        )}`,
      );
    }
    result[slot as SlotName] = weight;
    sum += weight;
  }
  if (sum !== 100) {
    throw new InputError(
      `${prefix}: the weights must add up to 100, got ${sum} (${
        Object.entries(result)
          .map(([s, w]) => `${s} ${w}`)
          .join(', ') || 'none given'
      })`,
    );
  }
  return result;
}
