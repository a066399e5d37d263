import { BackendFeature } from '@backstage/backend-plugin-api';
import {
  TestDatabaseId,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  ANNOTATION_RULES,
  ANNOTATION_STRATEGY,
  ModelDetails,
  ModelSummary,
} from '@model-ops/plugin-model-ops-common';

import { Knex } from 'knex';
import request from 'supertest';
import { DatabaseModelStore } from './models/DatabaseModelStore';
import { createTestDatabases } from './__testUtils__/databases';

jest.setTimeout(60_000);

const databases = createTestDatabases();

import {
  backstageError,
  churn,
  errorOf,
  expectToMatchResponseSchema,
  fraud,
  schemaErrors,
  sentiment,
  startBackend as startWith,
  website,
} from './__testUtils__/plugin';

describe('the response schema check', () => {
  it('catches drift from the OpenAPI spec', () => {
    const summary = {
      entityRef: 'component:default/a',
      kind: 'Component',
      namespace: 'default',
      name: 'a',
      problems: [],
      status: 'unknown',
    };
    expect(
      schemaErrors(summary, { $ref: '#/components/schemas/ModelSummary' }),
    ).toEqual([]);
    expect(
      schemaErrors(
        { ...summary, status: 'fine', extra: 1, updatedAt: 'yesterday' },
        { $ref: '#/components/schemas/ModelSummary' },
      ),
    ).toEqual([
      '$.status: "fine" is not one of unknown,healthy,warning,critical',
      '$.extra: not in the schema',
      '$.updatedAt: not a date-time',
    ]);
    const { problems: _, ...withoutProblems } = summary;
    expect(
      schemaErrors(withoutProblems, {
        $ref: '#/components/schemas/ModelSummary',
      }),
    ).toEqual(['$.problems: missing']);
  });
});
describe.each(databases.eachSupportedId())(
  'modelOpsPlugin on %s',
  databaseId => {
    let knex: Knex;
    const startBackend = (entities: Entity[], extra: BackendFeature[] = []) =>
      startWith(knex, entities, extra);

    describe('the models routes', () => {
      let backend: Awaited<ReturnType<typeof startBackend>>['backend'];
      let catalog: ReturnType<typeof catalogServiceMock>;

      beforeAll(async () => {
        knex = await databases.init(databaseId as TestDatabaseId);
        ({ backend, catalog } = await startBackend([
          website,
          sentiment,
          churn,
          fraud,
        ]));
      });

      afterAll(async () => {
        await backend.stop();
      });

      it.each([
        '/api/model-ops/models',
        '/api/model-ops/entities/component/default/sentiment-classifier',
      ])('refuses %s without credentials', async path => {
        const res = await request(backend.server).get(path);
        expect(errorOf(res)).toEqual(
          backstageError(401, 'AuthenticationError'),
        );
      });

      it('refuses an invalid token', async () => {
        const res = await request(backend.server)
          .get('/api/model-ops/models')
          .set('Authorization', 'Bearer mock-invalid-user-token');
        expect(errorOf(res)).toEqual(
          backstageError(401, 'AuthenticationError'),
        );
      });

      it('lists only the models, sorted, with their problems and defaults', async () => {
        const res = await request(backend.server)
          .get('/api/model-ops/models')
          .set('Authorization', mockCredentials.user.header());
        expect(res.status).toBe(200);
        expectToMatchResponseSchema(res.body, '/models', '200');
        const items: ModelSummary[] = res.body.items;
        expect(items.map(m => m.entityRef)).toEqual([
          'component:default/fraud-detector',
          'component:default/sentiment-classifier',
          'component:ml/churn-predictor',
        ]);

        const [fraudItem, sentimentItem, churnItem] = items;
        expect(fraudItem).toEqual({
          entityRef: 'component:default/fraud-detector',
          kind: 'Component',
          namespace: 'default',
          name: 'fraud-detector',
          owner: 'group:ml/fraud-team',
          spec: {
            entityRef: 'component:default/fraud-detector',
            modelId: 'fraud',
            runtime: 'local',
            strategy: 'blue-green',
            metricsSource: 'scrape',
            rules: 'default',
            alertRoute: 'default',
            costModel: 'default',
          },
          problems: [],
          status: 'unknown',
          // fraud has stored state, so its alerts are counted: none firing.
          openAlerts: 0,
        });
        expect(sentimentItem).toMatchObject({
          title: 'Sentiment classifier',
          description: 'Classifies the sentiment of reviews',
          owner: 'group:default/team-a',
          problems: [],
          status: 'unknown',
          spec: {
            modelId: 'sentiment',
            runtime: 'kubernetes',
            strategy: 'canary',
            rules: 'strict',
            runbook: 'https://runbooks.example.com/sentiment',
          },
        });
        expect(sentimentItem.productionVersion).toBeUndefined();
        expect(sentimentItem.activeSlot).toBeUndefined();

        // Bad annotations are reported, with the configured names where they form a list.
        expect(churnItem).toMatchObject({
          namespace: 'ml',
          owner: 'group:ml/team-b',
          status: 'unknown',
          spec: { modelId: 'churn', strategy: 'blue-green', rules: 'default' },
        });
        expect(churnItem.problems).toEqual([
          expect.objectContaining({
            annotation: ANNOTATION_STRATEGY,
            value: 'big-bang',
            allowed: ['blue-green', 'canary', 'recreate'],
          }),
          expect.objectContaining({
            annotation: ANNOTATION_RULES,
            value: 'lax',
            allowed: ['default', 'strict'],
          }),
        ]);
      });

      // The model list asks the catalog only when its read decision is conditional: see
      // models/listModels.routes.test.ts.
      it('asks the catalog with the caller’s credentials', async () => {
        const getEntityByRef = jest.spyOn(catalog, 'getEntityByRef');
        const alice = expect.objectContaining({
          principal: expect.objectContaining({
            type: 'user',
            userEntityRef: 'user:default/alice',
          }),
        });
        await request(backend.server)
          .get('/api/model-ops/entities/component/default/fraud-detector')
          .set(
            'Authorization',
            mockCredentials.user.header('user:default/alice'),
          )
          .expect(200);
        expect(getEntityByRef).toHaveBeenCalledWith(
          'component:default/fraud-detector',
          { credentials: alice },
        );
        getEntityByRef.mockRestore();
      });

      it('serves service callers too', async () => {
        const res = await request(backend.server)
          .get('/api/model-ops/models')
          .set('Authorization', mockCredentials.service.header());
        expect(res.status).toBe(200);
        expect(res.body.items).toHaveLength(3);
      });

      it('returns one model with empty slots and versions', async () => {
        const res = await request(backend.server)
          .get('/api/model-ops/entities/component/default/sentiment-classifier')
          .set('Authorization', mockCredentials.user.header());
        expect(res.status).toBe(200);
        expectToMatchResponseSchema(
          res.body,
          '/entities/{kind}/{namespace}/{name}',
          '200',
        );
        const model: ModelDetails = res.body;
        expect(model).toMatchObject({
          entityRef: 'component:default/sentiment-classifier',
          name: 'sentiment-classifier',
          status: 'unknown',
          strategy: 'canary',
          problems: [],
          slots: [],
          versions: [],
        });
      });

      it('finds a model whatever the case of its ref', async () => {
        const res = await request(backend.server)
          .get('/api/model-ops/entities/Component/ML/Churn-Predictor')
          .set('Authorization', mockCredentials.user.header());
        expect(res.status).toBe(200);
        expect(res.body.entityRef).toBe('component:ml/churn-predictor');
        expect(res.body.problems).toHaveLength(2);
      });

      it('is 404 for an entity not in the catalog', async () => {
        const res = await request(backend.server)
          .get('/api/model-ops/entities/component/default/no-such-model')
          .set('Authorization', mockCredentials.user.header());
        expect(errorOf(res)).toEqual(
          backstageError(404, 'NotFoundError', /no-such-model/),
        );
        expectToMatchResponseSchema(
          res.body,
          '/entities/{kind}/{namespace}/{name}',
          '404',
        );
      });

      it('is 404 for an entity that is not a model', async () => {
        const res = await request(backend.server)
          .get('/api/model-ops/entities/component/default/web-frontend')
          .set('Authorization', mockCredentials.user.header());
        expect(errorOf(res)).toEqual(
          backstageError(
            404,
            'NotFoundError',
            /component:default\/web-frontend is not a model/,
          ),
        );
      });

      describe('with stored state', () => {
        beforeAll(async () => {
          const store = await DatabaseModelStore.create({
            database: mockServices.database({ knex }),
            skipMigrations: true,
          });
          await store.upsertModel({
            modelId: 'sentiment',
            entityRef: 'component:default/sentiment-classifier',
            productionVersion: '1.1.0',
            activeSlot: 'green',
            status: 'warning',
          });
          await store.upsertSlot('sentiment', {
            slot: 'blue',
            version: '1.0.0',
            endpoint: 'http://127.0.0.1:41001',
            state: 'running',
            trafficWeight: 0,
          });
          await store.upsertSlot('sentiment', {
            slot: 'green',
            version: '1.1.0',
            endpoint: 'http://127.0.0.1:41002',
            state: 'running',
            trafficWeight: 100,
          });
          await store.upsertVersion('sentiment', {
            version: '1.0.0',
            artifactUri: 'file:///models/sentiment/1.0.0',
            status: 'retired',
            registeredAt: '2026-01-01T00:00:00.000Z',
          });
          await store.upsertVersion('sentiment', {
            version: '1.1.0',
            artifactUri: 'file:///models/sentiment/1.1.0',
            sha256: 'c'.repeat(64),
            status: 'deployed',
            registeredAt: '2026-02-01T00:00:00.000Z',
            lastDeployedAt: '2026-02-02T00:00:00.000Z',
          });
        });

        it('shows the stored state in the list', async () => {
          const res = await request(backend.server)
            .get('/api/model-ops/models')
            .set('Authorization', mockCredentials.user.header());
          expect(res.status).toBe(200);
          expectToMatchResponseSchema(res.body, '/models', '200');
          const byRef = Object.fromEntries(
            (res.body.items as ModelSummary[]).map(m => [m.entityRef, m]),
          );
          expect(byRef['component:default/sentiment-classifier']).toMatchObject(
            {
              status: 'warning',
              productionVersion: '1.1.0',
              activeSlot: 'green',
              updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            },
          );
          expect(byRef['component:default/fraud-detector']).toMatchObject({
            status: 'unknown',
          });
          expect(
            byRef['component:default/fraud-detector'].productionVersion,
          ).toBeUndefined();
        });

        it('shows the slots and versions of the model', async () => {
          const res = await request(backend.server)
            .get(
              '/api/model-ops/entities/component/default/sentiment-classifier',
            )
            .set('Authorization', mockCredentials.user.header());
          expect(res.status).toBe(200);
          expectToMatchResponseSchema(
            res.body,
            '/entities/{kind}/{namespace}/{name}',
            '200',
          );
          const model: ModelDetails = res.body;
          expect(model).toMatchObject({
            status: 'warning',
            productionVersion: '1.1.0',
            activeSlot: 'green',
          });
          const slots = [...model.slots].sort((a, b) =>
            a.slot.localeCompare(b.slot),
          );
          expect(slots).toEqual([
            {
              slot: 'blue',
              version: '1.0.0',
              endpoint: 'http://127.0.0.1:41001',
              state: 'running',
              trafficWeight: 0,
              active: false,
              updatedAt: expect.any(String),
            },
            {
              slot: 'green',
              version: '1.1.0',
              endpoint: 'http://127.0.0.1:41002',
              state: 'running',
              trafficWeight: 100,
              active: true,
              updatedAt: expect.any(String),
            },
          ]);
          expect(model.versions).toEqual([
            {
              version: '1.1.0',
              artifactUri: 'file:///models/sentiment/1.1.0',
              sha256: 'c'.repeat(64),
              status: 'deployed',
              registeredAt: '2026-02-01T00:00:00.000Z',
              lastDeployedAt: '2026-02-02T00:00:00.000Z',
            },
            {
              version: '1.0.0',
              artifactUri: 'file:///models/sentiment/1.0.0',
              status: 'retired',
              registeredAt: '2026-01-01T00:00:00.000Z',
            },
          ]);
        });
      });
    });
  },
);
