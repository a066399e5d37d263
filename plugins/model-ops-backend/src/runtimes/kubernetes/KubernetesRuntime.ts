import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { SlotName } from '@model-ops/plugin-model-ops-common';
import {
  ModelArtifact,
  ModelRuntime,
  RuntimeDescription,
  RuntimeEndpoint,
  RuntimeModelRef,
  SlotHealth,
  TrafficWeights,
} from '@model-ops/plugin-model-ops-node';
import { KubeConfig } from '@kubernetes/client-node';
import { checkTrafficWeights } from '../weights';
import { KubernetesClient, kubeConfigOf } from './client';
import { KUBERNETES_DEPLOYMENT_CONFIG_SCHEMA } from './deploymentConfig';
import { checkModelId, checkSlot, slotObjectName } from './resources';
import { slotHealth, waitForRollout } from './rollout';
import {
  applySlot,
  deleteSlot,
  describeSlots,
  planSlot,
  readSlotLogs,
} from './slots';
import { KubernetesRuntimeSettings } from './settings';
import { KubernetesTraffic } from './traffic';

/**
 * Options of {@link KubernetesRuntime}.
 *
 * @public
 */
export interface KubernetesRuntimeOptions {
  settings: KubernetesRuntimeSettings;
  logger: LoggerService;
  /** The clock of `checkedAt`; default `() => new Date()`. */
  clock?: () => Date;
}

/**
 * The built-in `kubernetes` runtime: every slot is a Deployment and a Service `<modelId>-<slot>`
 * in one namespace of one cluster of Backstage's `kubernetes` config; production traffic goes
 * through the Service `<modelId>`, which selects the active color, and — where the cluster
 * serves the Gateway API — an HTTPRoute `<modelId>` that splits it by weight.
 *
 * Everything the runtime knows lives in the cluster (labels and annotations), so any number of
 * backend replicas can share it and every method can be repeated. Within one backend, the
 * writes of one model run one at a time so that their read-then-write steps do not interleave.
 *
 * @public
 */
export class KubernetesRuntime implements ModelRuntime {
  readonly id = 'kubernetes';
  readonly frameworks: readonly string[] = ['model-server/v1'];
  readonly configSchema: JsonObject = KUBERNETES_DEPLOYMENT_CONFIG_SCHEMA;

  readonly #settings: KubernetesRuntimeSettings;
  readonly #logger: LoggerService;
  readonly #clock: () => Date;
  readonly #client: KubernetesClient;
  readonly #traffic: KubernetesTraffic;
  readonly #locks = new Map<string, Promise<void>>();

  constructor(options: KubernetesRuntimeOptions) {
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#clock = options.clock ?? (() => new Date());
    this.#client = new KubernetesClient(options.settings);
    this.#traffic = new KubernetesTraffic({
      client: this.#client,
      settings: options.settings,
      logger: options.logger,
    });
  }

  /** The KubeConfig of the configured cluster. */
  static kubeConfig(settings: KubernetesRuntimeSettings): KubeConfig {
    return kubeConfigOf(settings);
  }

  /** The settings in use. */
  get settings(): KubernetesRuntimeSettings {
    return this.#settings;
  }

  async deploy(request: {
    model: RuntimeModelRef;
    slot: SlotName;
    artifact: ModelArtifact;
    config: JsonObject;
  }): Promise<RuntimeEndpoint> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    const plan = planSlot(this.#settings, {
      modelId,
      entityRef: request.model.entityRef,
      slot,
      artifact: request.artifact,
      config: request.config,
    });
    const changed = await this.#withLock(modelId, () =>
      applySlot(this.#client, plan),
    );
    const { version, endpoint } = plan;
    if (changed) {
      this.#logger.info(
        `Rolling out ${modelId} slot ${slot} version ${version} as Deployment ${this.#client.where(
          plan.name,
        )}`,
      );
    }
    // Outside the lock: a rollout can take minutes, and the model's traffic and other slots
    // must stay changeable meanwhile.
    await waitForRollout(this.#client, {
      name: plan.name,
      hash: plan.hash,
      version,
      timeoutSeconds: plan.rolloutTimeoutSeconds,
      pollIntervalMs: this.#settings.pollIntervalMs,
    });
    if (changed) {
      this.#logger.info(
        `Deployed ${modelId} slot ${slot} version ${version} at ${endpoint}`,
      );
    }
    return { endpoint };
  }

  async undeploy(request: {
    model: RuntimeModelRef;
    slot: SlotName;
  }): Promise<void> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    await this.#withLock(modelId, async () => {
      await this.#traffic.releaseSlot(modelId, slot);
      const name = slotObjectName(modelId, slot);
      if (await deleteSlot(this.#client, this.#logger, name)) {
        this.#logger.info(`Undeployed ${modelId} slot ${slot}`);
      }
    });
  }

  async setTraffic(request: {
    model: RuntimeModelRef;
    weights: TrafficWeights;
  }): Promise<void> {
    const modelId = checkModelId(request.model.modelId);
    const weights = checkTrafficWeights(modelId, request.weights);
    await this.#withLock(modelId, () => this.#traffic.set(modelId, weights));
  }

  async getTraffic(request: {
    model: RuntimeModelRef;
  }): Promise<TrafficWeights> {
    return this.#traffic.get(checkModelId(request.model.modelId));
  }

  async health(request: {
    model: RuntimeModelRef;
    slot: SlotName;
  }): Promise<SlotHealth> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    const deployment = await this.#client.readDeployment(
      slotObjectName(modelId, slot),
    );
    return slotHealth(slot, deployment, this.#clock());
  }

  async describe(request: {
    model: RuntimeModelRef;
  }): Promise<RuntimeDescription> {
    const modelId = checkModelId(request.model.modelId);
    const [slots, traffic] = await Promise.all([
      describeSlots(this.#client, this.#settings, modelId),
      this.#traffic.describe(modelId),
    ]);
    return {
      productionEndpoint: traffic.productionEndpoint,
      slots,
      traffic: traffic.weights,
    };
  }

  async logs(request: {
    model: RuntimeModelRef;
    slot: SlotName;
    lines: number;
  }): Promise<string[]> {
    return readSlotLogs(this.#client, {
      modelId: checkModelId(request.model.modelId),
      slot: checkSlot(request.slot),
      lines: request.lines,
    });
  }

  /** Runs `fn` after every earlier call for the same model has settled. */
  #withLock<T>(modelId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(modelId) ?? Promise.resolve();
    const result = previous.then(fn);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(modelId, settled);
    settled.then(() => {
      if (this.#locks.get(modelId) === settled) {
        this.#locks.delete(modelId);
      }
    });
    return result;
  }
}

/**
 * Creates the `kubernetes` runtime from the settings `readKubernetesRuntimeSettings` read;
 * `undefined` without settings (no cluster is configured for the runtime).
 *
 * @public
 */
export function createKubernetesRuntime(options: {
  settings: KubernetesRuntimeSettings | undefined;
  logger: LoggerService;
  /** The clock of `checkedAt`; default `() => new Date()`. */
  clock?: () => Date;
}): KubernetesRuntime | undefined {
  const { settings, logger } = options;
  if (!settings) {
    return undefined;
  }
  logger.info(
    `The kubernetes runtime deploys to cluster ${settings.cluster.name} (${
      settings.cluster.url
    }), namespace ${settings.namespace}${
      settings.image ? `, image ${settings.image}` : ' (no image configured)'
    }`,
  );
  return new KubernetesRuntime({ settings, logger, clock: options.clock });
}
