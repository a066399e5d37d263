/*
 * A model Model Ops does not deploy (`model-ops/runtime: external`) through a real test backend
 * on every database: it is listed and shown without slots or problems, its monitoring routes
 * answer, and every deployment, rollback and switch of it is a 409 naming the annotation that
 * writes nothing. Without a configured prometheus source (its default) it shows a problem.
 */
import {
  AuditorService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  TestDatabaseId,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  ANNOTATION_METRICS_SOURCE,
  ANNOTATION_MODEL_ID,
  ANNOTATION_RUNTIME,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  component,
  expectToMatchResponseSchema,
} from '../__testUtils__/plugin';
import { modelOpsPlugin } from '../plugin';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const USER = mockCredentials.user.header('user:default/guest');
const ENTITY = '/api/model-ops/entities/component/default/ranker';
const ranker = component('ranker', {
  [ANNOTATION_MODEL_ID]: 'ranker',
  [ANNOTATION_RUNTIME]: 'external',
});
const TABLES = [
  'model_ops_runs',
  'model_ops_run_stages',
  'model_ops_models',
  'model_ops_slots',
  'model_ops_versions',
  'model_ops_switches',
];

describe.each(databases.eachSupportedId())(
  'an external model through the routes on %s',
  databaseId => {
    let knex: Knex;
    let tmp: string;
    let audit: string[];

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      audit = [];
      tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'model-ops-external-'));
    });

    afterEach(async () => {
      await fs.rm(tmp, { recursive: true, force: true });
    });

    async function start(options: { prometheus: boolean }) {
      const auditor: AuditorService = {
        async createEvent(event) {
          return {
            success: async () => void audit.push(`${event.eventId}:success`),
            fail: async () => void audit.push(`${event.eventId}:fail`),
          };
        },
      };
      const { server } = await startTestBackend({
        features: [
          modelOpsPlugin,
          createServiceFactory({
            service: catalogServiceRef,
            deps: {},
            factory: () => catalogServiceMock({ entities: [ranker] }),
          }),
          createServiceFactory({
            service: coreServices.auditor,
            deps: {},
            factory: () => auditor,
          }),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              modelOps: {
                local: { stateDir: path.join(tmp, 'state') },
                pipeline: { maxConcurrentRuns: 0 },
                artifacts: { fileRoot: tmp },
                // A closed loopback port: the start-up tick's queries fail, nothing else.
                ...(options.prometheus
                  ? {
                      metrics: {
                        prometheus: { baseUrl: 'http://127.0.0.1:9' },
                      },
                    }
                  : {}),
              },
            },
          }),
        ],
      });
      return server;
    }

    const rowCounts = async () =>
      Object.fromEntries(
        await Promise.all(
          TABLES.map(
            async table =>
              [
                table,
                Number((await knex(table).count({ n: '*' }))[0].n),
              ] as const,
          ),
        ),
      );

    it('is listed and shown without slots or problems, and its monitoring answers', async () => {
      const server = await start({ prometheus: true });
      const list = await request(server)
        .get('/api/model-ops/models')
        .set('Authorization', USER);
      expect(list.status).toBe(200);
      expectToMatchResponseSchema(list.body, '/models', '200');
      expect(list.body.items).toEqual([
        expect.objectContaining({
          entityRef: 'component:default/ranker',
          problems: [],
          status: 'unknown',
          spec: expect.objectContaining({
            runtime: 'external',
            metricsSource: 'prometheus',
          }),
        }),
      ]);

      const details = await request(server)
        .get(ENTITY)
        .set('Authorization', USER);
      expect(details.status).toBe(200);
      expectToMatchResponseSchema(
        details.body,
        '/entities/{kind}/{namespace}/{name}',
        '200',
      );
      expect(details.body).toMatchObject({
        problems: [],
        slots: [],
        versions: [],
      });
      expect(details.body.productionEndpoint).toBeUndefined();

      for (const route of ['environments', 'status', 'metrics', 'alerts']) {
        const res = await request(server)
          .get(`${ENTITY}/${route}`)
          .set('Authorization', USER);
        expect({ route, status: res.status }).toEqual({ route, status: 200 });
      }
    });

    it('refuses deployments, rollbacks and switches with a 409 naming the runtime, and writes nothing', async () => {
      const server = await start({ prometheus: true });
      const before = await rowCounts();
      const attempts = [
        request(server)
          .post('/api/model-ops/deployments')
          .set('Authorization', USER)
          .send({
            entityRef: 'component:default/ranker',
            version: '1.0.0',
            artifact: {
              uri: 'file:models/ranker/1.0.0',
              sha256: 'a'.repeat(64),
            },
          }),
        request(server)
          .post(`${ENTITY}/rollback`)
          .set('Authorization', USER)
          .send({}),
        request(server)
          .post(`${ENTITY}/environments/switch`)
          .set('Authorization', USER)
          .send({ to: 'green' }),
        request(server)
          .post(`${ENTITY}/environments/rollback-switch`)
          .set('Authorization', USER)
          .send({}),
      ];
      for (const attempt of attempts) {
        const res = await attempt;
        expect(res.status).toBe(409);
        expect(res.body.error).toEqual(
          expect.objectContaining({
            name: 'ConflictError',
            message: expect.stringContaining(
              'ranker cannot be', // deployed, rolled back, switched, switched back
            ),
          }),
        );
        expect(res.body.error.message).toContain('model-ops/runtime: external');
        expect(res.body.response.statusCode).toBe(409);
      }
      expect(await rowCounts()).toEqual(before);
      expect(audit).toEqual([
        'deployment-create:fail',
        'deployment-rollback:fail',
        'environment-switch:fail',
        'environment-rollback-switch:fail',
      ]);
    });

    it('shows a problem, not an error, when its prometheus source is not configured', async () => {
      const server = await start({ prometheus: false });
      const list = await request(server)
        .get('/api/model-ops/models')
        .set('Authorization', USER);
      expect(list.status).toBe(200);
      expect(list.body.items[0].problems).toEqual([
        {
          annotation: ANNOTATION_METRICS_SOURCE,
          value: 'prometheus',
          message: expect.stringContaining(
            'is not configured in this backend: set modelOps.metrics.prometheus.baseUrl',
          ),
        },
      ]);
      const details = await request(server)
        .get(ENTITY)
        .set('Authorization', USER);
      expect(details.status).toBe(200);
      expect(details.body.problems).toHaveLength(1);
      // Its monitoring views still answer (they read leniently).
      const status = await request(server)
        .get(`${ENTITY}/status`)
        .set('Authorization', USER);
      expect(status.status).toBe(200);
      expect(status.body.status).toBe('unknown');
    });
  },
);
