/*
 * Two entities, one model id, through the whole plugin on every database: the entity that
 * claimed the id first (recorded in model_ops_model_claims) owns it and keeps working, though
 * the rival's uid and name sort first; the other shows a problem, shows none of the owner's
 * state, and every action through it is a 409 naming the owner that writes nothing.
 */
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  TestDatabaseId,
  createMockDirectory,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ModelSummary } from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import request from 'supertest';
import { modelOpsPlugin } from '../plugin';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  component,
  expectToMatchResponseSchema,
  stateDir,
} from '../__testUtils__/plugin';
import {
  applyDatabaseMigrations,
  DatabaseModelStore,
} from './DatabaseModelStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

// Where the owner's earlier version is, as a file root its rollback may read.
const artifacts = createMockDirectory({
  content: { 'fraud-detector/1.0.0/model.json': '{}' },
});
const ARTIFACT = `file:${artifacts.path}/fraud-detector/1.0.0`;

const OWNER = 'component:default/fraud-detector';
const RIVAL = 'component:default/my-innocent-model';
const CONFLICT = `model id fraud-detector is already declared by ${OWNER}`;

function withUid(entity: Entity, uid: string): Entity {
  return { ...entity, metadata: { ...entity.metadata, uid } };
}

// The rival's name and uid sort first, but the owner claimed the id first: the claim decides.
const owner = withUid(
  component(
    'fraud-detector',
    { 'model-ops/model-id': 'fraud-detector' },
    { owner: 'group:ml/fraud-team' },
  ),
  '10000000-0000-4000-8000-000000000000',
);
const rival = withUid(
  component(
    'my-innocent-model',
    { 'model-ops/model-id': 'fraud-detector' },
    { owner: 'user:default/guest' },
  ),
  '00000000-0000-4000-8000-000000000000',
);

