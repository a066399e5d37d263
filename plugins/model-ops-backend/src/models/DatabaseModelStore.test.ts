import { TestDatabaseId, mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  applyDatabaseMigrations,
  DatabaseModelStore,
} from './DatabaseModelStore';
import { createTestDatabases } from '../__testUtils__/databases';

jest.setTimeout(60_000);

// The databases the plugin supports. Without Docker, a PostgreSQL id only runs when its
// BACKSTAGE_TEST_DATABASE_POSTGRES<n>_CONNECTION_STRING variable is set; SQLite always runs.
const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'DatabaseModelStore on %s',
  databaseId => {
    let knex: Knex;
    let store: DatabaseModelStore;

    beforeEach(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
      store = await DatabaseModelStore.create({
        database: mockServices.database({ knex }),
      });
    });

    describe('create', () => {
      it('runs the migrations', async () => {
        for (const table of [
          'model_ops_models',
          'model_ops_slots',
          'model_ops_versions',
        ]) {
          expect(await knex.schema.hasTable(table)).toBe(true);
        }
      });

      it('skips the migrations when the database service says so', async () => {
        const other = await databases.init(databaseId as TestDatabaseId);
        await DatabaseModelStore.create({
          database: mockServices.database({
            knex: other,
            migrations: { skip: true },
          }),
        });
        expect(await other.schema.hasTable('model_ops_models')).toBe(false);
      });

      it('waits for another replica that holds the migration lock, and gives up after the wait', async () => {
        const other = await databases.init(databaseId as TestDatabaseId);
        await applyDatabaseMigrations(other);
        await other('knex_migrations_lock').update({ is_locked: 1 });
        await expect(
          applyDatabaseMigrations(other, { lockWaitMs: 1500 }),
        ).rejects.toThrow(/Migration table is already locked/);
        // The other replica finishes while this one waits.
        const release = setTimeout(
          () => other('knex_migrations_lock').update({ is_locked: 0 }).then(),
          1200,
        );
        try {
          await applyDatabaseMigrations(other, { lockWaitMs: 20_000 });
        } finally {
          clearTimeout(release);
        }
        expect(await other.schema.hasTable('model_ops_model_claims')).toBe(
          true,
        );
      });

      it('can be created twice on one database', async () => {
        await store.upsertModel({
          modelId: 'a',
          entityRef: 'component:default/a',
        });
        const again = await DatabaseModelStore.create({
          database: mockServices.database({ knex }),
        });
        expect((await again.getModel('a'))?.entityRef).toBe(
          'component:default/a',
        );
      });
    });

    describe('models', () => {
      it('returns nothing for a model never stored', async () => {
        expect(await store.getModel('nope')).toBeUndefined();
        expect(await store.getModels([])).toEqual(new Map());
        expect(await store.getModels(['nope'])).toEqual(new Map());
      });

      it('inserts a model with the column defaults', async () => {
        const before = Date.now();
        await store.upsertModel({
          modelId: 'sentiment',
          entityRef: 'component:default/sentiment-classifier',
        });
        const model = await store.getModel('sentiment');
        expect(model).toEqual({
          modelId: 'sentiment',
          entityRef: 'component:default/sentiment-classifier',
          productionVersion: undefined,
          activeSlot: undefined,
          status: 'unknown',
          statusChangedAt: undefined,
          updatedAt: expect.any(Date),
        });
        // Timestamps come back as the same instant on every database (millisecond precision).
        expect(model!.updatedAt.getTime()).toBeGreaterThanOrEqual(
          before - 1000,
        );
        expect(model!.updatedAt.getTime()).toBeLessThanOrEqual(
          Date.now() + 1000,
        );
      });

      it('stores every field', async () => {
        await store.upsertModel({
          modelId: 'sentiment',
          entityRef: 'component:default/sentiment-classifier',
          productionVersion: '1.2.0',
          activeSlot: 'green',
          status: 'warning',
        });
        const model = await store.getModel('sentiment');
        expect(model).toMatchObject({
          productionVersion: '1.2.0',
          activeSlot: 'green',
          status: 'warning',
          statusChangedAt: expect.any(Date),
        });
      });

      it('merges on conflict: fields left out are kept, null clears', async () => {
        await store.upsertModel({
          modelId: 'sentiment',
          entityRef: 'component:default/old-name',
          productionVersion: '1.0.0',
          activeSlot: 'blue',
          status: 'healthy',
        });
        const first = await store.getModel('sentiment');

        await store.upsertModel({
          modelId: 'sentiment',
          entityRef: 'component:default/new-name',
          activeSlot: 'green',
        });
        const second = await store.getModel('sentiment');
        expect(second).toMatchObject({
          entityRef: 'component:default/new-name',
          productionVersion: '1.0.0',
          activeSlot: 'green',
          status: 'healthy',
        });
        // Status was not touched, so neither was the time it changed.
        expect(second!.statusChangedAt?.getTime()).toBe(
          first!.statusChangedAt?.getTime(),
        );
        expect(second!.updatedAt.getTime()).toBeGreaterThanOrEqual(
          first!.updatedAt.getTime(),
        );

        await store.upsertModel({
          modelId: 'sentiment',
          entityRef: 'component:default/new-name',
          productionVersion: null,
          activeSlot: null,
          status: 'critical',
        });
        expect(await store.getModel('sentiment')).toMatchObject({
          productionVersion: undefined,
          activeSlot: undefined,
          status: 'critical',
        });
        const [{ n }] = await knex('model_ops_models').count({ n: '*' });
        expect(Number(n)).toBe(1);
      });

      it('gets many models at once, beyond the 500 ids of one query', async () => {
        const ids = Array.from(
          { length: 1234 },
          (_, i) => `model-${String(i).padStart(4, '0')}`,
        );
        const now = new Date();
        await knex.batchInsert(
          'model_ops_models',
          ids.map((id, i) => ({
            model_id: id,
            entity_ref: `component:default/${id}`,
            production_version: `${i}.0.0`,
            status: 'healthy',
            updated_at: now,
          })),
          100,
        );

        const wanted = [...ids, 'missing-1', 'missing-2'];
        const models = await store.getModels(wanted);
        expect(models.size).toBe(1234);
        expect([...models.keys()].sort()).toEqual(ids);
        expect(models.get('model-0000')?.productionVersion).toBe('0.0.0');
        expect(models.get('model-0501')?.productionVersion).toBe('501.0.0');
        expect(models.get('model-1233')).toMatchObject({
          entityRef: 'component:default/model-1233',
          productionVersion: '1233.0.0',
          status: 'healthy',
        });
        expect(models.has('missing-1')).toBe(false);

        const some = await store.getModels(['model-0007', 'model-1000']);
        expect([...some.keys()].sort()).toEqual(['model-0007', 'model-1000']);
      });
    });

    describe('slots', () => {
      beforeEach(async () => {
        await store.upsertModel({
          modelId: 'sentiment',
          entityRef: 'component:default/sentiment-classifier',
        });
      });

      it('is empty for a model without slots', async () => {
        expect(await store.getSlots('sentiment')).toEqual([]);
        expect(await store.getSlots('never-stored')).toEqual([]);
      });

      it('stores slots and marks the model’s active slot', async () => {
        await store.upsertSlot('sentiment', {
          slot: 'staging',
          state: 'starting',
          trafficWeight: 0,
        });
        await store.upsertSlot('sentiment', {
          slot: 'blue',
          version: '1.0.0',
          endpoint: 'http://127.0.0.1:41001',
          state: 'running',
          trafficWeight: 100,
        });
        await store.upsertSlot('sentiment', {
          slot: 'green',
          version: '1.1.0',
          endpoint: 'http://127.0.0.1:41002',
          state: 'running',
          trafficWeight: 0,
        });

        // No active slot yet.
        let slots = await store.getSlots('sentiment');
        expect(slots).toHaveLength(3);
        expect(slots.every(s => !s.active)).toBe(true);

        await store.upsertModel({
          modelId: 'sentiment',
          entityRef: 'component:default/sentiment-classifier',
          activeSlot: 'blue',
        });
        slots = await store.getSlots('sentiment');
        const bySlot = Object.fromEntries(slots.map(s => [s.slot, s]));
        expect(Object.keys(bySlot).sort()).toEqual([
          'blue',
          'green',
          'staging',
        ]);
        expect(bySlot.blue).toEqual({
          slot: 'blue',
          version: '1.0.0',
          endpoint: 'http://127.0.0.1:41001',
          state: 'running',
          trafficWeight: 100,
          active: true,
          updatedAt: expect.any(String),
        });
        expect(new Date(bySlot.blue.updatedAt).toISOString()).toBe(
          bySlot.blue.updatedAt,
        );
        expect(bySlot.green).toMatchObject({ active: false, trafficWeight: 0 });
        expect(bySlot.staging).toEqual({
          slot: 'staging',
          version: undefined,
          endpoint: undefined,
          state: 'starting',
          trafficWeight: 0,
          active: false,
          updatedAt: expect.any(String),
        });

        await store.upsertModel({
          modelId: 'sentiment',
          entityRef: 'component:default/sentiment-classifier',
          activeSlot: 'green',
        });
        slots = await store.getSlots('sentiment');
        expect(slots.filter(s => s.active).map(s => s.slot)).toEqual(['green']);
      });

      it('merges a slot on conflict', async () => {
        await store.upsertSlot('sentiment', {
          slot: 'green',
          version: '1.0.0',
          endpoint: 'http://127.0.0.1:41002',
          state: 'running',
          trafficWeight: 10,
        });
        await store.upsertSlot('sentiment', {
          slot: 'green',
          state: 'stopped',
          trafficWeight: 0,
        });
        expect(await store.getSlots('sentiment')).toEqual([
          expect.objectContaining({
            slot: 'green',
            version: undefined,
            endpoint: undefined,
            state: 'stopped',
            trafficWeight: 0,
          }),
        ]);
      });

      it('keeps the slots of different models apart', async () => {
        await store.upsertModel({
          modelId: 'other',
          entityRef: 'component:default/other',
        });
        await store.upsertSlot('sentiment', {
          slot: 'blue',
          state: 'running',
          trafficWeight: 100,
        });
        await store.upsertSlot('other', {
          slot: 'blue',
          state: 'failed',
          trafficWeight: 0,
        });
        expect((await store.getSlots('sentiment')).map(s => s.state)).toEqual([
          'running',
        ]);
        expect((await store.getSlots('other')).map(s => s.state)).toEqual([
          'failed',
        ]);
      });
    });

    describe('versions', () => {
      beforeEach(async () => {
        await store.upsertModel({
          modelId: 'sentiment',
          entityRef: 'component:default/sentiment-classifier',
        });
      });

      it('is empty for a model without versions', async () => {
        expect(await store.getVersions('sentiment')).toEqual([]);
      });

      it('lists versions newest first, then by version descending on a tie', async () => {
        await store.upsertVersion('sentiment', {
          version: '1.0.0',
          artifactUri: 'file:///models/sentiment/1.0.0',
          status: 'retired',
          registeredAt: '2026-01-01T10:00:00.000Z',
        });
        await store.upsertVersion('sentiment', {
          version: '1.2.0',
          artifactUri: 'file:///models/sentiment/1.2.0',
          status: 'registered',
          registeredAt: '2026-03-01T10:00:00.000Z',
        });
        await store.upsertVersion('sentiment', {
          version: '1.1.0',
          artifactUri: 'https://artifacts.example.com/sentiment-1.1.0.tgz',
          sha256: 'a'.repeat(64),
          status: 'deployed',
          registeredAt: '2026-03-01T10:00:00.000Z',
          lastDeployedAt: '2026-03-02T08:30:00.000Z',
        });
        await store.upsertVersion('sentiment', {
          version: '0.9.0',
          artifactUri: 'file:///models/sentiment/0.9.0',
          status: 'failed',
          registeredAt: '2025-12-31T23:59:59.999Z',
        });

        const versions = await store.getVersions('sentiment');
        expect(versions.map(v => v.version)).toEqual([
          '1.2.0',
          '1.1.0',
          '1.0.0',
          '0.9.0',
        ]);
        expect(versions[1]).toEqual({
          version: '1.1.0',
          artifactUri: 'https://artifacts.example.com/sentiment-1.1.0.tgz',
          sha256: 'a'.repeat(64),
          status: 'deployed',
          registeredAt: '2026-03-01T10:00:00.000Z',
          lastDeployedAt: '2026-03-02T08:30:00.000Z',
        });
        expect(versions[0]).toEqual({
          version: '1.2.0',
          artifactUri: 'file:///models/sentiment/1.2.0',
          sha256: undefined,
          status: 'registered',
          registeredAt: '2026-03-01T10:00:00.000Z',
          lastDeployedAt: undefined,
        });
        expect(versions[3].registeredAt).toBe('2025-12-31T23:59:59.999Z');
      });

      it('sets the registration time when none is given', async () => {
        const before = Date.now();
        await store.upsertVersion('sentiment', {
          version: '2.0.0',
          artifactUri: 'file:///models/sentiment/2.0.0',
          status: 'registered',
        });
        const [version] = await store.getVersions('sentiment');
        const registeredAt = new Date(version.registeredAt).getTime();
        expect(registeredAt).toBeGreaterThanOrEqual(before - 1000);
        expect(registeredAt).toBeLessThanOrEqual(Date.now() + 1000);
      });

      it('merges on conflict but keeps the registration time', async () => {
        await store.upsertVersion('sentiment', {
          version: '1.0.0',
          artifactUri: 'file:///models/sentiment/1.0.0',
          status: 'registered',
          registeredAt: '2026-01-01T10:00:00.000Z',
        });
        await store.upsertVersion('sentiment', {
          version: '1.0.0',
          artifactUri: 'file:///models/sentiment/1.0.0-rebuilt',
          sha256: 'b'.repeat(64),
          status: 'deployed',
          registeredAt: '2026-06-01T10:00:00.000Z',
          lastDeployedAt: '2026-06-02T10:00:00.000Z',
        });
        expect(await store.getVersions('sentiment')).toEqual([
          {
            version: '1.0.0',
            artifactUri: 'file:///models/sentiment/1.0.0-rebuilt',
            sha256: 'b'.repeat(64),
            status: 'deployed',
            registeredAt: '2026-01-01T10:00:00.000Z',
            lastDeployedAt: '2026-06-02T10:00:00.000Z',
          },
        ]);
      });

      it('keeps the versions of different models apart', async () => {
        await store.upsertModel({
          modelId: 'other',
          entityRef: 'component:default/other',
        });
        await store.upsertVersion('other', {
          version: '1.0.0',
          artifactUri: 'file:///models/other/1.0.0',
          status: 'registered',
        });
        expect(await store.getVersions('sentiment')).toEqual([]);
        expect((await store.getVersions('other')).map(v => v.version)).toEqual([
          '1.0.0',
        ]);
      });
    });
  },
);
