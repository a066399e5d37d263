import { V1Deployment } from '@kubernetes/client-node';
import {
  parseDeploymentConfig,
  rolloutState,
  versionLabel,
  weightsOfRoute,
} from './resources';

function deployment(
  status: V1Deployment['status'],
  options: { generation?: number; replicas?: number } = {},
): V1Deployment {
  return {
    metadata: { name: 'm-blue', generation: options.generation ?? 1 },
    spec: {
      replicas: options.replicas ?? 2,
      selector: {},
      template: {},
    },
    status,
  };
}

describe('rolloutState', () => {
  it('follows kubectl rollout status', () => {
    const state = (d: V1Deployment) => {
      const s = rolloutState(d);
      return [s.status, s.failed, s.message];
    };
    expect(state(deployment(undefined))).toEqual([
      'starting',
      false,
      'Waiting for the Deployment controller to observe generation 1',
    ]);
    expect(
      state(
        deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 1 }),
      ),
    ).toEqual(['starting', false, '1 of 2 replicas updated']);
    expect(
      state(
        deployment({
          observedGeneration: 1,
          replicas: 3,
          updatedReplicas: 2,
          availableReplicas: 3,
        }),
      ),
    ).toEqual(['starting', false, '1 old replicas pending termination']);
    expect(
      state(
        deployment({
          observedGeneration: 1,
          replicas: 2,
          updatedReplicas: 2,
          availableReplicas: 2,
        }),
      ),
    ).toEqual(['healthy', false, '2 of 2 replicas available']);
    expect(
      state(
        deployment({
          observedGeneration: 1,
          replicas: 2,
          updatedReplicas: 2,
          conditions: [
            {
              type: 'ReplicaFailure',
              status: 'True',
              reason: 'FailedCreate',
              message: 'pods "m-blue-1" is forbidden: exceeded quota',
            },
          ],
        }),
      ),
    ).toEqual([
      'unhealthy',
      true,
      'Replica failure: pods "m-blue-1" is forbidden: exceeded quota',
    ]);
    expect(
      state(
        deployment({ observedGeneration: 1, replicas: 0 }, { replicas: 0 }),
      ),
    ).toEqual(['unhealthy', true, 'The Deployment is scaled to zero']);
  });
});

describe('versionLabel', () => {
  it('keeps valid versions and cleans the others', () => {
    expect(versionLabel('1.2.3')).toBe('1.2.3');
    expect(versionLabel('1.2.3+build.7')).toBe('1.2.3_build.7');
    expect(versionLabel('v'.repeat(80))).toHaveLength(63);
    expect(versionLabel('++')).toBe('unknown');
  });
});

describe('weightsOfRoute', () => {
  it('reads the slot Services of the backendRefs, weight 1 by default', () => {
    expect(
      weightsOfRoute('m', {
        spec: {
          rules: [
            {
              backendRefs: [
                { name: 'm-blue', weight: 70 },
                { name: 'm-green' },
                { name: 'other', weight: 29 },
                { name: 'm-nope', weight: 5 },
              ],
            },
          ],
        },
      }),
    ).toEqual({ blue: 70, green: 1 });
  });
});

describe('parseDeploymentConfig', () => {
  it('accepts the documented settings only', () => {
    expect(
      parseDeploymentConfig({
        replicas: 2,
        resources: { limits: { cpu: '1', memory: '512Mi' } },
        env: { A: 'b' },
      }),
    ).toEqual({
      replicas: 2,
      resources: { limits: { cpu: '1', memory: '512Mi' } },
      env: { A: 'b' },
    });
    expect(() =>
      parseDeploymentConfig({ resources: { limits: { gpu: '1' } } }),
    ).toThrow(/resources.limits.gpu is not allowed/);
    expect(() =>
      parseDeploymentConfig({ resources: { requests: { cpu: 'lots' } } }),
    ).toThrow(/must be a quantity/);
    expect(() => parseDeploymentConfig({ env: { MODEL_OPS_X: '1' } })).toThrow(
      /MODEL_OPS_X is not allowed/,
    );
    expect(() => parseDeploymentConfig({ startupTimeoutSeconds: 3 })).toThrow(
      /unknown property "startupTimeoutSeconds"/,
    );
  });
});
