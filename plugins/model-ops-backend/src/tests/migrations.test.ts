import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabaseId } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@model-ops/plugin-model-ops-backend',
  'migrations',
);

const TABLES: Record<string, string[]> = {
  model_ops_models: [
    'model_id',
    'entity_ref',
    'production_version',
    'active_slot',
    'status',
    'status_changed_at',
    'created_at',
    'updated_at',
  ],
  model_ops_slots: [
    'model_id',
    'slot',
    'version',
    'endpoint',
    'state',
    'traffic_weight',
    'updated_at',
    'warm_until',
  ],
  model_ops_versions: [
    'model_id',
    'version',
    'artifact_uri',
    'sha256',
    'status',
    'registered_at',
    'last_deployed_at',
  ],
  model_ops_runs: [
    'id',
    'model_id',
    'entity_ref',
    'kind',
    'version',
    'artifact_uri',
    'sha256',
    'config',
    'strategy',
    'runtime',
    'rules',
    'canary',
    'canary_command',
    'status',
    'stage',
    'previous_version',
    'error',
    'created_by',
    'cancel_requested',
    'lease_owner',
    'lease_expires_at',
    'created_at',
    'started_at',
    'finished_at',
  ],
  model_ops_run_stages: [
    'run_id',
    'name',
    'position',
    'status',
    'started_at',
    'finished_at',
    'checks',
    'errors',
    'metrics',
  ],
  model_ops_samples: [
    'model_id',
    'slot',
    'metric',
    'bucket_start',
    'value',
    'sampled_at',
  ],
  model_ops_samples_hourly: [
    'model_id',
    'slot',
    'metric',
    'bucket_start',
    'value_avg',
    'value_min',
    'value_max',
    'sample_count',
  ],
  model_ops_alerts: [
    'id',
    'fingerprint',
    'model_id',
    'entity_ref',
    'alert_type',
    'metric',
    'slot',
    'severity',
    'state',
    'value',
    'threshold',
    'summary',
    'starts_at',
    'firing_at',
    'resolved_at',
    'acknowledged_by',
    'acknowledged_at',
    'updated_at',
    'last_notified_at',
    'escalated_at',
    'escalation',
    'acknowledged_comment',
    'incident_id',
    'version',
    'change',
    'silenced_by',
  ],
  model_ops_silences: [
    'id',
    'model_id',
    'entity_ref',
    'kind',
    'matchers',
    'reason',
    'created_by',
    'created_at',
    'starts_at',
    'ends_at',
    'expired_at',
    'expired_by',
  ],
  model_ops_incidents: [
    'id',
    'model_id',
    'entity_ref',
    'state',
    'title',
    'severity',
    'opened_at',
    'acknowledged_at',
    'acknowledged_by',
    'resolved_at',
    'updated_at',
  ],
  model_ops_model_claims: [
    'model_id',
    'entity_ref',
    'entity_uid',
    'claimed_at',
    'owner_absent_since',
  ],
  model_ops_alert_deliveries: [
    'seq',
    'id',
    'dedup_key',
    'model_id',
    'channel_id',
    'route',
    'kind',
    'alert_ids',
    'order_key',
    'payload',
    'status',
    'attempts',
    'created_at',
    'next_attempt_at',
    'sent_at',
    'failed_at',
    'lease_owner',
    'lease_expires_at',
    'last_status',
    'last_error',
  ],
  model_ops_alert_delivery_attempts: [
    'id',
    'delivery_seq',
    'attempted_at',
    'ok',
    'status',
    'detail',
    'latency_ms',
    'worker',
  ],
  model_ops_monitoring_state: ['scope', 'key', 'value', 'updated_at'],
  model_ops_capacity_summaries: [
    'model_id',
    'period',
    'computed_at',
    'monthly_cost',
    'currency',
    'cost_basis',
    'top_recommendation',
    'recommendations',
    'seeded',
  ],
  model_ops_seeded_history: [
    'model_id',
    'seeded_from',
    'seeded_to',
    'seeded_at',
    'completed_at',
    'source',
    'note',
    'lease_owner',
    'lease_expires_at',
  ],
  model_ops_switches: [
    'id',
    'model_id',
    'kind',
    'from_slot',
    'to_slot',
    'from_version',
    'to_version',
    'requested_by',
    'reason',
    'run_id',
    'status',
    'error',
    'checks',
    'started_at',
    'finished_at',
    'owner',
    'lease_expires_at',
    'weights',
  ],
};

const databases = createTestDatabases();

