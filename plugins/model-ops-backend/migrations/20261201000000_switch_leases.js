/**
 * Switch intents: a switch row is written before traffic moves and names the process that owns
 * it, the weights it sets and until when its owner's lease runs (by the database's clock). A
 * switch whose owner stops renewing is taken over and reverted, so none stays `in_progress`.
 * Rows written before this migration have no lease, which counts as expired.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('model_ops_switches', table => {
    table
      .string('owner', 255)
      .nullable()
      .comment('the process that holds the switch while it is in progress');
    table
      .timestamp('lease_expires_at', { useTz: true })
      .nullable()
      .comment(
        'when the owner must have renewed by; after it, anyone may take the switch over',
      );
    table
      .text('weights')
      .nullable()
      .comment('the traffic weights the switch sets, as JSON');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('model_ops_switches', table => {
    table.dropColumn('weights');
    table.dropColumn('lease_expires_at');
    table.dropColumn('owner');
  });
};