describe.each(databases.eachSupportedId())(
  'one model id declared twice on %s',
  databaseId => {
    let knex: Knex;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let stop: (() => Promise<void>) | undefined;
    let authorized: string[];
    const user = mockCredentials.user.header('user:default/guest');

    beforeAll(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      // The owner's claim, from before the rival was registered.
      await applyDatabaseMigrations(knex);
      await knex('model_ops_model_claims').insert({
        model_id: 'fraud-detector',
        entity_ref: OWNER,
        entity_uid: owner.metadata.uid,
      });
      const backend = await startTestBackend({
        features: [
          modelOpsPlugin,
          createServiceFactory({
            service: catalogServiceRef,
            deps: {},
            factory: () => catalogServiceMock({ entities: [rival, owner] }),
          }),
          // Allows everything, recording which entity each decision was asked about.
          createServiceFactory({
            service: coreServices.permissions,
            deps: {},
            factory: () => ({
              authorize: async (requests: any[]) =>
                requests.map(r => {
                  authorized.push(r.resourceRef);
                  return { result: AuthorizeResult.ALLOW };
                }),
              authorizeConditional: async (requests: any[]) =>
                requests.map(() => ({ result: AuthorizeResult.ALLOW })),
            }),
          }),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              modelOps: {
                local: { stateDir: stateDir.path },
                artifacts: { fileRoots: [artifacts.path] },
                // Runs stay pending, so the answers do not race a worker.
                pipeline: { maxConcurrentRuns: 0 },
              },
            },
          }),
          mockServices.httpAuth.factory({
            defaultCredentials: mockCredentials.none(),
          }),
        ],
      });
      server = backend.server;
      stop = () => backend.stop();

      // The owner is in production: 2.0.0 on green, 1.0.0 warm on blue, 1.0.0 succeeded once.
      const store = await DatabaseModelStore.create({
        database: mockServices.database({ knex }),
        skipMigrations: true,
      });
      await store.upsertModel({
        modelId: 'fraud-detector',
        entityRef: OWNER,
        productionVersion: '2.0.0',
        activeSlot: 'green',
        status: 'healthy',
      });
      for (const [slot, version] of [
        ['blue', '1.0.0'],
        ['green', '2.0.0'],
      ] as const) {
        await store.upsertSlot('fraud-detector', {
          slot,
          version,
          endpoint: `http://127.0.0.1:4100${slot === 'blue' ? 1 : 2}`,
          state: 'running',
          trafficWeight: slot === 'green' ? 100 : 0,
        });
        await store.upsertVersion('fraud-detector', {
          version,
          artifactUri: `file:///models/fraud-detector/${version}`,
          status: slot === 'green' ? 'deployed' : 'retired',
          registeredAt: '2026-01-01T00:00:00.000Z',
        });
      }
      const at = new Date('2026-01-01T00:00:00.000Z');
      await knex('model_ops_runs').insert({
        id: '20000000-0000-4000-8000-000000000000',
        model_id: 'fraud-detector',
        entity_ref: OWNER,
        kind: 'deploy',
        version: '1.0.0',
        artifact_uri: ARTIFACT,
        sha256: 'a'.repeat(64),
        strategy: 'blue-green',
        runtime: 'local',
        status: 'succeeded',
        created_at: at,
        started_at: at,
        finished_at: at,
      });
    });

    beforeEach(() => {
      authorized = [];
    });

    afterAll(async () => {
      await stop?.();
    });

    const get = (path: string) =>
      request(server).get(`/api/model-ops${path}`).set('Authorization', user);
    const post = (path: string, body: object = {}) =>
      request(server)
        .post(`/api/model-ops${path}`)
        .set('Authorization', user)
        .send(body);
    const runs = async () =>
      (await knex('model_ops_runs').select('entity_ref', 'kind')).map(
        r => `${r.entity_ref} ${r.kind}`,
      );

    it('lists both with their problems, the rival without the owner’s state', async () => {
      const res = await get('/models');
      expect(res.status).toBe(200);
      expectToMatchResponseSchema(res.body, '/models', '200');
      const byRef = new Map<string, ModelSummary>(
        res.body.items.map((m: ModelSummary) => [m.entityRef, m]),
      );
      expect(byRef.get(RIVAL)).toEqual(
        expect.objectContaining({
          problems: [
            {
              annotation: 'model-ops/model-id',
              value: 'fraud-detector',
              message: CONFLICT,
            },
          ],
          status: 'unknown',
        }),
      );
      expect(byRef.get(RIVAL)).not.toHaveProperty('productionVersion');
      expect(byRef.get(RIVAL)).not.toHaveProperty('activeSlot');
      expect(byRef.get(OWNER)).toEqual(
        expect.objectContaining({
          productionVersion: '2.0.0',
          activeSlot: 'green',
          status: 'healthy',
          problems: [
            {
              annotation: 'model-ops/model-id',
              value: 'fraud-detector',
              severity: 'warning',
              message: expect.stringContaining(`also declared by ${RIVAL}`),
            },
          ],
        }),
      );
    });

    it('shows the problem on both detail pages and no stored state on the rival', async () => {
      const path = '/entities/{kind}/{namespace}/{name}' as const;
      const rivalDetails = await get(
        '/entities/component/default/my-innocent-model',
      );
      expect(rivalDetails.status).toBe(200);
      expectToMatchResponseSchema(rivalDetails.body, path, '200');
      expect(rivalDetails.body).toMatchObject({
        entityRef: RIVAL,
        owner: 'user:default/guest',
        problems: [{ message: CONFLICT }],
        status: 'unknown',
        slots: [],
        versions: [],
      });
      expect(rivalDetails.body).not.toHaveProperty('productionVersion');

      const ownerDetails = await get(
        '/entities/component/default/fraud-detector',
      );
      expect(ownerDetails.status).toBe(200);
      expectToMatchResponseSchema(ownerDetails.body, path, '200');
      expect(ownerDetails.body).toMatchObject({
        productionVersion: '2.0.0',
        problems: [{ severity: 'warning' }],
      });
      expect(ownerDetails.body.slots).toHaveLength(2);
    });

    it('answers every action through the rival with a 409 naming the owner and writes nothing', async () => {
      const base = '/entities/component/default/my-innocent-model';
      const answers = await Promise.all([
        post('/deployments', {
          entityRef: RIVAL,
          version: '3.0.0',
          artifact: {
            uri: 'https://models.example.com/fraud-detector/3.0.0.tar.gz',
            sha256: 'b'.repeat(64),
          },
        }),
        post(`${base}/rollback`, { toVersion: '1.0.0' }),
        post(`${base}/rollback`),
        post(`${base}/environments/switch`, { to: 'blue' }),
        post(`${base}/environments/rollback-switch`),
        get(`${base}/deployments`),
        get(`${base}/environments`),
        get(`${base}/artifacts`),
        get(`${base}/slots/blue/logs`),
        get(`${base}/status`),
        get(`${base}/alerts`),
      ]);
      for (const res of answers) {
        expect({ status: res.status, name: res.body.error?.name }).toEqual({
          status: 409,
          name: 'ConflictError',
        });
        expect(res.body.error.message).toMatch(new RegExp(`${CONFLICT}$`));
      }
      expect(answers[0].body.error.message).toBe(`entityRef: ${CONFLICT}`);
      // Refused before the permission check, which is never asked about the rival.
      expect(authorized).not.toContain(RIVAL);
      expect(await runs()).toEqual([`${OWNER} deploy`]);
      expect(await knex('model_ops_switches')).toEqual([]);
      const stored = await knex('model_ops_models').where({
        model_id: 'fraud-detector',
      });
      expect(stored).toEqual([
        expect.objectContaining({
          entity_ref: OWNER,
          production_version: '2.0.0',
        }),
      ]);
    });

    it('lets the owner keep working, checked against the owner', async () => {
      const env = await get(
        '/entities/component/default/fraud-detector/environments',
      );
      expect(env.status).toBe(200);
      expect(env.body.activeSlot).toBe('green');
      const rollback = await post(
        '/entities/component/default/fraud-detector/rollback',
        { toVersion: '1.0.0' },
      );
      expect(rollback.status).toBe(202);
      expect(rollback.body).toMatchObject({
        modelId: 'fraud-detector',
        entityRef: OWNER,
        kind: 'rollback',
        version: '1.0.0',
        previousVersion: '2.0.0',
      });
      expect(authorized).toEqual([OWNER]);
      expect(await runs()).toEqual(
        expect.arrayContaining([`${OWNER} deploy`, `${OWNER} rollback`]),
      );
    });
  },
);
