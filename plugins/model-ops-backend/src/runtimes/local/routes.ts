import { InputError } from '@backstage/errors';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import { TrafficWeights } from '@model-ops/plugin-model-ops-node';
import { isAlive } from './processes';
import { ModelStateFile, RouteEntry } from './state';

/**
 * A route table: the upstream of each slot that takes part, with its weight.
 *
 * @internal
 */
export type RouteTable = Partial<Record<SlotName, RouteEntry>>;

/**
 * Whether two route tables have the same slots, urls and weights.
 *
 * @internal
 */
export function sameRoutes(
  a: Partial<Record<string, RouteEntry>> | undefined,
  b: Partial<Record<string, RouteEntry>> | undefined,
): boolean {
  const keysA = Object.keys(a ?? {}).sort();
  const keysB = Object.keys(b ?? {}).sort();
  return (
    keysA.join() === keysB.join() &&
    keysA.every(
      k => a![k]!.url === b![k]!.url && a![k]!.weight === b![k]!.weight,
    )
  );
}

/**
 * The table for checked weights: the running servers of the weighted slots. A slot without
 * a running server may only be given 0, and is then left out.
 *
 * @internal
 */
export function routesForWeights(
  modelId: string,
  state: ModelStateFile,
  weights: Partial<Record<SlotName, number>>,
): RouteTable {
  const routes: RouteTable = {};
  for (const [slot, weight] of Object.entries(weights) as Array<
    [SlotName, number]
  >) {
    const record = state.slots[slot];
    if (!record || !isAlive(record.pid)) {
      if (weight > 0) {
        const deployed = SLOT_NAMES.filter(s => state.slots[s]);
        throw new InputError(
          `Invalid traffic weights for ${modelId}: slot ${slot} is not deployed (deployed: ${
            deployed.join(', ') || 'none'
          })`,
        );
      }
      continue;
    }
    routes[slot] = { url: record.endpoint, weight };
  }
  return routes;
}

/**
 * The recorded routes of the slots that still have a server, pointed at that server.
 *
 * @internal
 */
export function liveRoutes(
  state: ModelStateFile,
  routes: RouteTable,
): RouteTable {
  const live: RouteTable = {};
  for (const [slot, route] of Object.entries(routes) as Array<
    [SlotName, RouteEntry]
  >) {
    const record = state.slots[slot];
    if (record) {
      live[slot] = { url: record.endpoint, weight: route.weight };
    }
  }
  return live;
}

/**
 * The weights of a table a router answers; entries that are not slots are left out.
 *
 * @internal
 */
export function weightsOf(
  table: Partial<Record<string, RouteEntry>> | undefined,
): TrafficWeights {
  const weights: TrafficWeights = {};
  for (const [slot, route] of Object.entries(table ?? {})) {
    if ((SLOT_NAMES as readonly string[]).includes(slot)) {
      weights[slot as SlotName] = route!.weight;
    }
  }
  return weights;
}

/**
 * `blue 90%, green 10%`, for log lines.
 *
 * @internal
 */
export function formatRoutes(routes: RouteTable): string {
  return Object.entries(routes)
    .map(([s, r]) => `${s} ${r!.weight}%`)
    .join(', ');
}
