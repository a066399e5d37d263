import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import { TrafficWeights } from '@model-ops/plugin-model-ops-node';
import { V1Service } from '@kubernetes/client-node';
import { KubernetesClient } from './client';
import { applyRoute, applyService } from './objects';
import {
  buildHttpRoute,
  buildService,
  GATEWAY_GROUP,
  GATEWAY_VERSION,
  HttpRoute,
  isSlotName,
  LABEL_SLOT,
  selectorLabels,
  serviceHost,
} from './resources';
import { KubernetesRuntimeSettings } from './settings';

/** Where the production Service keeps the weights last applied without the Gateway API. */
const ANNOTATION_TRAFFIC = 'model-ops/traffic';

type Weights = Partial<Record<SlotName, number>>;

/**
 * The weights an HTTPRoute applies, by slot.
 *
 * @internal
 */
export function weightsOfRoute(modelId: string, route: HttpRoute): Weights {
  const weights: Weights = {};
  for (const rule of route.spec?.rules ?? []) {
    for (const ref of rule.backendRefs ?? []) {
      if ((ref.kind ?? 'Service') !== 'Service') {
        continue;
      }
      const prefix = `${modelId}-`;
      const slot = ref.name.startsWith(prefix)
        ? ref.name.slice(prefix.length)
        : undefined;
      if (isSlotName(slot)) {
        // The Gateway API's default weight is 1.
        weights[slot] = (weights[slot] ?? 0) + (ref.weight ?? 1);
      }
    }
  }
  return weights;
}

function describeWeights(entries: Array<[SlotName, number]>): string {
  return entries.map(([s, w]) => `${s} ${w}%`).join(', ');
}

/**
 * A model's production traffic: the Service `<modelId>` selects the slot with the most traffic,
 * and where the cluster serves the Gateway API an HTTPRoute `<modelId>` splits it by weight.
 * Without the Gateway API only one slot can have traffic; the weights last set are kept in an
 * annotation of the Service so that `0` weights read back as set.
 *
 * Callers hold the model's lock around every method that writes.
 *
 * @internal
 */
export class KubernetesTraffic {
  readonly #client: KubernetesClient;
  readonly #settings: KubernetesRuntimeSettings;
  readonly #logger: LoggerService;
  #gatewayApi?: Promise<boolean>;

  constructor(options: {
    client: KubernetesClient;
    settings: KubernetesRuntimeSettings;
    logger: LoggerService;
  }) {
    this.#client = options.client;
    this.#settings = options.settings;
    this.#logger = options.logger;
  }

