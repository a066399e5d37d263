/*
 * Property-based fuzzing of every route of the OpenAPI document, through a real test backend
 * on every database: path parameters, query parameters and bodies derived from the schema,
 * valid and broken, sent with and without credentials. Whatever comes in:
 *
 * - the answer is never a 5xx;
 * - every 4xx carries a Backstage error body ({error: {name, message}, response: {statusCode}});
 * - a mutation that is refused (4xx) leaves every model-ops table as it was: the same rows,
 *   unchanged (no partial write);
 * - a 2xx is a documented status, its body matches the documented schema, and it never goes to
 *   a caller without credentials (nor a mutation to a service that is not allowlisted).
 *
 * The backend executes no runs (`pipeline.maxConcurrentRuns: 0`): a deployment the fuzzer gets
 * accepted stays pending and launches nothing; the test deletes it again so every request
 * meets the same world. Scheduled tasks run once at start-up (the mock scheduler), before the
 * tables are seeded, so nothing else writes while the fuzzer compares tables.
 *
 * FUZZ_SEED (default 4242) fixes fast-check's seeds (operation i uses FUZZ_SEED + i), FUZZ_RUNS
 * (default 200) the requests per operation, FUZZ_STATS=1 prints how often each status came.
 * A failure prints the shrunk request, the answer and the backend's log lines.
 */
import {
  LoggerService,
  RootLoggerService,
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
import { JsonObject } from '@backstage/types';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ANNOTATION_MODEL_ID,
  ANNOTATION_STRATEGY,
} from '@model-ops/plugin-model-ops-common';
import fc from 'fast-check';
import { Knex } from 'knex';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  FuzzOperation,
  FuzzRequest,
  FuzzWorld,
  authorizationOf,
  describeRequest,
  fuzzOperations,
  matchesTemplate,
  requestArbitrary,
  toJson,
  tokenArbitrary,
} from '../__testUtils__/fuzz';
import {
  churn,
  component,
  config,
  fraud,
  schemaErrors,
  sentiment,
  website,
} from '../__testUtils__/plugin';
import { modelOpsPlugin } from '../plugin';
import { spec } from '../schema/openapi/generated/router';

const SEED = Number(process.env.FUZZ_SEED ?? 4242);
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Per operation: generous for RUNS requests, bounded when a failure shrinks for long. */
const TIME_LIMIT_MS = Math.max(15_000, RUNS * 25);

jest.setTimeout(TIME_LIMIT_MS * 2 + 30_000);

const databases = createTestDatabases();
const artifacts = createMockDirectory();
const operations = fuzzOperations();

const recommender = component('recommender', {
  [ANNOTATION_MODEL_ID]: 'recommender',
  [ANNOTATION_STRATEGY]: 'canary',
});
const locked = component('locked-model', {
  [ANNOTATION_MODEL_ID]: 'locked-model',
});
const entities: Entity[] = [
  sentiment,
  fraud,
  churn,
  website,
  recommender,
  locked,
];

const SHA = 'a'.repeat(64);
const RUN = {
  fraudOld: '11111111-1111-4111-8111-111111111111',
  fraudProduction: '22222222-2222-4222-8222-222222222222',
  canary: '33333333-3333-4333-8333-333333333333',
  failed: '44444444-4444-4444-8444-444444444444',
  locked: '55555555-5555-4555-8555-555555555555',
};
const SEEDED_RUNS = Object.values(RUN);
const ALERT_ID = '77777777-7777-4777-8777-777777777777';
const SILENCE_ID = '99999999-9999-4999-8999-999999999999';
const INCIDENT_ID = '66666666-6666-4666-8666-666666666666';

const world: FuzzWorld = {
  entities: entities.map(e => ({
    kind: e.kind,
    namespace: e.metadata.namespace ?? 'default',
    name: e.metadata.name,
  })),
  runIds: SEEDED_RUNS,
  alertIds: [ALERT_ID],
  pathIds: {
    silenceId: [SILENCE_ID, 'maintenance:weekly'],
    incidentId: [INCIDENT_ID],
  },
  versions: ['1.0.0', '1.1.0', '2.0.0', '9.9.9'],
  artifactUris: [
    'file:models/fraud-detector/1.0.0',
    'file:models/fraud-detector/2.0.0',
    'file:models/recommender/2.0.0',
    'file:models/missing/1.0.0',
    'file:models/../../etc',
    'file:/etc/passwd',
    'file:',
    'http://127.0.0.1:9/model/1.0.0',
    'https://artifacts.example.com/m/1',
    'FILE:models/fraud-detector/1.0.0',
  ],
  sha256s: [SHA, 'A'.repeat(64)],
};

