import { LoggerService } from '@backstage/backend-plugin-api';
import { checkTrafficWeights } from '../weights';
import { Config } from '@backstage/config';
import { ConflictError, InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import {
  ModelArtifact,
  ModelRuntime,
  RuntimeDescription,
  RuntimeEndpoint,
  RuntimeModelRef,
  SlotHealth,
  TrafficWeights,
} from '@model-ops/plugin-model-ops-node';
import {
  ApisApi,
  AppsV1Api,
  ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  ObservableMiddleware,
  PatchStrategy,
  V1Deployment,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import {
  ANNOTATION_SPEC_HASH,
  ANNOTATION_VERSION,
  buildDeployment,
  buildHttpRoute,
  buildService,
  checkModelId,
  checkSlot,
  clusterArtifactUri,
  CONTAINER_NAME,
  GATEWAY_GROUP,
  GATEWAY_VERSION,
  HTTPROUTE_PLURAL,
  HttpRoute,
  isSlotName,
  KUBERNETES_DEPLOYMENT_CONFIG_SCHEMA,
  LABEL_MANAGED_BY,
  LABEL_SLOT,
  LABEL_VERSION,
  MANAGED_BY,
  modelLabelSelector,
  parseDeploymentConfig,
  rolloutState,
  RolloutState,
  selectorLabels,
  serviceHost,
  slotObjectName,
  specHash,
  weightsOfRoute,
} from './resources';
import {
  hasConfigClusters,
  IN_CLUSTER_TOKEN_FILE,
  KubernetesRuntimeSettings,
  readKubernetesRuntimeSettings,
} from './settings';

/** Where the production Service keeps the weights last applied without the Gateway API. */
const ANNOTATION_TRAFFIC = 'model-ops/traffic';
const MAX_LOG_LINES = 10_000;
const MAX_DIAGNOSED_PODS = 3;

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

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The HTTP status of a failed Kubernetes API call, if it got one. */
function statusCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The `message` of the Status object a failed call returned. */
function statusMessage(e: unknown): string | undefined {
  const body = (e as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body);
      return typeof parsed?.message === 'string' ? parsed.message : undefined;
    } catch {
      return body.trim().slice(0, 200) || undefined;
    }
  }
  const message = (body as { message?: unknown })?.message;
  return typeof message === 'string' ? message : undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function sameStringMap(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b ?? {}).sort();
  return ka.join('\0') === kb.join('\0') && ka.every(k => a![k] === b![k]);
}

function includesLabels(
  actual: Record<string, string> | undefined,
  wanted: Record<string, string> | undefined,
): boolean {
  return Object.entries(wanted ?? {}).every(([k, v]) => actual?.[k] === v);
}

