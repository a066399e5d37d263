import Ajv from 'ajv';
import { KubernetesRuntime } from './KubernetesRuntime';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';
import {
  artifact,
  DEPLOYMENTS,
  IMAGE,
  makeRuntime,
  model,
  SERVICES,
  writes,
} from './__testUtils__/testUtils';

jest.setTimeout(20_000);

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
