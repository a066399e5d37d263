import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import { ModelArtifact, SlotHealth } from '@model-ops/plugin-model-ops-node';
import type {
  V1Deployment,
  V1ResourceRequirements,
  V1Service,
} from '@kubernetes/client-node';
import crypto from 'node:crypto';
import { KubernetesRuntimeSettings } from './settings';

/** Labels and annotations the runtime puts on what it creates. */
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'model-ops';
export const LABEL_MODEL_ID = 'model-ops/model-id';
export const LABEL_SLOT = 'model-ops/slot';
export const LABEL_VERSION = 'model-ops/version';
/** The exact version (labels cannot hold every version string). */
export const ANNOTATION_VERSION = 'model-ops/version';
/** Hash of the desired Deployment; a redeploy with the same hash patches nothing. */
export const ANNOTATION_SPEC_HASH = 'model-ops/spec-hash';
export const ANNOTATION_ENTITY_REF = 'model-ops/entity-ref';
export const ANNOTATION_ARTIFACT_URI = 'model-ops/artifact-uri';

export const CONTAINER_NAME = 'model-server';
export const CONTAINER_PORT = 8080;
export const SERVICE_PORT = 80;

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_VERSION = 'v1';
export const HTTPROUTE_PLURAL = 'httproutes';

/** Model ids as the `model-ops/model-id` annotation allows them. */
const MODEL_ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** The longest slot name, `-staging`/`-testing`, must still fit a 63 character Service name. */
const MAX_MODEL_ID_LENGTH = 63 - '-staging'.length;

/** Names the runtime sets itself; a deployment's `env` may not. */
const ENV_NAME_PATTERN =
  '^(?!(MODEL_ARTIFACT_URI|MODEL_ARTIFACT_SHA256|MODEL_VERSION|MODEL_OPS_[A-Z0-9_]*)$)[A-Za-z_][A-Za-z0-9_]*$';
const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$';
const LABEL_VALUE_PATTERN = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

const RESOURCE_LIST_SCHEMA: JsonObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cpu: { type: 'string', pattern: QUANTITY_PATTERN },
    memory: { type: 'string', pattern: QUANTITY_PATTERN },
  },
};

/**
 * JSON Schema of the per-deployment `config` of the `kubernetes` runtime.
 *
 * @public
 */
export const KUBERNETES_DEPLOYMENT_CONFIG_SCHEMA: JsonObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Deployment settings of the kubernetes runtime',
  type: 'object',
  additionalProperties: false,
  properties: {
    replicas: {
      description:
        'Pods of the slot. Default modelOps.kubernetes.replicas (1).',
      type: 'integer',
      minimum: 1,
      maximum: 100,
    },
    resources: {
      description: 'Requests and limits of the model server container.',
      type: 'object',
      additionalProperties: false,
      properties: {
        requests: RESOURCE_LIST_SCHEMA,
        limits: RESOURCE_LIST_SCHEMA,
      },
    },
    env: {
      description:
        'Environment variables of the model server. MODEL_ARTIFACT_URI, MODEL_ARTIFACT_SHA256, MODEL_VERSION and MODEL_OPS_* are set by the runtime.',
      type: 'object',
      propertyNames: { pattern: ENV_NAME_PATTERN },
      additionalProperties: { type: 'string' },
    },
    rolloutTimeoutSeconds: {
      description:
        'Time the rollout has to become available. Default modelOps.kubernetes.rolloutTimeoutSeconds (300).',
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 3600,
    },
  },
};

/** The per-deployment config of the `kubernetes` runtime, checked. */
export interface KubernetesDeploymentConfig {
  replicas?: number;
  resources?: {
    requests?: { cpu?: string; memory?: string };
    limits?: { cpu?: string; memory?: string };
  };
  env: Record<string, string>;
  rolloutTimeoutSeconds?: number;
}

