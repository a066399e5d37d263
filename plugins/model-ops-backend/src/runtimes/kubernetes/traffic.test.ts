import { KubernetesRuntime } from './KubernetesRuntime';
import { weightsOfRoute } from './traffic';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';
import {
  artifact,
  DEPLOYMENTS,
  IMAGE,
  makeRuntime,
  model,
  ROUTES,
  SERVICES,
  writes,
} from './__testUtils__/testUtils';

jest.setTimeout(20_000);

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

describe('KubernetesRuntime traffic', () => {
  let fake: FakeKubernetesApiServer;
  let runtime: KubernetesRuntime;

  beforeEach(async () => {
    fake = await FakeKubernetesApiServer.start();
    runtime = makeRuntime(fake);
  });

  afterEach(async () => {
    await fake.close();
  });

  describe('traffic with the Gateway API', () => {
    beforeEach(async () => {
      for (const [slot, version] of [
        ['blue', '1.0.0'],
        ['green', '2.0.0'],
      ] as const) {
        await runtime.deploy({
          model,
          slot,
          artifact: artifact(version),
          config: {},
        });
      }
      fake.clearRequests();
    });

    it('routes by weight with an HTTPRoute and points the production Service at the active color', async () => {
      await runtime.setTraffic({ model, weights: { blue: 100 } });
      expect(fake.requestsMatching('GET', /^\/apis\/?$/).length).toBe(1);
      expect(writes(fake).map(r => `${r.method} ${r.path}`)).toEqual([
        `POST ${SERVICES}`,
        `POST ${ROUTES}`,
      ]);
      expect(fake.get('services', 'sentiment').spec.selector).toEqual({
        'model-ops/model-id': 'sentiment',
        'model-ops/slot': 'blue',
      });
      const route = fake.get('httproutes', 'sentiment');
      expect(route.spec).toEqual({
        // No gatewayParentRef configured: the route attaches to the Service (GAMMA).
        parentRefs: [
          { group: '', kind: 'Service', name: 'sentiment', port: 80 },
        ],
        rules: [
          {
            backendRefs: [
              {
                group: '',
                kind: 'Service',
                name: 'sentiment-blue',
                port: 80,
                weight: 100,
              },
            ],
          },
        ],
      });
      expect(await runtime.getTraffic({ model })).toEqual({ blue: 100 });

      fake.clearRequests();
      await runtime.setTraffic({ model, weights: { blue: 90, green: 10 } });
      expect(writes(fake).map(r => `${r.method} ${r.path}`)).toEqual([
        `PATCH ${SERVICES}/sentiment`,
        `PATCH ${ROUTES}/sentiment`,
      ]);
      expect(writes(fake)[1].contentType).toBe('application/merge-patch+json');
      const backendRefs = fake.get('httproutes', 'sentiment').spec.rules[0]
        .backendRefs;
      expect(backendRefs.map((b: any) => [b.name, b.port, b.weight])).toEqual([
        ['sentiment-blue', 80, 90],
        ['sentiment-green', 80, 10],
      ]);
      expect(await runtime.getTraffic({ model })).toEqual({
        blue: 90,
        green: 10,
      });

      // The switch: all to green; the production Service follows.
      fake.clearRequests();
      await runtime.setTraffic({ model, weights: { green: 100, blue: 0 } });
      const servicePatch = writes(fake).find(
        r => r.path === `${SERVICES}/sentiment`,
      );
      expect(servicePatch?.method).toBe('PATCH');
      expect(servicePatch?.body.spec.selector).toEqual({
        'model-ops/model-id': 'sentiment',
        'model-ops/slot': 'green',
      });
      expect(fake.get('services', 'sentiment').spec.selector).toEqual({
        'model-ops/model-id': 'sentiment',
        'model-ops/slot': 'green',
      });
      expect(await runtime.getTraffic({ model })).toEqual({
        blue: 0,
        green: 100,
      });

      // Discovery was asked once, in the first setTraffic.
      expect(fake.requestsMatching('GET', /^\/apis\/?$/)).toEqual([]);
    });

    it('refuses weights of slots that are not deployed or that do not add up', async () => {
      await expect(
        runtime.setTraffic({ model, weights: { blue: 50, staging: 50 } }),
      ).rejects.toThrow(
        /slot staging is not deployed \(deployed: blue, green\)/,
      );
      await expect(
        runtime.setTraffic({ model, weights: { blue: 50, green: 20 } }),
      ).rejects.toThrow(/must add up to 100, got 70/);
      expect(writes(fake)).toEqual([]);
    });

    it('attaches to a configured Gateway and reports its hostname', async () => {
      const gatewayed = makeRuntime(fake, {
        modelOps: {
          gatewayParentRef: { name: 'models', namespace: 'gateways' },
          hostnames: ['{modelId}.models.example.com'],
        },
      });
      await gatewayed.setTraffic({ model, weights: { blue: 100 } });
      const route = fake.get('httproutes', 'sentiment');
      expect(route.spec.parentRefs).toEqual([
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: 'models',
          namespace: 'gateways',
        },
      ]);
      expect(route.spec.hostnames).toEqual(['sentiment.models.example.com']);
      const description = await gatewayed.describe({ model });
      expect(description.productionEndpoint).toBe(
        'http://sentiment.models.example.com',
      );
    });

    it('describes the model', async () => {
      expect(await runtime.describe({ model })).toEqual({
        productionEndpoint: undefined,
        slots: [
          expect.objectContaining({ slot: 'blue', version: '1.0.0' }),
          expect.objectContaining({ slot: 'green', version: '2.0.0' }),
        ],
        traffic: {},
      });
      await runtime.setTraffic({ model, weights: { blue: 90, green: 10 } });
      fake.setRollout('sentiment-green', 'progressing');
      expect(await runtime.describe({ model })).toEqual({
        productionEndpoint: 'http://sentiment.model-ops.svc.cluster.local',
        slots: [
          {
            slot: 'blue',
            version: '1.0.0',
            endpoint: 'http://sentiment-blue.model-ops.svc.cluster.local',
            status: 'healthy',
            details: {
              cluster: 'fake',
              namespace: 'model-ops',
              deployment: 'sentiment-blue',
              service: 'sentiment-blue',
              replicas: 1,
              availableReplicas: 1,
              image: IMAGE,
              message: '1 of 1 replicas available',
            },
          },
          expect.objectContaining({
            slot: 'green',
            version: '2.0.0',
            status: 'starting',
          }),
        ],
        traffic: { blue: 90, green: 10 },
      });
    });

    it('undeploys a slot: deletes its objects and takes it out of the route', async () => {
      await runtime.setTraffic({ model, weights: { blue: 100, green: 0 } });
      fake.clearRequests();
      await runtime.undeploy({ model, slot: 'green' });
      expect(writes(fake).map(r => `${r.method} ${r.path}`)).toEqual([
        `PATCH ${ROUTES}/sentiment`,
        `DELETE ${DEPLOYMENTS}/sentiment-green`,
        `DELETE ${SERVICES}/sentiment-green`,
      ]);
      expect(fake.names('deployments')).toEqual(['sentiment-blue']);
      expect(fake.names('services')).toEqual(['sentiment', 'sentiment-blue']);
      expect(await runtime.getTraffic({ model })).toEqual({ blue: 100 });
      await expect(runtime.health({ model, slot: 'green' })).resolves.toEqual(
        expect.objectContaining({ status: 'absent' }),
      );

      // Again: nothing left to delete, and that is fine.
      await expect(
        runtime.undeploy({ model, slot: 'green' }),
      ).resolves.toBeUndefined();
      await expect(
        runtime.undeploy({ model, slot: 'testing' }),
      ).resolves.toBeUndefined();
    });
  });

  describe('traffic without the Gateway API', () => {
    beforeEach(async () => {
      fake.gatewayApi = false;
      for (const [slot, version] of [
        ['blue', '1.0.0'],
        ['green', '2.0.0'],
      ] as const) {
        await runtime.deploy({
          model,
          slot,
          artifact: artifact(version),
          config: {},
        });
      }
      fake.clearRequests();
    });

    it('switches by the production Service selector', async () => {
      await runtime.setTraffic({ model, weights: { blue: 100 } });
      expect(fake.get('services', 'sentiment').spec.selector).toEqual({
        'model-ops/model-id': 'sentiment',
        'model-ops/slot': 'blue',
      });
      expect(await runtime.getTraffic({ model })).toEqual({ blue: 100 });
      expect(fake.requestsMatching('GET', /^\/apis\/?$/).length).toBe(1);

      fake.clearRequests();
      await runtime.setTraffic({ model, weights: { blue: 0, green: 100 } });
      expect(writes(fake).map(r => `${r.method} ${r.path}`)).toEqual([
        `PATCH ${SERVICES}/sentiment`,
      ]);
      expect(writes(fake)[0].body.spec.selector).toEqual({
        'model-ops/model-id': 'sentiment',
        'model-ops/slot': 'green',
      });
      expect(await runtime.getTraffic({ model })).toEqual({
        blue: 0,
        green: 100,
      });
      const description = await runtime.describe({ model });
      expect(description.productionEndpoint).toBe(
        'http://sentiment.model-ops.svc.cluster.local',
      );
      expect(description.traffic).toEqual({ blue: 0, green: 100 });

      expect(fake.requestsMatching(undefined, /httproutes/)).toEqual([]);
      // The answer of the discovery is remembered.
      expect(fake.requestsMatching('GET', /^\/apis\/?$/)).toEqual([]);
    });

    it('refuses split weights with a clear error', async () => {
      await runtime.setTraffic({ model, weights: { blue: 100 } });
      fake.clearRequests();
      await expect(
        runtime.setTraffic({ model, weights: { blue: 90, green: 10 } }),
      ).rejects.toThrow(
        'Cannot split the traffic of sentiment (blue 90%, green 10%): the cluster fake does not serve the Gateway API (gateway.networking.k8s.io/v1)',
      );
      expect(writes(fake)).toEqual([]);
      expect(await runtime.getTraffic({ model })).toEqual({ blue: 100 });
    });
  });
});
