import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import express from 'express';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { createRouter } from '../service/router';
import { spec } from './openapi/generated';

const packageDir = path.resolve(__dirname, '../..');
const script = path.join(packageDir, 'scripts/generate-openapi.mjs');
const yamlPath = path.join(packageDir, 'src/schema/openapi.yaml');

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const RUN_ID = '00000000-0000-4000-8000-000000000000';
const ENTITY = '/entities/component/default/sentiment-classifier';
// The spec declares a bearer token on every route, and its validator checks that one is sent.
const USER = mockCredentials.user.header();
const get = (server: express.Express, url: string) =>
  request(server).get(url).set('Authorization', USER);

/** `/entities/:kind/:name` as OpenAPI writes it: `/entities/{kind}/{name}`. */
const toOpenApiPath = (expressPath: string) =>
  expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Services that record what the router handed them and answer with nothing much. */
function fakeServices() {
  const calls: Array<{ method: string; args: unknown[] }> = [];
  const service = (answer: unknown = {}) =>
    new Proxy(
      {},
      {
        get:
          (_, method: string) =>
          async (...args: unknown[]) => {
            calls.push({ method, args });
            return answer;
          },
      },
    );
  return {
    calls,
    services: {
      models: service([]),
      deployments: service({ id: RUN_ID }),
      environments: service({ id: 'switch' }),
      monitoring: service([]),
    },
  };
}

async function app() {
  const { calls, services } = fakeServices();
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
    ...services,
  } as unknown as Parameters<typeof createRouter>[0]);
  const server = express()
    .use(router)
    .use(
      MiddlewareFactory.create({
        config: mockServices.rootConfig(),
        logger: mockServices.logger.mock(),
      }).error(),
    );
  return { server, calls };
}

async function registeredRoutes(): Promise<string[]> {
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
  } as unknown as Parameters<typeof createRouter>[0]);
  type Layer = {
    route?: { path: string; methods: object };
    handle?: { stack?: Layer[] };
  };
  const routes: string[] = [];
  // The router is the credentials barrier in front of the validated router: walk both.
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.handle?.stack) walk(layer.handle.stack);
      if (!layer.route) continue;
      for (const method of Object.keys(layer.route.methods)) {
        routes.push(
          `${method.toUpperCase()} ${toOpenApiPath(layer.route.path)}`,
        );
      }
    }
  };
  walk((router as unknown as { stack: Layer[] }).stack);
  return routes;
}

function specRoutes(): string[] {
  const routes: string[] = [];
  for (const [route, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      if (method in item) routes.push(`${method.toUpperCase()} ${route}`);
    }
  }
  return routes;
}

