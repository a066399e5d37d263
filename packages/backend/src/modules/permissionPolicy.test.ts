/*
 * The portal's owner policy end to end, for every mutating route of Model Ops: a test backend
 * with the real permission backend, this package's policy module in `owners` mode and the real
 * catalog (whose permission integration applies the isEntityOwner condition), and the Model Ops
 * plugin. Each POST/PUT/PATCH/DELETE operation of the plugin's OpenAPI spec is sent by the owner
 * (alice, a member of group:default/team-a, which owns the model), by a signed-in non-owner
 * (mallory) and without a token: the owner passes the permission check, the non-owner gets a
 * 403 that writes nothing, no token gets a 401, and the guard's audit events say so.
 */
import {
  AuditorService,
  AuthService,
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  TestDatabaseId,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import permissionPlugin from '@backstage/plugin-permission-backend';
import modelOpsPlugin from '@model-ops/plugin-model-ops-backend';
// The spec the plugin's router is generated from, so that a new route gets a row here at once.
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import { spec } from '@model-ops/plugin-model-ops-backend/src/schema/openapi/generated/router';
// The engines every Model Ops database test runs on.
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import { createTestDatabases } from '@model-ops/plugin-model-ops-backend/src/__testUtils__/databases';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import permissionPolicyModule from './permissionPolicy';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const ALICE = 'user:default/alice';
const MALLORY = 'user:default/mallory';
const OWNER_GROUP = 'group:default/team-a';
const memberships: Record<string, string[]> = {
  [ALICE]: [OWNER_GROUP],
  [MALLORY]: ['group:default/team-b'],
};
const SHA = 'a'.repeat(64);
const artifact = (version: string) => ({
  uri: `file:examples/models/sentiment-classifier/${version}`,
  sha256: SHA,
});

// --- The mutating operations, read from the spec.

const MUTATING_METHODS = ['post', 'put', 'patch', 'delete'] as const;
type Method = (typeof MUTATING_METHODS)[number];
type Operation = {
  operationId: string;
  method: Method;
  path: string;
  /** The permission the description says the route needs ("Needs model-ops.x.y"). */
  permission?: string;
};

const operations: Operation[] = Object.entries(
  spec.paths as Record<string, Record<string, any>>,
).flatMap(([path, item]) =>
  MUTATING_METHODS.flatMap(method =>
    item[method]
      ? [
          {
            operationId: item[method].operationId as string,
            method,
            path,
            permission: /Needs (model-ops(?:\.[a-z-]+)+)/.exec(
              item[method].description ?? '',
            )?.[1],
          },
        ]
      : [],
  ),
);

/** Each operation acts on a model of its own, so the cases share no state. */
const modelName = (operationId: string) =>
  `model-${operationId.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`).slice(1)}`;

const modelEntity = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    title: `Model of ${name}`,
    annotations: {
      'backstage.io/managed-by-location': `url:https://models.example.com/${name}.yaml`,
      'backstage.io/managed-by-origin-location': `url:https://models.example.com/${name}.yaml`,
      'model-ops/model-id': name,
      'model-ops/runtime': 'local',
      'model-ops/strategy': 'blue-green',
      'model-ops/rules': 'default',
      'model-ops/runbook': `https://runbooks.example.com/models/${name}`,
    },
  },
  spec: { type: 'model', lifecycle: 'production', owner: OWNER_GROUP },
});

// --- What each operation needs to be a valid request, and what the owner gets.

type Harness = {
  knex: Knex;
  /** A request as alice, to prepare state. */
  asOwner: (method: Method, path: string, body?: object) => request.Test;
};

type Model = { name: string; entityRef: string };

type Case = {
  /** The guard's audit event of the route. */
  eventId: string;
  /** Prepares the model's state; returns the path parameters besides the entity's. */
  setup?: (h: Harness, model: Model) => Promise<Record<string, string>>;
  body?: (model: Model) => object;
  /** The owner's answer: the route's success, or a domain error (its name and message). */
  owner: { status: number; error?: string; message?: string };
  /** The owner's audit events, in the order they were opened. */
  ownerEvents: string[];
};

