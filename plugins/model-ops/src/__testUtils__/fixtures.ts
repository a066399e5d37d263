import { Entity } from '@backstage/catalog-model';
import {
  DeploymentRun,
  DeploymentStage,
  ModelDetails,
} from '@model-ops/plugin-model-ops-common';

export const modelEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'sentiment-classifier',
    namespace: 'default',
    annotations: { 'model-ops/model-id': 'sentiment-classifier' },
  },
  spec: {
    type: 'model',
    owner: 'group:default/ml-platform',
    lifecycle: 'production',
  },
};

export const plainEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout-api', namespace: 'default' },
  spec: {
    type: 'service',
    owner: 'group:default/risk-team',
    lifecycle: 'production',
  },
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

const stage = (
  name: DeploymentStage['name'],
  status: DeploymentStage['status'],
  extra: Partial<DeploymentStage> = {},
): DeploymentStage => ({
  name,
  status,
  checks: [],
  errors: [],
  metrics: {},
  ...extra,
});

const baseRun: DeploymentRun = {
  id: 'run-1',
  modelId: 'sentiment-classifier',
  entityRef: 'component:default/sentiment-classifier',
  kind: 'deploy',
  version: '1.1.0',
  artifact: {
    uri: 'file:examples/models/sentiment-classifier/1.1.0',
    sha256: 'a'.repeat(64),
  },
  config: {},
  strategy: 'recreate',
  runtime: 'local',
  rules: 'default',
  status: 'succeeded',
  createdBy: 'user:default/guest',
  cancelRequested: false,
  createdAt: '2026-11-26T08:00:00.000Z',
  startedAt: '2026-11-26T08:00:00.000Z',
  finishedAt: '2026-11-26T08:00:20.000Z',
  stages: [],
};

export const runningRun: DeploymentRun = {
  ...baseRun,
  id: 'run-running',
  status: 'running',
  stage: 'testing',
  finishedAt: undefined,
  stages: [
    stage('validation', 'succeeded', {
      durationMs: 120,
      checks: [
        {
          name: 'checksum',
          ok: true,
          detail: 'manifest sha256 aaa',
          at: baseRun.createdAt,
        },
      ],
    }),
    stage('testing', 'running', {
      checks: [
        {
          name: 'functional: praise',
          ok: true,
          detail: '"positive"',
          at: baseRun.createdAt,
        },
      ],
    }),
    stage('staging', 'pending'),
    stage('production', 'pending'),
  ],
};

export const failedRun: DeploymentRun = {
  ...baseRun,
  id: 'run-failed',
  version: '2.0.0',
  status: 'failed',
  error: '10 of 12 functional cases failed',
  stages: [
    stage('validation', 'succeeded', { durationMs: 90 }),
    stage('testing', 'failed', {
      durationMs: 1500,
      errors: ['10 of 12 functional cases failed'],
      metrics: { functionalPassed: 2, functionalFailed: 10 },
      checks: [
        {
          name: 'functional: praise',
          ok: false,
          detail: 'expected "positive", got "negative" for input "I love it"',
          at: baseRun.createdAt,
        },
      ],
    }),
    stage('staging', 'skipped'),
    stage('production', 'skipped'),
  ],
};

export const rolledBackRun: DeploymentRun = {
  ...baseRun,
  id: 'run-rolled-back',
  version: '2.2.0',
  status: 'rolled_back',
  previousVersion: '1.1.0',
  error: 'Production verification failed: error rate 60 % (max 0 %)',
  stages: [
    stage('validation', 'succeeded', { durationMs: 80 }),
    stage('testing', 'succeeded', {
      durationMs: 4200,
      metrics: { p95Ms: 2.4, throughputRps: 812.5, errorRatePct: 0 },
    }),
    stage('staging', 'succeeded', { durationMs: 900 }),
    stage('production', 'failed', {
      durationMs: 2100,
      errors: ['Production verification failed: error rate 60 % (max 0 %)'],
      checks: [
        {
          name: 'rollback',
          ok: true,
          detail: '1.1.0 serves production again',
          at: baseRun.createdAt,
        },
      ],
    }),
  ],
};

export const succeededRun: DeploymentRun = {
  ...baseRun,
  id: 'run-ok',
  version: '1.0.0',
  stages: okStages(),
};

function okStages(): DeploymentStage[] {
  return [
    stage('validation', 'succeeded', { durationMs: 100 }),
    stage('testing', 'succeeded', { durationMs: 4000 }),
    stage('staging', 'succeeded', { durationMs: 800 }),
    stage('production', 'succeeded', { durationMs: 1200 }),
  ];
}