/**
 * The built-in `kubernetes` runtime: every slot is a Deployment and a Service `<modelId>-<slot>`
 * in one namespace of one cluster of Backstage's `kubernetes` config; production traffic goes
 * through the Service `<modelId>`, which selects the active color, and — where the cluster
 * serves the Gateway API — an HTTPRoute `<modelId>` that splits it by weight.
 *
 * Everything the runtime knows lives in the cluster (labels and annotations), so any number of
 * backend replicas can share it and every method can be repeated.
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
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #apis: ApisApi;
  readonly #locks = new Map<string, Promise<void>>();
  #gatewayApi?: Promise<boolean>;

  constructor(options: KubernetesRuntimeOptions) {
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#clock = options.clock ?? (() => new Date());
    const kubeConfig = KubernetesRuntime.kubeConfig(options.settings);
    this.#apps = kubeConfig.makeApiClient(AppsV1Api);
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#apis = kubeConfig.makeApiClient(ApisApi);
  }

  /** The KubeConfig of the configured cluster. */
  static kubeConfig(settings: KubernetesRuntimeSettings): KubeConfig {
    const { cluster } = settings;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [
        {
          name: cluster.name,
          server: cluster.url,
          caData: cluster.caData,
          caFile: cluster.caFile,
          skipTLSVerify: cluster.skipTLSVerify,
        },
      ],
      users: [
        cluster.serviceAccountToken
          ? { name: 'model-ops', token: cluster.serviceAccountToken }
          : {
              name: 'model-ops',
              authProvider: {
                name: 'tokenFile',
                config: { tokenFile: IN_CLUSTER_TOKEN_FILE },
              },
            },
      ],
      contexts: [
        {
          name: cluster.name,
          cluster: cluster.name,
          user: 'model-ops',
          namespace: settings.namespace,
        },
      ],
      currentContext: cluster.name,
    });
    return kubeConfig;
  }

  /** The settings in use. */
  get settings(): KubernetesRuntimeSettings {
    return this.#settings;
  }

  // ---------------------------------------------------------------------------------------------
  // ModelRuntime

  async deploy(request: {
    model: RuntimeModelRef;
    slot: SlotName;
    artifact: ModelArtifact;
    config: JsonObject;
  }): Promise<RuntimeEndpoint> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    const deployment = parseDeploymentConfig(request.config);
    const version = request.artifact?.version;
    if (typeof version !== 'string' || !version) {
      throw new InputError('The artifact has no version');
    }
    const image = this.#settings.image;
    if (!image) {
      throw new InputError(
        'modelOps.kubernetes.image is not set: the kubernetes runtime needs the image of a model server to deploy',
      );
    }
    const artifactUri = clusterArtifactUri(request.artifact);
    const desired = buildDeployment({
      settings: this.#settings,
      image,
      modelId,
      entityRef: request.model.entityRef,
      slot,
      artifactUri,
      artifact: request.artifact,
      deployment,
    });
    const hash = specHash(desired);
    desired.metadata!.annotations![ANNOTATION_SPEC_HASH] = hash;
    const name = slotObjectName(modelId, slot);

    const changed = await this.#withLock(modelId, async () => {
      const applied = await this.#applyDeployment(desired, hash);
      await this.#applyService(
        buildService({
          settings: this.#settings,
          name,
          modelId,
          slot,
          selector: selectorLabels(modelId, slot),
        }),
      );
      return applied;
    });
    if (changed) {
      this.#logger.info(
        `Rolling out ${modelId} slot ${slot} version ${version} as Deployment ${this.#where(
          name,
        )}`,
      );
    }
    const timeoutSeconds =
      deployment.rolloutTimeoutSeconds ?? this.#settings.rolloutTimeoutSeconds;
    await this.#waitForRollout(name, hash, version, timeoutSeconds);
    const endpoint = `http://${serviceHost(name, this.#settings)}`;
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
    const name = slotObjectName(modelId, slot);
    await this.#withLock(modelId, async () => {
      if (await this.#hasGatewayApi()) {
        const route = await this.#readRoute(modelId);
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
      const production = await this.#readService(modelId);
      if (production?.spec?.selector?.[LABEL_SLOT] === slot) {
        this.#logger.warn(
          `Undeploying ${modelId} slot ${slot} while the production Service ${this.#where(
            modelId,
          )} selects it`,
        );
      }
      const [deployment, service] = await Promise.all([
        this.#readDeployment(name),
        this.#readService(name),
      ]);
      const ours = (
        kind: string,
        object: { metadata?: { labels?: Record<string, string> } } | undefined,
      ) => {
        if (!object) {
          return false;
        }
        if (object.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) {
          this.#logger.warn(
            `Not deleting the ${kind} ${this.#where(
              name,
            )}: it is not managed by model-ops`,
          );
          return false;
        }
        return true;
      };
      const deletedDeployment =
        ours('Deployment', deployment) &&
        (await this.#call(
          `delete Deployment ${this.#where(name)}`,
          () =>
            this.#apps.deleteNamespacedDeployment(
              {
                name,
                namespace: this.#settings.namespace,
                propagationPolicy: 'Background',
              },
              this.#options(),
            ),
          { notFound: () => undefined },
        ));
      if (ours('Service', service)) {
        await this.#call(
          `delete Service ${this.#where(name)}`,
          () =>
            this.#core.deleteNamespacedService(
              { name, namespace: this.#settings.namespace },
              this.#options(),
            ),
          { notFound: () => undefined },
        );
      }
      if (deletedDeployment) {
        this.#logger.info(`Undeployed ${modelId} slot ${slot}`);
      }
    });
  }

  async setTraffic(request: {
    model: RuntimeModelRef;
    weights: TrafficWeights;
  }): Promise<void> {
    const modelId = checkModelId(request.model.modelId);
    const weights = this.#checkWeights(modelId, request.weights);
    await this.#withLock(modelId, async () => {
      const deployed = new Set(
        (await this.#listDeployments(modelId)).map(
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
          `Cannot split the traffic of ${modelId} (${split
            .map(([s, w]) => `${s} ${w}%`)
            .join(', ')}): the cluster ${
            this.#settings.cluster.name
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
      await this.#applyService(production);
      if (gateway) {
        await this.#applyRoute(modelId, entries);
      }
      this.#logger.info(
        `Traffic of ${modelId}: ${entries
          .map(([s, w]) => `${s} ${w}%`)
          .join(', ')} (${
          gateway ? `HTTPRoute ${this.#where(modelId)}` : 'Service selector'
        })`,
      );
    });
  }

  async getTraffic(request: {
    model: RuntimeModelRef;
  }): Promise<TrafficWeights> {
    const modelId = checkModelId(request.model.modelId);
    const { weights } = await this.#readTraffic(modelId);
    return weights;
  }

  async health(request: {
    model: RuntimeModelRef;
    slot: SlotName;
  }): Promise<SlotHealth> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    const deployment = await this.#readDeployment(
      slotObjectName(modelId, slot),
    );
    if (!deployment) {
      return { slot, status: 'absent', checkedAt: this.#clock() };
    }
    const state = rolloutState(deployment);
    return {
      slot,
      status: state.status,
      version: KubernetesRuntime.#versionOf(deployment),
      message: state.message,
      checkedAt: this.#clock(),
    };
  }

  async describe(request: {
    model: RuntimeModelRef;
  }): Promise<RuntimeDescription> {
    const modelId = checkModelId(request.model.modelId);
    const [deployments, traffic] = await Promise.all([
      this.#listDeployments(modelId),
      this.#readTraffic(modelId),
    ]);
    const bySlot = new Map<SlotName, V1Deployment>();
    for (const deployment of deployments) {
      const slot = deployment.metadata?.labels?.[LABEL_SLOT];
      if (
        isSlotName(slot) &&
        deployment.metadata?.name === slotObjectName(modelId, slot)
      ) {
        bySlot.set(slot, deployment);
      }
    }
    const slots: RuntimeDescription['slots'] = [];
    for (const slot of SLOT_NAMES) {
      const deployment = bySlot.get(slot);
      if (!deployment) {
        continue;
      }
      const name = slotObjectName(modelId, slot);
      const state = rolloutState(deployment);
      const container = deployment.spec?.template?.spec?.containers?.find(
        c => c.name === CONTAINER_NAME,
      );
      slots.push({
        slot,
        version: KubernetesRuntime.#versionOf(deployment),
        endpoint: `http://${serviceHost(name, this.#settings)}`,
        status: state.status,
        details: {
          cluster: this.#settings.cluster.name,
          namespace: this.#settings.namespace,
          deployment: name,
          service: name,
          replicas: state.desired,
          availableReplicas: state.available,
          ...(container?.image ? { image: container.image } : {}),
          message: state.message,
        },
      });
    }
    const hostnames = traffic.route?.spec?.hostnames ?? [];
    let productionEndpoint: string | undefined;
    if (hostnames.length) {
      productionEndpoint = `http://${hostnames[0]}`;
    } else if (traffic.service) {
      productionEndpoint = `http://${serviceHost(modelId, this.#settings)}`;
    }
    return { productionEndpoint, slots, traffic: traffic.weights };
  }

  async logs(request: {
    model: RuntimeModelRef;
    slot: SlotName;
    lines: number;
  }): Promise<string[]> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    const lines = Math.max(
      0,
      Math.min(MAX_LOG_LINES, Math.floor(request.lines || 0)),
    );
    if (!lines) {
      return [];
    }
    const pods = await this.#listPods(modelId, slot);
    const newest = pods.sort(
      (a, b) =>
        (b.metadata?.creationTimestamp?.getTime() ?? 0) -
        (a.metadata?.creationTimestamp?.getTime() ?? 0),
    )[0];
    if (!newest?.metadata?.name) {
      return [];
    }
    const podName = newest.metadata.name;
    const text = await this.#call(
      `read the log of pod ${this.#where(podName)}`,
      () =>
        this.#core.readNamespacedPodLog(
          {
            name: podName,
            namespace: this.#settings.namespace,
            container: CONTAINER_NAME,
            tailLines: lines,
          },
          this.#options(),
        ),
      { notFound: () => '' },
    );
    return String(text ?? '')
      .split('\n')
      .filter(l => l.trim() !== '')
      .slice(-lines);
  }

  // ---------------------------------------------------------------------------------------------
  // Objects

  /** Creates or patches a slot's Deployment; false when it already was as desired. */
  async #applyDeployment(
    desired: V1Deployment,
    hash: string,
  ): Promise<boolean> {
    const name = desired.metadata!.name!;
    const existing = await this.#readDeployment(name);
    this.#assertManaged('Deployment', name, existing);
    if (existing?.metadata?.annotations?.[ANNOTATION_SPEC_HASH] === hash) {
      return false;
    }
    if (!existing) {
      const created = await this.#call(
        `create Deployment ${this.#where(name)}`,
        () =>
          this.#apps.createNamespacedDeployment(
            { namespace: this.#settings.namespace, body: desired },
            this.#options(),
          ),
        { conflict: () => undefined },
      );
      if (created) {
        return true;
      }
      // Another replica created it meanwhile: patch it to what this call wants.
    }
    // A JSON merge patch replaces lists (containers, env, args) as a whole, so nothing of an
    // older spec survives in them.
    await this.#call(`patch Deployment ${this.#where(name)}`, () =>
      this.#apps.patchNamespacedDeployment(
        {
          name,
          namespace: this.#settings.namespace,
          body: {
            metadata: {
              labels: desired.metadata!.labels,
              annotations: desired.metadata!.annotations,
            },
            spec: desired.spec,
          },
        },
        this.#options(PatchStrategy.MergePatch),
      ),
    );
    return true;
  }

  /** Creates a Service or patches its labels, annotations, selector and ports. */
  async #applyService(desired: V1Service): Promise<void> {
    const name = desired.metadata!.name!;
    const existing = await this.#readService(name);
    this.#assertManaged('Service', name, existing);
    if (
      existing &&
      sameStringMap(existing.spec?.selector, desired.spec?.selector) &&
      includesLabels(existing.metadata?.labels, desired.metadata?.labels) &&
      includesLabels(
        existing.metadata?.annotations,
        desired.metadata?.annotations,
      ) &&
      JSON.stringify(
        (existing.spec?.ports ?? []).map(p => [p.name, p.port, p.targetPort]),
      ) ===
        JSON.stringify(
          (desired.spec?.ports ?? []).map(p => [p.name, p.port, p.targetPort]),
        )
    ) {
      return;
    }
    if (!existing) {
      const created = await this.#call(
        `create Service ${this.#where(name)}`,
        () =>
          this.#core.createNamespacedService(
            { namespace: this.#settings.namespace, body: desired },
            this.#options(),
          ),
        { conflict: () => undefined },
      );
      if (created) {
        return;
      }
    }
    // Selector keys the runtime does not set (none, normally) are removed.
    const selector: Record<string, string | null> = {
      ...desired.spec!.selector,
    };
    for (const key of Object.keys(existing?.spec?.selector ?? {})) {
      if (!(key in selector)) {
        selector[key] = null;
      }
    }
    await this.#call(`patch Service ${this.#where(name)}`, () =>
      this.#core.patchNamespacedService(
        {
          name,
          namespace: this.#settings.namespace,
          body: {
            metadata: {
              labels: desired.metadata!.labels,
              ...(desired.metadata!.annotations
                ? { annotations: desired.metadata!.annotations }
                : {}),
            },
            spec: { selector, ports: desired.spec!.ports },
          },
        },
        this.#options(PatchStrategy.MergePatch),
      ),
    );
  }

  /** Creates or patches the HTTPRoute of a model. */
  async #applyRoute(
    modelId: string,
    weights: Array<[SlotName, number]>,
  ): Promise<void> {
    const desired = buildHttpRoute({
      settings: this.#settings,
      modelId,
      weights,
    });
    const existing = await this.#readRoute(modelId);
    this.#assertManaged('HTTPRoute', modelId, existing);
    if (
      existing &&
      JSON.stringify(existing.spec) === JSON.stringify(desired.spec) &&
      includesLabels(existing.metadata?.labels, desired.metadata?.labels)
    ) {
      return;
    }
    const where = `HTTPRoute ${this.#where(modelId)}`;
    const target = {
      group: GATEWAY_GROUP,
      version: GATEWAY_VERSION,
      namespace: this.#settings.namespace,
      plural: HTTPROUTE_PLURAL,
    };
    if (!existing) {
      const created = await this.#call(
        `create ${where}`,
        () =>
          this.#custom.createNamespacedCustomObject(
            { ...target, body: desired },
            this.#options(),
          ),
        { conflict: () => undefined },
      );
      if (created) {
        return;
      }
    }
    await this.#call(`patch ${where}`, () =>
      this.#custom.patchNamespacedCustomObject(
        {
          ...target,
          name: modelId,
          body: {
            metadata: { labels: desired.metadata!.labels },
            // Lists are replaced whole; hostnames and parentRefs follow the settings.
            spec: { hostnames: null, ...desired.spec },
          },
        },
        this.#options(PatchStrategy.MergePatch),
      ),
    );
  }

  async #readTraffic(modelId: string): Promise<{
    weights: TrafficWeights;
    route?: HttpRoute;
    service?: V1Service;
  }> {
    const [route, service] = await Promise.all([
      this.#hasGatewayApi().then(has =>
        has ? this.#readRoute(modelId) : undefined,
      ),
      this.#readService(modelId),
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

  async #waitForRollout(
    name: string,
    hash: string,
    version: string,
    timeoutSeconds: number,
  ): Promise<void> {
    const started = Date.now();
    const deadline = started + timeoutSeconds * 1000;
    let state: RolloutState | undefined;
    for (;;) {
      const remaining = deadline - Date.now();
      const deployment = await this.#readDeployment(
        name,
        Math.max(250, Math.min(remaining, this.#requestTimeoutMs())),
      );
      if (!deployment) {
        throw new Error(
          `The Deployment ${this.#where(
            name,
          )} was deleted while version ${version} rolled out`,
        );
      }
      if (deployment.metadata?.annotations?.[ANNOTATION_SPEC_HASH] !== hash) {
        throw new Error(
          `The Deployment ${this.#where(
            name,
          )} was changed by another deploy (version ${KubernetesRuntime.#versionOf(
            deployment,
          )}) while version ${version} rolled out`,
        );
      }
      state = rolloutState(deployment);
      if (state.status === 'healthy') {
        return;
      }
      if (state.failed || Date.now() >= deadline) {
        const pods = await this.#diagnosePods(deployment);
        throw new Error(
          `The rollout of version ${version} to Deployment ${this.#where(
            name,
          )} ${
            state.failed
              ? 'failed'
              : `did not become available within ${timeoutSeconds} s`
          }: ${state.message}${pods ? `; ${pods}` : ''}`,
        );
      }
      await delay(
        Math.max(
          1,
          Math.min(this.#settings.pollIntervalMs, deadline - Date.now()),
        ),
      );
    }
  }

  /** Why a slot's pods are not ready, from their container states; '' when unknown. */
  async #diagnosePods(deployment: V1Deployment): Promise<string> {
    const slot = deployment.metadata?.labels?.[LABEL_SLOT];
    const modelId = deployment.metadata?.labels?.['model-ops/model-id'];
    if (!isSlotName(slot) || !modelId) {
      return '';
    }
    let pods: V1Pod[];
    try {
      pods = await this.#listPods(modelId, slot);
    } catch {
      return ''; // e.g. no RBAC to list pods
    }
    const notes: string[] = [];
    for (const pod of pods.slice(0, MAX_DIAGNOSED_PODS)) {
      const reasons: string[] = [];
      for (const status of pod.status?.containerStatuses ?? []) {
        const waiting = status.state?.waiting;
        const terminated =
          status.state?.terminated ?? status.lastState?.terminated;
        if (waiting?.reason) {
          reasons.push(
            `${waiting.reason}${
              waiting.message ? ` (${waiting.message})` : ''
            }`,
          );
        } else if (terminated?.reason) {
          reasons.push(`last exit ${terminated.reason}`);
        }
        if (status.restartCount) {
          reasons.push(`${status.restartCount} restarts`);
        }
      }
      const unscheduled = pod.status?.conditions?.find(
        c => c.type === 'PodScheduled' && c.status === 'False',
      );
      if (unscheduled) {
        reasons.push(
          `not scheduled: ${unscheduled.message ?? unscheduled.reason}`,
        );
      }
      if (reasons.length) {
        notes.push(`pod ${pod.metadata?.name}: ${reasons.join(', ')}`);
      }
    }
    return notes.join('; ');
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  #readDeployment(
    name: string,
    timeoutMs?: number,
  ): Promise<V1Deployment | undefined> {
    return this.#call(
      `read Deployment ${this.#where(name)}`,
      () =>
        this.#apps.readNamespacedDeployment(
          { name, namespace: this.#settings.namespace },
          this.#options(undefined, timeoutMs),
        ),
      { notFound: () => undefined, timeoutMs },
    );
  }

  #readService(name: string): Promise<V1Service | undefined> {
    return this.#call(
      `read Service ${this.#where(name)}`,
      () =>
        this.#core.readNamespacedService(
          { name, namespace: this.#settings.namespace },
          this.#options(),
        ),
      { notFound: () => undefined },
    );
  }

  #readRoute(modelId: string): Promise<HttpRoute | undefined> {
    return this.#call(
      `read HTTPRoute ${this.#where(modelId)}`,
      () =>
        this.#custom.getNamespacedCustomObject(
          {
            group: GATEWAY_GROUP,
            version: GATEWAY_VERSION,
            namespace: this.#settings.namespace,
            plural: HTTPROUTE_PLURAL,
            name: modelId,
          },
          this.#options(),
        ) as Promise<HttpRoute>,
      { notFound: () => undefined },
    );
  }

  async #listDeployments(modelId: string): Promise<V1Deployment[]> {
    const list = await this.#call(
      `list the Deployments of ${modelId} in namespace ${
        this.#settings.namespace
      }`,
      () =>
        this.#apps.listNamespacedDeployment(
          {
            namespace: this.#settings.namespace,
            labelSelector: modelLabelSelector(modelId),
          },
          this.#options(),
        ),
    );
    return list.items ?? [];
  }

  async #listPods(modelId: string, slot: SlotName): Promise<V1Pod[]> {
    const list = await this.#call(
      `list the pods of ${modelId} slot ${slot}`,
      () =>
        this.#core.listNamespacedPod(
          {
            namespace: this.#settings.namespace,
            labelSelector: Object.entries(selectorLabels(modelId, slot))
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
          },
          this.#options(),
        ),
    );
    return list.items ?? [];
  }

  /** Whether the cluster serves `gateway.networking.k8s.io/v1`; asked once, then remembered. */
  #hasGatewayApi(): Promise<boolean> {
    if (!this.#gatewayApi) {
      const asked = this.#call('discover the API groups', () =>
        this.#apis.getAPIVersions(undefined, this.#options()),
      ).then(list => {
        const group = list.groups?.find(g => g.name === GATEWAY_GROUP);
        const has = !!group?.versions?.some(v => v.version === GATEWAY_VERSION);
        this.#logger.info(
          has
            ? `Cluster ${
                this.#settings.cluster.name
              } serves ${GATEWAY_GROUP}/${GATEWAY_VERSION}: traffic is split with HTTPRoutes`
            : `Cluster ${
                this.#settings.cluster.name
              } does not serve ${GATEWAY_GROUP}/${GATEWAY_VERSION}: traffic moves by Service selector, without split weights`,
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

  // ---------------------------------------------------------------------------------------------
  // Helpers

  static #versionOf(deployment: V1Deployment): string | undefined {
    return (
      deployment.metadata?.annotations?.[ANNOTATION_VERSION] ??
      deployment.metadata?.labels?.[LABEL_VERSION]
    );
  }

  /** Refuses to change an object of that name that someone else made. */
  #assertManaged(
    kind: string,
    name: string,
    existing: { metadata?: { labels?: Record<string, string> } } | undefined,
  ) {
    if (
      existing &&
      existing.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY
    ) {
      throw new ConflictError(
        `The ${kind} ${this.#where(
          name,
        )} exists but is not managed by model-ops (no label ${LABEL_MANAGED_BY}=${MANAGED_BY}); not changing it`,
      );
    }
  }

  #where(name: string): string {
    return `${this.#settings.namespace}/${name}`;
  }

  #requestTimeoutMs(): number {
    return this.#settings.requestTimeoutSeconds * 1000;
  }

  /** Per-call options: a deadline for the request and, for patches, their content type. */
  #options(contentType?: string, timeoutMs?: number): ConfigurationOptions {
    const timeout = timeoutMs ?? this.#requestTimeoutMs();
    const middleware: ObservableMiddleware = {
      pre: context => {
        context.setSignal(AbortSignal.timeout(timeout));
        if (contentType) {
          context.setHeaderParam('Content-Type', contentType);
        }
        return new Observable(Promise.resolve(context));
      },
      post: context => new Observable(Promise.resolve(context)),
    };
    return { middleware: [middleware], middlewareMergeStrategy: 'append' };
  }

  /** Runs an API call, mapping 404 and 409 where asked and other failures to clear errors. */
  async #call<T, F = never>(
    what: string,
    fn: () => Promise<T>,
    handlers: {
      notFound?: () => F;
      conflict?: () => F;
      timeoutMs?: number;
    } = {},
  ): Promise<T | F> {
    try {
      return await fn();
    } catch (e) {
      const code = statusCode(e);
      if (code === 404 && handlers.notFound) {
        return handlers.notFound();
      }
      if (code === 409 && handlers.conflict) {
        return handlers.conflict();
      }
      const cluster = this.#settings.cluster.name;
      if (code !== undefined) {
        const message = statusMessage(e);
        const hints: Record<number, string> = {
          401: ': the service account token was rejected',
          403: ': the service account lacks the permission (see README-kubernetes.md for the RBAC the runtime needs)',
        };
        const hint = hints[code] ?? '';
        throw new Error(
          `Kubernetes cluster ${cluster}: could not ${what}: HTTP ${code}${
            message ? ` ${message}` : ''
          }${hint}`,
          { cause: e },
        );
      }
      if ((e as Error)?.name === 'AbortError') {
        throw new Error(
          `Kubernetes cluster ${cluster}: could not ${what}: no answer within ${
            (handlers.timeoutMs ?? this.#requestTimeoutMs()) / 1000
          } s`,
          { cause: e },
        );
      }
      throw new Error(
        `Kubernetes cluster ${cluster}: could not ${what}: ${describeError(e)}`,
        { cause: e },
      );
    }
  }

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

  #checkWeights(modelId: string, weights: TrafficWeights): Partial<Record<SlotName, number>> {
    return checkTrafficWeights(modelId, weights) as Partial<Record<SlotName, number>>;
  }
}

