import { SlotName } from '@model-ops/plugin-model-ops-common';
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
  V1APIGroupList,
  V1Deployment,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import {
  GATEWAY_GROUP,
  GATEWAY_VERSION,
  HTTPROUTE_PLURAL,
  HttpRoute,
  modelLabelSelector,
  selectorLabels,
} from './resources';
import { IN_CLUSTER_TOKEN_FILE, KubernetesRuntimeSettings } from './settings';

/**
 * The KubeConfig of the configured cluster: its service account token, or the pod's own token
 * file when the cluster configures none.
 *
 * @internal
 */
export function kubeConfigOf(settings: KubernetesRuntimeSettings): KubeConfig {
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

const STATUS_HINTS: Record<number, string> = {
  401: ': the service account token was rejected',
  403: ': the service account lacks the permission (see README-kubernetes.md for the RBAC the runtime needs)',
};

/**
 * The Kubernetes API calls of the runtime, in the configured namespace of the configured
 * cluster. Every call has a deadline, and a failure becomes an error that names the cluster and
 * what was tried, so a user can act on it without the client library's stack.
 *
 * Create calls report an object that already exists (another backend replica was faster) as
 * `false`; reads and deletes report a missing object as `undefined` or `false`.
 *
 * @internal
 */
export class KubernetesClient {
  readonly #settings: KubernetesRuntimeSettings;
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #apis: ApisApi;

  constructor(settings: KubernetesRuntimeSettings) {
    this.#settings = settings;
    const kubeConfig = kubeConfigOf(settings);
    this.#apps = kubeConfig.makeApiClient(AppsV1Api);
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#apis = kubeConfig.makeApiClient(ApisApi);
  }

  get clusterName(): string {
    return this.#settings.cluster.name;
  }

  get namespace(): string {
    return this.#settings.namespace;
  }

  get requestTimeoutMs(): number {
    return this.#settings.requestTimeoutSeconds * 1000;
  }

  /** An object's name as messages show it, `<namespace>/<name>`. */
  where(name: string): string {
    return `${this.namespace}/${name}`;
  }

  apiGroups(): Promise<V1APIGroupList> {
    return this.#call('discover the API groups', () =>
      this.#apis.getAPIVersions(undefined, this.#options()),
    );
  }

  // Deployments

  readDeployment(
    name: string,
    timeoutMs?: number,
  ): Promise<V1Deployment | undefined> {
    return this.#call(
      `read Deployment ${this.where(name)}`,
      () =>
        this.#apps.readNamespacedDeployment(
          { name, namespace: this.namespace },
          this.#options(undefined, timeoutMs),
        ),
      { notFound: () => undefined, timeoutMs },
    );
  }

  async listDeployments(modelId: string): Promise<V1Deployment[]> {
    const list = await this.#call(
      `list the Deployments of ${modelId} in namespace ${this.namespace}`,
      () =>
        this.#apps.listNamespacedDeployment(
          {
            namespace: this.namespace,
            labelSelector: modelLabelSelector(modelId),
          },
          this.#options(),
        ),
    );
    return list.items ?? [];
  }

  async createDeployment(body: V1Deployment): Promise<boolean> {
    const created = await this.#call(
      `create Deployment ${this.where(body.metadata!.name!)}`,
      () =>
        this.#apps.createNamespacedDeployment(
          { namespace: this.namespace, body },
          this.#options(),
        ),
      { conflict: () => undefined },
    );
    return Boolean(created);
  }

  /** Applies a JSON merge patch (RFC 7386). */
  async patchDeployment(name: string, body: object): Promise<void> {
    await this.#call(`patch Deployment ${this.where(name)}`, () =>
      this.#apps.patchNamespacedDeployment(
        { name, namespace: this.namespace, body },
        this.#options(PatchStrategy.MergePatch),
      ),
    );
  }

  /** Deletes a Deployment and, in the background, its pods; false when it was gone already. */
  async deleteDeployment(name: string): Promise<boolean> {
    const deleted = await this.#call(
      `delete Deployment ${this.where(name)}`,
      () =>
        this.#apps.deleteNamespacedDeployment(
          { name, namespace: this.namespace, propagationPolicy: 'Background' },
          this.#options(),
        ),
      { notFound: () => undefined },
    );
    return Boolean(deleted);
  }

  // Services

  readService(name: string): Promise<V1Service | undefined> {
    return this.#call(
      `read Service ${this.where(name)}`,
      () =>
        this.#core.readNamespacedService(
          { name, namespace: this.namespace },
          this.#options(),
        ),
      { notFound: () => undefined },
    );
  }

  async createService(body: V1Service): Promise<boolean> {
    const created = await this.#call(
      `create Service ${this.where(body.metadata!.name!)}`,
      () =>
        this.#core.createNamespacedService(
          { namespace: this.namespace, body },
          this.#options(),
        ),
      { conflict: () => undefined },
    );
    return Boolean(created);
  }

  /** Applies a JSON merge patch (RFC 7386). */
  async patchService(name: string, body: object): Promise<void> {
    await this.#call(`patch Service ${this.where(name)}`, () =>
      this.#core.patchNamespacedService(
        { name, namespace: this.namespace, body },
        this.#options(PatchStrategy.MergePatch),
      ),
    );
  }

  async deleteService(name: string): Promise<void> {
    await this.#call(
      `delete Service ${this.where(name)}`,
      () =>
        this.#core.deleteNamespacedService(
          { name, namespace: this.namespace },
          this.#options(),
        ),
      { notFound: () => undefined },
    );
  }

  // HTTPRoutes

  readRoute(name: string): Promise<HttpRoute | undefined> {
    return this.#call(
      `read HTTPRoute ${this.where(name)}`,
      () =>
        this.#custom.getNamespacedCustomObject(
          { ...this.#routes(), name },
          this.#options(),
        ) as Promise<HttpRoute>,
      { notFound: () => undefined },
    );
  }

  async createRoute(body: HttpRoute): Promise<boolean> {
    const created = await this.#call(
      `create HTTPRoute ${this.where(body.metadata!.name!)}`,
      () =>
        this.#custom.createNamespacedCustomObject(
          { ...this.#routes(), body },
          this.#options(),
        ),
      { conflict: () => undefined },
    );
    return Boolean(created);
  }

  /** Applies a JSON merge patch (RFC 7386). */
  async patchRoute(name: string, body: object): Promise<void> {
    await this.#call(`patch HTTPRoute ${this.where(name)}`, () =>
      this.#custom.patchNamespacedCustomObject(
        { ...this.#routes(), name, body },
        this.#options(PatchStrategy.MergePatch),
      ),
    );
  }

  // Pods

  async listPods(modelId: string, slot: SlotName): Promise<V1Pod[]> {
    const list = await this.#call(
      `list the pods of ${modelId} slot ${slot}`,
      () =>
        this.#core.listNamespacedPod(
          {
            namespace: this.namespace,
            labelSelector: Object.entries(selectorLabels(modelId, slot))
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
          },
          this.#options(),
        ),
    );
    return list.items ?? [];
  }

  /** The last `tailLines` of a container's log; '' when the pod is gone. */
  async readPodLog(
    name: string,
    container: string,
    tailLines: number,
  ): Promise<string> {
    const text = await this.#call(
      `read the log of pod ${this.where(name)}`,
      () =>
        this.#core.readNamespacedPodLog(
          { name, namespace: this.namespace, container, tailLines },
          this.#options(),
        ),
      { notFound: () => '' },
    );
    return String(text ?? '');
  }

  // ---------------------------------------------------------------------------------------------

  #routes() {
    return {
      group: GATEWAY_GROUP,
      version: GATEWAY_VERSION,
      namespace: this.namespace,
      plural: HTTPROUTE_PLURAL,
    };
  }

  /** Per-call options: a deadline for the request and, for patches, their content type. */
  #options(contentType?: string, timeoutMs?: number): ConfigurationOptions {
    const timeout = timeoutMs ?? this.requestTimeoutMs;
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
      const prefix = `Kubernetes cluster ${this.clusterName}: could not ${what}`;
      if (code !== undefined) {
        const message = statusMessage(e);
        throw new Error(
          `${prefix}: HTTP ${code}${message ? ` ${message}` : ''}${
            STATUS_HINTS[code] ?? ''
          }`,
          { cause: e },
        );
      }
      if ((e as Error)?.name === 'AbortError') {
        throw new Error(
          `${prefix}: no answer within ${
            (handlers.timeoutMs ?? this.requestTimeoutMs) / 1000
          } s`,
          { cause: e },
        );
      }
      throw new Error(`${prefix}: ${describeError(e)}`, { cause: e });
    }
  }
}