function invalid(message: string): never {
  throw new InputError(`Invalid config for the kubernetes runtime: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function parseResourceList(
  value: unknown,
  where: string,
): { cpu?: string; memory?: string } {
  if (!isObject(value)) {
    return invalid(`${where} must be an object`);
  }
  const result: { cpu?: string; memory?: string } = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'cpu' && key !== 'memory') {
      invalid(`${where}.${key} is not allowed (allowed: cpu, memory)`);
    }
    if (typeof v !== 'string' || !new RegExp(QUANTITY_PATTERN).test(v)) {
      invalid(`${where}.${key} must be a quantity such as "500m" or "1Gi"`);
    }
    result[key] = v;
  }
  return result;
}

/** Checks a deployment's `config` against {@link KUBERNETES_DEPLOYMENT_CONFIG_SCHEMA}. */
export function parseDeploymentConfig(
  config: JsonObject | undefined,
): KubernetesDeploymentConfig {
  const result: KubernetesDeploymentConfig = { env: {} };
  if (config === undefined || config === null) {
    return result;
  }
  if (!isObject(config)) {
    return invalid('expected an object');
  }
  for (const [key, value] of Object.entries(config)) {
    if (key === 'replicas') {
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        value < 1 ||
        value > 100
      ) {
        invalid('replicas must be a whole number from 1 to 100');
      }
      result.replicas = value;
    } else if (key === 'resources') {
      if (!isObject(value)) {
        invalid('resources must be an object');
      }
      result.resources = {};
      for (const [part, list] of Object.entries(value)) {
        if (part !== 'requests' && part !== 'limits') {
          invalid(
            `resources.${part} is not allowed (allowed: requests, limits)`,
          );
        }
        result.resources[part] = parseResourceList(list, `resources.${part}`);
      }
    } else if (key === 'env') {
      if (!isObject(value)) {
        invalid('env must be an object of strings');
      }
      const pattern = new RegExp(ENV_NAME_PATTERN);
      for (const [name, v] of Object.entries(value)) {
        if (!pattern.test(name)) {
          invalid(`environment variable ${name} is not allowed`);
        }
        if (typeof v !== 'string') {
          invalid(`env.${name} must be a string`);
        }
        result.env[name] = v;
      }
    } else if (key === 'rolloutTimeoutSeconds') {
      if (typeof value !== 'number' || !(value > 0) || value > 3600) {
        invalid('rolloutTimeoutSeconds must be a number in (0, 3600]');
      }
      result.rolloutTimeoutSeconds = value;
    } else {
      invalid(
        `unknown property "${key}" (allowed: replicas, resources, env, rolloutTimeoutSeconds)`,
      );
    }
  }
  return result;
}

export function checkModelId(modelId: string): string {
  if (typeof modelId !== 'string' || !MODEL_ID_PATTERN.test(modelId)) {
    throw new InputError(
      `Invalid model id ${JSON.stringify(
        modelId,
      )}: expected lowercase letters, digits and dashes`,
    );
  }
  if (!/^[a-z]/.test(modelId) || modelId.length > MAX_MODEL_ID_LENGTH) {
    throw new InputError(
      `The model id ${modelId} cannot name Kubernetes Services: it must start with a letter and have at most ${MAX_MODEL_ID_LENGTH} characters`,
    );
  }
  return modelId;
}

export function checkSlot(slot: string): SlotName {
  if (!(SLOT_NAMES as readonly string[]).includes(slot)) {
    throw new InputError(
      `Unknown slot ${JSON.stringify(slot)}; expected one of ${SLOT_NAMES.join(
        ', ',
      )}`,
    );
  }
  return slot as SlotName;
}

export function isSlotName(value: unknown): value is SlotName {
  return (SLOT_NAMES as readonly unknown[]).includes(value);
}

/** The Deployment and Service of a slot. */
export function slotObjectName(modelId: string, slot: SlotName): string {
  return `${modelId}-${slot}`;
}

/** A version as a label value: characters labels do not allow become `_`, cut to 63. */
export function versionLabel(version: string): string {
  if (LABEL_VALUE_PATTERN.test(version)) {
    return version;
  }
  const cleaned = version
    .replace(/[^-A-Za-z0-9_.]/g, '_')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
  return cleaned || 'unknown';
}

export function serviceHost(
  name: string,
  settings: Pick<KubernetesRuntimeSettings, 'namespace' | 'clusterDomain'>,
): string {
  return `${name}.${settings.namespace}.svc.${settings.clusterDomain}`;
}

export function selectorLabels(
  modelId: string,
  slot: SlotName,
): Record<string, string> {
  return { [LABEL_MODEL_ID]: modelId, [LABEL_SLOT]: slot };
}

export function modelLabels(modelId: string): Record<string, string> {
  return {
    [LABEL_NAME]: modelId,
    [LABEL_MODEL_ID]: modelId,
    [LABEL_MANAGED_BY]: MANAGED_BY,
  };
}

export function modelLabelSelector(modelId: string): string {
  return `${LABEL_MODEL_ID}=${modelId},${LABEL_MANAGED_BY}=${MANAGED_BY}`;
}

function replacePlaceholders(
  arg: string,
  values: Record<string, string>,
): string {
  return arg.replace(/\{(artifact|modelId|version|slot)\}/g, (_, key) =>
    key in values ? values[key] : `{${key}}`,
  );
}

/** The artifact URI as the cluster sees it; relative and host-local paths cannot work there. */
export function clusterArtifactUri(artifact: ModelArtifact): string {
  const uri = artifact?.uri;
  if (typeof uri !== 'string' || !uri) {
    throw new InputError('The artifact has no uri');
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InputError(
      `The artifact uri ${uri} is not absolute; the kubernetes runtime needs a URI the model server image can fetch (https://, s3://, ...)`,
    );
  }
  if (url.protocol === 'file:' && !uri.startsWith('file:///')) {
    throw new InputError(
      `The artifact uri ${uri} is a relative file: URI of the backend host; pods cannot read it`,
    );
  }
  return uri;
}

