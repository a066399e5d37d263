import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { DatabaseClaimStore } from './ClaimStore';
import { applyDatabaseMigrations } from './DatabaseModelStore';
import { createTestDatabases } from '../__testUtils__/databases';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const REAL = {
  entityRef: 'component:default/fraud-detector',
  uid: 'ffffffff-0000-4000-8000-000000000000',
  modelId: 'fraud-detector',
};
// A uid that sorts first: ordering by uid alone would hand it the id.
const ROGUE = {
  entityRef: 'component:default/my-innocent-model',
  uid: '00000000-0000-4000-8000-000000000000',
  modelId: 'fraud-detector',
};
const MINUTE = 60_000;

describe.each(databases.eachSupportedId())('DatabaseClaimStore on %s', id => {
  let knex: Knex;
  let time: number;
  const store = (transferAfterMs = 15 * MINUTE) =>
    new DatabaseClaimStore(knex, {
      now: () => new Date(time),
      transferAfterMs,
    });

  beforeEach(async () => {
    knex = await databases.init(id as TestDatabaseId);
    await applyDatabaseMigrations(knex);
    time = Date.parse('2026-12-03T12:00:00Z');
  });

  it('keeps the first entity seen as the owner, whatever the uid of a later claimant', async () => {
    expect(await store().settle([REAL])).toEqual(
      new Map([['fraud-detector', REAL.entityRef]]),
    );
    expect(await store().settle([ROGUE, REAL])).toEqual(
      new Map([['fraud-detector', REAL.entityRef]]),
    );
    const [row] = await knex('model_ops_model_claims');
    expect(row).toMatchObject({
      model_id: 'fraud-detector',
      entity_ref: REAL.entityRef,
      entity_uid: REAL.uid,
    });
  });

  it('gives an unclaimed id with recorded state to the entity the state names', async () => {
    await knex('model_ops_models').insert({
      model_id: 'fraud-detector',
      entity_ref: REAL.entityRef,
    });
    expect(await store().settle([ROGUE, REAL])).toEqual(
      new Map([['fraud-detector', REAL.entityRef]]),
    );
  });

  it('lets two replicas settling at once agree on one owner', async () => {
    const [a, b] = await Promise.all([
      store().settle([REAL]),
      store().settle([ROGUE]),
    ]);
    expect(a.get('fraud-detector')).toBe(b.get('fraud-detector'));
    expect(await knex('model_ops_model_claims')).toHaveLength(1);
  });

  it('moves the id only after the owner has been gone for the transfer delay, and back to nobody else', async () => {
    await store().settle([REAL]);
    await store().settle([REAL, ROGUE]);
    // The owner leaves the catalog: the id stays its own, so the rival owns nothing yet.
    expect((await store().settle([ROGUE])).get('fraud-detector')).toBe(
      REAL.entityRef,
    );
    time += 14 * MINUTE;
    expect((await store().settle([ROGUE])).get('fraud-detector')).toBe(
      REAL.entityRef,
    );
    // Back within the delay: nothing changed.
    expect((await store().settle([ROGUE, REAL])).get('fraud-detector')).toBe(
      REAL.entityRef,
    );
    const [row] = await knex('model_ops_model_claims');
    expect(row.owner_absent_since).toBeNull();
    // Gone again, and for longer than the delay: the claimant left takes it.
    await store().settle([ROGUE]);
    time += 15 * MINUTE;
    expect((await store().settle([ROGUE])).get('fraud-detector')).toBe(
      ROGUE.entityRef,
    );
    // And keeps it when the old owner comes back.
    expect((await store().settle([REAL, ROGUE])).get('fraud-detector')).toBe(
      ROGUE.entityRef,
    );
  });
});