/** A pending run of the model, created by the owner (runs stay pending: no worker runs them). */
async function pendingRun(h: Harness, model: Model, version = '1.0.0') {
  const res = await h.asOwner('post', '/deployments', {
    entityRef: model.entityRef,
    version,
    artifact: artifact(version),
  });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

/** A run of the model that succeeded, as the worker would have finished it. */
async function succeededRun(h: Harness, model: Model, version: string) {
  const id = await pendingRun(h, model, version);
  const now = new Date();
  await h
    .knex('model_ops_runs')
    .where({ id })
    .update({ status: 'succeeded', started_at: now, finished_at: now });
  return id;
}

/** A running run with a canary in progress, as the worker would have started it. */
async function canaryRun(h: Harness, model: Model) {
  const id = await pendingRun(h, model, '1.1.0');
  await h
    .knex('model_ops_runs')
    .where({ id })
    .update({
      status: 'running',
      canary: JSON.stringify({
        runId: id,
        version: '1.1.0',
        slot: 'green',
        steps: [10, 50, 100],
        step: 0,
        weight: 10,
        status: 'progressing',
        analyses: [],
      }),
    });
  return id;
}

const cases: Record<string, Case> = {
  CreateDeployment: {
    eventId: 'deployment-create',
    body: model => ({
      entityRef: model.entityRef,
      version: '1.0.0',
      artifact: artifact('1.0.0'),
    }),
    owner: { status: 202 },
    ownerEvents: ['deployment-create:success'],
  },
  CancelDeployment: {
    eventId: 'deployment-cancel',
    setup: async (h, model) => ({ id: await pendingRun(h, model) }),
    owner: { status: 202 },
    ownerEvents: ['deployment-cancel:success'],
  },
  PromoteCanary: {
    eventId: 'canary-promote',
    setup: async (h, model) => ({ id: await canaryRun(h, model) }),
    owner: { status: 202 },
    ownerEvents: ['canary-promote:success'],
  },
  AbortCanary: {
    eventId: 'canary-abort',
    setup: async (h, model) => ({ id: await canaryRun(h, model) }),
    owner: { status: 202 },
    ownerEvents: ['canary-abort:success'],
  },
  RollbackModel: {
    eventId: 'deployment-rollback',
    setup: async (h, model) => {
      await succeededRun(h, model, '1.0.0');
      return {};
    },
    body: () => ({ toVersion: '1.0.0' }),
    owner: { status: 202 },
    ownerEvents: ['deployment-rollback:success'],
  },
  SwitchEnvironment: {
    eventId: 'environment-switch',
    body: () => ({ to: 'green', reason: 'owner policy test' }),
    // A real switch moves traffic between two running colors of a runtime; nothing runs here.
    owner: {
      status: 409,
      error: 'ConflictError',
      message: expect.stringContaining('has no active color yet'),
    },
    ownerEvents: ['environment-switch:fail'],
  },
  RollbackSwitch: {
    eventId: 'environment-rollback-switch',
    // The last switch moved blue (1.0.0) to green (1.1.0) and blue has been stopped since: the
    // switch back redeploys 1.0.0 through the pipeline (202), itself guarded as a rollback.
    setup: async (h, model) => {
      await succeededRun(h, model, '1.0.0');
      const now = new Date();
      await h
        .knex('model_ops_models')
        .insert({
          model_id: model.name,
          entity_ref: model.entityRef,
          production_version: '1.1.0',
          active_slot: 'green',
        })
        .onConflict('model_id')
        .merge();
      await h.knex('model_ops_switches').insert({
        id: randomUUID(),
        model_id: model.name,
        kind: 'switch',
        from_slot: 'blue',
        to_slot: 'green',
        from_version: '1.0.0',
        to_version: '1.1.0',
        requested_by: ALICE,
        status: 'succeeded',
        checks: '[]',
        started_at: now,
        finished_at: now,
      });
      return {};
    },
    body: () => ({ reason: 'owner policy test' }),
    owner: { status: 202 },
    ownerEvents: [
      'environment-rollback-switch:success',
      'deployment-rollback:success',
    ],
  },
  AcknowledgeAlert: {
    eventId: 'alert-acknowledge',
    setup: async (h, model) => ({ alertId: await firingAlert(h, model) }),
    body: () => ({ comment: 'looking into it' }),
    owner: { status: 200 },
    ownerEvents: ['alert-acknowledge:success'],
  },
  IngestAlertmanagerWebhook: {
    eventId: 'alertmanager-ingest',
    body: model => ({
      version: '4',
      alerts: [
        {
          status: 'firing',
          labels: {
            alertname: 'ModelDown',
            model_id: model.name,
            severity: 'critical',
          },
          annotations: { summary: 'down' },
          startsAt: new Date().toISOString(),
        },
      ],
    }),
    owner: { status: 200 },
    ownerEvents: ['alertmanager-ingest:success'],
  },
  ResolveAlert: {
    eventId: 'alert-resolve',
    setup: async (h, model) => ({ alertId: await firingAlert(h, model) }),
    owner: { status: 200 },
    ownerEvents: ['alert-resolve:success'],
  },
  CreateSilence: {
    eventId: 'alert-silence',
    body: () => ({
      reason: 'owner policy test',
      matchers: { alertType: ['high_error_rate'] },
      durationMinutes: 60,
    }),
    owner: { status: 201 },
    ownerEvents: ['alert-silence:success'],
  },
  ExpireSilence: {
    eventId: 'alert-silence-expire',
    setup: async (h, model) => {
      const silenceId = randomUUID();
      const now = new Date();
      await h.knex('model_ops_silences').insert({
        id: silenceId,
        model_id: model.name,
        entity_ref: model.entityRef,
        kind: 'maintenance',
        matchers: '{}',
        reason: 'owner policy test',
        created_by: ALICE,
        created_at: now,
        starts_at: now,
        ends_at: new Date(now.getTime() + 3600_000),
      });
      return { silenceId };
    },
    owner: { status: 200 },
    ownerEvents: ['alert-silence-expire:success'],
  },
};

/** A firing alert of the model, as the monitoring tick would have opened it. */
async function firingAlert(h: Harness, model: Model) {
  const id = randomUUID();
  const now = new Date();
  await h.knex('model_ops_alerts').insert({
    id,
    fingerprint: `fp-${model.name}`,
    model_id: model.name,
    entity_ref: model.entityRef,
    alert_type: 'high_error_rate',
    metric: 'errorRate',
    severity: 'critical',
    state: 'firing',
    value: 12,
    threshold: 10,
    summary: 'error rate 12 % (critical above 10 %)',
    starts_at: now,
    firing_at: now,
    updated_at: now,
  });
  return id;
}

// --- The backend's doubles.

type AuditRecord = {
  plugin: string;
  eventId: string;
  outcome: 'initiated' | 'success' | 'fail';
  authorization?: string;
  meta?: object;
  error?: { name: string; message: string };
};

/** Records every audit event of every plugin, and how it ended. */
function recordingAuditor(events: AuditRecord[]) {
  return createServiceFactory({
    service: coreServices.auditor,
    deps: { plugin: coreServices.pluginMetadata },
    factory: ({ plugin }): AuditorService => ({
      async createEvent(options) {
        const record: AuditRecord = {
          plugin: plugin.getId(),
          eventId: options.eventId,
          outcome: 'initiated',
          authorization: options.request?.headers.authorization,
          meta: options.meta,
        };
        events.push(record);
        return {
          success: async () => {
            record.outcome = 'success';
          },
          fail: async ({ error }) => {
            record.outcome = 'fail';
            record.error = { name: error.name, message: error.message };
          },
        };
      },
    }),
  });
}

/** The mock user info, with the groups each user is a member of. */
const userInfoWithGroups = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials) {
      const info = await mockServices.userInfo().getUserInfo(credentials);
      return {
        ...info,
        ownershipEntityRefs: [
          ...info.ownershipEntityRefs,
          ...(memberships[info.userEntityRef] ?? []),
        ],
      };
    },
  }),
});

