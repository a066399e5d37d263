import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { randomUUID } from 'node:crypto';
import { createTestDatabases } from '../__testUtils__/databases';
import { createModelStore } from '../models';
import { DatabaseSwitchStore } from './DatabaseSwitchStore';
import { databaseNow } from '../lib/databaseClock';

jest.setTimeout(60_000);

const MODEL = 'sentiment-classifier';
const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'switch leases on %s',
  databaseId => {
    async function setup() {
      const knex = await databases.init(databaseId as TestDatabaseId);
      const models = await createModelStore({
        database: mockServices.database({ knex }),
      });
      await models.upsertModel({
        modelId: MODEL,
        entityRef: `component:default/${MODEL}`,
        activeSlot: 'blue',
        productionVersion: '1.0.0',
      });
      const switches = DatabaseSwitchStore.create({ knex, owner: 'backend-a' });
      return { knex, models, switches };
    }

    const intent = (leaseSeconds: number) => ({
      id: randomUUID(),
      modelId: MODEL,
      kind: 'switch' as const,
      from: 'blue' as const,
      to: 'green' as const,
      toVersion: '1.1.0',
      weights: { green: 100, blue: 0 },
      leaseSeconds,
    });

    it('reads the time from the database', async () => {
      const { knex } = await setup();
      const now = await databaseNow(knex);
      expect(Math.abs(now.getTime() - Date.now())).toBeLessThan(5000);
    });

    it('records the intent with its owner and lease, and gives an expired switch to exactly one taker', async () => {
      const { knex, switches } = await setup();
      const record = await switches.begin(intent(0.2));
      expect(await switches.inProgress(MODEL)).toMatchObject({
        record: { id: record.id, status: 'in_progress' },
        owner: 'backend-a',
        weights: { green: 100, blue: 0 },
        leaseExpiresAt: expect.any(Date),
      });
      expect(
        await switches.takeOverExpired({ owner: 'b', leaseSeconds: 30 }),
      ).toEqual([]);

      await new Promise(resolve => setTimeout(resolve, 400));
      const [first, second] = await Promise.all([
        switches.takeOverExpired({ owner: 'b', leaseSeconds: 30 }),
        switches.takeOverExpired({ owner: 'c', leaseSeconds: 30 }),
      ]);
      const taken = [...first, ...second];
      expect(taken).toHaveLength(1);
      expect(taken[0]).toMatchObject({
        previousOwner: 'backend-a',
        record: { id: record.id },
      });
      const taker = taken[0].owner!;

      // The old owner can neither renew nor end the switch any more; the taker can.
      expect(await switches.renew(record.id, 'backend-a', 30)).toBe(false);
      await expect(
        switches.commit(record.id, {
          modelId: MODEL,
          from: 'blue',
          to: 'green',
          toVersion: '1.1.0',
          checks: [],
          owner: 'backend-a',
        }),
      ).rejects.toThrow(ConflictError);
      expect(
        (await knex('model_ops_models').where({ model_id: MODEL }).first())
          .active_slot,
      ).toBe('blue');
      expect(await switches.renew(record.id, taker, 30)).toBe(true);
      await switches.fail(record.id, {
        status: 'rolled_back',
        error: `taken over by ${taker}: reverted`,
        checks: [],
        owner: taker,
      });
      expect(await switches.get(record.id)).toMatchObject({
        status: 'rolled_back',
      });
      expect(await switches.inProgress(MODEL)).toBeUndefined();
    });

    it('counts a switch recorded without a lease (before leases existed) as expired', async () => {
      const { knex, switches } = await setup();
      const record = await switches.begin(intent(30));
      await knex('model_ops_switches')
        .where({ id: record.id })
        .update({ owner: null, lease_expires_at: null });
      const [taken] = await switches.takeOverExpired({
        owner: 'b',
        leaseSeconds: 30,
        modelId: MODEL,
      });
      expect(taken).toMatchObject({
        previousOwner: undefined,
        owner: 'b',
        record: { id: record.id },
      });
    });

    it('discards a repair that moved nothing, and only its owner can', async () => {
      const { switches } = await setup();
      const record = await switches.begin({ ...intent(30), kind: 'repair' });
      await switches.discard(record.id, 'someone-else');
      expect(await switches.get(record.id)).toBeDefined();
      await switches.discard(record.id, 'backend-a');
      expect(await switches.get(record.id)).toBeUndefined();
    });
  },
);
