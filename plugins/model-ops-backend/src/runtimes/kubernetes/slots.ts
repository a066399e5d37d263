import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import {
  ModelArtifact,
  RuntimeDescription,
} from '@model-ops/plugin-model-ops-node';
import { V1Deployment, V1Service } from '@kubernetes/client-node';
import { KubernetesClient } from './client';
import { parseDeploymentConfig } from './deploymentConfig';
import { applyDeployment, applyService, isManaged } from './objects';
import {
  ANNOTATION_SPEC_HASH,
  buildDeployment,
  buildService,
  clusterArtifactUri,
  CONTAINER_NAME,
  isSlotName,
  LABEL_SLOT,
  selectorLabels,
  serviceHost,
  slotObjectName,
  specHash,
} from './resources';
import { rolloutState, versionOf } from './rollout';
import { KubernetesRuntimeSettings } from './settings';

/*
 * A slot is a Deployment and a Service `<modelId>-<slot>`. These functions create, delete and
 * read them; the runtime holds the model's lock around those that write.
 */

/** More would be a log download, not a look at the last lines. */
const MAX_LOG_LINES = 10_000;

/**
 * What deploying a slot writes, checked and built before any request is made.
 *
 * @internal
 */
export interface SlotPlan {
  name: string;
  version: string;
  deployment: V1Deployment;
  service: V1Service;
  /** The hash of `deployment`, also in its {@link ANNOTATION_SPEC_HASH} annotation. */
  hash: string;
  rolloutTimeoutSeconds: number;
  endpoint: string;
}

/**
 * Checks a deploy request and builds the slot's objects; throws an `InputError` for what
 * cannot run in a cluster.
 *
 * @internal
 */
export function planSlot(
  settings: KubernetesRuntimeSettings,
  request: {
    modelId: string;
    entityRef: string;
    slot: SlotName;
    artifact: ModelArtifact;
    config: JsonObject;
  },
): SlotPlan {
  const { modelId, slot, artifact } = request;
  const config = parseDeploymentConfig(request.config);
  const version = artifact?.version;
  if (typeof version !== 'string' || !version) {
    throw new InputError('The artifact has no version');
  }
  const image = settings.image;
  if (!image) {
    throw new InputError(
      'modelOps.kubernetes.image is not set: the kubernetes runtime needs the image of a model server to deploy',
    );
  }
  const deployment = buildDeployment({
    settings,
    image,
    modelId,
    entityRef: request.entityRef,
    slot,
    artifactUri: clusterArtifactUri(artifact),
    artifact,
    deployment: config,
  });
  const hash = specHash(deployment);
  deployment.metadata!.annotations![ANNOTATION_SPEC_HASH] = hash;
  const name = slotObjectName(modelId, slot);
  return {
    name,
    version,
    deployment,
    service: buildService({
      settings,
      name,
      modelId,
      slot,
      selector: selectorLabels(modelId, slot),
    }),
    hash,
    rolloutTimeoutSeconds:
      config.rolloutTimeoutSeconds ?? settings.rolloutTimeoutSeconds,
    endpoint: `http://${serviceHost(name, settings)}`,
  };
}

/**
 * Writes a slot's Deployment and Service; false when the Deployment already was as planned.
 *
 * @internal
 */
export async function applySlot(
  client: KubernetesClient,
  plan: SlotPlan,
): Promise<boolean> {
  const changed = await applyDeployment(client, plan.deployment, plan.hash);
  await applyService(client, plan.service);
  return changed;
}

/**
 * Deletes a slot's Deployment and Service, leaving alone those model-ops did not make; true
 * when a Deployment was deleted.
 *
 * @internal
 */
export async function deleteSlot(
  client: KubernetesClient,
  logger: LoggerService,
  name: string,
): Promise<boolean> {
  const [deployment, service] = await Promise.all([
    client.readDeployment(name),
    client.readService(name),
  ]);
  const ours = (kind: string, object: V1Deployment | V1Service | undefined) => {
    if (!object) {
      return false;
    }
    if (!isManaged(object)) {
      logger.warn(
        `Not deleting the ${kind} ${client.where(
          name,
        )}: it is not managed by model-ops`,
      );
      return false;
    }
    return true;
  };
  const deleted =
    ours('Deployment', deployment) && (await client.deleteDeployment(name));
  if (ours('Service', service)) {
    await client.deleteService(name);
  }
  return deleted;
}

/**
 * The deployed slots of a model, in slot order, as `describe` reports them.
 *
 * @internal
 */
export async function describeSlots(
  client: KubernetesClient,
  settings: KubernetesRuntimeSettings,
  modelId: string,
): Promise<RuntimeDescription['slots']> {
  const bySlot = new Map<SlotName, V1Deployment>();
  for (const deployment of await client.listDeployments(modelId)) {
    const slot = deployment.metadata?.labels?.[LABEL_SLOT];
    // A Deployment that only carries the labels is not the slot's.
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
      version: versionOf(deployment),
      endpoint: `http://${serviceHost(name, settings)}`,
      status: state.status,
      details: {
        cluster: settings.cluster.name,
        namespace: settings.namespace,
        deployment: name,
        service: name,
        replicas: state.desired,
        availableReplicas: state.available,
        ...(container?.image ? { image: container.image } : {}),
        message: state.message,
      },
    });
  }
  return slots;
}

/**
 * The last lines of the model server's log in the newest pod of a slot; none without a pod.
 *
 * @internal
 */
export async function readSlotLogs(
  client: KubernetesClient,
  options: { modelId: string; slot: SlotName; lines: number },
): Promise<string[]> {
  const lines = Math.max(
    0,
    Math.min(MAX_LOG_LINES, Math.floor(options.lines || 0)),
  );
  if (!lines) {
    return [];
  }
  const pods = await client.listPods(options.modelId, options.slot);
  const newest = pods.sort(
    (a, b) =>
      (b.metadata?.creationTimestamp?.getTime() ?? 0) -
      (a.metadata?.creationTimestamp?.getTime() ?? 0),
  )[0];
  if (!newest?.metadata?.name) {
    return [];
  }
  const text = await client.readPodLog(
    newest.metadata.name,
    CONTAINER_NAME,
    lines,
  );
  return text
    .split('\n')
    .filter(l => l.trim() !== '')
    .slice(-lines);
}