/** The Deployment of a slot, without the spec hash annotation. */
export function buildDeployment(options: {
  settings: KubernetesRuntimeSettings;
  image: string;
  modelId: string;
  entityRef: string;
  slot: SlotName;
  artifactUri: string;
  artifact: ModelArtifact;
  deployment: KubernetesDeploymentConfig;
}): V1Deployment {
  const { settings, modelId, slot, artifact, deployment } = options;
  const version = artifact.version;
  const name = slotObjectName(modelId, slot);
  const labels = {
    ...modelLabels(modelId),
    [LABEL_SLOT]: slot,
    [LABEL_VERSION]: versionLabel(version),
  };
  const env: Array<{ name: string; value: string }> = [
    ...Object.entries(deployment.env)
      .sort(([a], [b]) => a.localeCompare(b, 'en'))
      .map(([n, value]) => ({ name: n, value })),
    { name: 'MODEL_ARTIFACT_URI', value: options.artifactUri },
    ...(artifact.sha256
      ? [{ name: 'MODEL_ARTIFACT_SHA256', value: artifact.sha256 }]
      : []),
    { name: 'MODEL_VERSION', value: version },
    { name: 'MODEL_OPS_MODEL_ID', value: modelId },
    { name: 'MODEL_OPS_SLOT', value: slot },
    { name: 'MODEL_OPS_VERSION', value: version },
  ];
  const values = {
    artifact: options.artifactUri,
    modelId,
    version,
    slot,
  };
  const resources: V1ResourceRequirements = {};
  if (deployment.resources?.requests) {
    resources.requests = deployment.resources.requests;
  }
  if (deployment.resources?.limits) {
    resources.limits = deployment.resources.limits;
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: settings.namespace,
      labels,
      annotations: {
        [ANNOTATION_VERSION]: version,
        [ANNOTATION_ENTITY_REF]: options.entityRef,
        [ANNOTATION_ARTIFACT_URI]: options.artifactUri,
      },
    },
    spec: {
      replicas: deployment.replicas ?? settings.replicas,
      selector: { matchLabels: selectorLabels(modelId, slot) },
      template: {
        metadata: {
          labels,
          annotations: { [ANNOTATION_VERSION]: version },
        },
        spec: {
          containers: [
            {
              name: CONTAINER_NAME,
              image: options.image,
              ...(settings.imagePullPolicy
                ? { imagePullPolicy: settings.imagePullPolicy }
                : {}),
              args: settings.args.map(a => replacePlaceholders(a, values)),
              env,
              ports: [
                {
                  name: 'http',
                  containerPort: CONTAINER_PORT,
                  protocol: 'TCP',
                },
              ],
              readinessProbe: {
                httpGet: { path: '/healthz', port: 'http' },
                periodSeconds: 5,
                timeoutSeconds: 2,
                failureThreshold: 3,
              },
              ...(Object.keys(resources).length ? { resources } : {}),
            },
          ],
        },
      },
    },
  };
}

/** The hash of what a Deployment should be, kept in {@link ANNOTATION_SPEC_HASH}. */
export function specHash(deployment: V1Deployment): string {
  return crypto
    .createHash('sha256')
    .update(
      JSON.stringify({
        metadata: {
          labels: deployment.metadata?.labels,
          annotations: deployment.metadata?.annotations,
        },
        spec: deployment.spec,
      }),
    )
    .digest('hex')
    .slice(0, 32);
}

/** A Service on port 80 to the model servers' port 8080 of the pods `selector` picks. */
export function buildService(options: {
  settings: KubernetesRuntimeSettings;
  name: string;
  modelId: string;
  slot?: SlotName;
  selector: Record<string, string>;
}): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: options.name,
      namespace: options.settings.namespace,
      labels: {
        ...modelLabels(options.modelId),
        ...(options.slot ? { [LABEL_SLOT]: options.slot } : {}),
      },
    },
    spec: {
      type: 'ClusterIP',
      selector: options.selector,
      ports: [
        {
          name: 'http',
          port: SERVICE_PORT,
          targetPort: 'http',
          protocol: 'TCP',
        },
      ],
    },
  };
}

