import { SlotName } from '@model-ops/plugin-model-ops-common';

/**
 * What one request of a slot cost over a window: the caller's cost model (instance-hours × price /
 * requests). Returns undefined when it cannot tell; the sample is then left out.
 *
 * @public
 */
export type CostPerRequestFunction = (input: {
  modelId: string;
  slot: SlotName;
  /** The span the requests were counted over. */
  window: { from: Date; to: Date };
  /** Requests answered in `window` (may be fractional when derived from a rate). */
  requests: number;
}) => number | undefined;

/**
 * Which answers count as errors in `errorRate`: every status outside 2xx (4xx and 5xx, the
 * default) or only 5xx.
 *
 * @public
 */
export type ErrorStatuses = 'non-2xx' | '5xx';

/** Whether an HTTP status (as a label value) counts as an error. */
export function isErrorStatus(status: string, which: ErrorStatuses): boolean {
  return which === '5xx' ? /^5\d\d$/.test(status) : !/^2\d\d$/.test(status);
}