/** Every table in the database but knex's own bookkeeping. */
async function allTables(knex: Knex): Promise<string[]> {
  const names: string[] =
    knex.client.config.client === 'pg'
      ? (
          await knex('pg_tables')
            .select('tablename')
            .where('schemaname', knex.raw('current_schema()'))
        ).map((r: { tablename: string }) => r.tablename)
      : (
          await knex('sqlite_master')
            .select('name')
            .where('type', 'table')
            .andWhereNot('name', 'like', 'sqlite_%')
        ).map((r: { name: string }) => r.name);
  return names.filter(n => !n.startsWith('knex_migrations')).sort();
}

async function expectSchema(knex: Knex) {
  for (const [table, columns] of Object.entries(TABLES)) {
    expect(await knex.schema.hasTable(table)).toBe(true);
    const info = await knex(table).columnInfo();
    expect(Object.keys(info).sort()).toEqual([...columns].sort());
  }
}

/** Matches the unique-key errors of SQLite and PostgreSQL. */
const UNIQUE_VIOLATION = /UNIQUE constraint failed|duplicate key value/;

/**
 * The message a query fails with. (Not `rejects.toThrow()`: better-sqlite3's native binding
 * keeps the error class of the first test file a Jest worker ran, which later files do not
 * recognise as an Error.)
 */
async function failureOf(query: PromiseLike<unknown>): Promise<string> {
  try {
    await query;
  } catch (error) {
    return String((error as { message?: unknown })?.message ?? error);
  }
  return 'no failure';
}

describe('migrations', () => {
  it('are all plain .js files named by timestamp', () => {
    const files = fs.readdirSync(migrationsDir).filter(f => !f.startsWith('.'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(file).toMatch(/^\d{14}_[a-z0-9_]+\.js$/);
    }
  });

  describe.each(databases.eachSupportedId())('on %s', databaseId => {
    let knex: Knex;

    beforeAll(async () => {
      knex = await databases.init(databaseId as TestDatabaseId);
    });

    it('migrates up, down and up again', async () => {
      expect(await allTables(knex)).toEqual([]);
      await knex.migrate.latest({ directory: migrationsDir });
      await expectSchema(knex);
      const created = await allTables(knex);
      expect(created).toEqual(expect.arrayContaining(Object.keys(TABLES)));

      // The defaults and keys the store relies on.
      await knex('model_ops_models').insert({
        model_id: 'sentiment',
        entity_ref: 'component:default/sentiment-classifier',
      });
      const [model] = await knex('model_ops_models');
      expect(model.status).toBe('unknown');
      expect(model.created_at).toBeTruthy();
      expect(model.updated_at).toBeTruthy();
      await knex('model_ops_slots').insert({
        model_id: 'sentiment',
        slot: 'blue',
      });
      const [slot] = await knex('model_ops_slots');
      expect(slot).toMatchObject({ state: 'empty', traffic_weight: 0 });
      expect(
        await failureOf(
          knex('model_ops_slots').insert({
            model_id: 'sentiment',
            slot: 'blue',
          }),
        ),
      ).toMatch(UNIQUE_VIOLATION);
      await knex('model_ops_versions').insert({
        model_id: 'sentiment',
        version: '1.0.0',
        artifact_uri: 'file:///models/1.0.0',
      });
      const [version] = await knex('model_ops_versions');
      expect(version.status).toBe('registered');
      expect(version.registered_at).toBeTruthy();
      expect(
        await failureOf(
          knex('model_ops_models').insert({
            model_id: 'sentiment',
            entity_ref: 'component:default/other',
          }),
        ),
      ).toMatch(UNIQUE_VIOLATION);

      await knex.migrate.rollback({ directory: migrationsDir }, true);
      expect(await allTables(knex)).toEqual([]);
      const [, pending] = await knex.migrate.list({ directory: migrationsDir });
      expect(pending.length).toBe(fs.readdirSync(migrationsDir).length);

      await knex.migrate.latest({ directory: migrationsDir });
      await expectSchema(knex);
      expect(await allTables(knex)).toEqual(created);
      expect(await knex('model_ops_models')).toEqual([]);
    });

    it('applies and reverts each migration on its own', async () => {
      const db = await databases.init(databaseId as TestDatabaseId);
      const files = fs.readdirSync(migrationsDir).sort();
      const seen: string[][] = [[]];
      for (let i = 0; i < files.length; i++) {
        await db.migrate.up({ directory: migrationsDir });
        const [done] = await db.migrate.list({ directory: migrationsDir });
        expect(done.map((m: { name: string }) => m.name)).toEqual(
          files.slice(0, i + 1),
        );
        seen.push(await allTables(db));
      }
      expect(seen[files.length]).toEqual(
        expect.arrayContaining(Object.keys(TABLES)),
      );
      // Going down one step at a time restores exactly the tables of the step before.
      for (let i = files.length; i > 0; i--) {
        await db.migrate.down({ directory: migrationsDir });
        expect(await allTables(db)).toEqual(seen[i - 1]);
      }
    });
  });
});
