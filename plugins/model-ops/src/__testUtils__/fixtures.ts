import { Entity } from '@backstage/catalog-model';
import { ModelDetails } from '@model-ops/plugin-model-ops-common';

export const modelEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'sentiment-classifier',
    namespace: 'default',
    annotations: { 'model-ops/model-id': 'sentiment-classifier' },
  },
  spec: { type: 'model', owner: 'group:default/ml-platform', lifecycle: 'production' },
};

export const plainEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout-api', namespace: 'default' },
  spec: { type: 'service', owner: 'group:default/risk-team', lifecycle: 'production' },
};

export const undeployedModel: ModelDetails = {
  entityRef: 'component:default/sentiment-classifier',
  kind: 'component',
  namespace: 'default',
  name: 'sentiment-classifier',
  title: 'Sentiment classifier',
  owner: 'group:default/ml-platform',
  spec: {
    entityRef: 'component:default/sentiment-classifier',
    modelId: 'sentiment-classifier',
    runtime: 'local',
    strategy: 'blue-green',
    metricsSource: 'scrape',
    rules: 'default',
    alertRoute: 'default',
    costModel: 'default',
    runbook: 'https://runbooks.example.com/models/sentiment-classifier',
  },
  problems: [],
  status: 'unknown',
  slots: [],
  versions: [],
  strategy: 'blue-green',
};

export const deployedModel: ModelDetails = {
  ...undeployedModel,
  status: 'healthy',
  productionVersion: '1.1.0',
  activeSlot: 'green',
  slots: [
    {
      slot: 'blue',
      version: '1.0.0',
      endpoint: 'http://127.0.0.1:41001',
      state: 'running',
      trafficWeight: 0,
      active: false,
      updatedAt: '2026-11-26T08:00:00.000Z',
    },
    {
      slot: 'green',
      version: '1.1.0',
      endpoint: 'http://127.0.0.1:41002',
      state: 'running',
      trafficWeight: 100,
      active: true,
      updatedAt: '2026-11-26T08:05:00.000Z',
    },
  ],
  versions: [
    {
      version: '1.1.0',
      artifactUri: 'file:///models/sentiment-classifier/1.1.0',
      status: 'deployed',
      registeredAt: '2026-11-26T08:04:00.000Z',
      lastDeployedAt: '2026-11-26T08:05:00.000Z',
    },
    {
      version: '1.0.0',
      artifactUri: 'file:///models/sentiment-classifier/1.0.0',
      status: 'retired',
      registeredAt: '2026-11-26T07:00:00.000Z',
    },
  ],
};

export const badModel: ModelDetails = {
  ...undeployedModel,
  entityRef: 'component:default/image-tagger',
  name: 'image-tagger',
  title: 'Image tagger',
  spec: { ...undeployedModel.spec!, modelId: 'image-tagger' },
  problems: [
    {
      annotation: 'model-ops/strategy',
      value: 'big-bang',
      message: 'model-ops/strategy must be one of blue-green, canary, recreate',
      allowed: ['blue-green', 'canary', 'recreate'],
    },
  ],
};
