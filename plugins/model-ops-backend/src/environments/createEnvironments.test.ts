/*
 * The environments capability as plugin.ts builds it, without HTTP and without real model
 * servers: the health limits from rule sets, the service's checks, permission and audit, the
 * hand-over of a rollback to deployments, and the cooldown task.
 */
import { AuditorService } from '@backstage/backend-plugin-api';
import {
  TestDatabaseId,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  DEFAULT_RULE_SET,
  DeploymentRun,
  RuleSet,
} from '@model-ops/plugin-model-ops-common';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { createTestDatabases } from '../__testUtils__/databases';
import { createActionGuard } from '../lib/guard';
import {
  ModelStore,
  applyDatabaseMigrations,
  createModelIndex,
  createModelStore,
} from '../models';
import {
  DatabaseSwitchStore,
  createEnvironments,
  createTrafficSwitching,
  healthLimitsOf,
} from '.';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const MODEL = 'sentiment-classifier';
const ref = { kind: 'component', namespace: 'default', name: MODEL };
const COOLDOWN = { frequency: { seconds: 15 }, timeout: { minutes: 2 } };

function component(name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'model-ops/model-id': name },
    },
    spec: {
      type: 'model',
      lifecycle: 'production',
      owner: 'group:default/ml-platform',
    },
  };
}

describe('healthLimitsOf', () => {
  const strict: RuleSet = {
    name: 'strict',
    rules: [
      {
        alert: 'high_error_rate',
        metric: 'errorRate',
        operator: '>',
        warning: 1,
        critical: 2,
        forSeconds: 60,
      },
      {
        alert: 'fast',
        metric: 'responseTimeP95',
        operator: '<',
        warning: 3,
        critical: 1,
        forSeconds: 60,
      },
    ],
  };
  const ruleSets = new Map([
    ['default', DEFAULT_RULE_SET],
    ['strict', strict],
  ]);

  it('reads the warning levels of the > rules, falling back to the default set and the seed', () => {
    expect(healthLimitsOf(ruleSets, 'default')).toEqual({
      maxErrorRatePct: 5,
      maxP95Ms: 5000,
    });
    // A '<' rule on latency is no ceiling: the seed's level holds.
    expect(healthLimitsOf(ruleSets, 'strict')).toEqual({
      maxErrorRatePct: 1,
      maxP95Ms: 5000,
    });
    expect(healthLimitsOf(ruleSets, 'unknown')).toEqual({
      maxErrorRatePct: 5,
      maxP95Ms: 5000,
    });
    expect(healthLimitsOf(new Map(), 'default')).toEqual({
      maxErrorRatePct: 5,
      maxP95Ms: 5000,
    });
  });
});

