import { InputError } from '@backstage/errors';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import { ModelArtifact } from '@model-ops/plugin-model-ops-node';
import type {
  V1Deployment,
  V1ResourceRequirements,
  V1Service,
} from '@kubernetes/client-node';
import crypto from 'node:crypto';
import { KubernetesDeploymentConfig } from './deploymentConfig';
import { KubernetesRuntimeSettings } from './settings';

/*
 * The names, labels and manifests of what the runtime creates. Everything here is pure: the
 * objects are built from the settings and a request, and the cluster is never asked.
 */

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

const LABEL_VALUE_PATTERN = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * Checks that a model id can name the runtime's objects.
 *
 * @internal
 */
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

/**
 * Checks a slot name from a request.
 *
 * @internal
 */
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

/**
 * Whether a value is one of the slot names.
 *
 * @internal
 */
export function isSlotName(value: unknown): value is SlotName {
  return (SLOT_NAMES as readonly unknown[]).includes(value);
}

/**
 * The Deployment and Service of a slot.
 *
 * @internal
 */
export function slotObjectName(modelId: string, slot: SlotName): string {
  return `${modelId}-${slot}`;
}

/**
 * A version as a label value: characters labels do not allow become `_`, cut to 63.
 *
 * @internal
 */
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

/**
 * The cluster DNS name of a Service.
 *
 * @internal
 */
export function serviceHost(
  name: string,
  settings: Pick<KubernetesRuntimeSettings, 'namespace' | 'clusterDomain'>,
): string {
  return `${name}.${settings.namespace}.svc.${settings.clusterDomain}`;
}

/**
 * The labels that select a slot's pods.
 *
 * @internal
 */
export function selectorLabels(
  modelId: string,
  slot: SlotName,
): Record<string, string> {
  return { [LABEL_MODEL_ID]: modelId, [LABEL_SLOT]: slot };
}

/**
 * The labels of every object of a model.
 *
 * @internal
 */
export function modelLabels(modelId: string): Record<string, string> {
  return {
    [LABEL_NAME]: modelId,
    [LABEL_MODEL_ID]: modelId,
    [LABEL_MANAGED_BY]: MANAGED_BY,
  };
}

/**
 * The label selector of a model's objects.
 *
 * @internal
 */
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

/**
 * The artifact URI as the cluster sees it; relative and host-local paths cannot work there.
 *
 * @internal
 */
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

/**
 * The Deployment of a slot, without the spec hash annotation.
 *
 * @internal
 */
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

/**
 * The hash of what a Deployment should be, kept in {@link ANNOTATION_SPEC_HASH}.
 *
 * @internal
 */
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

/**
 * A Service on port 80 to the model servers' port 8080 of the pods `selector` picks.
 *
 * @internal
 */
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

/**
 * The parts of a Gateway API HTTPRoute the runtime reads and writes.
 *
 * @internal
 */
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

/**
 * The HTTPRoute that spreads a model's production traffic over its slot Services.
 *
 * @internal
 */
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
