/**
 * Seeded history: the range of a model's samples that the demo history task filled from the
 * demo traffic pattern rather than measured, so the Capacity tab can say so. The row is
 * inserted before the samples are written and its key decides which replica seeds a model;
 * `completed_at` is set when all of the range is stored, and an unfinished seeding whose lease
 * ran out (its replica stopped) is taken over and redone.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_ops_seeded_history', table => {
    table.comment(
      'Per model, the range of its samples and rollups that was seeded as demo history, not measured',
    );
    table.string('model_id', 63).notNullable().primary();
    table
      .timestamp('seeded_from', { useTz: true })
      .notNullable()
      .comment('the first seeded minute');
    table
      .timestamp('seeded_to', { useTz: true })
      .notNullable()
      .comment(
        'the end of the seeded range (exclusive): measured samples start here',
      );
    table
      .timestamp('seeded_at', { useTz: true })
      .notNullable()
      .comment('when the seeding (last) started');
    table
      .timestamp('completed_at', { useTz: true })
      .nullable()
      .comment('when every sample of the range was stored; null while seeding');
    table
      .string('source', 63)
      .notNullable()
      .comment('what produced the samples, e.g. demo-traffic');
    table
      .text('note')
      .nullable()
      .comment('what was seeded, in words (the traffic pattern, the growth)');
    table
      .string('lease_owner', 255)
      .nullable()
      .comment('the process seeding the range');
    table
      .timestamp('lease_expires_at', { useTz: true })
      .nullable()
      .comment(
        'until when the seeding process holds the row; after it, an unfinished seeding is redone',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_ops_seeded_history');
};
