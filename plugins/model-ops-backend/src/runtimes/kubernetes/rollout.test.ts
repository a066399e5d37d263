import { V1Deployment } from '@kubernetes/client-node';
import { KubernetesRuntime } from './KubernetesRuntime';
import { rolloutState } from './rollout';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';
import {
  artifact,
  FIXED_NOW,
  IMAGE,
  makeRuntime,
  model,
} from './__testUtils__/testUtils';

jest.setTimeout(20_000);

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

describe('KubernetesRuntime rollouts', () => {
  let fake: FakeKubernetesApiServer;
  let runtime: KubernetesRuntime;

  beforeEach(async () => {
    fake = await FakeKubernetesApiServer.start();
    runtime = makeRuntime(fake);
  });

  afterEach(async () => {
    await fake.close();
  });

  describe('deploy', () => {
    it('waits for the rollout to become available', async () => {
      fake.defaultRollout = 'progressing';
      setTimeout(() => fake.setRollout('sentiment-staging', 'available'), 200);
      const started = Date.now();
      await runtime.deploy({
        model,
        slot: 'staging',
        artifact: artifact('1.0.0'),
        config: {},
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(
        fake.requestsMatching('GET', /deployments\/sentiment-staging$/).length,
      ).toBeGreaterThan(2);
    });

    it('fails within the bound when the rollout never becomes available', async () => {
      fake.setRollout('sentiment-testing', 'progressing');
      fake.addPod({
        name: 'sentiment-testing-7d9f-x2x1',
        labels: {
          'model-ops/model-id': 'sentiment',
          'model-ops/slot': 'testing',
        },
        waiting: {
          reason: 'ImagePullBackOff',
          message: `Back-off pulling image "${IMAGE}"`,
        },
      });
      const started = Date.now();
      await expect(
        runtime.deploy({
          model,
          slot: 'testing',
          artifact: artifact('1.0.0'),
          config: { rolloutTimeoutSeconds: 0.5 },
        }),
      ).rejects.toThrow(
        /did not become available within 0\.5 s: 0 of 1 replicas available; pod sentiment-testing-7d9f-x2x1: ImagePullBackOff \(Back-off pulling image/,
      );
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(3000);
    });

    it('fails at once when the controller reports the progress deadline exceeded', async () => {
      fake.setRollout('sentiment-testing', 'deadline-exceeded');
      const started = Date.now();
      await expect(
        runtime.deploy({
          model,
          slot: 'testing',
          artifact: artifact('1.0.0'),
          config: { rolloutTimeoutSeconds: 30 },
        }),
      ).rejects.toThrow(/failed: Rollout failed: .*timed out progressing/);
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });

  describe('health', () => {
    it('follows the rollout status of the Deployment', async () => {
      await expect(runtime.health({ model, slot: 'blue' })).resolves.toEqual({
        slot: 'blue',
        status: 'absent',
        checkedAt: FIXED_NOW,
      });
      await runtime.deploy({
        model,
        slot: 'blue',
        artifact: artifact('1.0.0'),
        config: {},
      });
      await expect(runtime.health({ model, slot: 'blue' })).resolves.toEqual({
        slot: 'blue',
        status: 'healthy',
        version: '1.0.0',
        message: '1 of 1 replicas available',
        checkedAt: FIXED_NOW,
      });

      const status = async () => {
        const h = await runtime.health({ model, slot: 'blue' });
        return [h.status, h.message];
      };
      fake.setRollout('sentiment-blue', 'progressing');
      expect(await status()).toEqual(['starting', '0 of 1 replicas available']);
      fake.setRollout('sentiment-blue', 'pending');
      expect(await status()).toEqual([
        'starting',
        'Waiting for the Deployment controller to observe generation 1',
      ]);
      fake.setRollout('sentiment-blue', 'degraded');
      expect(await status()).toEqual([
        'unhealthy',
        '0 of 1 replicas available',
      ]);
      fake.setRollout('sentiment-blue', 'deadline-exceeded');
      expect(await status()).toEqual([
        'unhealthy',
        'Rollout failed: ReplicaSet "sentiment-blue-abc" has timed out progressing.',
      ]);
      fake.setRollout('sentiment-blue', 'available');
      expect(await status()).toEqual(['healthy', '1 of 1 replicas available']);
    });
  });
});
