import Ajv from 'ajv';
import { KubernetesRuntime } from './KubernetesRuntime';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';
import {
  artifact,
  FIXED_NOW,
  IMAGE,
  makeRuntime,
} from './__testUtils__/testUtils';

jest.setTimeout(20_000);

const model = {
  modelId: 'sentiment',
  entityRef: 'component:default/sentiment',
};
const NS = 'model-ops';
const DEPLOYMENTS = `/apis/apps/v1/namespaces/${NS}/deployments`;
const SERVICES = `/api/v1/namespaces/${NS}/services`;
const ROUTES = `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes`;

const writes = (fake: FakeKubernetesApiServer) =>
  fake.requests.filter(r => r.method !== 'GET');

describe('KubernetesRuntime', () => {
  let fake: FakeKubernetesApiServer;
  let runtime: KubernetesRuntime;

  beforeEach(async () => {
    fake = await FakeKubernetesApiServer.start();
    runtime = makeRuntime(fake);
  });

  afterEach(async () => {
    await fake.close();
  });

  it('declares itself', () => {
    expect(runtime.id).toBe('kubernetes');
    expect(runtime.frameworks).toEqual(['model-server/v1']);
    const validate = new Ajv({ strict: false }).compile(runtime.configSchema);
    expect(
      validate({
        replicas: 2,
        resources: { requests: { cpu: '500m', memory: '1Gi' } },
        env: { LOG_LEVEL: 'debug' },
        rolloutTimeoutSeconds: 120,
      }),
    ).toBe(true);
    expect(validate({ env: { MODEL_ARTIFACT_URI: 'x' } })).toBe(false);
    expect(validate({ replicas: 0 })).toBe(false);
    expect(validate({ gpu: 1 })).toBe(false);
  });

  describe('deploy', () => {
    it('creates the Deployment and Service of the slot', async () => {
      const result = await runtime.deploy({
        model,
        slot: 'testing',
        artifact: artifact('1.0.0'),
        config: { env: { LOG_LEVEL: 'debug' }, replicas: 2 },
      });
      expect(result).toEqual({
        endpoint: 'http://sentiment-testing.model-ops.svc.cluster.local',
      });

      const created = writes(fake);
      expect(created.map(r => `${r.method} ${r.path}`)).toEqual([
        `POST ${DEPLOYMENTS}`,
        `POST ${SERVICES}`,
      ]);
      // The service account token reaches the API server on every request.
      expect(fake.requests.length).toBeGreaterThan(2);
      for (const request of fake.requests) {
        expect(request.authorization).toBe(`Bearer ${fake.token}`);
      }

      const labels = {
        'app.kubernetes.io/name': 'sentiment',
        'app.kubernetes.io/managed-by': 'model-ops',
        'model-ops/model-id': 'sentiment',
        'model-ops/slot': 'testing',
        'model-ops/version': '1.0.0',
      };
      const deployment = fake.get('deployments', 'sentiment-testing');
      expect(deployment.metadata.labels).toEqual(labels);
      expect(deployment.metadata.annotations).toMatchObject({
        'model-ops/version': '1.0.0',
        'model-ops/entity-ref': 'component:default/sentiment',
        'model-ops/spec-hash': expect.stringMatching(/^[0-9a-f]{32}$/),
      });
      expect(deployment.spec.replicas).toBe(2);
      expect(deployment.spec.selector).toEqual({
        matchLabels: {
          'model-ops/model-id': 'sentiment',
          'model-ops/slot': 'testing',
        },
      });
      expect(deployment.spec.template.metadata.labels).toEqual(labels);
      const [container] = deployment.spec.template.spec.containers;
      expect(container).toMatchObject({
        name: 'model-server',
        image: IMAGE,
        args: [
          '--artifact',
          'https://artifacts.example.com/sentiment/1.0.0.tar.gz',
          '--port',
          '8080',
          '--host',
          '0.0.0.0',
          '--model-id',
          'sentiment',
        ],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      });
      expect(container.env).toEqual([
        { name: 'LOG_LEVEL', value: 'debug' },
        {
          name: 'MODEL_ARTIFACT_URI',
          value: 'https://artifacts.example.com/sentiment/1.0.0.tar.gz',
        },
        { name: 'MODEL_ARTIFACT_SHA256', value: 'a'.repeat(64) },
        { name: 'MODEL_VERSION', value: '1.0.0' },
        { name: 'MODEL_OPS_MODEL_ID', value: 'sentiment' },
        { name: 'MODEL_OPS_SLOT', value: 'testing' },
        { name: 'MODEL_OPS_VERSION', value: '1.0.0' },
      ]);

      const service = fake.get('services', 'sentiment-testing');
      expect(service.metadata.labels).toEqual({
        'app.kubernetes.io/name': 'sentiment',
        'app.kubernetes.io/managed-by': 'model-ops',
        'model-ops/model-id': 'sentiment',
        'model-ops/slot': 'testing',
      });
      expect(service.spec).toMatchObject({
        type: 'ClusterIP',
        selector: {
          'model-ops/model-id': 'sentiment',
          'model-ops/slot': 'testing',
        },
        ports: [
          { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        ],
      });
    });

    it('is idempotent and patches only what changed', async () => {
      await runtime.deploy({
        model,
        slot: 'blue',
        artifact: artifact('1.0.0'),
        config: { env: { A: '1', B: '2' } },
      });
      fake.clearRequests();

      // The same again: reads only.
      await runtime.deploy({
        model,
        slot: 'blue',
        artifact: artifact('1.0.0'),
        config: { env: { A: '1', B: '2' } },
      });
      expect(writes(fake)).toEqual([]);
      expect(
        fake.get('deployments', 'sentiment-blue').metadata.generation,
      ).toBe(1);

      // A new version (and one env variable fewer): one merge patch of the Deployment.
      await runtime.deploy({
        model,
        slot: 'blue',
        artifact: artifact('2.0.0'),
        config: { env: { A: '1' } },
      });
      const patches = writes(fake);
      expect(patches.map(r => `${r.method} ${r.path}`)).toEqual([
        `PATCH ${DEPLOYMENTS}/sentiment-blue`,
      ]);
      expect(patches[0].contentType).toBe('application/merge-patch+json');
      expect(patches[0].body.metadata.labels['model-ops/version']).toBe(
        '2.0.0',
      );

      const deployment = fake.get('deployments', 'sentiment-blue');
      expect(deployment.metadata.generation).toBe(2);
      expect(deployment.metadata.labels['model-ops/version']).toBe('2.0.0');
      const env = deployment.spec.template.spec.containers[0].env;
      expect(env.map((e: { name: string }) => e.name)).not.toContain('B');
      expect(env).toContainEqual({ name: 'MODEL_VERSION', value: '2.0.0' });
      expect(fake.names('deployments')).toEqual(['sentiment-blue']);
      expect(fake.names('services')).toEqual(['sentiment-blue']);
    });

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

    it('refuses what cannot run in a cluster', async () => {
      const noImage = makeRuntime(fake, { overrides: { image: undefined } });
      await expect(
        noImage.deploy({
          model,
          slot: 'testing',
          artifact: artifact('1.0.0'),
          config: {},
        }),
      ).rejects.toThrow(/modelOps.kubernetes.image is not set/);
      await expect(
        runtime.deploy({
          model,
          slot: 'testing',
          artifact: { uri: 'artifacts/sentiment/1.0.0', version: '1.0.0' },
          config: {},
        }),
      ).rejects.toThrow(/not absolute/);
      await expect(
        runtime.deploy({
          model,
          slot: 'testing',
          artifact: artifact('1.0.0'),
          config: { env: { MODEL_VERSION: 'x' } },
        }),
      ).rejects.toThrow(/MODEL_VERSION is not allowed/);
      await expect(
        runtime.deploy({
          model: { modelId: '9lives', entityRef: 'component:default/x' },
          slot: 'testing',
          artifact: artifact('1.0.0'),
          config: {},
        }),
      ).rejects.toThrow(/must start with a letter/);
      expect(fake.requests).toEqual([]);
    });

    it('explains API errors', async () => {
      fake.failNext(
        'POST',
        /deployments$/,
        403,
        'deployments.apps is forbidden: User "system:serviceaccount:backstage:backstage" cannot create resource "deployments"',
      );
      await expect(
        runtime.deploy({
          model,
          slot: 'testing',
          artifact: artifact('1.0.0'),
          config: {},
        }),
      ).rejects.toThrow(
        /Kubernetes cluster fake: could not create Deployment model-ops\/sentiment-testing: HTTP 403 deployments.apps is forbidden.*RBAC/,
      );

      const wrongToken = makeRuntime(fake, {
        cluster: { serviceAccountToken: 'wrong' },
      });
      await expect(wrongToken.health({ model, slot: 'blue' })).rejects.toThrow(
        /HTTP 401.*token was rejected/,
      );
    });
  });

  it('bounds every API request', async () => {
    const impatient = makeRuntime(fake, {
      overrides: { requestTimeoutSeconds: 0.3 },
    });
    fake.stallNext('GET', /deployments\/sentiment-blue$/);
    const started = Date.now();
    await expect(impatient.health({ model, slot: 'blue' })).rejects.toThrow(
      'Kubernetes cluster fake: could not read Deployment model-ops/sentiment-blue: no answer within 0.3 s',
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('patches a Deployment another backend created meanwhile', async () => {
    // Another replica won the race between this one's read and create.
    fake.failNext('POST', /deployments$/, 409, 'already exists');
    fake.put('deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'sentiment-testing',
        generation: 1,
        labels: { 'app.kubernetes.io/managed-by': 'model-ops' },
      },
      spec: { replicas: 1 },
      status: {},
    });
    // The read sees nothing (the object "appears" only after it): hide it from the first GET.
    fake.failNext('GET', /deployments\/sentiment-testing$/, 404, 'not found');
    await runtime.deploy({
      model,
      slot: 'testing',
      artifact: artifact('1.0.0'),
      config: {},
    });
    expect(writes(fake).map(r => `${r.method} ${r.path}`)).toEqual([
      `POST ${DEPLOYMENTS}`,
      `PATCH ${DEPLOYMENTS}/sentiment-testing`,
      `POST ${SERVICES}`,
    ]);
    expect(
      fake.get('deployments', 'sentiment-testing').metadata.labels[
        'model-ops/version'
      ],
    ).toBe('1.0.0');
  });

  it('leaves objects of the same name that it does not manage alone', async () => {
    fake.put('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'sentiment-testing', labels: { app: 'theirs' } },
      spec: { selector: { app: 'theirs' } },
    });
    await expect(
      runtime.deploy({
        model,
        slot: 'testing',
        artifact: artifact('1.0.0'),
        config: {},
      }),
    ).rejects.toThrow(
      'The Service model-ops/sentiment-testing exists but is not managed by model-ops',
    );
    expect(fake.get('services', 'sentiment-testing').spec.selector).toEqual({
      app: 'theirs',
    });
    // Undeploy removes the Deployment it had created, not their Service.
    await runtime.undeploy({ model, slot: 'testing' });
    expect(fake.names('services')).toEqual(['sentiment-testing']);
    expect(fake.requestsMatching('DELETE').map(r => r.path)).toEqual([
      `${DEPLOYMENTS}/sentiment-testing`,
    ]);
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

  it('reads the last lines of the newest pod of a slot', async () => {
    const labels = {
      'model-ops/model-id': 'sentiment',
      'model-ops/slot': 'blue',
    };
    fake.addPod({
      name: 'sentiment-blue-old',
      labels,
      log: 'old\n',
      creationTimestamp: '2026-01-01T00:00:00Z',
    });
    fake.addPod({
      name: 'sentiment-blue-new',
      labels,
      log: 'one\ntwo\nthree\n',
      creationTimestamp: '2026-01-02T00:00:00Z',
    });
    expect(await runtime.logs!({ model, slot: 'blue', lines: 2 })).toEqual([
      'two',
      'three',
    ]);
    expect(await runtime.logs!({ model, slot: 'green', lines: 2 })).toEqual([]);
  });
});