/** The backend's log lines, to show next to a failing request. */
class CapturingLogger implements RootLoggerService {
  constructor(
    private readonly lines: string[],
    private readonly fields: Record<string, unknown> = {},
  ) {}
  error(message: string, meta?: Error | JsonObject) {
    this.push('error', message, meta);
  }
  warn(message: string, meta?: Error | JsonObject) {
    this.push('warn', message, meta);
  }
  info(message: string, meta?: Error | JsonObject) {
    this.push('info', message, meta);
  }
  debug() {}
  child(meta: JsonObject): LoggerService {
    return new CapturingLogger(this.lines, { ...this.fields, ...meta });
  }
  private push(level: string, message: string, meta?: Error | JsonObject) {
    const labels = Object.entries(this.fields)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    let detail = '';
    if (meta instanceof Error) detail = `\n${meta.stack ?? meta}`;
    else if (meta) detail = ` ${JSON.stringify(meta).slice(0, 2000)}`;
    this.lines.push(`${level} [${labels}] ${message}${detail}`);
    if (this.lines.length > 2000) this.lines.splice(0, 1000);
  }
}

type Snapshot = Record<string, string[]>;

describe.each(databases.eachSupportedId())(
  'fuzzing every route on %s',
  databaseId => {
    let knex: Knex;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let tables: string[];
    /** The seeded alert's row, to put back after an acknowledgement or resolution. */
    let seededAlert: Record<string, unknown>;
    let seededIncident: Record<string, unknown>;
    const logs: string[] = [];
    /** How often each operation answered each status, shown with FUZZ_STATS=1. */
    const statuses: Record<string, Record<number, number>> = {};

    afterAll(() => {
      if (process.env.FUZZ_STATS) {
        // eslint-disable-next-line no-console
        console.log(
          `Statuses on ${databaseId}:\n${Object.entries(statuses)
            .map(([title, counts]) => `  ${title} ${JSON.stringify(counts)}`)
            .join('\n')}`,
        );
      }
    });

    beforeAll(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      artifacts.setContent({
        'models/fraud-detector/1.0.0/manifest.json': '{}',
        'models/fraud-detector/1.1.0/manifest.json': '{}',
        'models/fraud-detector/2.0.0/manifest.json': '{}',
        'models/recommender/2.0.0/manifest.json': '{}',
      });
      const backend = await startTestBackend({
        features: [
          modelOpsPlugin,
          createServiceFactory({
            service: catalogServiceRef,
            deps: {},
            factory: () => catalogServiceMock({ entities }),
          }),
          createServiceFactory({
            service: coreServices.rootLogger,
            deps: {},
            factory: () => new CapturingLogger(logs),
          }),
          // Denies everything on the locked model, so the refusals are fuzzed too.
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
                ...config.modelOps,
                pipeline: { maxConcurrentRuns: 0 },
                artifacts: { fileRoot: artifacts.path, fileRoots: ['models'] },
                permissions: {
                  allowedServicePrincipals: ['plugin:scaffolder'],
                },
              },
            },
          }),
          mockServices.httpAuth.factory({
            defaultCredentials: mockCredentials.none(),
          }),
        ],
      });
      server = backend.server;
      await seed(knex);
      seededAlert = await knex('model_ops_alerts')
        .where({ id: ALERT_ID })
        .first();
      seededIncident = await knex('model_ops_incidents')
        .where({ id: INCIDENT_ID })
        .first();
      tables = await listTables(knex, databaseId);
      // A real page cursor, for the fuzzer to replay, cut and forge.
      const page = await request(server)
        .get(
          '/api/model-ops/entities/component/default/fraud-detector/deployments?limit=1',
        )
        .set('Authorization', authorizationOf('user')!);
      if (typeof page.body.nextCursor !== 'string') {
        throw new Error(`No page cursor from the seeded runs: ${page.text}`);
      }
      world.queryValues = { cursor: tokenArbitrary([page.body.nextCursor]) };
    });

    async function snapshot(): Promise<Snapshot> {
      const entries = await Promise.all(
        tables.map(async table => {
          const rows = await knex(table).select();
          return [table, rows.map(row => JSON.stringify(row)).sort()] as const;
        }),
      );
      return Object.fromEntries(entries);
    }

    /** Puts the runs back as seeded after an accepted mutation. */
    async function restore() {
      const created = await knex('model_ops_runs')
        .whereNotIn('id', SEEDED_RUNS)
        .pluck('id');
      if (created.length > 0) {
        await knex('model_ops_run_stages').whereIn('run_id', created).delete();
        await knex('model_ops_runs').whereIn('id', created).delete();
      }
      await knex('model_ops_runs')
        .whereIn('id', SEEDED_RUNS)
        .update({ cancel_requested: false, canary_command: null });
      // An acknowledged or resolved alert, and the notifications it wrote.
      await knex('model_ops_alerts')
        .where({ id: ALERT_ID })
        .update(seededAlert);
      await knex('model_ops_alert_deliveries')
        .whereNot({ id: '88888888-8888-4888-8888-888888888888' })
        .delete();
      // A resolution resolves the incident; a silence made or expired.
      await knex('model_ops_incidents')
        .where({ id: INCIDENT_ID })
        .update(seededIncident);
      await knex('model_ops_silences').whereNot({ id: SILENCE_ID }).delete();
      await knex('model_ops_silences')
        .where({ id: SILENCE_ID })
        .update({ expired_at: null, expired_by: null });
    }

    function send(req: FuzzRequest) {
      let call = request(server)[req.method](`/api/model-ops${req.url}`);
      const authorization = authorizationOf(req.credential);
      if (authorization) call = call.set('Authorization', authorization);
      if (req.body.kind === 'json') {
        call = call
          .set('Content-Type', 'application/json')
          .send(toJson(req.body.value));
      } else if (req.body.kind === 'raw') {
        call = call
          .set('Content-Type', req.body.contentType)
          .send(req.body.text);
      }
      return call;
    }

    async function check(op: FuzzOperation, req: FuzzRequest) {
      const before = op.mutating ? await snapshot() : undefined;
      const firstLog = logs.length;
      const res = await send(req);
      const after = op.mutating ? await snapshot() : undefined;
      // An accepted mutation is undone at once, so that the next request (and the shrinking
      // of a failure) meets the seeded world again.
      if (op.mutating && res.status >= 200 && res.status < 300) await restore();
      const report = (problem: string) =>
        new Error(
          [
            problem,
            `request:  ${describeRequest(req)}`,
            `response: ${res.status} ${
              res.headers['content-type'] ?? ''
            } ${res.text.slice(0, 1500)}`,
            'backend log:',
            ...logs.slice(firstLog).map(line => `  ${line}`),
          ].join('\n'),
        );

      const counts = (statuses[op.title] ??= {});
      counts[res.status] = (counts[res.status] ?? 0) + 1;
      if (res.status >= 500) throw report(`answered ${res.status}`);

      const unauthenticated =
        req.credential === 'none' || req.credential === 'bad-token';
      if (res.status >= 400) {
        const pathname = new URL(req.url, 'http://x').pathname;
        // A URL that is not the route's (a segment gone empty or resolved as `.`/`..`) never
        // reaches the plugin's routes: the root router's bare 404 is the answer then.
        const bareNotFound =
          res.status === 404 &&
          res.text === '' &&
          !matchesTemplate(op, pathname);
        if (!bareNotFound) {
          const errors = schemaErrors(res.body, spec.components.schemas.Error);
          if (
            errors.length > 0 ||
            !res.headers['content-type']?.startsWith('application/json') ||
            res.body.response?.statusCode !== res.status
          ) {
            throw report(
              `a ${res.status} without a Backstage error body: ${errors.join(
                '; ',
              )}`,
            );
          }
        }
        if (op.mutating) {
          const changes = diff(tables, before!, after!);
          if (changes) {
            throw report(`a refused ${op.title} wrote:\n${changes}`);
          }
        }
        return;
      }

      if (res.status >= 200 && res.status < 300) {
        if (unauthenticated) throw report('a 2xx without credentials');
        if (op.mutating && req.credential === 'other-service') {
          throw report('a mutation by a service that is not allowlisted');
        }
        const schema = op.responses[String(res.status)];
        if (!(String(res.status) in op.responses)) {
          throw report(`${res.status} is not a documented status`);
        }
        const errors = schema ? schemaErrors(res.body, schema) : [];
        if (errors.length > 0) {
          throw report(
            `the body does not match the schema: ${errors.join('; ')}`,
          );
        }
        return;
      }
      throw report(`unexpected status ${res.status}`);
    }

    it('fuzzes every operation of the document', () => {
      const documented = Object.values(spec.paths).flatMap(item =>
        Object.keys(item).filter(key =>
          ['get', 'put', 'post', 'patch', 'delete'].includes(key),
        ),
      );
      expect(operations).toHaveLength(documented.length);
    });

    it('compares every model-ops table, seeded', async () => {
      expect(tables).toEqual(
        expect.arrayContaining([
          'model_ops_alerts',
          'model_ops_models',
          'model_ops_run_stages',
          'model_ops_runs',
          'model_ops_samples',
          'model_ops_slots',
          'model_ops_switches',
          'model_ops_versions',
        ]),
      );
      const seeded = await snapshot();
      expect(tables.filter(table => seeded[table].length === 0)).toEqual([
        'model_ops_samples_hourly',
      ]);
    });

    it.each(operations.map((op, index) => [op.title, op, index] as const))(
      '%s: never a 5xx, a Backstage error on 4xx, no write when refused',
      async (_, op, index) => {
        const sent = () =>
          Object.values(statuses[op.title] ?? {}).reduce((a, b) => a + b, 0);
        const before = sent();
        await fc.assert(
          fc.asyncProperty(requestArbitrary(op, world), req => check(op, req)),
          {
            // Each operation its own sequence, all fixed by FUZZ_SEED.
            seed: SEED + index,
            numRuns: RUNS,
            // Shrinking a failure sends many requests; stop it rather than the test timing out.
            interruptAfterTimeLimit: TIME_LIMIT_MS,
          },
        );
        expect(sent() - before).toBeGreaterThan(0);
      },
    );
  },
);

