/**
 * Environments: the switch history of each model (which also serialises switches: at most one
 * in progress per model, enforced by a partial unique index), and how long an idle color stays
 * warm for instant rollback.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_ops_switches', table => {
    table.comment(
      'Traffic switches between the blue and green colors of models',
    );
    table.uuid('id').primary().notNullable();
    table.string('model_id', 63).notNullable();
    table
      .string('kind', 24)
      .notNullable()
      .comment(
        'switch, rollback-switch, deployment, canary-promotion or canary-abort',
      );
    table.string('from_slot', 16).nullable();
    table.string('to_slot', 16).notNullable();
    table.string('from_version', 128).nullable();
    table.string('to_version', 128).nullable();
    table.string('requested_by', 255).nullable();
    table.text('reason').nullable();
    table.uuid('run_id').nullable();
    table
      .string('status', 16)
      .notNullable()
      .comment('in_progress, succeeded, failed or rolled_back');
    table.text('error').nullable();
    table.text('checks').notNullable().defaultTo('[]');
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.index(
      ['model_id', 'started_at'],
      'model_ops_switches_model_started_idx',
    );
  });
  await knex.raw(
    `CREATE UNIQUE INDEX model_ops_switches_one_in_progress_idx ON model_ops_switches (model_id) WHERE status = 'in_progress'`,
  );
  await knex.schema.alterTable('model_ops_slots', table => {
    table.timestamp('warm_until', { useTz: true }).nullable();
  });
  await knex.schema.alterTable('model_ops_runs', table => {
    table
      .string('rules', 63)
      .notNullable()
      .defaultTo('default')
      .comment(
        'the rule set that judges health watches and canary analyses of the run',
      );
    table
      .text('canary')
      .nullable()
      .comment('the canary state as JSON, while and after a canary release');
    table
      .string('canary_command', 16)
      .nullable()
      .comment('promote or abort, asked for by a user and read by the worker');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('model_ops_runs', table => {
    table.dropColumn('canary_command');
    table.dropColumn('canary');
    table.dropColumn('rules');
  });
  await knex.schema.alterTable('model_ops_slots', table => {
    table.dropColumn('warm_until');
  });
  await knex.raw('DROP INDEX IF EXISTS model_ops_switches_one_in_progress_idx');
  await knex.schema.dropTable('model_ops_switches');
};