/**
 * The mock auth, except that a plugin calling another on a user's behalf sends the user with
 * itself as the actor, as Backstage's own auth does (its plugin token carries the user's limited
 * token, and the receiver sees the user principal with the calling plugin as actor). The mock
 * drops the actor, and the permission backend refuses conditional requests of actor-less users
 * ("Direct user requests without a resourceRef are not allowed"), which the catalog makes to read
 * entities.
 */
const authWithActors = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }): AuthService {
    const auth = mockServices.auth({ pluginId: plugin.getId() });
    return {
      authenticate: (token, options) => auth.authenticate(token, options),
      getNoneCredentials: () => auth.getNoneCredentials(),
      getOwnServiceCredentials: () => auth.getOwnServiceCredentials(),
      isPrincipal: auth.isPrincipal.bind(auth) as AuthService['isPrincipal'],
      getLimitedUserToken: credentials => auth.getLimitedUserToken(credentials),
      listPublicServiceKeys: () => auth.listPublicServiceKeys(),
      async getPluginRequestToken(options) {
        if (auth.isPrincipal(options.onBehalfOf, 'user')) {
          return {
            token: mockCredentials.user.token(
              options.onBehalfOf.principal.userEntityRef,
              { actor: { subject: `plugin:${plugin.getId()}` } },
            ),
          };
        }
        return auth.getPluginRequestToken(options);
      },
    };
  },
});

