import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';

/** Where a pod's service account token is mounted; used when a cluster configures no token. */
export const IN_CLUSTER_TOKEN_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The default container arguments; `{artifact}`, `{modelId}`, `{version}` and `{slot}` are replaced. */
export const DEFAULT_CONTAINER_ARGS: readonly string[] = [
  '--artifact',
  '{artifact}',
  '--port',
  '8080',
  '--host',
  '0.0.0.0',
  '--model-id',
  '{modelId}',
];

/**
 * One cluster of Backstage's `kubernetes.clusterLocatorMethods[type=config].clusters`.
 *
 * @public
 */
export interface KubernetesClusterSettings {
  name: string;
  url: string;
  /** The bearer token; when absent, the pod's own token file is used (in-cluster backends). */
  serviceAccountToken?: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
}

/**
 * The settings of the `kubernetes` runtime, read from `kubernetes` and `modelOps.kubernetes`.
 *
 * @public
 */
export interface KubernetesRuntimeSettings {
  cluster: KubernetesClusterSettings;
  namespace: string;
  /** The model server image; deploy refuses to run without one. */
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Container arguments; `{artifact}`, `{modelId}`, `{version}` and `{slot}` are replaced. */
  args: string[];
  /** Replicas of a slot unless the deployment config says otherwise. */
  replicas: number;
  /** The Gateway the HTTPRoutes attach to; without it they attach to the production Service (GAMMA). */
  gatewayParentRef?: { name: string; namespace?: string; sectionName?: string };
  /** Hostnames of the HTTPRoute, `{modelId}` replaced; the first is the production endpoint. */
  hostnames: string[];
  /** The cluster DNS domain of Service endpoints. */
  clusterDomain: string;
  /** How long deploy waits for a rollout to be available. */
  rolloutTimeoutSeconds: number;
  /** How long one Kubernetes API request may take. */
  requestTimeoutSeconds: number;
  /** Pause between rollout status reads while deploy waits. */
  pollIntervalMs: number;
}

const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function readPositive(
  config: Config | undefined,
  key: string,
  fallback: number,
  max: number,
): number {
  const value = config?.getOptionalNumber(key);
  if (value === undefined) {
    return fallback;
  }
  if (!(value > 0) || value > max) {
    throw new Error(
      `Invalid modelOps.kubernetes.${key}: expected a number in (0, ${max}], got ${value}`,
    );
  }
  return value;
}

/**
 * The clusters of Backstage's `kubernetes` config that the runtime can talk to: those of
 * `clusterLocatorMethods` entries of type `config`.
 */
function readConfigClusters(
  config: Config,
): Array<{ cluster: Config; authProvider?: string }> {
  const methods =
    config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  const result: Array<{ cluster: Config; authProvider?: string }> = [];
  for (const method of methods) {
    if (method.getOptionalString('type') !== 'config') {
      continue;
    }
    for (const cluster of method.getOptionalConfigArray('clusters') ?? []) {
      const authMetadata =
        cluster.getOptional<Record<string, string>>('authMetadata') ?? {};
      result.push({
        cluster,
        authProvider:
          cluster.getOptionalString('authProvider') ??
          authMetadata['kubernetes.io/auth-provider'],
      });
    }
  }
  return result;
}

/**
 * Reads the settings of the `kubernetes` runtime; `undefined` when Backstage's `kubernetes`
 * config has no cluster of a `config` locator that authenticates with a service account (and
 * `modelOps.kubernetes.cluster` names none). Throws, naming the key, for a value the runtime
 * cannot use.
 *
 * @public
 */
