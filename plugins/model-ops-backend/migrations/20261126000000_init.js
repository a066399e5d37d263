/**
 * The first tables: a row per model the plugin has acted on, its slots, and the versions it has
 * seen. Later migrations add pipeline runs, switches, samples and alerts.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_ops_models', table => {
    table.comment('Models Model Ops has acted on, keyed by their model id');
    table.string('model_id', 63).primary().notNullable();
    table.string('entity_ref', 255).notNullable().index();
    table.string('production_version', 128).nullable();
    table.string('active_slot', 16).nullable();
    table
      .string('status', 16)
      .notNullable()
      .defaultTo('unknown')
      .comment('unknown, healthy, warning or critical');
    table.timestamp('status_changed_at', { useTz: true }).nullable();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('model_ops_slots', table => {
    table.comment('What each slot (staging, blue, green) of a model runs');
    table
      .string('model_id', 63)
      .notNullable()
      .references('model_id')
      .inTable('model_ops_models')
      .onDelete('CASCADE');
    table.string('slot', 16).notNullable();
    table.string('version', 128).nullable();
    table.string('endpoint', 512).nullable();
    table.string('state', 16).notNullable().defaultTo('empty');
    table.integer('traffic_weight').notNullable().defaultTo(0);
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.primary(['model_id', 'slot']);
  });

  await knex.schema.createTable('model_ops_versions', table => {
    table.comment('Versions seen for each model, with their artifacts');
    table
      .string('model_id', 63)
      .notNullable()
      .references('model_id')
      .inTable('model_ops_models')
      .onDelete('CASCADE');
    table.string('version', 128).notNullable();
    table.string('artifact_uri', 1024).notNullable();
    table.string('sha256', 64).nullable();
    table.string('status', 16).notNullable().defaultTo('registered');
    table
      .timestamp('registered_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.timestamp('last_deployed_at', { useTz: true }).nullable();
    table.primary(['model_id', 'version']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_ops_versions');
  await knex.schema.dropTable('model_ops_slots');
  await knex.schema.dropTable('model_ops_models');
};
