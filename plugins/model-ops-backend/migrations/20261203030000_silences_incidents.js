/**
 * Silences and maintenance windows made through the API, incidents (the overlapping alerts of
 * a model), and what an alert records of its context: the version serving when it fired, the
 * change that preceded it, its incident and what muted it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_ops_silences', table => {
    table.comment(
      'Silences and maintenance windows of a model: matching alerts are recorded but not notified',
    );
    table.uuid('id').primary().notNullable();
    table.string('model_id', 63).notNullable();
    table.string('entity_ref', 255).notNullable();
    table
      .string('kind', 16)
      .notNullable()
      .comment('silence (matchers) or maintenance (the whole model)');
    table
      .text('matchers')
      .notNullable()
      .defaultTo('{}')
      .comment('JSON: alertType, severity and slot lists; absent matches any');
    table.text('reason').notNullable();
    table.string('created_by', 255).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('starts_at', { useTz: true }).notNullable();
    table.timestamp('ends_at', { useTz: true }).notNullable();
    table
      .timestamp('expired_at', { useTz: true })
      .nullable()
      .comment('when it was ended early by hand');
    table.string('expired_by', 255).nullable();
    table.index(['model_id', 'ends_at'], 'model_ops_silences_model_idx');
  });
  await knex.schema.createTable('model_ops_incidents', table => {
    table.comment('The overlapping firing alerts of a model, as one incident');
    table.uuid('id').primary().notNullable();
    table.string('model_id', 63).notNullable();
    table.string('entity_ref', 255).notNullable();
    table.string('state', 16).notNullable().comment('open or resolved');
    table.string('title', 512).notNullable();
    table.string('severity', 16).notNullable().comment('the highest so far');
    table.timestamp('opened_at', { useTz: true }).notNullable();
    table.timestamp('acknowledged_at', { useTz: true }).nullable();
    table.string('acknowledged_by', 255).nullable();
    table.timestamp('resolved_at', { useTz: true }).nullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.index(['model_id', 'opened_at'], 'model_ops_incidents_model_idx');
    table.index(['state'], 'model_ops_incidents_state_idx');
  });
  // One open incident per model, also when two replicas open one at once.
  await knex.raw(
    `CREATE UNIQUE INDEX model_ops_incidents_one_open_idx ON model_ops_incidents (model_id) WHERE state = 'open'`,
  );
  await knex.schema.alterTable('model_ops_alerts', table => {
    table.uuid('incident_id').nullable().index('model_ops_alerts_incident_idx');
    table
      .string('version', 128)
      .nullable()
      .comment('the version its slot served when it fired');
    table
      .text('change')
      .nullable()
      .comment(
        'JSON: the deployment or switch that finished shortly before it fired',
      );
    table
      .string('silenced_by', 255)
      .nullable()
      .comment('the silence or maintenance window that muted it when it fired');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('model_ops_alerts', table => {
    table.dropIndex(['incident_id'], 'model_ops_alerts_incident_idx');
    table.dropColumn('silenced_by');
    table.dropColumn('change');
    table.dropColumn('version');
    table.dropColumn('incident_id');
  });
  await knex.schema.dropTable('model_ops_incidents');
  await knex.schema.dropTable('model_ops_silences');
};
