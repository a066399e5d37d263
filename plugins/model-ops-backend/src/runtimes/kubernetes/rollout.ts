import { SlotName } from '@model-ops/plugin-model-ops-common';
import { SlotHealth } from '@model-ops/plugin-model-ops-node';
import { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { KubernetesClient } from './client';
import {
  ANNOTATION_SPEC_HASH,
  ANNOTATION_VERSION,
  isSlotName,
  LABEL_MODEL_ID,
  LABEL_SLOT,
  LABEL_VERSION,
} from './resources';

/** Enough pods to explain a failed rollout without flooding the message. */
const MAX_DIAGNOSED_PODS = 3;

/**
 * What a Deployment's status says of its rollout.
 *
 * @internal
 */
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
 *
 * @internal
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

/**
 * The version a Deployment runs; the annotation holds it exactly, the label as labels allow.
 *
 * @internal
 */
export function versionOf(deployment: V1Deployment): string | undefined {
  return (
    deployment.metadata?.annotations?.[ANNOTATION_VERSION] ??
    deployment.metadata?.labels?.[LABEL_VERSION]
  );
}

/**
 * A slot's health is the rollout state of its Deployment; `absent` without one.
 *
 * @internal
 */
export function slotHealth(
  slot: SlotName,
  deployment: V1Deployment | undefined,
  checkedAt: Date,
): SlotHealth {
  if (!deployment) {
    return { slot, status: 'absent', checkedAt };
  }
  const state = rolloutState(deployment);
  return {
    slot,
    status: state.status,
    version: versionOf(deployment),
    message: state.message,
    checkedAt,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/**
 * Waits until the Deployment `name` that carries `hash` has rolled out. Fails at once when the
 * controller gives up or another deploy replaced the spec, and otherwise after
 * `timeoutSeconds`, with what the slot's pods say of why they are not ready.
 *
 * @internal
 */
export async function waitForRollout(
  client: KubernetesClient,
  options: {
    name: string;
    hash: string;
    version: string;
    timeoutSeconds: number;
    pollIntervalMs: number;
  },
): Promise<void> {
  const { name, hash, version, timeoutSeconds } = options;
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const remaining = deadline - Date.now();
    // The last read may not outlive the deadline by a whole request timeout.
    const deployment = await client.readDeployment(
      name,
      Math.max(250, Math.min(remaining, client.requestTimeoutMs)),
    );
    if (!deployment) {
      throw new Error(
        `The Deployment ${client.where(
          name,
        )} was deleted while version ${version} rolled out`,
      );
    }
    if (deployment.metadata?.annotations?.[ANNOTATION_SPEC_HASH] !== hash) {
      throw new Error(
        `The Deployment ${client.where(
          name,
        )} was changed by another deploy (version ${versionOf(
          deployment,
        )}) while version ${version} rolled out`,
      );
    }
    const state = rolloutState(deployment);
    if (state.status === 'healthy') {
      return;
    }
    if (state.failed || Date.now() >= deadline) {
      const pods = await diagnosePods(client, deployment);
      throw new Error(
        `The rollout of version ${version} to Deployment ${client.where(
          name,
        )} ${
          state.failed
            ? 'failed'
            : `did not become available within ${timeoutSeconds} s`
        }: ${state.message}${pods ? `; ${pods}` : ''}`,
      );
    }
    await delay(
      Math.max(1, Math.min(options.pollIntervalMs, deadline - Date.now())),
    );
  }
}

/** Why a slot's pods are not ready, from their container states; '' when unknown. */
async function diagnosePods(
  client: KubernetesClient,
  deployment: V1Deployment,
): Promise<string> {
  const slot = deployment.metadata?.labels?.[LABEL_SLOT];
  const modelId = deployment.metadata?.labels?.[LABEL_MODEL_ID];
  if (!isSlotName(slot) || !modelId) {
    return '';
  }
  let pods: V1Pod[];
  try {
    pods = await client.listPods(modelId, slot);
  } catch {
    return ''; // e.g. no RBAC to list pods
  }
  const notes: string[] = [];
  for (const pod of pods.slice(0, MAX_DIAGNOSED_PODS)) {
    const reasons = podProblems(pod);
    if (reasons.length) {
      notes.push(`pod ${pod.metadata?.name}: ${reasons.join(', ')}`);
    }
  }
  return notes.join('; ');
}

function podProblems(pod: V1Pod): string[] {
  const reasons: string[] = [];
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    const terminated = status.state?.terminated ?? status.lastState?.terminated;
    if (waiting?.reason) {
      reasons.push(
        `${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`,
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
    reasons.push(`not scheduled: ${unscheduled.message ?? unscheduled.reason}`);
  }
  return reasons;
}