  /** Sets checked weights; slots that are not deployed may only be given 0. */
  async set(modelId: string, weights: Weights): Promise<void> {
    const client = this.#client;
    const deployed = new Set(
      (await client.listDeployments(modelId)).map(
        d => d.metadata?.labels?.[LABEL_SLOT],
      ),
    );
    const entries: Array<[SlotName, number]> = [];
    for (const slot of SLOT_NAMES) {
      const weight = weights[slot];
      if (weight === undefined) {
        continue;
      }
      if (!deployed.has(slot)) {
        if (weight > 0) {
          throw new InputError(
            `Invalid traffic weights for ${modelId}: slot ${slot} is not deployed (deployed: ${
              SLOT_NAMES.filter(s => deployed.has(s)).join(', ') || 'none'
            })`,
          );
        }
        continue;
      }
      entries.push([slot, weight]);
    }
    const gateway = await this.#hasGatewayApi();
    const split = entries.filter(([, w]) => w > 0);
    if (!gateway && split.length > 1) {
      throw new InputError(
        `Cannot split the traffic of ${modelId} (${describeWeights(
          split,
        )}): the cluster ${
          client.clusterName
        } does not serve the Gateway API (${GATEWAY_GROUP}/${GATEWAY_VERSION}), so the kubernetes runtime can only send 100% of the traffic to one slot through the Service ${modelId}. Install the Gateway API and a controller for split weights.`,
      );
    }
    // The production Service selects the slot with the most traffic (the first on a tie).
    const active = entries.reduce<[SlotName, number] | undefined>(
      (best, entry) => (!best || entry[1] > best[1] ? entry : best),
      undefined,
    )![0];
    const production = buildService({
      settings: this.#settings,
      name: modelId,
      modelId,
      selector: selectorLabels(modelId, active),
    });
    production.metadata!.annotations = {
      [ANNOTATION_TRAFFIC]: JSON.stringify(Object.fromEntries(entries)),
    };
    await applyService(client, production);
    if (gateway) {
      await this.#applyRoute(modelId, entries);
    }
    this.#logger.info(
      `Traffic of ${modelId}: ${describeWeights(entries)} (${
        gateway ? `HTTPRoute ${client.where(modelId)}` : 'Service selector'
      })`,
    );
  }

  /** The weights in effect. */
  async get(modelId: string): Promise<TrafficWeights> {
    return (await this.#read(modelId)).weights;
  }

  /**
   * The weights in effect and the production endpoint: the first hostname of the HTTPRoute, or
   * the production Service; none before traffic was first set.
   */
  async describe(modelId: string): Promise<{
    weights: TrafficWeights;
    productionEndpoint?: string;
  }> {
    const { weights, route, service } = await this.#read(modelId);
    const hostnames = route?.spec?.hostnames ?? [];
    let productionEndpoint: string | undefined;
    if (hostnames.length) {
      productionEndpoint = `http://${hostnames[0]}`;
    } else if (service) {
      productionEndpoint = `http://${serviceHost(modelId, this.#settings)}`;
    }
    return { weights, productionEndpoint };
  }

  /**
   * Takes a slot that is about to go out of the HTTPRoute, so that no request is sent to a
   * Service that no longer exists; warns when it still had traffic.
   */
  async releaseSlot(modelId: string, slot: SlotName): Promise<void> {
    const client = this.#client;
    if (await this.#hasGatewayApi()) {
      const route = await client.readRoute(modelId);
      const weights = route ? weightsOfRoute(modelId, route) : {};
      if (route && weights[slot] !== undefined) {
        if (weights[slot]! > 0) {
          this.#logger.warn(
            `Undeploying ${modelId} slot ${slot} while it had ${weights[slot]}% of the traffic`,
          );
        }
        const remaining = SLOT_NAMES.filter(
          s => s !== slot && weights[s] !== undefined,
        ).map(s => [s, weights[s]!] as [SlotName, number]);
        await this.#applyRoute(modelId, remaining);
      }
    }
    const production = await client.readService(modelId);
    if (production?.spec?.selector?.[LABEL_SLOT] === slot) {
      this.#logger.warn(
        `Undeploying ${modelId} slot ${slot} while the production Service ${client.where(
          modelId,
        )} selects it`,
      );
    }
  }

  #applyRoute(
    modelId: string,
    weights: Array<[SlotName, number]>,
  ): Promise<void> {
    return applyRoute(
      this.#client,
      buildHttpRoute({ settings: this.#settings, modelId, weights }),
    );
  }

  async #read(modelId: string): Promise<{
    weights: TrafficWeights;
    route?: HttpRoute;
    service?: V1Service;
  }> {
    const [route, service] = await Promise.all([
      this.#hasGatewayApi().then(has =>
        has ? this.#client.readRoute(modelId) : undefined,
      ),
      this.#client.readService(modelId),
    ]);
    if (route) {
      return { weights: weightsOfRoute(modelId, route), route, service };
    }
    const active = service?.spec?.selector?.[LABEL_SLOT];
    if (!service || !isSlotName(active)) {
      return { weights: {}, service };
    }
    // The weights last applied, as long as they agree with the selector.
    const weights: TrafficWeights = { [active]: 100 };
    try {
      const recorded = JSON.parse(
        service.metadata?.annotations?.[ANNOTATION_TRAFFIC] ?? '{}',
      );
      if (recorded?.[active] === 100) {
        for (const [slot, weight] of Object.entries(recorded)) {
          if (isSlotName(slot) && weight === 0) {
            weights[slot] = 0;
          }
        }
      }
    } catch {
      // not ours; the selector is the truth
    }
    return { weights, service };
  }

  /** Whether the cluster serves `gateway.networking.k8s.io/v1`; asked once, then remembered. */
  #hasGatewayApi(): Promise<boolean> {
    if (!this.#gatewayApi) {
      const cluster = this.#client.clusterName;
      const asked = this.#client.apiGroups().then(list => {
        const group = list.groups?.find(g => g.name === GATEWAY_GROUP);
        const has = !!group?.versions?.some(v => v.version === GATEWAY_VERSION);
        this.#logger.info(
          has
            ? `Cluster ${cluster} serves ${GATEWAY_GROUP}/${GATEWAY_VERSION}: traffic is split with HTTPRoutes`
            : `Cluster ${cluster} does not serve ${GATEWAY_GROUP}/${GATEWAY_VERSION}: traffic moves by Service selector, without split weights`,
        );
        return has;
      });
      // Failures are not remembered: the next call asks again.
      asked.catch(() => {
        if (this.#gatewayApi === asked) {
          this.#gatewayApi = undefined;
        }
      });
      this.#gatewayApi = asked;
    }
    return this.#gatewayApi;
  }
}
