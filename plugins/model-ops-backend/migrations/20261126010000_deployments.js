/**
 * Deployment runs: one row per run (a persisted state machine with a lease, so a run whose
 * replica died is picked up by another) and one row per stage with its checks and figures.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_ops_runs', table => {
    table.comment('Deployment and rollback runs of models');
    table.uuid('id').primary().notNullable();
    table.string('model_id', 63).notNullable();
    table.string('entity_ref', 255).notNullable();
    table.string('kind', 16).notNullable().comment('deploy or rollback');
    table.string('version', 128).notNullable();
    table.string('artifact_uri', 1024).notNullable();
    table.string('sha256', 64).nullable();
    table.text('config').notNullable().defaultTo('{}');
    table.string('strategy', 16).notNullable();
    table
      .string('runtime', 63)
      .notNullable()
      .comment('the runtime the model named when the run was created');
    table
      .string('status', 16)
      .notNullable()
      .comment('pending, running, succeeded, failed, rolled_back or cancelled');
    table.string('stage', 16).nullable().comment('the stage running now');
    table.string('previous_version', 128).nullable();
    table.text('error').nullable();
    table.string('created_by', 255).nullable();
    table.boolean('cancel_requested').notNullable().defaultTo(false);
    table.string('lease_owner', 255).nullable();
    table.timestamp('lease_expires_at', { useTz: true }).nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.index(['model_id', 'created_at'], 'model_ops_runs_model_created_idx');
    table.index(['status'], 'model_ops_runs_status_idx');
  });
  // One active run per model, enforced by the database itself (SQLite and PostgreSQL both
  // support partial unique indexes).
  await knex.raw(
    `CREATE UNIQUE INDEX model_ops_runs_one_active_idx ON model_ops_runs (model_id) WHERE status IN ('pending', 'running')`,
  );

  await knex.schema.createTable('model_ops_run_stages', table => {
    table.comment(
      'The stages of each run, with checks, errors and measured figures',
    );
    table
      .uuid('run_id')
      .notNullable()
      .references('id')
      .inTable('model_ops_runs')
      .onDelete('CASCADE');
    table.string('name', 16).notNullable();
    table.integer('position').notNullable();
    table
      .string('status', 16)
      .notNullable()
      .comment('pending, running, succeeded, failed, skipped or cancelled');
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.text('checks').notNullable().defaultTo('[]');
    table.text('errors').notNullable().defaultTo('[]');
    table.text('metrics').notNullable().defaultTo('{}');
    table.primary(['run_id', 'name']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_ops_run_stages');
  await knex.raw('DROP INDEX IF EXISTS model_ops_runs_one_active_idx');
  await knex.schema.dropTable('model_ops_runs');
};