/** Puts the models into the real catalog, as any entity provider would. */
const modelsProvider = (entities: Entity[]) =>
  createBackendModule({
    pluginId: 'catalog',
    moduleId: 'owner-policy-test-models',
    register(reg) {
      reg.registerInit({
        deps: { catalog: catalogProcessingExtensionPoint },
        async init({ catalog }) {
          catalog.addEntityProvider({
            getProviderName: () => 'owner-policy-test-models',
            connect: async connection =>
              connection.applyMutation({
                type: 'full',
                entities: entities.map(entity => ({
                  entity,
                  locationKey: 'owner-policy-test',
                })),
              }),
          });
        },
      });
    },
  });

/**
 * Every row of every Model Ops table, to show that nothing was written; but for the claims of
 * model ids, which the model index records whenever it reads the catalog, request or not.
 */
async function modelOpsRows(knex: Knex) {
  const tables: string[] =
    knex.client.config.client === 'pg'
      ? (
          await knex('pg_tables')
            .select('tablename as name')
            .whereRaw('schemaname = current_schema()')
        ).map(r => r.name)
      : (
          await knex('sqlite_master').select('name').where({ type: 'table' })
        ).map(r => r.name);
  const rows: Record<string, string[]> = {};
  for (const table of tables
    .filter(t => t.startsWith('model_ops_') && t !== 'model_ops_model_claims')
    .sort()) {
    rows[table] = (await knex(table).select())
      .map(r => JSON.stringify(r))
      .sort();
  }
  return rows;
}

describe('the mutating operations of the spec', () => {
  it('each have a case here, an audit event id and a documented permission', () => {
    expect(operations.length).toBeGreaterThan(0);
    expect(operations.map(o => o.operationId).sort()).toEqual(
      Object.keys(cases).sort(),
    );
    expect(operations.filter(o => !o.permission)).toEqual([]);
  });
});