function diff(
  tables: string[],
  before: Snapshot,
  after: Snapshot,
): string | undefined {
  const lines: string[] = [];
  for (const table of tables) {
    const was = before[table];
    const is = after[table];
    if (was.join('\n') === is.join('\n')) continue;
    const old = new Set(was);
    const added = is.filter(row => !old.has(row));
    lines.push(
      was.length === is.length
        ? `  ${table}: rows changed`
        : `  ${table}: ${was.length} → ${is.length} rows`,
      ...added.slice(0, 3).map(row => `    + ${row.slice(0, 400)}`),
    );
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

async function listTables(knex: Knex, databaseId: string): Promise<string[]> {
  const rows: Array<{ name: string }> = databaseId.startsWith('SQLITE')
    ? await knex('sqlite_master')
        .where({ type: 'table' })
        .whereNot('name', 'like', 'sqlite_%')
        .select('name')
    : await knex('information_schema.tables')
        .where('table_schema', knex.raw('current_schema()'))
        .andWhere('table_type', 'BASE TABLE')
        .select('table_name as name');
  return rows
    .map(row => row.name)
    .filter(name => !name.startsWith('knex_migrations'))
    .sort();
}

/**
 * A world with something in every table the routes read: two succeeded fraud-detector
 * versions (blue runs 1.1.0, green was stopped after a switch, so a rollback-switch redeploys),
 * a canary of the recommender in progress (so promote and abort reach the store), a failed run,
 * a run of the locked model, samples and a firing alert.
 */
async function seed(knex: Knex) {
  const now = Date.now();
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
  await knex('model_ops_models').insert([
    {
      model_id: 'fraud',
      entity_ref: 'component:default/fraud-detector',
      production_version: '1.1.0',
      active_slot: 'blue',
      status: 'warning',
    },
    {
      model_id: 'recommender',
      entity_ref: 'component:default/recommender',
      production_version: '1.0.0',
      active_slot: 'blue',
      status: 'healthy',
    },
  ]);
  await knex('model_ops_slots').insert([
    {
      model_id: 'fraud',
      slot: 'blue',
      version: '1.1.0',
      endpoint: 'http://127.0.0.1:9',
      state: 'running',
      traffic_weight: 100,
      updated_at: at(60),
    },
    {
      model_id: 'fraud',
      slot: 'green',
      version: '1.0.0',
      state: 'stopped',
      traffic_weight: 0,
      updated_at: at(60),
    },
    {
      model_id: 'recommender',
      slot: 'blue',
      version: '1.0.0',
      endpoint: 'http://127.0.0.1:9',
      state: 'running',
      traffic_weight: 90,
      updated_at: at(5),
    },
    {
      model_id: 'recommender',
      slot: 'green',
      version: '2.0.0',
      endpoint: 'http://127.0.0.1:9',
      state: 'running',
      traffic_weight: 10,
      updated_at: at(5),
    },
  ]);
  await knex('model_ops_versions').insert([
    {
      model_id: 'fraud',
      version: '1.0.0',
      artifact_uri: 'file:models/fraud-detector/1.0.0',
      sha256: SHA,
      status: 'retired',
    },
    {
      model_id: 'fraud',
      version: '1.1.0',
      artifact_uri: 'file:models/fraud-detector/1.1.0',
      sha256: SHA,
      status: 'deployed',
    },
  ]);
  const run = (
    id: string,
    fields: Record<string, unknown>,
    finishedMinutesAgo?: number,
  ) => ({
    id,
    kind: 'deploy',
    sha256: SHA,
    config: '{}',
    strategy: 'blue-green',
    runtime: 'local',
    rules: 'default',
    cancel_requested: false,
    created_by: 'user:default/guest',
    created_at: at((finishedMinutesAgo ?? 5) + 10),
    started_at: at((finishedMinutesAgo ?? 5) + 9),
    finished_at:
      finishedMinutesAgo === undefined ? null : at(finishedMinutesAgo),
    ...fields,
  });
  await knex('model_ops_runs').insert([
    run(
      RUN.fraudOld,
      {
        model_id: 'fraud',
        entity_ref: 'component:default/fraud-detector',
        version: '1.0.0',
        artifact_uri: 'file:models/fraud-detector/1.0.0',
        status: 'succeeded',
      },
      300,
    ),
    run(
      RUN.fraudProduction,
      {
        model_id: 'fraud',
        entity_ref: 'component:default/fraud-detector',
        version: '1.1.0',
        artifact_uri: 'file:models/fraud-detector/1.1.0',
        status: 'succeeded',
        previous_version: '1.0.0',
      },
      120,
    ),
    run(RUN.canary, {
      model_id: 'recommender',
      entity_ref: 'component:default/recommender',
      version: '2.0.0',
      artifact_uri: 'file:models/recommender/2.0.0',
      strategy: 'canary',
      status: 'running',
      stage: 'production',
      previous_version: '1.0.0',
      lease_owner: 'worker-elsewhere',
      lease_expires_at: at(-60),
      canary: JSON.stringify({
        runId: RUN.canary,
        version: '2.0.0',
        slot: 'green',
        steps: [10, 50, 100],
        step: 0,
        weight: 10,
        status: 'progressing',
        analyses: [],
      }),
    }),
    run(
      RUN.failed,
      {
        model_id: 'sentiment',
        entity_ref: 'component:default/sentiment-classifier',
        version: '2.0.0',
        artifact_uri: 'file:models/sentiment/2.0.0',
        status: 'failed',
        stage: 'validation',
        error: 'Checksum mismatch',
      },
      30,
    ),
    run(
      RUN.locked,
      {
        model_id: 'locked-model',
        entity_ref: 'component:default/locked-model',
        version: '1.0.0',
        artifact_uri: 'file:models/locked-model/1.0.0',
        status: 'succeeded',
      },
      60,
    ),
  ]);
  const stages = (runId: string, statuses: string[]) =>
    ['validation', 'testing', 'staging', 'production'].map((name, i) => ({
      run_id: runId,
      name,
      position: i,
      status: statuses[i],
      checks: '[]',
      errors: '[]',
      metrics: '{}',
    }));
  const succeeded = ['succeeded', 'succeeded', 'succeeded', 'succeeded'];
  await knex('model_ops_run_stages').insert([
    ...stages(RUN.fraudOld, succeeded),
    ...stages(RUN.fraudProduction, succeeded),
    ...stages(RUN.canary, ['succeeded', 'succeeded', 'succeeded', 'running']),
    ...stages(RUN.failed, ['failed', 'skipped', 'skipped', 'skipped']),
    ...stages(RUN.locked, succeeded),
  ]);
  await knex('model_ops_switches').insert({
    id: '66666666-6666-4666-8666-666666666666',
    model_id: 'fraud',
    kind: 'deployment',
    from_slot: 'green',
    to_slot: 'blue',
    from_version: '1.0.0',
    to_version: '1.1.0',
    requested_by: 'user:default/guest',
    run_id: RUN.fraudProduction,
    status: 'succeeded',
    checks: '[]',
    started_at: at(121),
    finished_at: at(120),
  });
  await knex('model_ops_samples').insert(
    [1, 2, 3].map(minutesAgo => ({
      model_id: 'fraud',
      slot: 'blue',
      metric: 'responseTimeP95',
      bucket_start: new Date(
        Math.floor((now - minutesAgo * 60_000) / 60_000) * 60_000,
      ),
      value: 300 + minutesAgo,
      sampled_at: at(minutesAgo),
    })),
  );
  await knex('model_ops_seeded_history').insert({
    model_id: 'fraud',
    seeded_from: at(30 * 24 * 60),
    seeded_to: at(24 * 60),
    seeded_at: at(24 * 60),
    completed_at: at(24 * 60 - 1),
    source: 'demo-traffic',
    note: 'fuzz seed: a finished seeding of 29 days',
    lease_owner: null,
    lease_expires_at: null,
  });
  await knex('model_ops_capacity_summaries').insert({
    model_id: 'fraud',
    period: '7d',
    computed_at: at(10),
    monthly_cost: 72,
    currency: 'USD',
    cost_basis: 'current',
    top_recommendation: JSON.stringify({
      id: 'growth',
      type: 'planning',
      priority: 'medium',
      title: 'fuzz seed: plan for growth',
    }),
    recommendations: 1,
    seeded: true,
  });
  await knex('model_ops_alerts').insert({
    id: ALERT_ID,
    fingerprint: 'f'.repeat(64),
    model_id: 'fraud',
    entity_ref: 'component:default/fraud-detector',
    alert_type: 'slow',
    metric: 'responseTimeP95',
    slot: 'blue',
    severity: 'warning',
    state: 'firing',
    value: 301,
    threshold: 200,
    summary: 'responseTimeP95 301 above 200',
    starts_at: at(3),
    firing_at: at(2),
    last_notified_at: at(2),
    incident_id: INCIDENT_ID,
    version: '1.0.0',
    updated_at: at(1),
  });
  await knex('model_ops_incidents').insert({
    id: INCIDENT_ID,
    model_id: 'fraud',
    entity_ref: 'component:default/fraud-detector',
    state: 'open',
    title: 'fraud: slow',
    severity: 'warning',
    opened_at: at(2),
    updated_at: at(2),
  });
  await knex('model_ops_silences').insert({
    id: SILENCE_ID,
    model_id: 'fraud',
    entity_ref: 'component:default/fraud-detector',
    kind: 'silence',
    matchers: JSON.stringify({ alertType: ['other'] }),
    reason: 'seeded',
    created_by: 'user:default/guest',
    created_at: at(5),
    starts_at: at(5),
    ends_at: new Date(now + 24 * 3600_000),
  });
  await knex('model_ops_alert_deliveries').insert({
    id: '88888888-8888-4888-8888-888888888888',
    dedup_key: `firing:${ALERT_ID}:webhook`,
    model_id: 'fraud',
    channel_id: 'webhook',
    route: 'default',
    kind: 'firing',
    alert_ids: JSON.stringify([ALERT_ID]),
    order_key: ALERT_ID,
    payload: JSON.stringify({ id: '88888888-8888-4888-8888-888888888888' }),
    status: 'sent',
    attempts: 1,
    created_at: at(2),
    next_attempt_at: at(2),
    sent_at: at(2),
  });
  const [delivery] = await knex('model_ops_alert_deliveries').pluck('seq');
  await knex('model_ops_alert_delivery_attempts').insert({
    delivery_seq: delivery,
    attempted_at: at(2),
    ok: true,
    status: 200,
    detail: 'HTTP 200',
    latency_ms: 3,
    worker: 'delivery-seed',
  });
}
