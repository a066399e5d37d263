/*
 * The deployments capability as plugin.ts builds it, without HTTP: the service's checks,
 * permission and audit through the action guard, its tasks, and the demo bootstrap. This
 * replica executes no runs (maxConcurrentRuns 0), so runs stay pending.
 */
import { AuditorService } from '@backstage/backend-plugin-api';
import {
  TestDatabaseId,
  createMockDirectory,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import { createActionGuard } from '../lib/guard';
import {
  applyDatabaseMigrations,
  createModelIndex,
  createModelStore,
} from '../models';
import { DEFAULT_BUDGETS, DEFAULT_CANARY_OPTIONS, createDeployments } from '.';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const dir = createMockDirectory();
const SHA = 'b'.repeat(64);
const RECONCILE = { frequency: { seconds: 30 }, timeout: { minutes: 5 } };
const DEMO = { frequency: { seconds: 15 }, timeout: { minutes: 2 } };

function component(name: string, annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      type: 'model',
      lifecycle: 'production',
      owner: 'group:default/ml-platform',
    },
  };
}

const entities = [
  component('sentiment-classifier', {
    'model-ops/model-id': 'sentiment-classifier',
  }),
  component('locked-model', { 'model-ops/model-id': 'locked-model' }),
  component('broken-model', {
    'model-ops/model-id': 'broken-model',
    'model-ops/strategy': 'big-bang',
  }),
  component('checkout-api', {}),
];

const body = (entityRef: string, version = '1.0.0') => ({
  entityRef,
  version,
  artifact: {
    uri: 'file:examples/models/sentiment-classifier/1.0.0',
    sha256: SHA,
  },
});

describe.each(databases.eachSupportedId())(
  'createDeployments on %s',
  databaseId => {
    let knex: Knex;
    let audit: string[];
    const caller = { credentials: mockCredentials.user('user:default/guest') };

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      await applyDatabaseMigrations(knex);
      audit = [];
      dir.setContent({
        'index.json': JSON.stringify({
          models: {
            'sentiment-classifier': [
              {
                version: '1.0.0',
                uri: 'file:x/1.0.0',
                sha256: SHA,
                summary: 'first',
              },
            ],
          },
        }),
      });
    });

    async function build(demo?: boolean) {
      const auditor: AuditorService = {
        async createEvent(options) {
          return {
            success: async () => void audit.push(`${options.eventId}:success`),
            fail: async () => void audit.push(`${options.eventId}:fail`),
          };
        },
      };
      const guard = createActionGuard({
        auditor,
        permissions: mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(r => ({
              result:
                'resourceRef' in r &&
                r.resourceRef === 'component:default/locked-model'
                  ? AuthorizeResult.DENY
                  : AuthorizeResult.ALLOW,
            })),
        }),
      });
      const models = createModelIndex({
        catalog: catalogServiceMock({ entities }),
        auth: mockServices.auth(),
        logger: mockServices.logger.mock(),
        options: {
          maxAgeMs: 0,
          schedule: { frequency: { seconds: 30 }, timeout: { minutes: 1 } },
        },
        extensions: { runtimeIds: () => [], metricSourceIds: () => [] },
        names: {
          ruleSets: ['default'],
          alertRoutes: ['default'],
          costModels: ['default'],
        },
      }).service;
      return createDeployments({
        logger: mockServices.logger.mock(),
        auth: mockServices.auth(),
        guard,
        models,
        store: await createModelStore({
          database: mockServices.database({ knex }),
        }),
        knex,
        getRuntime: () => undefined,
        options: {
          pipeline: {
            defaults: DEFAULT_BUDGETS,
            perModel: new Map(),
            leaseSeconds: 30,
            pollIntervalSeconds: 3600,
            maxConcurrentRuns: 0,
            fileRoot: dir.path,
            cacheDir: dir.resolve('cache'),
            verificationInputs: [],
          },
          canary: DEFAULT_CANARY_OPTIONS,
          artifactIndexFile: dir.resolve('index.json'),
          reconcileSchedule: RECONCILE,
          demo: { bootstrap: Boolean(demo), version: '1.0.0', schedule: DEMO },
        },
      });
    }

    it('has the reconcile task, and the demo bootstrap only when asked for', async () => {
      const plain = await build();
      expect(plain.tasks.map(t => [t.id, t.scope])).toEqual([
        ['model-ops-production-reconcile', 'local'],
      ]);
      expect(plain.tasks[0].schedule).toBe(RECONCILE);
      const demo = await build(true);
      expect(demo.tasks.map(t => [t.id, t.scope])).toEqual([
        ['model-ops-production-reconcile', 'local'],
        ['model-ops-demo-bootstrap', 'global'],
      ]);
      expect(demo.tasks[1].schedule).toBe(DEMO);
      demo.start!();
      await demo.stop!();
    });

    it('starts a run, audits it, and refuses a second one', async () => {
      const { service } = await build();
      const run = await service.create(
        body('component:default/sentiment-classifier'),
        caller,
      );
      expect(run).toMatchObject({
        status: 'pending',
        kind: 'deploy',
        strategy: 'blue-green',
        createdBy: 'user:default/guest',
      });
      expect(run).not.toHaveProperty('leaseOwner');
      await expect(
        service.create(
          body('component:default/sentiment-classifier', '1.1.0'),
          caller,
        ),
      ).rejects.toThrow(ConflictError);
      expect(audit).toEqual([
        'deployment-create:success',
        'deployment-create:fail',
      ]);
      expect(await service.get(run.id, caller.credentials)).toMatchObject({
        id: run.id,
      });
      expect(
        await service.latestCanary('sentiment-classifier'),
      ).toBeUndefined();
      expect((await service.cancel(run.id, caller)).cancelRequested).toBe(true);
    });

    it('names the field of a request whose entity cannot be deployed, and writes nothing', async () => {
      const { service } = await build();
      await expect(
        service.create(body('component:default/checkout-api'), caller),
      ).rejects.toThrow(
        new InputError(
          'entityRef: component:default/checkout-api is not a model: it has no model-ops/model-id annotation',
        ),
      );
      await expect(
        service.create(body('component:default/broken-model'), caller),
      ).rejects.toThrow(
        /^entityRef: component:default\/broken-model has bad annotations and cannot be deployed: model-ops\/strategy/,
      );
      await expect(
        service.create(body('component:default/nope'), caller),
      ).rejects.toThrow(NotFoundError);
      await expect(
        service.create(body('component:default/locked-model'), caller),
      ).rejects.toThrow(NotAllowedError);
      expect(audit).toEqual(['deployment-create:fail']);
      expect(await knex('model_ops_runs')).toEqual([]);
    });

    it('offers the indexed versions and bootstraps demo models once', async () => {
      const capability = await build(true);
      const ref = {
        kind: 'component',
        namespace: 'default',
        name: 'sentiment-classifier',
      };
      expect(
        await capability.service.availableVersions(ref, caller.credentials),
      ).toEqual([
        {
          version: '1.0.0',
          uri: 'file:x/1.0.0',
          sha256: SHA,
          summary: 'first',
        },
      ]);
      const bootstrap = capability.tasks.find(
        t => t.id === 'model-ops-demo-bootstrap',
      )!;
      await bootstrap.run();
      await bootstrap.run();
      const rows = await knex('model_ops_runs').select(
        'model_id',
        'version',
        'status',
      );
      expect(rows).toEqual([
        {
          model_id: 'sentiment-classifier',
          version: '1.0.0',
          status: 'pending',
        },
      ]);
    });
  },
);