describe.each(databases.eachSupportedId())(
  'the owner policy on %s',
  databaseId => {
    let knex: Knex;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    const audit: AuditRecord[] = [];
    const modelOpsEvents = () => audit.filter(e => e.plugin === 'model-ops');

    const callers = {
      owner: mockCredentials.user.header(ALICE),
      nonOwner: mockCredentials.user.header(MALLORY),
      none: undefined,
    };

    const send = (
      method: Method,
      path: string,
      authorization: string | undefined,
      body?: object,
    ) => {
      const req = request(server)[method](`/api/model-ops${path}`);
      if (authorization) req.set('Authorization', authorization);
      return body === undefined ? req : req.send(body);
    };

    beforeAll(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      const catalogKnex = await databases.init(databaseId as TestDatabaseId);
      const entities = operations.map(o =>
        modelEntity(modelName(o.operationId)),
      );
      const backend = await startTestBackend({
        features: [
          modelOpsPlugin,
          catalogPlugin,
          modelsProvider(entities),
          permissionPlugin,
          permissionPolicyModule,
          recordingAuditor(audit),
          userInfoWithGroups,
          authWithActors,
          // Model Ops on the database under test, the catalog on one of its own.
          createServiceFactory({
            service: coreServices.database,
            deps: { plugin: coreServices.pluginMetadata },
            factory: ({ plugin }) =>
              mockServices.database({
                knex: plugin.getId() === 'model-ops' ? knex : catalogKnex,
              }),
          }),
          // Requests without a token have no credentials (the default is a mock user).
          mockServices.httpAuth.factory({
            defaultCredentials: mockCredentials.none(),
          }),
          mockServices.rootConfig.factory({
            data: {
              permission: { enabled: true },
              portal: { permissionPolicy: 'owners' },
              modelOps: {
                // No worker: runs stay as the cases leave them.
                pipeline: { maxConcurrentRuns: 0 },
                artifacts: { fileRoots: ['examples/models'] },
              },
            },
          }),
        ],
      });
      server = backend.server;

      // The catalog processes the models in the background; wait until each has its owner.
      const deadline = Date.now() + 30_000;
      for (const entity of entities) {
        for (;;) {
          const res = await request(server)
            .get(
              `/api/catalog/entities/by-name/component/default/${entity.metadata.name}`,
            )
            .set('Authorization', callers.owner);
          if (
            res.status === 200 &&
            res.body.relations?.some(
              (r: { type: string; targetRef: string }) =>
                r.type === 'ownedBy' && r.targetRef === OWNER_GROUP,
            )
          ) {
            break;
          }
          if (Date.now() > deadline) {
            throw new Error(
              `The catalog did not process ${entity.metadata.name}: ${
                res.status
              } ${JSON.stringify(res.body)}`,
            );
          }
          await new Promise(resolve => setTimeout(resolve, 100));
        }
      }
    });

    it.each(operations.map(o => [o.operationId, o] as const))(
      '%s: the owner passes, a non-owner gets 403 and writes nothing, no token gets 401',
      async (operationId, operation) => {
        const c = cases[operationId];
        expect(c).toBeDefined();
        const name = modelName(operationId);
        const model = { name, entityRef: `component:default/${name}` };
        const harness: Harness = {
          knex,
          asOwner: (method, path, body) =>
            send(method, path, callers.owner, body),
        };
        const params: Record<string, string> = {
          kind: 'component',
          namespace: 'default',
          name,
          ...(await c.setup?.(harness, model)),
        };
        const path = operation.path.replace(/\{(\w+)\}/g, (_, p) => {
          expect(params[p]).toBeDefined();
          return encodeURIComponent(params[p]);
        });
        const body =
          c.body?.(model) ?? (operation.method === 'delete' ? undefined : {});
        const call = (authorization: string | undefined) =>
          send(operation.method, path, authorization, body);

        // A signed-in user who does not own the model: refused, audited, nothing written.
        const before = await modelOpsRows(knex);
        audit.length = 0;
        const refused = await call(callers.nonOwner);
        expect({
          status: refused.status,
          error: refused.body.error,
        }).toEqual({
          status: 403,
          error: expect.objectContaining({
            name: 'NotAllowedError',
            message: `You are not allowed to ${operation.permission} on ${model.entityRef}`,
          }),
        });
        expect(modelOpsEvents()).toEqual([
          expect.objectContaining({
            eventId: c.eventId,
            outcome: 'fail',
            authorization: callers.nonOwner,
            meta: expect.objectContaining({ entityRef: model.entityRef }),
            error: expect.objectContaining({ name: 'NotAllowedError' }),
          }),
        ]);
        expect(await modelOpsRows(knex)).toEqual(before);

        // No token: refused before anything else, nothing written, and audited by the plugin's
        // own credentials barrier.
        audit.length = 0;
        const anonymous = await call(callers.none);
        expect({
          status: anonymous.status,
          name: anonymous.body.error?.name,
        }).toEqual({ status: 401, name: 'AuthenticationError' });
        expect(modelOpsEvents()).toEqual([
          expect.objectContaining({
            eventId: 'request-unauthenticated',
            outcome: 'fail',
            error: expect.objectContaining({ name: 'AuthenticationError' }),
          }),
        ]);
        expect(await modelOpsRows(knex)).toEqual(before);

        // The owner: past the permission check, to the route's answer.
        audit.length = 0;
        const allowed = await call(callers.owner);
        expect({
          status: allowed.status,
          error: allowed.body.error?.name,
          message: allowed.body.error?.message,
        }).toEqual({
          status: c.owner.status,
          error: c.owner.error,
          message: c.owner.message,
        });
        const events = modelOpsEvents();
        expect(events.map(e => `${e.eventId}:${e.outcome}`)).toEqual(
          c.ownerEvents,
        );
        for (const event of events) {
          expect(event.authorization).toBe(callers.owner);
          expect(event.error?.name).not.toBe('NotAllowedError');
        }
        // A success writes; a domain refusal, like the non-owner's, writes nothing.
        const after = await modelOpsRows(knex);
        expect(JSON.stringify(after) !== JSON.stringify(before)).toBe(
          c.owner.status < 300,
        );
      },
    );
  },
);
