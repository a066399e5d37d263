/*
 * The tick's database work does not grow with one round trip per model: on every database, the
 * statements of a quiet tick (values in range, no transitions) are counted for 20 and for 200
 * models, deployed and external, and must be the same; a model whose rules changed something
 * adds only its own transaction.
 */
import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_MODEL_ID,
  ANNOTATION_RULES,
  ANNOTATION_RUNTIME,
  DEFAULT_RULE_SET,
  RuleSet,
} from '@model-ops/plugin-model-ops-common';
import {
  MetricSample,
  MetricSource,
  MetricTarget,
} from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import { testModelIndex } from '../__testUtils__/models';
import { DatabaseModelStore } from '../models/DatabaseModelStore';
import { DatabaseAlertStore } from './AlertStore';
import { DatabaseMetricsStore, DatabaseMonitoringState } from './MetricsStore';
import { DefaultMonitoringService } from './MonitoringService';
import { RuleEvaluator } from './RuleEvaluator';

jest.setTimeout(120_000);

const databases = createTestDatabases();
const T0 = new Date('2026-12-03T12:00:00.000Z');

const instant: RuleSet = {
  name: 'instant',
  rules: DEFAULT_RULE_SET.rules.map(rule => ({ ...rule, forSeconds: 0 })),
};

function model(name: string, external: boolean): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        [ANNOTATION_MODEL_ID]: name,
        [ANNOTATION_RULES]: 'instant',
        ...(external ? { [ANNOTATION_RUNTIME]: 'external' } : {}),
      },
    },
    spec: { type: 'model', lifecycle: 'production', owner: 'group:default/ml' },
  };
}

/** Every model's values, in range unless its id is in `breaching`. */
class Source implements MetricSource {
  breaching = new Set<string>();
  constructor(readonly id: string) {}
  async collect(
    targets: MetricTarget[],
    window: { from: Date; to: Date },
  ): Promise<MetricSample[]> {
    return targets.flatMap(t =>
      (t.slots.length ? t.slots.map(s => s.slot) : ['production']).map(
        slot => ({
          modelId: t.modelId,
          slot: slot as never,
          metric: 'errorRate' as const,
          value: this.breaching.has(t.modelId) ? 50 : 1,
          timestamp: window.to,
        }),
      ),
    );
  }
}

describe.each(databases.eachSupportedId())(
  'the tick batches its database work on %s',
  databaseId => {
    let knex: Knex;
    let clock: Date;
    const now = () => clock;

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      clock = T0;
    });

    async function world(count: number) {
      const store = await DatabaseModelStore.create({
        database: mockServices.database({ knex }),
      });
      const entities: Entity[] = [];
      for (let i = 0; i < count; i++) {
        const external = i % 2 === 1;
        const name = `m${count}-${i}`;
        entities.push(model(name, external));
        if (!external) {
          await store.upsertModel({
            modelId: name,
            entityRef: `component:default/${name}`,
            productionVersion: '1.0.0',
            activeSlot: 'blue',
          });
          await store.upsertSlot(name, {
            slot: 'blue',
            version: '1.0.0',
            endpoint: `http://127.0.0.1:9/${name}`,
            state: 'running',
            trafficWeight: 100,
          });
        }
      }
      const scrape = new Source('scrape');
      const prometheus = new Source('prometheus');
      const service = new DefaultMonitoringService({
        models: testModelIndex(entities, {
          ruleSets: ['default', 'instant'],
        }),
        logger: mockServices.logger.mock(),
        store,
        metrics: DatabaseMetricsStore.create({ knex }),
        alerts: DatabaseAlertStore.create({ knex, now }),
        evaluator: new RuleEvaluator(now),
        ruleSets: new Map([
          ['default', DEFAULT_RULE_SET],
          ['instant', instant],
        ]),
        getMetricSource: id =>
          (({ scrape, prometheus } as Record<string, MetricSource>)[id]),
        intervalSeconds: 60,
        state: DatabaseMonitoringState.create({ knex }),
        now,
      });
      return { service, scrape, prometheus };
    }

    /** The statements one tick sends. */
    async function countedTick(service: DefaultMonitoringService) {
      let statements = 0;
      const onQuery = () => {
        statements++;
      };
      knex.on('query', onQuery);
      try {
        clock = new Date(clock.getTime() + 60_000);
        const result = await service.tick();
        return { statements, result };
      } finally {
        knex.removeListener('query', onQuery);
      }
    }

    it('sends as many statements for 200 quiet models as for 20', async () => {
      const small = await world(20);
      const large = await world(200);
      // A first tick of each writes the statuses of the new models.
      await countedTick(small.service);
      await countedTick(large.service);
      const a = await countedTick(small.service);
      const b = await countedTick(large.service);
      expect(a.result.models).toBe(20);
      expect(b.result.models).toBe(200);
      expect(b.result.samples).toBe(200);
      // Chunks of 500 ids keep the count flat up to 500 models.
      expect(b.statements).toBe(a.statements);
      expect(b.statements).toBeLessThan(40);
    });

    it('adds only the transactions of the models whose rules changed something', async () => {
      const { service, prometheus } = await world(40);
      await countedTick(service);
      const quiet = await countedTick(service);
      prometheus.breaching.add('m40-1').add('m40-3');
      const firing = await countedTick(service);
      expect(firing.result.newlyFiring.map(a => a.modelId).sort()).toEqual([
        'm40-1',
        'm40-3',
      ]);
      // Two models' alert transactions, bounded per model, not per model of the catalog.
      expect(firing.statements - quiet.statements).toBeLessThan(2 * 40);
      expect(firing.statements - quiet.statements).toBeGreaterThan(0);
    });
  },
);
