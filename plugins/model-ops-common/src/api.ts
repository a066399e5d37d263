import type { SlotName } from './generated';

/**
 * Every slot name.
 *
 * @public
 */
export const SLOT_NAMES: readonly SlotName[] = [
  'testing',
  'staging',
  'blue',
  'green',
];

/**
 * The two production colors.
 *
 * @public
 */
export const PRODUCTION_SLOTS: readonly SlotName[] = ['blue', 'green'];