export function readKubernetesRuntimeSettings(
  config: Config,
  options: {
    /** Settings that win over configuration (tests, embedding). */
    overrides?: Partial<KubernetesRuntimeSettings>;
    /**
     * Told when Backstage has clusters but none the runtime can use, since the runtime is then
     * off although Kubernetes is configured.
     */
    logger?: LoggerService;
  } = {},
): KubernetesRuntimeSettings | undefined {
  const clusters = readConfigClusters(config);
  const own = config.getOptionalConfig('modelOps.kubernetes');
  const wanted = own?.getOptionalString('cluster');
  const usable = (c: { authProvider?: string }) =>
    (c.authProvider ?? 'serviceAccount') === 'serviceAccount';
  const chosen = wanted
    ? clusters.find(c => c.cluster.getOptionalString('name') === wanted)
    : clusters.find(usable);
  if (!chosen) {
    if (!wanted) {
      if (clusters.length) {
        options.logger?.warn(
          'No Kubernetes cluster with authProvider serviceAccount is configured; the model-ops kubernetes runtime is off',
        );
      }
      return undefined;
    }
    throw new Error(
      `modelOps.kubernetes.cluster is ${JSON.stringify(
        wanted,
      )}, but kubernetes.clusterLocatorMethods has no config cluster of that name (found: ${
        clusters.map(c => c.cluster.getOptionalString('name')).join(', ') ||
        'none'
      })`,
    );
  }
  const name = chosen.cluster.getString('name');
  if (!usable(chosen)) {
    throw new Error(
      `The Kubernetes cluster ${name} uses authProvider ${chosen.authProvider}; the model-ops kubernetes runtime supports only serviceAccount`,
    );
  }
  const authMetadata =
    chosen.cluster.getOptional<Record<string, string>>('authMetadata') ?? {};
  const cluster: KubernetesClusterSettings = {
    name,
    url: chosen.cluster.getString('url').replace(/\/+$/, ''),
    serviceAccountToken:
      chosen.cluster.getOptionalString('serviceAccountToken') ??
      authMetadata.serviceAccountToken,
    caData: chosen.cluster.getOptionalString('caData'),
    caFile: chosen.cluster.getOptionalString('caFile'),
    skipTLSVerify: chosen.cluster.getOptionalBoolean('skipTLSVerify') ?? false,
  };
  if (/^http:/i.test(cluster.url) && !cluster.skipTLSVerify) {
    throw new Error(
      `The Kubernetes cluster ${name} has an http:// url; @kubernetes/client-node only allows that with skipTLSVerify: true`,
    );
  }

  const namespace = own?.getOptionalString('namespace') ?? 'model-ops';
  if (!NAME_PATTERN.test(namespace)) {
    throw new Error(
      `Invalid modelOps.kubernetes.namespace ${JSON.stringify(
        namespace,
      )}: expected a Kubernetes namespace name`,
    );
  }
  const pullPolicy = own?.getOptionalString('imagePullPolicy');
  if (
    pullPolicy !== undefined &&
    !['Always', 'IfNotPresent', 'Never'].includes(pullPolicy)
  ) {
    throw new Error(
      `Invalid modelOps.kubernetes.imagePullPolicy ${pullPolicy}: expected Always, IfNotPresent or Never`,
    );
  }
  const parent = own?.getOptionalConfig('gatewayParentRef');
  const replicas = own?.getOptionalNumber('replicas') ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 100) {
    throw new Error(
      `Invalid modelOps.kubernetes.replicas ${replicas}: expected a whole number from 1 to 100`,
    );
  }
  const settings: KubernetesRuntimeSettings = {
    cluster,
    namespace,
    image: own?.getOptionalString('image'),
    imagePullPolicy: pullPolicy as KubernetesRuntimeSettings['imagePullPolicy'],
    args: own?.getOptionalStringArray('args') ?? [...DEFAULT_CONTAINER_ARGS],
    replicas,
    gatewayParentRef: parent
      ? {
          name: parent.getString('name'),
          namespace: parent.getOptionalString('namespace'),
          sectionName: parent.getOptionalString('sectionName'),
        }
      : undefined,
    hostnames: own?.getOptionalStringArray('hostnames') ?? [],
    clusterDomain: own?.getOptionalString('clusterDomain') ?? 'cluster.local',
    rolloutTimeoutSeconds: readPositive(
      own,
      'rolloutTimeoutSeconds',
      300,
      3600,
    ),
    requestTimeoutSeconds: readPositive(own, 'requestTimeoutSeconds', 30, 600),
    pollIntervalMs: 2000,
    ...options.overrides,
  };
  return settings;
}