describe('the OpenAPI spec', () => {
  it('is what scripts/generate-openapi.mjs renders from openapi.yaml, every generated file of it', () => {
    const stale = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { readFileSync } from 'node:fs';
         import { render, staleFiles } from ${JSON.stringify(
           pathToFileURL(script).href,
         )};
         const files = render(readFileSync(${JSON.stringify(
           yamlPath,
         )}, 'utf8'));
         process.stdout.write(JSON.stringify({ count: Object.keys(files).length, stale: staleFiles(files) }));`,
      ],
      { encoding: 'utf8' },
    );
    const result = JSON.parse(stale);
    // A router, an endpoint map and a client besides the models of each side.
    expect(result.count).toBeGreaterThan(
      2 * Object.keys(spec.components.schemas).length,
    );
    expect(result.stale).toEqual([]);
  });

  it('passes the generator’s --check', () => {
    const result = spawnSync(process.execPath, [script, '--check'], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('documents every route the router registers, and no other', async () => {
    const registered = await registeredRoutes();
    expect(registered).toEqual(
      expect.arrayContaining([
        'GET /models',
        'GET /entities/{kind}/{namespace}/{name}',
      ]),
    );
    const documented = specRoutes();
    // The validated router serves its own spec; that route is not part of the API.
    const apiRoutes = registered.filter(r => !r.endsWith('/openapi.json'));
    expect(apiRoutes.length).toBeGreaterThan(0);
    expect([...apiRoutes].sort()).toEqual([...documented].sort());
  });

  it('declares the path parameters of every route', () => {
    type Parameter = { $ref?: string; in?: string; name?: string };
    const resolve = (p: Parameter): Parameter =>
      p.$ref
        ? (spec.components.parameters as Record<string, Parameter>)[
            p.$ref.split('/').pop()!
          ]
        : p;
    for (const [route, item] of Object.entries(spec.paths)) {
      const inPath = [...route.matchAll(/\{([^}]+)\}/g)].map(m => m[1]).sort();
      for (const method of METHODS) {
        const operation = (item as Record<string, any>)[method];
        if (!operation) continue;
        const declared = [
          ...((item as { parameters?: Parameter[] }).parameters ?? []),
          ...(operation.parameters ?? []),
        ]
          .map(resolve)
          .filter(p => p.in === 'path')
          .map(p => p.name)
          .sort();
        expect({ route, method, params: declared }).toEqual({
          route,
          method,
          params: inPath,
        });
        expect(operation.operationId).toEqual(expect.any(String));
        expect(operation.responses['401']).toBeDefined();
      }
    }
  });

  it('closes every request body to unknown fields', () => {
    const schemas = spec.components.schemas as Record<
      string,
      { additionalProperties?: unknown }
    >;
    // Bodies of another system's format stay open: Alertmanager adds fields to its webhook
    // payload across versions (`truncatedAlerts`, `notification_reason`, `routeLabels`), all as
    // version 4, and a receiver that refused them would lose alerts after an upgrade.
    const openByDesign = ['#/components/schemas/AlertmanagerWebhook'];
    for (const item of Object.values(spec.paths)) {
      for (const method of METHODS) {
        const body = (item as Record<string, any>)[method]?.requestBody;
        if (!body) continue;
        const ref: string = body.content['application/json'].schema.$ref;
        if (openByDesign.includes(ref)) continue;
        expect({
          ref,
          additionalProperties:
            schemas[ref.split('/').pop()!].additionalProperties,
        }).toEqual({
          ref,
          additionalProperties: false,
        });
      }
    }
  });
});

describe('the validated router', () => {
  it.each([
    [
      'POST',
      '/deployments',
      { version: '1.0.0', artifact: {} },
      /request\/body must have required property 'entityRef'/,
    ],
    [
      'POST',
      '/deployments',
      {
        entityRef: 'component:default/x',
        version: '1.0.0',
        artifact: { uri: 'file:x', sha256: 'abc' },
      },
      /request\/body\/artifact\/sha256 must match pattern/,
    ],
    [
      'POST',
      '/deployments',
      {
        entityRef: 'component:default/x',
        version: '1.0.0',
        artifact: { uri: 'file:x', sha256: 'a'.repeat(64) },
        strategy: 'big-bang',
      },
      /request\/body\/strategy must be equal to one of the allowed values: blue-green, canary, recreate/,
    ],
    [
      'POST',
      '/deployments',
      {
        entityRef: 'component:default/x',
        version: '1.0.0',
        artifact: { uri: 'file:x', sha256: 'a'.repeat(64) },
        extra: 1,
      },
      /^The "extra" property is not allowed; the body takes entityRef, version, artifact, config, strategy/,
    ],
    [
      'POST',
      '/deployments',
      {
        entityRef: 'component:default/x',
        version: '1.0.0',
        artifact: { uri: 'file:x', sha256: 'a'.repeat(64), size: 3 },
      },
      /^The "artifact.size" property is not allowed; artifact takes uri, sha256/,
    ],
    [
      'POST',
      `${ENTITY}/silences`,
      { reason: 'x', durationMinutes: 5, matchers: { model: ['m'] } },
      /^The "matchers.model" property is not allowed; matchers takes alertType, severity, slot/,
    ],
    [
      'GET',
      '/deployments/not-a-uuid',
      undefined,
      /request\/params\/id must match format "uuid"/,
    ],
    [
      'POST',
      `/deployments/${RUN_ID.slice(1)}/cancel`,
      undefined,
      /request\/params\/id/,
    ],
    [
      'GET',
      `${ENTITY}/deployments?limit=101`,
      undefined,
      /request\/query\/limit must be <= 100/,
    ],
    [
      'GET',
      `${ENTITY}/deployments?limit=many`,
      undefined,
      /request\/query\/limit must be integer/,
    ],
    ['GET', `${ENTITY}/deployments?color=blue`, undefined, /color/],
    [
      'GET',
      `${ENTITY}/slots/purple/logs`,
      undefined,
      /request\/params\/slot must be equal to one of the allowed values/,
    ],
    [
      'GET',
      `${ENTITY}/slots/blue/logs?lines=1001`,
      undefined,
      /request\/query\/lines must be <= 1000/,
    ],
    [
      'POST',
      `${ENTITY}/rollback`,
      { toVersion: 'no such' },
      /request\/body\/toVersion must match pattern/,
    ],
    [
      'POST',
      `${ENTITY}/environments/switch`,
      { to: 'purple' },
      /request\/body\/to must be equal to one of the allowed values: blue, green/,
    ],
    [
      'POST',
      `${ENTITY}/environments/rollback-switch`,
      { reason: 'x'.repeat(501) },
      /request\/body\/reason must NOT have more than 500 characters/,
    ],
    [
      'GET',
      `${ENTITY}/metrics?from=yesterday`,
      undefined,
      /request\/query\/from must match format "date-time"/,
    ],
    [
      'GET',
      `${ENTITY}/metrics?step=120`,
      undefined,
      /request\/query\/step must be equal to one of the allowed values: 60, 3600/,
    ],
    [
      'GET',
      `${ENTITY}/alerts?state=open`,
      undefined,
      /request\/query\/state must be equal to one of the allowed values: pending, firing, resolved/,
    ],
  ])(
    'answers 400 to %s %s naming the field, before any service sees it',
    async (method, url, body, message) => {
      const { server, calls } = await app();
      const res = await (method === 'GET'
        ? get(server, url)
        : request(server).post(url).set('Authorization', USER).send(body));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(message),
      });
      expect(calls).toEqual([]);
    },
  );

  it('hands the services typed query values: numbers as numbers, defaults filled in', async () => {
    const { server, calls } = await app();
    await get(server, `${ENTITY}/deployments?limit=5&cursor=abc`).expect(200);
    await get(server, `${ENTITY}/slots/blue/logs`).expect(200);
    await get(server, `${ENTITY}/slots/green/logs?lines=7`).expect(200);
    // Reserved characters such as ":" come URL-encoded, as URLSearchParams writes them.
    await get(
      server,
      `${ENTITY}/metrics?from=2026-11-26T08%3A00%3A00Z&step=3600`,
    ).expect(200);
    await request(server)
      .post(`${ENTITY}/environments/switch`)
      .set('Authorization', USER)
      .expect(200);
    const ref = {
      kind: 'component',
      namespace: 'default',
      name: 'sentiment-classifier',
    };
    expect(calls.map(c => [c.method, ...c.args.slice(0, 3)])).toEqual([
      ['list', ref, { limit: 5, cursor: 'abc' }, expect.anything()],
      ['slotLogs', ref, 'blue', 100],
      ['slotLogs', ref, 'green', 7],
      [
        'series',
        ref,
        { from: '2026-11-26T08:00:00Z', step: 3600 },
        expect.anything(),
      ],
      ['switch', ref, {}, expect.anything()],
    ]);
  });
});
