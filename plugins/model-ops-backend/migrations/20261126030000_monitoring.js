/**
 * Monitoring: metric samples a minute, their hourly rollups, and the alerts raised from them (at
 * most one open alert per fingerprint, enforced by a partial unique index). The model status
 * lives in the existing `model_ops_models.status` column.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_ops_samples', table => {
    table.comment(
      'One value per model, slot, metric and minute; replicas writing the same tick share the row',
    );
    table.string('model_id', 63).notNullable();
    table.string('slot', 16).notNullable();
    table.string('metric', 63).notNullable();
    table
      .timestamp('bucket_start', { useTz: true })
      .notNullable()
      .comment('the start of the minute the sample was taken in');
    table.double('value').notNullable();
    table
      .timestamp('sampled_at', { useTz: true })
      .notNullable()
      .comment(
        'when the value was collected; the latest sample of a minute wins',
      );
    table.primary(['model_id', 'slot', 'metric', 'bucket_start']);
    table.index(
      ['model_id', 'metric', 'bucket_start'],
      'model_ops_samples_range_idx',
    );
    table.index(['bucket_start'], 'model_ops_samples_bucket_idx');
  });

  await knex.schema.createTable('model_ops_samples_hourly', table => {
    table.comment(
      'Hourly rollups of model_ops_samples, kept longer than the minute samples',
    );
    table.string('model_id', 63).notNullable();
    table.string('slot', 16).notNullable();
    table.string('metric', 63).notNullable();
    table
      .timestamp('bucket_start', { useTz: true })
      .notNullable()
      .comment('the start of the hour');
    table.double('value_avg').notNullable();
    table.double('value_min').notNullable();
    table.double('value_max').notNullable();
    table
      .integer('sample_count')
      .notNullable()
      .comment('minute samples in the hour');
    table.primary(['model_id', 'slot', 'metric', 'bucket_start']);
    table.index(
      ['model_id', 'metric', 'bucket_start'],
      'model_ops_samples_hourly_range_idx',
    );
    table.index(['bucket_start'], 'model_ops_samples_hourly_bucket_idx');
  });

  await knex.schema.createTable('model_ops_alerts', table => {
    table.comment('Threshold alerts of models: pending, firing, then resolved');
    table.uuid('id').primary().notNullable();
    table
      .string('fingerprint', 64)
      .notNullable()
      .comment('a hash of model, alert type and slot');
    table.string('model_id', 63).notNullable();
    table.string('entity_ref', 255).notNullable();
    table.string('alert_type', 63).notNullable();
    table.string('metric', 63).notNullable();
    table.string('slot', 16).nullable();
    table.string('severity', 16).notNullable().comment('warning or critical');
    table
      .string('state', 16)
      .notNullable()
      .comment('pending, firing or resolved');
    table
      .double('value')
      .notNullable()
      .comment('the latest value seen while open');
    table
      .double('threshold')
      .notNullable()
      .comment('the threshold of the current severity');
    table.text('summary').notNullable();
    table.timestamp('starts_at', { useTz: true }).notNullable();
    table.timestamp('firing_at', { useTz: true }).nullable();
    table.timestamp('resolved_at', { useTz: true }).nullable();
    table.string('acknowledged_by', 255).nullable();
    table.timestamp('acknowledged_at', { useTz: true }).nullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.index(
      ['model_id', 'state', 'starts_at'],
      'model_ops_alerts_model_state_idx',
    );
  });
  await knex.raw(
    `CREATE UNIQUE INDEX model_ops_alerts_one_open_idx ON model_ops_alerts (fingerprint) WHERE state <> 'resolved'`,
  );
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.raw('DROP INDEX IF EXISTS model_ops_alerts_one_open_idx');
  await knex.schema.dropTable('model_ops_alerts');
  await knex.schema.dropTable('model_ops_samples_hourly');
  await knex.schema.dropTable('model_ops_samples');
};
