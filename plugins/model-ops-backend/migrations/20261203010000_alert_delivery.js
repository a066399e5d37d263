/**
 * Alert delivery: an outbox row per notification and channel, written in the transaction of the
 * alert's transition, and every attempt to send it. Alerts gain when they were last notified
 * (the repeat interval) and their escalation.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_ops_alert_deliveries', table => {
    table.comment(
      'The outbox: one row per notification and channel, sent by the delivery task',
    );
    table.increments('seq').primary().comment('the order rows were written in');
    table.uuid('id').notNullable().unique().comment('the notification id');
    table
      .string('dedup_key', 255)
      .notNullable()
      .unique()
      .comment('what makes two writes of one notification one row');
    table.string('model_id', 63).notNullable();
    table.string('channel_id', 63).notNullable();
    table.string('route', 63).notNullable();
    table
      .string('kind', 16)
      .notNullable()
      .comment('firing, repeat, escalation, acknowledged or resolved');
    table.text('alert_ids').notNullable().comment('JSON list of alert ids');
    table
      .string('order_key', 64)
      .notNullable()
      .comment(
        'rows of one order key and channel are sent in the order written: the first alert of the first notification about it',
      );
    table.text('payload').notNullable().comment('the notification, as JSON');
    table
      .string('status', 16)
      .notNullable()
      .defaultTo('pending')
      .comment('pending, sending, sent or failed');
    table.integer('attempts').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('next_attempt_at', { useTz: true }).notNullable();
    table.timestamp('sent_at', { useTz: true }).nullable();
    table.timestamp('failed_at', { useTz: true }).nullable();
    table
      .string('lease_owner', 64)
      .nullable()
      .comment('the claim of the replica sending it');
    table.timestamp('lease_expires_at', { useTz: true }).nullable();
    table.integer('last_status').nullable();
    table.text('last_error').nullable();
    table.index(['status', 'next_attempt_at'], 'model_ops_deliveries_due_idx');
    table.index(
      ['order_key', 'channel_id', 'seq'],
      'model_ops_deliveries_order_idx',
    );
    table.index(['model_id', 'seq'], 'model_ops_deliveries_model_idx');
  });
  await knex.schema.createTable('model_ops_alert_delivery_attempts', table => {
    table.comment('Every attempt to send a delivery');
    table.increments('id').primary();
    table.integer('delivery_seq').notNullable().index();
    table.timestamp('attempted_at', { useTz: true }).notNullable();
    table.boolean('ok').notNullable();
    table.integer('status').nullable();
    table.text('detail').nullable();
    table.integer('latency_ms').notNullable();
    table.string('worker', 64).notNullable();
  });
  await knex.schema.alterTable('model_ops_alerts', table => {
    table
      .timestamp('last_notified_at', { useTz: true })
      .nullable()
      .comment('when a firing or repeat notification was last written');
    table.timestamp('escalated_at', { useTz: true }).nullable();
    table.text('escalation').nullable().comment('why it escalated');
    table.text('acknowledged_comment').nullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('model_ops_alerts', table => {
    table.dropColumn('acknowledged_comment');
    table.dropColumn('escalation');
    table.dropColumn('escalated_at');
    table.dropColumn('last_notified_at');
  });
  await knex.schema.dropTable('model_ops_alert_delivery_attempts');
  await knex.schema.dropTable('model_ops_alert_deliveries');
};
