import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { createKubernetesRuntime } from './KubernetesRuntime';
import { readKubernetesRuntimeSettings } from './settings';

function config(clusters: JsonObject[], modelOps?: JsonObject) {
  return new ConfigReader({
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [
        { type: 'catalog' },
        { type: 'config', clusters },
      ],
    },
    ...(modelOps ? { modelOps: { kubernetes: modelOps } } : {}),
  });
}

const prod = {
  name: 'prod',
  url: 'https://k8s.example.com:6443/',
  authProvider: 'serviceAccount',
  serviceAccountToken: 'prod-token',
  caData: 'Q0EK',
};
const dev = {
  name: 'dev',
  url: 'https://dev.example.com',
  authMetadata: {
    'kubernetes.io/auth-provider': 'serviceAccount',
    serviceAccountToken: 'dev-token',
  },
  skipTLSVerify: true,
};
const google = {
  name: 'gke',
  url: 'https://gke.example.com',
  authProvider: 'google',
};

describe('readKubernetesRuntimeSettings', () => {
  it('is off without config clusters', () => {
    expect(readKubernetesRuntimeSettings(new ConfigReader({}))).toBeUndefined();
    expect(readKubernetesRuntimeSettings(config([]))).toBeUndefined();
    const logger = mockServices.logger.mock();
    const create = (appConfig: ConfigReader) =>
      createKubernetesRuntime({
        settings: readKubernetesRuntimeSettings(appConfig, { logger }),
        logger,
      });
    expect(create(new ConfigReader({}))).toBeUndefined();
    expect(create(config([google]))).toBeUndefined();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /No Kubernetes cluster with authProvider serviceAccount/,
      ),
    );
  });

  it('takes the first service account cluster, with defaults', () => {
    expect(readKubernetesRuntimeSettings(config([google, prod, dev]))).toEqual({
      cluster: {
        name: 'prod',
        url: 'https://k8s.example.com:6443',
        serviceAccountToken: 'prod-token',
        caData: 'Q0EK',
        caFile: undefined,
        skipTLSVerify: false,
      },
      namespace: 'model-ops',
      image: undefined,
      imagePullPolicy: undefined,
      args: [
        '--artifact',
        '{artifact}',
        '--port',
        '8080',
        '--host',
        '0.0.0.0',
        '--model-id',
        '{modelId}',
      ],
      replicas: 1,
      gatewayParentRef: undefined,
      hostnames: [],
      clusterDomain: 'cluster.local',
      rolloutTimeoutSeconds: 300,
      requestTimeoutSeconds: 30,
      pollIntervalMs: 2000,
    });
  });

  it('reads modelOps.kubernetes', () => {
    const settings = readKubernetesRuntimeSettings(
      config([prod, dev], {
        cluster: 'dev',
        namespace: 'models',
        image: 'ghcr.io/acme/model-server:2',
        imagePullPolicy: 'Always',
        args: ['serve', '{artifact}'],
        replicas: 3,
        gatewayParentRef: {
          name: 'gw',
          namespace: 'infra',
          sectionName: 'http',
        },
        hostnames: ['{modelId}.models.acme.io'],
        clusterDomain: 'acme.local',
        rolloutTimeoutSeconds: 90,
        requestTimeoutSeconds: 5,
      }),
    )!;
    expect(settings.cluster).toEqual({
      name: 'dev',
      url: 'https://dev.example.com',
      serviceAccountToken: 'dev-token',
      caData: undefined,
      caFile: undefined,
      skipTLSVerify: true,
    });
    expect(settings).toMatchObject({
      namespace: 'models',
      image: 'ghcr.io/acme/model-server:2',
      imagePullPolicy: 'Always',
      args: ['serve', '{artifact}'],
      replicas: 3,
      gatewayParentRef: { name: 'gw', namespace: 'infra', sectionName: 'http' },
      hostnames: ['{modelId}.models.acme.io'],
      clusterDomain: 'acme.local',
      rolloutTimeoutSeconds: 90,
      requestTimeoutSeconds: 5,
    });
  });

  it('rejects settings it cannot use', () => {
    expect(() =>
      readKubernetesRuntimeSettings(config([prod], { cluster: 'nope' })),
    ).toThrow(/no config cluster of that name \(found: prod\)/);
    expect(() =>
      readKubernetesRuntimeSettings(config([prod, google], { cluster: 'gke' })),
    ).toThrow(/uses authProvider google/);
    expect(() =>
      readKubernetesRuntimeSettings(
        config([{ ...prod, url: 'http://127.0.0.1:8001' }]),
      ),
    ).toThrow(/only allows that with skipTLSVerify: true/);
    expect(() =>
      readKubernetesRuntimeSettings(config([prod], { namespace: 'Not_OK' })),
    ).toThrow(/Invalid modelOps.kubernetes.namespace/);
    expect(() =>
      readKubernetesRuntimeSettings(config([prod], { replicas: 0 })),
    ).toThrow(/replicas/);
    expect(() =>
      readKubernetesRuntimeSettings(
        config([prod], { imagePullPolicy: 'Sometimes' }),
      ),
    ).toThrow(/imagePullPolicy/);
  });
});
