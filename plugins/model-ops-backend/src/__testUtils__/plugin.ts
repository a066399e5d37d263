/* Shared fixtures and checks of the whole-plugin tests. */
import {
  BackendFeature,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
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
} from '@model-ops/plugin-model-ops-common';
import {
  ModelRuntime,
  modelOpsRuntimesExtensionPoint,
} from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import request from 'supertest';
import { modelOpsPlugin } from '../plugin';
import { spec } from '../schema/openapi/generated/router';

export const stateDir = createMockDirectory();

export function component(
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

export const sentiment = component(
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
export const fraud = component(
  'fraud-detector',
  { [ANNOTATION_MODEL_ID]: 'fraud' },
  { owner: 'group:ml/fraud-team' },
);
export const churn = component(
  'churn-predictor',
  {
    [ANNOTATION_MODEL_ID]: 'churn',
    [ANNOTATION_STRATEGY]: 'big-bang',
    [ANNOTATION_RULES]: 'lax',
  },
  { namespace: 'ml', owner: 'team-b' },
);
export const website = component('web-frontend', {
  'backstage.io/techdocs-ref': 'dir:.',
});

export const config = {
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
export const acmeRuntime = {
  id: 'acme',
  configSchema: { type: 'object' },
  frameworks: ['model-server/v1'],
} as unknown as ModelRuntime;

export const acmeRuntimeModule = createBackendModule({
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

export function schemaErrors(
  value: unknown,
  schema: Schema,
  at = '$',
): string[] {
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

export function expectToMatchResponseSchema(
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
export function errorOf(res: request.Response) {
  return {
    status: res.status,
    name: res.body?.error?.name,
    message: res.body?.error?.message,
    statusCode: res.body?.response?.statusCode,
  };
}

export const backstageError = (
  status: number,
  name: string,
  message?: RegExp,
) => ({
  status,
  name,
  message: message ? expect.stringMatching(message) : expect.any(String),
  statusCode: status,
});

export async function startBackend(
  knex: Knex,
  entities: Entity[],
  extraFeatures: BackendFeature[] = [],
) {
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
