/**
 * Which entity owns each model id. The first entity seen declaring an id is written here and
 * keeps it: a later entity declaring the same id is a rival, whatever its uid or name. An owner
 * that leaves the catalog is marked absent; once it has been gone for the transfer delay, the
 * next claimant takes the id over (compare-and-set on the recorded owner, so replicas agree).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_ops_model_claims', table => {
    table.comment('The entity that owns each model id');
    table.string('model_id', 63).primary().notNullable();
    table
      .string('entity_ref', 255)
      .notNullable()
      .comment('the owning entity, in its full form');
    table
      .string('entity_uid', 64)
      .nullable()
      .comment('the catalog uid of the owner when it claimed the id');
    table
      .timestamp('claimed_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .timestamp('owner_absent_since', { useTz: true })
      .nullable()
      .comment('when the owner was first seen missing from the catalog');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_ops_model_claims');
};
