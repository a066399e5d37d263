import {
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  TestDatabaseId,
  TestDatabases,
  createMockDirectory,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  ANNOTATION_MODEL_ID,
  ANNOTATION_RULES,
  ANNOTATION_RUNBOOK,
  ANNOTATION_RUNTIME,
  ANNOTATION_STRATEGY,
  ModelDetails,
  ModelSummary,
} from '@model-ops/plugin-model-ops-common';
import {
  ModelRuntime,
  modelOpsRuntimesExtensionPoint,
} from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import request from 'supertest';
import { DatabaseModelStore } from './database/DatabaseModelStore';
import { modelOpsPlugin } from './plugin';
import { spec } from './schema/openapi/generated/router';

jest.setTimeout(60_000);

const databases = TestDatabases.create({
  ids: ['POSTGRES_18', 'POSTGRES_15', 'SQLITE_3'],
});

const stateDir = createMockDirectory();

function component(
  name: string,
  annotations: Record<string, string>,
  extra: { namespace?: string; owner?: string; title?: string } = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: extra.namespace ?? 'default',
      title: extra.title,
      annotations,
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: extra.owner ?? 'team-a',
    },
  };
}

const sentiment = component(
  'sentiment-classifier',
  {
    [ANNOTATION_MODEL_ID]: 'sentiment',
    [ANNOTATION_RUNTIME]: 'kubernetes',
    [ANNOTATION_STRATEGY]: 'canary',
    [ANNOTATION_RULES]: 'strict',
    [ANNOTATION_RUNBOOK]: 'https://runbooks.example.com/sentiment',
  },
  { title: 'Sentiment classifier' },
);
sentiment.metadata.description = 'Classifies the sentiment of reviews';
const fraud = component(
  'fraud-detector',
  { [ANNOTATION_MODEL_ID]: 'fraud' },
  { owner: 'group:ml/fraud-team' },
);
const churn = component(
  'churn-predictor',
  {
    [ANNOTATION_MODEL_ID]: 'churn',
    [ANNOTATION_STRATEGY]: 'big-bang',
    [ANNOTATION_RULES]: 'lax',
  },
  { namespace: 'ml', owner: 'team-b' },
);
const website = component('web-frontend', {
  'backstage.io/techdocs-ref': 'dir:.',
});

const config = {
  modelOps: {
    rules: {
      strict: [
        {
          alert: 'slow',
          metric: 'responseTimeP95',
          warning: 200,
          critical: 500,
        },
      ],
    },
    local: { stateDir: stateDir.path },
  },
};

/** A stand-in for a runtime a company adds in a backend module. */
const acmeRuntime = {
  id: 'acme',
  configSchema: { type: 'object' },
  frameworks: ['model-server/v1'],
} as unknown as ModelRuntime;

const acmeRuntimeModule = createBackendModule({
  pluginId: 'model-ops',
  moduleId: 'acme-runtime',
  register(env) {
    env.registerInit({
      deps: { runtimes: modelOpsRuntimesExtensionPoint },
      async init({ runtimes }) {
        runtimes.addRuntime(acmeRuntime);
      },
    });
  },
});

// --- A small check of responses against the OpenAPI schemas (types, enums, required and
// unexpected properties), so the routes cannot drift from the documented contract.

type Schema = Record<string, any>;

