import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { randomUUID } from 'node:crypto';
import { createTestDatabases } from '../__testUtils__/databases';
import { createModelStore } from '../models';
import { DatabaseSwitchStore } from './DatabaseSwitchStore';

jest.setTimeout(60_000);

const MODEL = 'sentiment-classifier';
const ENTITY = `component:default/${MODEL}`;

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())('SwitchStore on %s', databaseId => {
  it('refuses a second switch in progress and moves the active color by compare-and-set', async () => {
    const knex = await databases.init(databaseId as TestDatabaseId);
    const models = await createModelStore({
      database: mockServices.database({ knex }),
    });
    const switches = DatabaseSwitchStore.create({ knex });
    await models.upsertModel({
      modelId: MODEL,
      entityRef: ENTITY,
      activeSlot: 'blue',
      productionVersion: '1.0.0',
    });
    await models.upsertSlot(MODEL, {
      slot: 'blue',
      version: '1.0.0',
      state: 'running',
      trafficWeight: 100,
    });
    await models.upsertSlot(MODEL, {
      slot: 'green',
      version: '1.1.0',
      state: 'running',
      trafficWeight: 0,
    });

    const first = await switches.begin({
      id: randomUUID(),
      modelId: MODEL,
      kind: 'switch',
      from: 'blue',
      to: 'green',
    });
    await expect(
      switches.begin({
        id: randomUUID(),
        modelId: MODEL,
        kind: 'switch',
        from: 'blue',
        to: 'green',
      }),
    ).rejects.toThrow(ConflictError);
    // Another model is free to switch.
    await expect(
      switches.begin({
        id: randomUUID(),
        modelId: 'fraud-detector',
        kind: 'switch',
        to: 'blue',
      }),
    ).resolves.toMatchObject({ status: 'in_progress' });

    await switches.commit(first.id, {
      modelId: MODEL,
      from: 'blue',
      to: 'green',
      toVersion: '1.1.0',
      checks: [],
    });
    expect(await models.getModel(MODEL)).toMatchObject({
      activeSlot: 'green',
      productionVersion: '1.1.0',
    });
    // A stale switch that still thinks blue is active cannot commit.
    const stale = await switches.begin({
      id: randomUUID(),
      modelId: MODEL,
      kind: 'switch',
      from: 'blue',
      to: 'green',
    });
    await expect(
      switches.commit(stale.id, {
        modelId: MODEL,
        from: 'blue',
        to: 'green',
        checks: [],
      }),
    ).rejects.toThrow(ConflictError);
    expect((await models.getModel(MODEL))?.activeSlot).toBe('green');
  });
});

describe('SwitchStore warm colors', () => {
  it('reports an idle color once its warm period is over, and never the active one', async () => {
    const knex = await databases.init('SQLITE_3');
    const models = await createModelStore({
      database: mockServices.database({ knex }),
    });
    let clock = new Date('2026-11-26T08:00:00.000Z');
    const switches = DatabaseSwitchStore.create({ knex, now: () => clock });
    await models.upsertModel({
      modelId: MODEL,
      entityRef: ENTITY,
      activeSlot: 'blue',
      productionVersion: '1.0.0',
    });
    await models.upsertSlot(MODEL, {
      slot: 'blue',
      version: '1.0.0',
      state: 'running',
      trafficWeight: 100,
    });
    await models.upsertSlot(MODEL, {
      slot: 'green',
      version: '1.1.0',
      state: 'running',
      trafficWeight: 0,
    });
    const record = await switches.begin({
      id: randomUUID(),
      modelId: MODEL,
      kind: 'switch',
      from: 'blue',
      to: 'green',
    });
    await switches.commit(record.id, {
      modelId: MODEL,
      from: 'blue',
      to: 'green',
      toVersion: '1.1.0',
      checks: [],
      warmUntil: new Date('2026-11-26T08:05:00.000Z'),
    });
    expect(await switches.expiredWarmSlots()).toEqual([]);
    clock = new Date('2026-11-26T08:05:01.000Z');
    expect(await switches.expiredWarmSlots()).toEqual([
      { modelId: MODEL, slot: 'blue' },
    ]);
    await switches.clearWarm(MODEL, 'blue');
    expect(await switches.expiredWarmSlots()).toEqual([]);
    expect(
      (await models.getSlots(MODEL)).find(s => s.slot === 'blue')?.state,
    ).toBe('stopped');
  });
});
