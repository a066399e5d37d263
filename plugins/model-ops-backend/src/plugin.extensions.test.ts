import {
  BackendFeature,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { TestDatabaseId, mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_MODEL_ID,
  ANNOTATION_RUNTIME,
  ModelSummary,
} from '@model-ops/plugin-model-ops-common';
import { modelOpsRuntimesExtensionPoint } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import request from 'supertest';
import { createTestDatabases } from './__testUtils__/databases';

jest.setTimeout(60_000);

const databases = createTestDatabases();

import {
  acmeRuntime,
  acmeRuntimeModule,
  component,
  expectToMatchResponseSchema,
  startBackend as startWith,
} from './__testUtils__/plugin';

describe.each(databases.eachSupportedId())(
  'modelOpsPlugin on %s',
  databaseId => {
    let knex: Knex;
    const startBackend = (entities: Entity[], extra: BackendFeature[] = []) =>
      startWith(knex, entities, extra);

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
            'external',
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