describe.each(databases.eachSupportedId())(
  'createEnvironments on %s',
  databaseId => {
    let knex: Knex;
    let store: ModelStore;
    let audit: string[];
    let undeployed: string[];
    let rollbacks: unknown[];
    let activeRun: { id: string; kind: string; version: string } | undefined;
    const caller = { credentials: mockCredentials.user('user:default/guest') };

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      await applyDatabaseMigrations(knex);
      store = await createModelStore({
        database: mockServices.database({ knex }),
      });
      audit = [];
      undeployed = [];
      rollbacks = [];
      activeRun = undefined;
    });

    function build(reconcileSchedule?: typeof COOLDOWN) {
      const auditor: AuditorService = {
        async createEvent(options) {
          return {
            success: async () => void audit.push(`${options.eventId}:success`),
            fail: async () => void audit.push(`${options.eventId}:fail`),
          };
        },
      };
      const guard = createActionGuard({
        auditor,
        permissions: mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(r => ({
              result:
                'resourceRef' in r &&
                r.resourceRef === 'component:default/locked-model'
                  ? AuthorizeResult.DENY
                  : AuthorizeResult.ALLOW,
            })),
        }),
      });
      const models = createModelIndex({
        catalog: catalogServiceMock({
          entities: [component(MODEL), component('locked-model')],
        }),
        auth: mockServices.auth(),
        logger: mockServices.logger.mock(),
        options: {
          maxAgeMs: 0,
          schedule: { frequency: { seconds: 30 }, timeout: { minutes: 1 } },
        },
        extensions: { runtimeIds: () => [], metricSourceIds: () => [] },
        names: {
          ruleSets: ['default'],
          alertRoutes: ['default'],
          costModels: ['default'],
        },
      }).service;
      const runtime: Pick<ModelRuntime, 'undeploy'> = {
        undeploy: async ({ model, slot }) =>
          void undeployed.push(`${model.modelId}/${slot}`),
      };
      const switching = createTrafficSwitching({
        knex,
        logger: mockServices.logger.mock(),
        options: {
          probes: 1,
          healthWatchSeconds: 0,
          watchIntervalMs: 0,
          warmSeconds: 300,
          inputs: [],
        },
        ruleSets: new Map([['default', DEFAULT_RULE_SET]]),
      });
      return createEnvironments({
        logger: mockServices.logger.mock(),
        guard,
        models,
        store,
        knex,
        getRuntime: id =>
          id === 'local' ? (runtime as ModelRuntime) : undefined,
        switching: switching.service,
        deployments: {
          latestCanary: async () => undefined,
          activeRun: async () => activeRun,
          rollback: async (target, body) => {
            rollbacks.push({ target, body });
            return { id: 'run-1', stages: [] } as unknown as DeploymentRun;
          },
        },
        options: { cooldownSchedule: COOLDOWN, reconcileSchedule },
      });
    }

    /** A committed switch from blue (1.0.0) to green (1.1.0), blue warm until `warmUntil`. */
    async function switched(
      warmUntil: Date,
      blueState: 'running' | 'stopped' = 'running',
    ) {
      await store.upsertModel({
        modelId: MODEL,
        entityRef: `component:default/${MODEL}`,
        activeSlot: 'blue',
        productionVersion: '1.0.0',
      });
      await store.upsertSlot(MODEL, {
        slot: 'blue',
        version: '1.0.0',
        state: 'running',
        trafficWeight: 100,
      });
      await store.upsertSlot(MODEL, {
        slot: 'green',
        version: '1.1.0',
        state: 'running',
        trafficWeight: 0,
      });
      const switches = DatabaseSwitchStore.create({ knex });
      const record = await switches.begin({
        id: randomUUID(),
        modelId: MODEL,
        kind: 'switch',
        from: 'blue',
        to: 'green',
        fromVersion: '1.0.0',
        toVersion: '1.1.0',
      });
      await switches.commit(record.id, {
        modelId: MODEL,
        from: 'blue',
        to: 'green',
        toVersion: '1.1.0',
        warmUntil,
        checks: [],
      });
      if (blueState === 'stopped') await switches.clearWarm(MODEL, 'blue');
    }

    it('has the cooldown task, once across replicas', () => {
      const { tasks } = build();
      expect(tasks.map(t => [t.id, t.scope, t.schedule])).toEqual([
        ['model-ops-environments-cooldown', 'global', COOLDOWN],
      ]);
    });

    it('shows empty colors, and refuses switches that cannot be made', async () => {
      const { service } = build();
      expect(await service.get(ref, caller.credentials)).toEqual({
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
      await expect(
        service.switch(ref, { to: 'purple' }, caller),
      ).rejects.toThrow(InputError);
      await expect(service.switch(ref, { reason: 42 }, caller)).rejects.toThrow(
        /reason/,
      );
      await expect(
        service.switch({ ...ref, name: 'locked-model' }, {}, caller),
      ).rejects.toThrow(NotAllowedError);
      await expect(service.switch(ref, {}, caller)).rejects.toThrow(
        /no active color yet/,
      );
      await expect(service.rollbackSwitch(ref, {}, caller)).rejects.toThrow(
        ConflictError,
      );
      expect(audit).toEqual([
        'environment-switch:fail',
        'environment-switch:fail',
        'environment-rollback-switch:fail',
      ]);
    });

    it('hands a rollback-switch to deployments when the previous color is no longer warm', async () => {
      await switched(new Date(Date.now() - 1000), 'stopped');
      const { service } = build();
      const result = await service.rollbackSwitch(ref, {}, caller);
      expect(result).toMatchObject({ id: 'run-1' });
      expect(rollbacks).toEqual([
        { target: ref, body: { toVersion: '1.0.0' } },
      ]);
      expect(audit).toEqual(['environment-rollback-switch:success']);
    });

    it('stops an idle color once its warm period is over', async () => {
      await switched(new Date(Date.now() - 1000));
      const { tasks } = build();
      await tasks[0].run();
      expect(undeployed).toEqual([`${MODEL}/blue`]);
      expect(
        (await store.getSlots(MODEL)).find(s => s.slot === 'blue')?.state,
      ).toBe('stopped');
    });

    it('has the traffic reconciler when it is scheduled, once across replicas', () => {
      const { tasks } = build(COOLDOWN);
      expect(tasks.map(t => [t.id, t.scope])).toEqual([
        ['model-ops-environments-cooldown', 'global'],
        ['model-ops-environments-reconcile', 'global'],
      ]);
    });

    it('refuses a switch or rollback-switch while a run is active, naming the run', async () => {
      await switched(new Date(Date.now() + 60_000));
      activeRun = { id: 'run-7', kind: 'deploy', version: '1.2.0' };
      const { service } = build();
      await expect(service.switch(ref, {}, caller)).rejects.toThrow(
        new ConflictError(
          `Run run-7 (deploy of 1.2.0) is in progress on ${MODEL}; switch when it has finished, or cancel it`,
        ),
      );
      await expect(service.rollbackSwitch(ref, {}, caller)).rejects.toThrow(
        /Run run-7 \(deploy of 1\.2\.0\) is in progress/,
      );
      expect(audit).toEqual([
        'environment-switch:fail',
        'environment-rollback-switch:fail',
      ]);
      expect(await knex('model_ops_switches')).toHaveLength(1);
    });

    it('leaves the idle color alone while a run is active, since the run deploys into it', async () => {
      await switched(new Date(Date.now() - 1000));
      activeRun = { id: 'run-8', kind: 'deploy', version: '1.2.0' };
      const { tasks } = build();
      await tasks[0].run();
      expect(undeployed).toEqual([]);
      expect(
        (await store.getSlots(MODEL)).find(s => s.slot === 'blue')?.state,
      ).toBe('running');
      activeRun = undefined;
      await tasks[0].run();
      expect(undeployed).toEqual([`${MODEL}/blue`]);
    });
  },
);
