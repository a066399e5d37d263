/*
 * The deployment routes through a real test backend on every database: validation (400 naming
 * the field, nothing written), credentials (401), permissions (403), conflicts (409) and audit.
 * This replica is configured to execute no runs (maxConcurrentRuns 0), so runs stay pending and
 * the answers do not race a worker.
 */
import {
  AuditorService,
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
import { Knex } from 'knex';
import request from 'supertest';
import { modelOpsPlugin } from '../plugin';
import { createTestDatabases } from '../__testUtils__/databases';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const stateDir = createMockDirectory();

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

const SHA = 'a'.repeat(64);
const valid = {
  entityRef: 'component:default/sentiment-classifier',
  version: '1.1.0',
  artifact: {
    uri: 'file:examples/models/sentiment-classifier/1.1.0',
    sha256: SHA,
  },
};

describe.each(databases.eachSupportedId())(
  'the deployment routes on %s',
  databaseId => {
    let knex: Knex;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let auditEvents: Array<{
      eventId: string;
      outcome: 'success' | 'fail';
      meta?: object;
    }>;
    const user = mockCredentials.user.header('user:default/guest');

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      auditEvents = [];
      const auditor: AuditorService = {
        async createEvent(options) {
          return {
            success: async () => {
              auditEvents.push({
                eventId: options.eventId,
                outcome: 'success',
                meta: options.meta,
              });
            },
            fail: async () => {
              auditEvents.push({
                eventId: options.eventId,
                outcome: 'fail',
                meta: options.meta,
              });
            },
          };
        },
      };
      const backend = await startTestBackend({
        features: [
          modelOpsPlugin,
          createServiceFactory({
            service: catalogServiceRef,
            deps: {},
            factory: () => catalogServiceMock({ entities }),
          }),
          createServiceFactory({
            service: coreServices.auditor,
            deps: {},
            factory: () => auditor,
          }),
          // A policy that denies everything on the locked model and allows the rest.
          createServiceFactory({
            service: coreServices.permissions,
            deps: {},
            factory: () => ({
              authorize: async (requests: any[]) =>
                requests.map(r => ({
                  result:
                    r.resourceRef === 'component:default/locked-model'
                      ? AuthorizeResult.DENY
                      : AuthorizeResult.ALLOW,
                })),
              authorizeConditional: async (requests: any[]) =>
                requests.map(() => ({ result: AuthorizeResult.ALLOW })),
            }),
          }),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              modelOps: {
                local: { stateDir: stateDir.path },
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
    });

    const runCount = async () =>
      Number((await knex('model_ops_runs').count({ n: '*' }))[0].n);

    const post = (path: string, body: unknown) =>
      request(server)
        .post(`/api/model-ops${path}`)
        .set('Authorization', user)
        .send(body as object);

    it('answers 401 without credentials and writes nothing', async () => {
      const calls = [
        request(server).post('/api/model-ops/deployments').send(valid),
        request(server).get('/api/model-ops/deployments/x'),
        request(server).post('/api/model-ops/deployments/x/cancel'),
        request(server).get(
          '/api/model-ops/entities/component/default/sentiment-classifier/deployments',
        ),
        request(server).post(
          '/api/model-ops/entities/component/default/sentiment-classifier/rollback',
        ),
        request(server).get(
          '/api/model-ops/entities/component/default/sentiment-classifier/artifacts',
        ),
        request(server).get(
          '/api/model-ops/entities/component/default/sentiment-classifier/slots/blue/logs',
        ),
      ];
      for (const res of await Promise.all(calls)) {
        expect(res.status).toBe(401);
      }
      expect(await runCount()).toBe(0);
    });

    it.each([
      ['a body that is not an object', [valid], /body|object/],
      ['no entityRef', { ...valid, entityRef: undefined }, /entityRef/],
      [
        'an entityRef that is no ref',
        { ...valid, entityRef: 'component:' },
        /entityRef/,
      ],
      ['no version', { ...valid, version: undefined }, /version/],
      ['a version with spaces', { ...valid, version: '1 .0' }, /version/],
      ['no artifact', { ...valid, artifact: undefined }, /artifact/],
      [
        'an artifact URI of another scheme',
        { ...valid, artifact: { uri: 'ftp://x/y', sha256: SHA } },
        /artifact\/uri/,
      ],
      [
        'a short sha256',
        { ...valid, artifact: { uri: valid.artifact.uri, sha256: 'abc' } },
        /artifact\/sha256/,
      ],
      ['a config that is a list', { ...valid, config: [1] }, /config/],
      ['an unknown strategy', { ...valid, strategy: 'big-bang' }, /strategy/],
      [
        'an entity that is not a model',
        { ...valid, entityRef: 'component:default/checkout-api' },
        /entityRef: .* is not a model/,
      ],
      [
        'a model with bad annotations',
        { ...valid, entityRef: 'component:default/broken-model' },
        /entityRef: .*bad annotations.*model-ops\/strategy/,
      ],
    ])(
      'answers 400 for %s, naming the field, and writes nothing',
      async (_, body, message) => {
        const res = await post('/deployments', body);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ name: 'InputError' });
        expect(res.body.error.message).toMatch(message);
        expect(res.body.response).toEqual({ statusCode: 400 });
        expect(await runCount()).toBe(0);
      },
    );

    it('answers 404 for an entity the catalog does not have', async () => {
      const res = await post('/deployments', {
        ...valid,
        entityRef: 'component:default/nope',
      });
      expect(res.status).toBe(404);
      expect(await runCount()).toBe(0);
    });

    it('answers 403 when the policy denies, writes nothing, and audits the refusal', async () => {
      const res = await post('/deployments', {
        ...valid,
        entityRef: 'component:default/locked-model',
      });
      expect(res.status).toBe(403);
      expect(res.body.error.name).toBe('NotAllowedError');
      expect(res.body.error.message).toMatch(/model-ops\.deployment\.create/);
      expect(await runCount()).toBe(0);
      expect(auditEvents).toEqual([
        expect.objectContaining({
          eventId: 'deployment-create',
          outcome: 'fail',
        }),
      ]);
    });

    it('starts a run (202), lists and reads it, and refuses a second one with 409', async () => {
      const created = await post('/deployments', valid);
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({
        modelId: 'sentiment-classifier',
        version: '1.1.0',
        status: 'pending',
        kind: 'deploy',
        runtime: 'local',
        strategy: 'blue-green',
        createdBy: 'user:default/guest',
      });
      expect(created.body.stages.map((s: { name: string }) => s.name)).toEqual([
        'validation',
        'testing',
        'staging',
        'production',
      ]);
      expect(auditEvents).toEqual([
        expect.objectContaining({
          eventId: 'deployment-create',
          outcome: 'success',
        }),
      ]);

      const second = await post('/deployments', { ...valid, version: '1.0.0' });
      expect(second.status).toBe(409);
      expect(second.body.error.name).toBe('ConflictError');
      expect(await runCount()).toBe(1);

      const list = await request(server)
        .get(
          '/api/model-ops/entities/component/default/sentiment-classifier/deployments?limit=5',
        )
        .set('Authorization', user);
      expect(list.status).toBe(200);
      expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([
        created.body.id,
      ]);

      const one = await request(server)
        .get(`/api/model-ops/deployments/${created.body.id}`)
        .set('Authorization', user);
      expect(one.status).toBe(200);
      expect(one.body.id).toBe(created.body.id);

      const cancelled = await post(
        `/deployments/${created.body.id}/cancel`,
        {},
      );
      expect(cancelled.status).toBe(202);
      expect(cancelled.body.cancelRequested).toBe(true);
    });

    it('answers 404 for an unknown run', async () => {
      const res = await request(server)
        .get('/api/model-ops/deployments/00000000-0000-4000-8000-000000000000')
        .set('Authorization', user);
      expect(res.status).toBe(404);
    });

    it('answers 400 for bad list parameters', async () => {
      const base =
        '/api/model-ops/entities/component/default/sentiment-classifier/deployments';
      for (const query of [
        '?limit=0',
        '?limit=1000',
        '?limit=abc',
        '?cursor=garbage',
      ]) {
        const res = await request(server)
          .get(`${base}${query}`)
          .set('Authorization', user);
        expect(res.status).toBe(400);
      }
    });

    it('refuses a rollback with nothing to roll back to (409) or a bad version (400)', async () => {
      const path = '/entities/component/default/sentiment-classifier/rollback';
      expect((await post(path, {})).status).toBe(409);
      expect((await post(path, { toVersion: '' })).status).toBe(400);
      expect((await post(path, { toVersion: 'no such' })).status).toBe(400);
      const denied = await post(
        '/entities/component/default/locked-model/rollback',
        {},
      );
      expect(denied.status).toBe(403);
      expect(await runCount()).toBe(0);
    });

    it('guards the environment routes: 401, 400 naming the field, 403, 409, and audits', async () => {
      const base =
        '/entities/component/default/sentiment-classifier/environments';
      expect((await request(server).get(`/api/model-ops${base}`)).status).toBe(
        401,
      );
      expect(
        (await request(server).post(`/api/model-ops${base}/switch`).send({}))
          .status,
      ).toBe(401);

      const env = await request(server)
        .get(`/api/model-ops${base}`)
        .set('Authorization', user);
      expect(env.status).toBe(200);
      expect(env.body).toEqual({
        slots: [
          expect.objectContaining({
            slot: 'blue',
            state: 'empty',
            active: false,
            trafficWeight: 0,
          }),
          expect.objectContaining({
            slot: 'green',
            state: 'empty',
            active: false,
            trafficWeight: 0,
          }),
        ],
        history: [],
      });

      const badTo = await post(`${base}/switch`, { to: 'purple' });
      expect(badTo.status).toBe(400);
      expect(badTo.body.error.message).toMatch(/^request\/body\/to must be/);
      const badReason = await post(`${base}/switch`, { reason: 42 });
      expect(badReason.status).toBe(400);
      expect(badReason.body.error.message).toMatch(/reason/);

      const denied = await post(
        '/entities/component/default/locked-model/environments/switch',
        {},
      );
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toMatch(
        /model-ops\.environment\.switch/,
      );

      // Nothing deployed yet: nothing to switch to or roll back.
      expect((await post(`${base}/switch`, {})).status).toBe(409);
      expect((await post(`${base}/rollback-switch`, {})).status).toBe(409);
      expect(await knex('model_ops_switches')).toEqual([]);
      expect(auditEvents.map(e => `${e.eventId}:${e.outcome}`)).toEqual([
        // The request without credentials, refused by the plugin's barrier.
        'request-unauthenticated:fail',
        'environment-switch:fail',
        'environment-switch:fail',
        'environment-rollback-switch:fail',
      ]);
    });

    it('answers 409 to promote or abort without a canary in progress', async () => {
      const created = await post('/deployments', valid);
      expect(
        (await post(`/deployments/${created.body.id}/promote`, {})).status,
      ).toBe(409);
      expect(
        (await post(`/deployments/${created.body.id}/abort`, {})).status,
      ).toBe(409);
      expect(
        (
          await request(server).post(
            `/api/model-ops/deployments/${created.body.id}/abort`,
          )
        ).status,
      ).toBe(401);
    });

    it('checks the slot and line count of a log request', async () => {
      const base =
        '/api/model-ops/entities/component/default/sentiment-classifier/slots';
      expect(
        (
          await request(server)
            .get(`${base}/purple/logs`)
            .set('Authorization', user)
        ).status,
      ).toBe(400);
      expect(
        (
          await request(server)
            .get(`${base}/blue/logs?lines=0`)
            .set('Authorization', user)
        ).status,
      ).toBe(400);
      const empty = await request(server)
        .get(`${base}/blue/logs?lines=5`)
        .set('Authorization', user);
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ slot: 'blue', lines: [] });
    });
  },
);
