import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import { modelOpsPlugin } from '../../plugin';
import { config, fraud, sentiment } from '../../__testUtils__/plugin';

/**
 * The whole plugin for the alerting route tests: fraud-detector and sentiment-classifier in
 * the catalog, no pipeline worker, and every alert routed to a webhook channel `hook` at once
 * (never sent here: the outbox's sending has its own tests, the rows are only written).
 * `modelOps` adds to that configuration; permissions are denied on the entities `deny` names.
 */
export async function startAlertingBackend(
  knex: Knex,
  modelOps: Record<string, unknown> = {},
  options: { deny?: string[] } = {},
) {
  const deny = new Set(options.deny ?? []);
  return startTestBackend({
    features: [
      modelOpsPlugin,
      createServiceFactory({
        service: coreServices.permissions,
        deps: {},
        factory: () => ({
          authorize: async (requests: any[]) =>
            requests.map(r => ({
              result: deny.has(r.resourceRef)
                ? AuthorizeResult.DENY
                : AuthorizeResult.ALLOW,
            })),
          authorizeConditional: async (requests: any[]) =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })),
        }),
      }),
      createServiceFactory({
        service: catalogServiceRef,
        deps: {},
        factory: () => catalogServiceMock({ entities: [fraud, sentiment] }),
      }),
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          ...config,
          app: { baseUrl: 'http://localhost:3000' },
          modelOps: {
            ...config.modelOps,
            pipeline: { maxConcurrentRuns: 0 },
            alerts: {
              channels: {
                hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook' },
              },
              routes: { default: { fallback: ['hook'], groupWait: '0s' } },
            },
            ...modelOps,
          },
        },
      }),
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
    ],
  });
}