function schemaErrors(value: unknown, schema: Schema, at = '$'): string[] {
  if (schema.$ref) {
    const name = String(schema.$ref).split('/').pop()!;
    return schemaErrors(
      value,
      (spec.components.schemas as Record<string, Schema>)[name],
      at,
    );
  }
  const errors: string[] = [];
  if (schema.enum && !schema.enum.includes(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum}`);
  }
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return [...errors, `${at}: expected an object`];
      }
      const obj = value as Record<string, unknown>;
      for (const key of schema.required ?? []) {
        if (!(key in obj)) errors.push(`${at}.${key}: missing`);
      }
      for (const [key, v] of Object.entries(obj)) {
        const sub = schema.properties?.[key];
        if (sub) errors.push(...schemaErrors(v, sub, `${at}.${key}`));
        else if (schema.additionalProperties === false) {
          errors.push(`${at}.${key}: not in the schema`);
        }
      }
      return errors;
    }
    case 'array':
      if (!Array.isArray(value)) return [...errors, `${at}: expected an array`];
      return [
        ...errors,
        ...value.flatMap((v, i) =>
          schemaErrors(v, schema.items ?? {}, `${at}[${i}]`),
        ),
      ];
    case 'string':
      if (typeof value !== 'string')
        return [...errors, `${at}: expected a string`];
      if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) {
        errors.push(`${at}: not a date-time`);
      }
      return errors;
    case 'integer':
      if (!Number.isInteger(value)) errors.push(`${at}: expected an integer`);
      return errors;
    case 'number':
      if (typeof value !== 'number') errors.push(`${at}: expected a number`);
      return errors;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(`${at}: expected a boolean`);
      return errors;
    default:
      return errors;
  }
}

function expectToMatchResponseSchema(
  body: unknown,
  path: keyof typeof spec.paths,
  status: '200' | '401' | '404',
) {
  const responses = (spec.paths[path] as any).get.responses;
  let response = responses[status];
  if (response.$ref) {
    response = (spec.components.responses as Record<string, any>)[
      response.$ref.split('/').pop()
    ];
  }
  expect(
    schemaErrors(body, response.content['application/json'].schema),
  ).toEqual([]);
}

/** The parts of a Backstage error response the tests look at. */
function errorOf(res: request.Response) {
  return {
    status: res.status,
    name: res.body?.error?.name,
    message: res.body?.error?.message,
    statusCode: res.body?.response?.statusCode,
  };
}

const backstageError = (status: number, name: string, message?: RegExp) => ({
  status,
  name,
  message: message ? expect.stringMatching(message) : expect.any(String),
  statusCode: status,
});

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

    async function startBackend(entities: Entity[], extraFeatures: any[] = []) {
      const catalog = catalogServiceMock({ entities });
      const backend = await startTestBackend({
        features: [
          modelOpsPlugin,
          createServiceFactory({
            service: catalogServiceRef,
            deps: {},
            factory: () => catalog,
          }),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({ data: config }),
          // Requests without a token have no credentials (the default is a mock user).
          mockServices.httpAuth.factory({
            defaultCredentials: mockCredentials.none(),
          }),
          ...extraFeatures,
        ],
      });
      return { backend, catalog };
    }

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

      it('asks the catalog with the caller’s credentials', async () => {
        const streamEntities = jest.spyOn(catalog, 'streamEntities');
        const getEntityByRef = jest.spyOn(catalog, 'getEntityByRef');
        const alice = expect.objectContaining({
          principal: expect.objectContaining({
            type: 'user',
            userEntityRef: 'user:default/alice',
          }),
        });
        await request(backend.server)
          .get('/api/model-ops/models')
          .set(
            'Authorization',
            mockCredentials.user.header('user:default/alice'),
          )
          .expect(200);
        expect(streamEntities).toHaveBeenCalledWith(expect.anything(), {
          credentials: alice,
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
        streamEntities.mockRestore();
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

    describe('entities whose model id is bad', () => {
      let backend: Awaited<ReturnType<typeof startBackend>>['backend'];

      beforeAll(async () => {
        knex = await databases.init(databaseId as TestDatabaseId);
        ({ backend } = await startBackend([
          component('blank-id', { [ANNOTATION_MODEL_ID]: '' }),
          component('bad-id', { [ANNOTATION_MODEL_ID]: 'Not_A_Label' }),
        ]));
      });

      afterAll(async () => {
        await backend.stop();
      });

      it('are listed with their problem and no spec', async () => {
        const res = await request(backend.server)
          .get('/api/model-ops/models')
          .set('Authorization', mockCredentials.user.header());
        expect(res.status).toBe(200);
        expectToMatchResponseSchema(res.body, '/models', '200');
        expect(
          res.body.items.map((m: ModelSummary) => [
            m.name,
            m.spec,
            m.problems.map(p => [p.annotation, p.value]),
          ]),
        ).toEqual([
          ['bad-id', undefined, [[ANNOTATION_MODEL_ID, 'Not_A_Label']]],
          ['blank-id', undefined, [[ANNOTATION_MODEL_ID, '']]],
        ]);
      });

      // Every entity the list shows must have details, or the list links to a 404.
      it.each(['bad-id', 'blank-id'])(
        'has details for %s, with the problem',
        async name => {
          const res = await request(backend.server)
            .get(`/api/model-ops/entities/component/default/${name}`)
            .set('Authorization', mockCredentials.user.header());
          expect(res.status).toBe(200);
          expectToMatchResponseSchema(
            res.body,
            '/entities/{kind}/{namespace}/{name}',
            '200',
          );
          expect(res.body).toMatchObject({
            name,
            status: 'unknown',
            slots: [],
            versions: [],
            problems: [
              expect.objectContaining({ annotation: ANNOTATION_MODEL_ID }),
            ],
          });
          expect(res.body.spec).toBeUndefined();
        },
      );
    });

    describe('runtimes added through the extension point', () => {
      it('are accepted by the spec parser, while unknown ones are problems', async () => {
        knex = await databases.init(databaseId as TestDatabaseId);
        const { backend } = await startBackend(
          [
            component('acme-model', {
              [ANNOTATION_MODEL_ID]: 'acme-model',
              [ANNOTATION_RUNTIME]: 'acme',
            }),
            component('mystery-model', {
              [ANNOTATION_MODEL_ID]: 'mystery',
              [ANNOTATION_RUNTIME]: 'warp-drive',
            }),
          ],
          [acmeRuntimeModule],
        );
        try {
          const acme = await request(backend.server)
            .get('/api/model-ops/entities/component/default/acme-model')
            .set('Authorization', mockCredentials.user.header());
          expect(acme.status).toBe(200);
          expect(acme.body.problems).toEqual([]);
          expect(acme.body.spec.runtime).toBe('acme');

          const mystery = await request(backend.server)
            .get('/api/model-ops/entities/component/default/mystery-model')
            .set('Authorization', mockCredentials.user.header());
          expect(mystery.status).toBe(200);
          expect(mystery.body.spec.runtime).toBe('local');
          expect(mystery.body.problems).toEqual([
            {
              annotation: ANNOTATION_RUNTIME,
              value: 'warp-drive',
              message: expect.stringContaining('"warp-drive"'),
              allowed: expect.arrayContaining(['local', 'kubernetes', 'acme']),
            },
          ]);
          expect([...mystery.body.problems[0].allowed].sort()).toEqual([
            'acme',
            'kubernetes',
            'local',
          ]);
        } finally {
          await backend.stop();
        }
      });

      it('without the module, the runtime id is a problem', async () => {
        knex = await databases.init(databaseId as TestDatabaseId);
        const { backend } = await startBackend([
          component('acme-model', {
            [ANNOTATION_MODEL_ID]: 'acme-model',
            [ANNOTATION_RUNTIME]: 'acme',
          }),
        ]);
        try {
          const res = await request(backend.server)
            .get('/api/model-ops/entities/component/default/acme-model')
            .set('Authorization', mockCredentials.user.header());
          expect(res.status).toBe(200);
          expect(res.body.problems).toEqual([
            expect.objectContaining({
              annotation: ANNOTATION_RUNTIME,
              value: 'acme',
              allowed: expect.not.arrayContaining(['acme']),
            }),
          ]);
        } finally {
          await backend.stop();
        }
      });

      it('refuse to start when two modules add one runtime id', async () => {
        knex = await databases.init(databaseId as TestDatabaseId);
        const twin = createBackendModule({
          pluginId: 'model-ops',
          moduleId: 'acme-runtime-twin',
          register(env) {
            env.registerInit({
              deps: { runtimes: modelOpsRuntimesExtensionPoint },
              async init({ runtimes }) {
                runtimes.addRuntime([{ ...acmeRuntime }]);
              },
            });
          },
        });
        await expect(
          startBackend([], [acmeRuntimeModule, twin]),
        ).rejects.toThrow('A Model Ops runtime with id "acme" was added twice');
      });
    });
  },
);
