/**
 * Capacity summaries: per model, what the Model Ops page shows of its last capacity report (the
 * projected monthly cost and the top recommendation). A report reads up to 30 days of stored
 * series, far too much to compute for every row of a page, so the summary task (once per
 * cluster) and each read of the Capacity tab store it here, and the model list joins it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_ops_capacity_summaries', table => {
    table.comment(
      'Per model, the projected monthly cost and top recommendation of its last capacity report',
    );
    table.string('model_id', 63).notNullable().primary();
    table
      .string('period', 8)
      .notNullable()
      .comment('the period the report covered, e.g. 7d');
    table
      .timestamp('computed_at', { useTz: true })
      .notNullable()
      .comment('when the report was computed');
    table
      .double('monthly_cost')
      .notNullable()
      .comment('projected cost of the next 30 days');
    table.string('currency', 8).notNullable();
    table
      .string('cost_basis', 16)
      .notNullable()
      .comment(
        'projection (the fit 30 days ahead) or current (cost per day times 30)',
      );
    table
      .text('top_recommendation')
      .nullable()
      .comment(
        'JSON: id, type, priority, title and actBy of the first recommendation',
      );
    table
      .integer('recommendations')
      .notNullable()
      .comment('how many recommendations the report made');
    table
      .boolean('seeded')
      .notNullable()
      .comment('some of the period was seeded demo history');
    table.index(['monthly_cost'], 'model_ops_capacity_summaries_cost_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_ops_capacity_summaries');
};
