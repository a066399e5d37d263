/*
 * The checks a mutation passes before anything is written, through a real test backend on
 * every database: where the artifact comes from (file roots, symlinks, `backend.reading.allow`
 * with Backstage's own URL reader), who may mutate (users, allowlisted services), and path
 * parameters that are not what the schema says (a 400, never a 500).
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
import { Entity } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { modelOpsPlugin } from '../plugin';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const SHA = 'a'.repeat(64);
const MODEL = 'sentiment-classifier';
const NOT_UNDER_ROOT =
  'artifact.uri is not under an allowed file root (modelOps.artifacts.fileRoots)';
const NOT_ALLOWED =
  'artifact.uri: reading is not allowed for this host (backend.reading.allow)';

const model: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: MODEL,
    namespace: 'default',
    annotations: { 'model-ops/model-id': MODEL },
  },
  spec: { type: 'model', lifecycle: 'production', owner: 'group:default/ml' },
};

const scaffolder = `Bearer ${mockCredentials.service.token({
  onBehalfOf: mockCredentials.service('plugin:scaffolder'),
  targetPluginId: 'model-ops',
})}`;
const otherService = `Bearer ${mockCredentials.service.token({
  onBehalfOf: mockCredentials.service('plugin:other'),
  targetPluginId: 'model-ops',
})}`;

describe.each(databases.eachSupportedId())(
  'the entry checks of the routes on %s',
  databaseId => {
    let knex: Knex;
    let tmp: string;
    let artifactServer: http.Server;
    let artifactHost: string;
    let artifactRequests: number;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let audit: string[];

    beforeAll(async () => {
      artifactServer = http.createServer((_req, res) => {
        artifactRequests++;
        res.writeHead(404).end();
      });
      await new Promise<void>(resolve =>
        artifactServer.listen(0, '127.0.0.1', resolve),
      );
      artifactHost = `127.0.0.1:${
        (artifactServer.address() as AddressInfo).port
      }`;
    });

    afterAll(async () => {
      artifactServer.closeAllConnections();
      await new Promise(resolve => artifactServer.close(resolve));
    });

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      artifactRequests = 0;
      audit = [];
      tmp = await fs.realpath(
        await fs.mkdtemp(path.join(os.tmpdir(), 'model-ops-entry-')),
      );
      await fs.mkdir(path.join(tmp, 'models/sentiment-classifier/1.0.0'), {
        recursive: true,
      });
      await fs.mkdir(path.join(tmp, 'elsewhere/secret'), { recursive: true });
      await fs.symlink(
        path.join(tmp, 'elsewhere'),
        path.join(tmp, 'models/escape'),
      );
      const auditor: AuditorService = {
        async createEvent(options) {
          return {
            success: async () => void audit.push(`${options.eventId}:success`),
            fail: async () => void audit.push(`${options.eventId}:fail`),
          };
        },
      };
      const backend = await startTestBackend({
        features: [
          modelOpsPlugin,
          createServiceFactory({
            service: catalogServiceRef,
            deps: {},
            factory: () => catalogServiceMock({ entities: [model] }),
          }),
          createServiceFactory({
            service: coreServices.auditor,
            deps: {},
            factory: () => auditor,
          }),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              backend: { reading: { allow: [{ host: artifactHost }] } },
              modelOps: {
                local: { stateDir: path.join(tmp, 'state') },
                pipeline: { maxConcurrentRuns: 0 },
                artifacts: {
                  fileRoot: tmp,
                  fileRoots: ['models'],
                  maxBytes: 2048,
                },
                permissions: {
                  allowedServicePrincipals: ['plugin:scaffolder'],
                },
              },
            },
          }),
        ],
      });
      server = backend.server;
    });

    afterEach(async () => {
      await fs.rm(tmp, { recursive: true, force: true });
    });

    const runCount = async () =>
      Number((await knex('model_ops_runs').count({ n: '*' }))[0].n);

    const deploy = (
      uri: string,
      authorization = mockCredentials.user.header('user:default/guest'),
    ) =>
      request(server)
        .post('/api/model-ops/deployments')
        .set('Authorization', authorization)
        .send({
          entityRef: `component:default/${MODEL}`,
          version: '1.0.0',
          artifact: { uri, sha256: SHA },
        });

    it.each([
      [
        'a file: path outside the roots',
        () => `file:${tmp}/elsewhere/secret`,
        NOT_UNDER_ROOT,
      ],
      ['/etc', () => 'file:/etc', NOT_UNDER_ROOT],
      [
        'a way out by ..',
        () => 'file:models/../elsewhere/secret',
        NOT_UNDER_ROOT,
      ],
      [
        'a symlink out of the root',
        () => 'file:models/escape/secret',
        NOT_UNDER_ROOT,
      ],
      [
        'an http host reading is not allowed for',
        () => 'http://localhost:9/m/1',
        NOT_ALLOWED,
      ],
      [
        'an https host of no integration',
        () => 'https://artifacts.example.com/m/1',
        NOT_ALLOWED,
      ],
    ])(
      'answers 400 for %s, naming artifact.uri, and writes no run',
      async (_, uri, message) => {
        const res = await deploy(uri());
        expect(res.status).toBe(400);
        expect(res.body.error).toEqual(
          expect.objectContaining({ name: 'InputError', message }),
        );
        expect(res.body.error.message).not.toContain(tmp);
        expect(await runCount()).toBe(0);
        expect(artifactRequests).toBe(0);
        expect(audit).toEqual(['deployment-create:fail']);
      },
    );

    it('answers 400 for a file: artifact over modelOps.artifacts.maxBytes, and writes no run', async () => {
      const big = path.join(tmp, 'models/sentiment-classifier/9.9.9');
      await fs.mkdir(big, { recursive: true });
      await fs.writeFile(path.join(big, 'weights.bin'), Buffer.alloc(4096));
      const res = await deploy('file:models/sentiment-classifier/9.9.9');
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual(
        expect.objectContaining({
          name: 'InputError',
          message:
            'artifact.uri: the artifact is larger than the limit of 2048 bytes (modelOps.artifacts.maxBytes)',
        }),
      );
      expect(await runCount()).toBe(0);
      expect(audit).toEqual(['deployment-create:fail']);
    });

    it('accepts an artifact under a root', async () => {
      const res = await deploy('file:models/sentiment-classifier/1.0.0');
      expect(res.status).toBe(202);
      expect(await runCount()).toBe(1);
    });

    it('accepts an allowed host and leaves the fetch to the validation stage', async () => {
      const res = await deploy(
        `http://${artifactHost}/sentiment-classifier/1.0.0`,
      );
      expect(res.status).toBe(202);
      expect(await runCount()).toBe(1);
      expect(artifactRequests).toBe(0);
    });

    it('refuses a service that is not allowlisted with a 403, audited, and writes nothing', async () => {
      for (const authorization of [
        otherService,
        mockCredentials.service.header(),
      ]) {
        const res = await deploy(
          'file:models/sentiment-classifier/1.0.0',
          authorization,
        );
        expect(res.status).toBe(403);
        expect(res.body.error.name).toBe('NotAllowedError');
        expect(res.body.error.message).toMatch(
          /may not change anything here: it is not in modelOps\.permissions\.allowedServicePrincipals/,
        );
      }
      const rollback = await request(server)
        .post(`/api/model-ops/entities/component/default/${MODEL}/rollback`)
        .set('Authorization', otherService)
        .send({});
      expect(rollback.status).toBe(403);
      const switched = await request(server)
        .post(
          `/api/model-ops/entities/component/default/${MODEL}/environments/switch`,
        )
        .set('Authorization', otherService)
        .send({});
      expect(switched.status).toBe(403);
      expect(await runCount()).toBe(0);
      expect(audit).toEqual([
        'deployment-create:fail',
        'deployment-create:fail',
        'deployment-rollback:fail',
        'environment-switch:fail',
      ]);
    });

    it('accepts the allowlisted service', async () => {
      const res = await deploy(
        'file:models/sentiment-classifier/1.0.0',
        scaffolder,
      );
      expect(res.status).toBe(202);
      expect(res.body.createdBy).toBe('plugin:scaffolder');
      expect(audit).toEqual(['deployment-create:success']);
    });

    it('answers 400, not 500, for a run id that is no UUID', async () => {
      const user = mockCredentials.user.header('user:default/guest');
      const calls = [
        request(server).get('/api/model-ops/deployments/abc'),
        request(server).get(`/api/model-ops/deployments/${'9'.repeat(300)}`),
        request(server).post('/api/model-ops/deployments/abc/cancel'),
        request(server).post(
          "/api/model-ops/deployments/1'%20OR%201=1/promote",
        ),
        request(server).post('/api/model-ops/deployments/abc/abort'),
      ];
      for (const call of calls) {
        const res = await call.set('Authorization', user);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(/id/);
      }
    });

    const cursor = (value: unknown) =>
      Buffer.from(JSON.stringify(value)).toString('base64url');

    it('answers 400 naming config for a config nested 5000 levels deep, and writes nothing', async () => {
      // Written by hand: JSON.stringify itself overflows at this depth.
      const config = `${'{"a":'.repeat(5000)}{"leaf":1}${'}'.repeat(5000)}`;
      const res = await request(server)
        .post('/api/model-ops/deployments')
        .set('Authorization', mockCredentials.user.header('user:default/guest'))
        .set('Content-Type', 'application/json')
        .send(
          `{"entityRef":"component:default/${MODEL}","version":"1.0.0","artifact":{"uri":"file:models/sentiment-classifier/1.0.0","sha256":"${SHA}"},"config":${config}}`,
        );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^config nests deeper than 32/);
      const runs = await request(server)
        .get(`/api/model-ops/entities/component/default/${MODEL}/deployments`)
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/guest'),
        );
      expect(runs.body.items).toEqual([]);
    });

    it('answers 400 or 404, never 500, for parameters the schema does not allow', async () => {
      const user = mockCredentials.user.header('user:default/guest');
      const entity = `/api/model-ops/entities/component/default/${MODEL}`;
      const long = 'x'.repeat(5000);
      const cases: Array<[string, number]> = [
        [`${entity}/deployments?limit=-1`, 400],
        [`${entity}/deployments?cursor=${long}`, 400],
        [`${entity}/slots/purple/logs`, 400],
        [`${entity}/slots/blue/logs?lines=1e9`, 400],
        [`${entity}/metrics?step=7`, 400],
        [`${entity}/metrics?from=yesterday`, 400],
        [`${entity}/alerts?state=bogus`, 400],
        [`/api/model-ops/entities/component/default/${long}`, 404],
        [`/api/model-ops/entities/${long}/${long}/${long}/deployments`, 404],
        ['/api/model-ops/entities/component/default/%00/environments', 404],
        // Found by the fuzzing: a '/' or ':' in a path part, forged cursors that PostgreSQL
        // cannot compare (an id that is no UUID, a year before 4713 BC).
        [`/api/model-ops/entities/a%2Fb/default/${MODEL}`, 404],
        [`/api/model-ops/entities/component/a%3Ab/${MODEL}/deployments`, 404],
        [
          `${entity}/deployments?cursor=${cursor([
            '2026-01-01T00:00:00Z',
            'abc',
          ])}`,
          400,
        ],
        [
          `${entity}/deployments?cursor=${cursor([
            '-271821-04-20T00:00:00Z',
            '00000000-0000-4000-8000-000000000000',
          ])}`,
          400,
        ],
      ];
      for (const [url, status] of cases) {
        const res = await request(server).get(url).set('Authorization', user);
        expect({ url, status: res.status }).toEqual({ url, status });
      }
    });
  },
);