/**
 * Creates the `kubernetes` runtime from Backstage's `kubernetes` config (its first cluster of a
 * `config` cluster locator, or `modelOps.kubernetes.cluster`) and `modelOps.kubernetes`;
 * `undefined` when no such cluster is configured.
 *
 * @public
 */
export function createKubernetesRuntime(options: {
  config: Config;
  logger: LoggerService;
  clock?: () => Date;
  /** Settings that win over configuration (tests, embedding). */
  overrides?: Partial<KubernetesRuntimeSettings>;
}): KubernetesRuntime | undefined {
  const settings = readKubernetesRuntimeSettings(options.config, {
    overrides: options.overrides,
  });
  if (!settings) {
    if (hasConfigClusters(options.config)) {
      options.logger.warn(
        'No Kubernetes cluster with authProvider serviceAccount is configured; the model-ops kubernetes runtime is off',
      );
    }
    return undefined;
  }
  options.logger.info(
    `The kubernetes runtime deploys to cluster ${settings.cluster.name} (${
      settings.cluster.url
    }), namespace ${settings.namespace}${
      settings.image ? `, image ${settings.image}` : ' (no image configured)'
    }`,
  );
  return new KubernetesRuntime({
    settings,
    logger: options.logger,
    clock: options.clock,
  });
}
