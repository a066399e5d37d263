/**
 * What monitoring keeps from one tick to the next, shared by the replicas so that the first
 * tick on another replica is right: the end of the last tick's window, and each metric source's
 * state (the scrape source's counter snapshots per model and slot, which turn counters into
 * rates).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_ops_monitoring_state', table => {
    table.comment(
      'What monitoring keeps between ticks: the last tick, the metric sources state',
    );
    table
      .string('scope', 80)
      .notNullable()
      .comment('tick for the ticks, source:<id> for a metric source');
    table
      .string('key', 255)
      .notNullable()
      .comment(
        'within the scope, e.g. lastTickAt, or model id and slot for the scrape source',
      );
    table.text('value').notNullable().comment('JSON');
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.primary(['scope', 'key']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_ops_monitoring_state');
};
