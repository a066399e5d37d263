import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../models/DatabaseModelStore';
import { createTestDatabases } from '../__testUtils__/databases';
import { DatabaseSeededHistoryStore, SeededRange } from './SeededHistory';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const NOW = new Date('2026-12-04T09:17:00.000Z');
const DAY = 86_400_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);
const range = (modelId: string): SeededRange => ({
  modelId,
  from: at(-30 * DAY),
  to: NOW,
  seededAt: NOW,
});

describe.each(databases.eachSupportedId())(
  'DatabaseSeededHistoryStore on %s',
  databaseId => {
    let knex: Knex;
    let store: DatabaseSeededHistoryStore;

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      await applyDatabaseMigrations(knex);
      store = DatabaseSeededHistoryStore.create({ knex });
    });

    it('records a finished range once and reads it back', async () => {
      expect(await store.seededRange('fraud-detector')).toBeUndefined();
      expect(
        await store.record(range('fraud-detector'), { note: 'the demo' }),
      ).toBe(true);
      // A second range for the same model is refused and the first kept.
      expect(
        await store.record({ ...range('fraud-detector'), from: at(-DAY) }),
      ).toBe(false);
      expect(await store.seededRange('fraud-detector')).toEqual(
        range('fraud-detector'),
      );
      const [state] = (await store.states(['fraud-detector'])).values();
      expect(state).toMatchObject({
        completedAt: NOW,
        source: 'demo-traffic',
        note: 'the demo',
        leaseOwner: undefined,
      });
      await store.record(range('churn-predictor'));
      const ranges = await store.seededRanges([
        'fraud-detector',
        'churn-predictor',
        'sentiment-classifier',
      ]);
      expect([...ranges.keys()].sort()).toEqual([
        'churn-predictor',
        'fraud-detector',
      ]);
      expect(ranges.get('churn-predictor')).toEqual(range('churn-predictor'));
    });

    it('lets one of two racing claims win', async () => {
      const lease = (owner: string) => ({ owner, expiresAt: at(60_000) });
      const results = await Promise.all([
        store.claim(range('fraud-detector'), lease('a')),
        store.claim(range('fraud-detector'), lease('b')),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results[0] ? 'a' : 'b';
      const [state] = (await store.states(['fraud-detector'])).values();
      expect(state).toMatchObject({
        leaseOwner: winner,
        leaseExpiresAt: at(60_000),
        completedAt: undefined,
      });
      // An unfinished range is still seeded data.
      expect(await store.seededRange('fraud-detector')).toEqual(
        range('fraud-detector'),
      );
    });

    it('renews, completes, and hands an expired seeding over to one taker', async () => {
      const lease = (owner: string, ms: number) => ({
        owner,
        expiresAt: at(ms),
      });
      expect(
        await store.claim(range('fraud-detector'), lease('a', 60_000)),
      ).toBe(true);
      const state = async () =>
        (await store.states(['fraud-detector'])).get('fraud-detector')!;
      // A live lease is not taken over.
      expect(
        await store.takeOver(await state(), lease('b', 120_000), at(30_000)),
      ).toBe(false);
      expect(await store.renew(['fraud-detector'], lease('a', 90_000))).toEqual(
        ['fraud-detector'],
      );
      expect(await store.renew(['fraud-detector'], lease('b', 90_000))).toEqual(
        [],
      );
      // After it ran out, two takers race and one wins; the range stays as recorded.
      const expired = await state();
      const later = at(100_000);
      const taken = await Promise.all([
        store.takeOver(expired, lease('b', 400_000), later),
        store.takeOver(expired, lease('c', 400_000), later),
      ]);
      expect(taken.filter(Boolean)).toHaveLength(1);
      const taker = taken[0] ? 'b' : 'c';
      expect(await state()).toMatchObject({
        leaseOwner: taker,
        seededAt: later,
        from: range('fraud-detector').from,
        to: NOW,
      });
      // The old owner can neither renew nor complete it any more.
      expect(
        await store.renew(['fraud-detector'], lease('a', 500_000)),
      ).toEqual([]);
      expect(await store.complete('fraud-detector', 'a', later)).toBe(false);
      expect(await store.complete('fraud-detector', taker, later)).toBe(true);
      expect(await state()).toMatchObject({
        completedAt: later,
        leaseExpiresAt: undefined,
      });
      // A finished range is never taken over.
      expect(
        await store.takeOver(await state(), lease('d', 1), at(10 * DAY)),
      ).toBe(false);
    });
  },
);
