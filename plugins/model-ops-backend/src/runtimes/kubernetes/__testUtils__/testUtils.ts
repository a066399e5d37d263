import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import {
  createKubernetesRuntime,
  KubernetesRuntime,
} from '../KubernetesRuntime';
import {
  KubernetesRuntimeSettings,
  readKubernetesRuntimeSettings,
} from '../settings';
import { FakeKubernetesApiServer } from './FakeKubernetesApiServer';

export const FIXED_NOW = new Date('2026-01-02T03:04:05.000Z');
export const IMAGE = 'registry.example.com/model-server:1.2.3';

/** App config with one `config` cluster pointing at the fake. */
export function clusterConfig(
  fake: FakeKubernetesApiServer,
  options: { modelOps?: JsonObject; cluster?: JsonObject } = {},
): ConfigReader {
  return new ConfigReader({
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              name: 'fake',
              url: fake.url,
              authProvider: 'serviceAccount',
              serviceAccountToken: fake.token,
              // @kubernetes/client-node only talks plain http with this set.
              skipTLSVerify: true,
              ...options.cluster,
            },
          ],
        },
      ],
    },
    modelOps: {
      kubernetes: { image: IMAGE, ...options.modelOps },
    },
  });
}

export function makeRuntime(
  fake: FakeKubernetesApiServer,
  options: {
    modelOps?: JsonObject;
    cluster?: JsonObject;
    overrides?: Partial<KubernetesRuntimeSettings>;
  } = {},
): KubernetesRuntime {
  const settings = readKubernetesRuntimeSettings(clusterConfig(fake, options), {
    overrides: { pollIntervalMs: 20, ...options.overrides },
  });
  const runtime = createKubernetesRuntime({
    settings,
    logger: mockServices.logger.mock(),
    clock: () => FIXED_NOW,
  });
  if (!runtime) {
    throw new Error('no runtime');
  }
  return runtime;
}

export function artifact(version: string) {
  return {
    uri: `https://artifacts.example.com/sentiment/${version}.tar.gz`,
    sha256: 'a'.repeat(64),
    version,
  };
}

export const model = {
  modelId: 'sentiment',
  entityRef: 'component:default/sentiment',
};

const NS = 'model-ops';
export const DEPLOYMENTS = `/apis/apps/v1/namespaces/${NS}/deployments`;
export const SERVICES = `/api/v1/namespaces/${NS}/services`;
export const ROUTES = `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes`;

/** The requests that change something. */
export const writes = (fake: FakeKubernetesApiServer) =>
  fake.requests.filter(r => r.method !== 'GET');
