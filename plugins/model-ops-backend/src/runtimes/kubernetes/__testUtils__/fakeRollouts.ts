import { FakeObject } from './fakeStore';

/**
 * How the fake reports a Deployment's rollout:
 * - `available`: every replica updated and available;
 * - `progressing`: replicas updated but none available yet (a rollout that never finishes);
 * - `degraded`: the rollout had completed, but no replica is available any more;
 * - `deadline-exceeded`: the controller gave up (`ProgressDeadlineExceeded`);
 * - `pending`: the controller has not observed the latest generation.
 */
export type FakeRollout =
  | 'available'
  | 'progressing'
  | 'degraded'
  | 'deadline-exceeded'
  | 'pending';

/**
 * Writes the status the Deployment controller would report for `rollout`; there is no
 * controller in the fake, so a test picks the outcome.
 */
export function applyRollout(deployment: FakeObject, rollout: FakeRollout) {
  const replicas = deployment.spec?.replicas ?? 1;
  const generation = deployment.metadata.generation ?? 1;
  const now = new Date().toISOString();
  const condition = (
    type: string,
    status: string,
    reason: string,
    message: string,
  ) => ({
    type,
    status,
    reason,
    message,
    lastUpdateTime: now,
    lastTransitionTime: now,
  });
  const name = deployment.metadata.name;
  switch (rollout) {
    case 'available':
      deployment.status = {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          condition(
            'Available',
            'True',
            'MinimumReplicasAvailable',
            'Deployment has minimum availability.',
          ),
          condition(
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${name}-abc" has successfully progressed.`,
          ),
        ],
      };
      break;
    case 'progressing':
      deployment.status = {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        unavailableReplicas: replicas,
        conditions: [
          condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          ),
          condition(
            'Progressing',
            'True',
            'ReplicaSetUpdated',
            `ReplicaSet "${name}-abc" is progressing.`,
          ),
        ],
      };
      break;
    case 'degraded':
      deployment.status = {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        unavailableReplicas: replicas,
        conditions: [
          condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          ),
          condition(
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${name}-abc" has successfully progressed.`,
          ),
        ],
      };
      break;
    case 'deadline-exceeded':
      deployment.status = {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        unavailableReplicas: replicas,
        conditions: [
          condition(
            'Progressing',
            'False',
            'ProgressDeadlineExceeded',
            `ReplicaSet "${name}-abc" has timed out progressing.`,
          ),
        ],
      };
      break;
    case 'pending':
      deployment.status = {
        ...deployment.status,
        observedGeneration: generation - 1,
      };
      break;
    default:
      break;
  }
}