/** The parts of a Gateway API HTTPRoute the runtime reads and writes. */
export interface HttpRoute {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: {
    parentRefs?: Array<{
      group?: string;
      kind?: string;
      name: string;
      namespace?: string;
      sectionName?: string;
      port?: number;
    }>;
    hostnames?: string[];
    rules?: Array<{
      backendRefs?: Array<{
        group?: string;
        kind?: string;
        name: string;
        namespace?: string;
        port?: number;
        weight?: number;
      }>;
    }>;
  };
}

/** The HTTPRoute that spreads a model's production traffic over its slot Services. */
export function buildHttpRoute(options: {
  settings: KubernetesRuntimeSettings;
  modelId: string;
  weights: Array<[SlotName, number]>;
}): HttpRoute {
  const { settings, modelId } = options;
  const parent = settings.gatewayParentRef;
  const hostnames = settings.hostnames.map(h =>
    h.replace(/\{modelId\}/g, modelId),
  );
  return {
    apiVersion: `${GATEWAY_GROUP}/${GATEWAY_VERSION}`,
    kind: 'HTTPRoute',
    metadata: {
      name: modelId,
      namespace: settings.namespace,
      labels: modelLabels(modelId),
    },
    spec: {
      parentRefs: [
        parent
          ? {
              group: GATEWAY_GROUP,
              kind: 'Gateway',
              name: parent.name,
              ...(parent.namespace ? { namespace: parent.namespace } : {}),
              ...(parent.sectionName
                ? { sectionName: parent.sectionName }
                : {}),
            }
          : // GAMMA (service mesh): the route splits calls to the production Service.
            { group: '', kind: 'Service', name: modelId, port: SERVICE_PORT },
      ],
      ...(hostnames.length ? { hostnames } : {}),
      rules: [
        {
          backendRefs: options.weights.map(([slot, weight]) => ({
            group: '',
            kind: 'Service',
            name: slotObjectName(modelId, slot),
            port: SERVICE_PORT,
            weight,
          })),
        },
      ],
    },
  };
}

/** The weights an HTTPRoute applies, by slot. */
export function weightsOfRoute(
  modelId: string,
  route: HttpRoute,
): Partial<Record<SlotName, number>> {
  const weights: Partial<Record<SlotName, number>> = {};
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

/** What a Deployment's status says of its rollout. */
export interface RolloutState {
  status: SlotHealth['status'];
  /** True when waiting longer cannot help (deadline exceeded, replica failure). */
  failed: boolean;
  message: string;
  desired: number;
  available: number;
}

/**
 * The rollout state of a Deployment, after `kubectl rollout status`: the controller must have
 * observed the latest generation, every replica must be updated, old ones gone and all
 * available. A Deployment whose rollout had completed and lost available replicas since is
 * unhealthy rather than starting.
 */
export function rolloutState(deployment: V1Deployment): RolloutState {
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const generation = deployment.metadata?.generation ?? 0;
  const observed = status.observedGeneration ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const conditions = status.conditions ?? [];
  const progressing = conditions.find(c => c.type === 'Progressing');
  const replicaFailure = conditions.find(
    c => c.type === 'ReplicaFailure' && c.status === 'True',
  );
  const base = { desired, available };
  if (deployment.metadata?.deletionTimestamp) {
    return {
      ...base,
      status: 'unhealthy',
      failed: true,
      message: 'The Deployment is being deleted',
    };
  }
  if (observed < generation) {
    return {
      ...base,
      status: 'starting',
      failed: false,
      message: `Waiting for the Deployment controller to observe generation ${generation}`,
    };
  }
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      ...base,
      status: 'unhealthy',
      failed: true,
      message: `Rollout failed: ${
        progressing.message ?? 'progress deadline exceeded'
      }`,
    };
  }
  if (replicaFailure) {
    return {
      ...base,
      status: 'unhealthy',
      failed: true,
      message: `Replica failure: ${
        replicaFailure.message ?? replicaFailure.reason ?? 'unknown'
      }`,
    };
  }
  if (desired === 0) {
    return {
      ...base,
      status: 'unhealthy',
      failed: true,
      message: 'The Deployment is scaled to zero',
    };
  }
  if (updated < desired) {
    return {
      ...base,
      status: 'starting',
      failed: false,
      message: `${updated} of ${desired} replicas updated`,
    };
  }
  if (total > updated) {
    return {
      ...base,
      status: 'starting',
      failed: false,
      message: `${total - updated} old replicas pending termination`,
    };
  }
  if (available < updated) {
    const completedBefore = progressing?.reason === 'NewReplicaSetAvailable';
    return {
      ...base,
      status: completedBefore ? 'unhealthy' : 'starting',
      failed: false,
      message: `${available} of ${desired} replicas available`,
    };
  }
  return {
    ...base,
    status: 'healthy',
    failed: false,
    message: `${available} of ${desired} replicas available`,
  };
}
