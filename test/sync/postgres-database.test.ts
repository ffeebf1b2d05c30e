// Database-level metadata sync against a real PostgreSQL warehouse.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Plan } from '../../src/jobs/types.ts';
import { createTestDatabase, execSql } from '../support/postgres.ts';
import { createHarness, stampCatalog, writtenSince, type Harness, type TableView } from './support.ts';

const DATABASE: Plan = { metadata: { database: true } };

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

async function warehouse(...ddl: string[]) {
  const wh = await createTestDatabase('syncdb');
  if (ddl.length > 0) await execSql(wh.url, ...ddl);
  const dbId = await h.addDatabase('postgres', wh.details);
  return { ...wh, dbId };
}

function fkNames(table: TableView): string[] {
  return table.database_foreign_keys.map((fk) => (fk as { name: string }).name);
}

const SHOP = [
  `CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, name text DEFAULT NULL, nick text DEFAULT 'x')`,
  `CREATE TABLE orders (id int PRIMARY KEY, rev int NOT NULL, user_id int REFERENCES users (id), total numeric(10,2),
     created_at timestamptz, UNIQUE (id, rev))`,
  `CREATE TABLE lines (id serial PRIMARY KEY, order_id int, order_rev int, note text,
     CONSTRAINT lines_order_fk FOREIGN KEY (order_id, order_rev) REFERENCES orders (id, rev))`,
  `CREATE INDEX lines_partial ON lines (note) WHERE note IS NOT NULL`,
  `CREATE INDEX lines_expr ON lines (lower(note))`,
  `CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100`,
  `COMMENT ON TABLE orders IS 'One row per order'`,
  `COMMENT ON COLUMN orders.total IS 'Gross total'`,
  `CREATE TABLE django_migrations (id int)`,
  `CREATE TABLE "_metabase_metadata" (keypath text)`,
];

describe('database-level metadata sync on PostgreSQL', () => {
  test('a first sync creates tables, fields, FKs and indexes and records every step', async () => {
    const wh = await warehouse(...SHOP);
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE);
    assert.equal(outcome.state, 'succeeded');
    assert.equal(outcome.error, null);
    assert.deepEqual(outcome.result.phases, { metadata: 'success' });

    const tables = await h.tables(wh.dbId);
    assert.deepEqual(tables.map((t) => t.name), ['big_orders', 'django_migrations', 'lines', 'orders', 'users']);
    const orders = await h.table(wh.dbId, 'orders');
    assert.equal(orders.description, 'One row per order');
    assert.equal(orders.database_comment, 'One row per order');
    assert.equal(orders.kind, 'table');
    assert.equal(orders.initial_sync_status, 'complete');
    assert.match(orders.database_object_id ?? '', /^\d+$/);
    assert.equal((await h.table(wh.dbId, 'big_orders')).kind, 'view');
    const django = await h.table(wh.dbId, 'django_migrations');
    assert.equal(django.visibility_type, 'cruft');
    assert.equal(django.initial_sync_status, 'complete');
    assert.deepEqual(await h.fields(django.id), [], 'a cruft table is not synced at database level');

    const users = await h.table(wh.dbId, 'users');
    const userFields = await h.fields(users.id);
    assert.deepEqual(userFields.map((f) => [f.name, f.database_position, f.position]), [
      ['id', 0, 0],
      ['email', 1, 1],
      ['name', 2, 2],
      ['nick', 3, 3],
    ]);
    const [uid, email, name, nick] = userFields;
    assert.equal(uid.semantic_type, 'type/PK');
    assert.equal(uid.database_is_pk, true);
    assert.equal(uid.database_is_auto_increment, true);
    assert.equal(uid.database_required, false);
    assert.equal(uid.display_name, 'ID');
    assert.equal(uid.database_indexed, true);
    assert.equal(uid.database_object_id, '1');
    assert.equal(email.database_required, true);
    assert.equal(email.database_is_nullable, false);
    assert.equal(name.database_default, null, 'DEFAULT NULL is stored as NULL');
    assert.equal(nick.database_default, "'x'::text");

    const orderFields = await h.fields(orders.id);
    const total = orderFields.find((f) => f.name === 'total');
    assert.equal(total?.base_type, 'type/Decimal');
    assert.equal(total?.description, 'Gross total');
    const userId = orderFields.find((f) => f.name === 'user_id');
    assert.equal(userId?.semantic_type, 'type/FK');
    assert.equal(userId?.fk_target_field_id, uid.id);

    const lines = await h.table(wh.dbId, 'lines');
    const lineFields = await h.fields(lines.id);
    const byName = (list: typeof lineFields, n: string) => list.find((f) => f.name === n);
    assert.equal(byName(lineFields, 'order_id')?.fk_target_field_id, byName(orderFields, 'id')?.id);
    assert.equal(byName(lineFields, 'order_rev')?.fk_target_field_id, byName(orderFields, 'rev')?.id);
    assert.deepEqual(lines.database_foreign_keys, [
      {
        name: 'lines_order_fk',
        columns: ['order_id', 'order_rev'],
        target_schema: 'public',
        target_table: 'orders',
        target_columns: ['id', 'rev'],
      },
    ]);
    assert.deepEqual(lines.database_indexes, [
      { name: 'lines_expr', columns: [null], unique: false, primary: false, partial: false },
      { name: 'lines_partial', columns: ['note'], unique: false, primary: false, partial: true },
      { name: 'lines_pkey', columns: ['id'], unique: true, primary: true, partial: false },
    ]);
    assert.equal(byName(lineFields, 'note')?.database_indexed, false, 'partial and expression indexes do not count');
    assert.equal(byName(orderFields, 'rev')?.database_indexed, false, 'rev is the second column of the unique key');

    const view = await h.fields((await h.table(wh.dbId, 'big_orders')).id);
    assert.deepEqual(view.map((f) => f.name), ['id', 'total']);

    const database = await h.database(wh.dbId);
    assert.equal(database.initial_sync_status, 'complete');
    const version = JSON.parse(database.dbms_version ?? 'null');
    assert.equal(version.flavor, 'PostgreSQL');
    assert.deepEqual(version['semantic-version'], version.version.split('.').map(Number));
    assert.equal(typeof database.timezone, 'string');

    const tasks = await h.tasks(jobId);
    assert.deepEqual(tasks.map((t) => t.task), [
      'sync', 'sync-dbms-version', 'sync-timezone', 'sync-tables', 'sync-fields', 'sync-fks', 'sync-indexes',
    ]);
    const [operation, ...steps] = tasks;
    assert.deepEqual(outcome.result.operations, [operation.id]);
    for (const task of tasks) {
      assert.equal(task.status, 'success');
      assert.equal(task.job_id, jobId);
      assert.equal(task.db_id, wh.dbId);
      assert.notEqual(task.ended_at, null);
      assert.equal(typeof task.duration, 'number');
    }
    for (const step of steps) {
      assert.equal(step.parent_id, operation.id);
      assert.equal(step.details.scope, 'database');
      assert.equal(step.details['warehouse-queries'], 1, `${step.task} issues one warehouse query`);
      assert.deepEqual(step.details.failures, []);
    }
    assert.deepEqual(operation.details, {
      phase: 'metadata',
      scope: 'database',
      triggers: ['notify'],
      steps: {
        'sync-dbms-version': 'success', 'sync-timezone': 'success', 'sync-tables': 'success',
        'sync-fields': 'success', 'sync-fks': 'success', 'sync-indexes': 'success',
      },
      'failed-steps': [],
      'not-run': [],
      abandoned: null,
      skipped: null,
      'warehouse-queries': 6,
    });
    const tablesStep = steps[2].details;
    assert.equal(tablesStep['total-tables'], 5);
    assert.equal(tablesStep.created, 5);
    assert.equal(tablesStep.skipped, 1, '_metabase_metadata is skipped');
    assert.equal(tablesStep['listing-complete'], true);
    const fieldsStep = steps[3].details;
    assert.equal(fieldsStep['total-tables'], 4);
    assert.equal(fieldsStep['total-fields'], 15);
    assert.equal(fieldsStep.created, 15);
    const fksStep = steps[4].details;
    assert.equal(fksStep['total-fks'], 2);
    assert.equal(fksStep['total-pairs'], 3);
    assert.equal(fksStep.marked, 3);

    assert.deepEqual(outcome.result.changes.tables.created, [
      'public.big_orders', 'public.django_migrations', 'public.lines', 'public.orders', 'public.users',
    ]);
    assert.equal(outcome.result.changes.fields.created.length, 15);
    assert.ok(outcome.result.changes.fields.created.includes('public.orders.total'));
  });

  test('a second run with nothing changed writes no catalog row', async () => {
    const wh = await warehouse(...SHOP);
    assert.equal((await h.run(wh.dbId, DATABASE)).outcome.state, 'succeeded');
    const sentinel = await stampCatalog(h.appDb);
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE);
    assert.equal(outcome.state, 'succeeded');
    assert.equal(await writtenSince(h.appDb, sentinel), 0);
    const steps = Object.fromEntries((await h.tasks(jobId)).map((t) => [t.task, t.details]));
    assert.equal(steps['sync-tables'].unchanged, 5);
    assert.equal(steps['sync-fields'].unchanged, 15);
    assert.equal(steps['sync-fks'].unchanged, 3);
    assert.equal(steps['sync-indexes']['tables-updated'], 0);
    assert.equal(steps['sync-dbms-version'].changed, false);
    assert.deepEqual(outcome.result.changes.fields.created, []);
  });

  test('columns added, dropped, retyped and renamed; a table renamed keeps its id', async () => {
    const wh = await warehouse(
      `CREATE TABLE events (id int PRIMARY KEY, kind text, legacy text, payload text, created_at timestamptz)`,
    );
    await h.run(wh.dbId, DATABASE);
    const events = await h.table(wh.dbId, 'events');
    const before = await h.fields(events.id);
    await h.updateField(events.id, 'created_at', {
      semantic_type: 'type/CreationTimestamp',
      last_analyzed: '2025-01-01T00:00:00.000Z',
      fingerprint: '{"global":{}}',
      fingerprint_version: 5,
    });
    await execSql(
      wh.url,
      `ALTER TABLE events ADD COLUMN note text`,
      `ALTER TABLE events DROP COLUMN legacy`,
      `ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb`,
      `ALTER TABLE events RENAME COLUMN created_at TO happened_at`,
      `ALTER TABLE events RENAME TO event_log`,
    );
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE);
    assert.equal(outcome.state, 'succeeded');
    const log = await h.table(wh.dbId, 'event_log');
    assert.equal(log.id, events.id, 'the rename is detected by oid');
    assert.equal(log.display_name, 'Event Log');
    assert.equal((await h.tables(wh.dbId)).length, 1);

    const after = await h.fields(events.id);
    const find = (name: string) => after.find((f) => f.name === name);
    const was = (name: string) => before.find((f) => f.name === name);
    assert.equal(find('legacy')?.active, false);
    assert.equal(find('legacy')?.id, was('legacy')?.id);
    assert.equal(find('payload')?.base_type, 'type/JSON');
    assert.equal(find('payload')?.database_type, 'jsonb');
    assert.equal(find('payload')?.semantic_type, 'type/SerializedJSON');
    assert.equal(find('payload')?.id, was('payload')?.id);
    const happened = find('happened_at');
    assert.equal(happened?.id, was('created_at')?.id, 'the column rename is detected by attnum');
    assert.equal(happened?.display_name, 'Happened At');
    assert.equal(happened?.semantic_type, null);
    assert.equal(happened?.last_analyzed, null);
    assert.equal(happened?.fingerprint, '{"global":{}}', 'the fingerprint is kept');
    assert.equal(find('note')?.active, true);
    assert.deepEqual(after.filter((f) => f.active).map((f) => [f.name, f.database_position]).sort(), [
      ['happened_at', 3], ['id', 0], ['kind', 1], ['note', 4], ['payload', 2],
    ]);

    assert.deepEqual(outcome.result.changes.tables.renamed, [{ from: 'public.events', to: 'public.event_log' }]);
    assert.deepEqual(outcome.result.changes.fields, {
      created: ['public.event_log.note'],
      reactivated: [],
      retired: ['public.event_log.legacy'],
      renamed: [{ from: 'public.event_log.created_at', to: 'public.event_log.happened_at' }],
      'type-changed': ['public.event_log.payload'],
    });
    const steps = Object.fromEntries((await h.tasks(jobId)).map((t) => [t.task, t.details]));
    assert.deepEqual(steps['sync-tables'].renamed, [{ from: 'public.events', to: 'public.event_log' }]);
    assert.equal(steps['sync-tables'].retired, 0);
    const fields = steps['sync-fields'];
    assert.deepEqual(
      [fields.created, fields.renamed, fields.updated, fields['type-changed'], fields.retired, fields.unchanged],
      [1, 1, 1, 1, 1, 2],
    );
  });

  test('the ETL swap pattern keeps the row on the name and skips attnum matching', async () => {
    const wh = await warehouse(`CREATE TABLE orders (id int PRIMARY KEY, amount int)`);
    await h.run(wh.dbId, DATABASE);
    const orders = await h.table(wh.dbId, 'orders');
    await h.updateTable(orders.id, { description: 'Curated', user_set: '["description"]' });
    const [idField, amount] = await h.fields(orders.id);
    await execSql(
      wh.url,
      `CREATE TABLE orders_new (id int PRIMARY KEY, total int)`,
      `ALTER TABLE orders RENAME TO orders_old`,
      `ALTER TABLE orders_new RENAME TO orders`,
      `DROP TABLE orders_old`,
    );
    const { outcome } = await h.run(wh.dbId, DATABASE);
    assert.equal(outcome.state, 'succeeded');
    const tables = await h.tables(wh.dbId);
    assert.equal(tables.length, 1);
    const swapped = tables[0];
    assert.equal(swapped.id, orders.id);
    assert.equal(swapped.description, 'Curated');
    assert.notEqual(swapped.database_object_id, orders.database_object_id);
    const fields = await h.fields(orders.id);
    assert.equal(fields.find((f) => f.name === 'id')?.id, idField.id);
    const amountAfter = fields.find((f) => f.name === 'amount');
    assert.equal(amountAfter?.active, false, 'attnum 2 of another relation is not a rename');
    assert.equal(fields.find((f) => f.name === 'amount')?.id, amount.id);
    assert.equal(fields.find((f) => f.name === 'total')?.active, true);
    assert.deepEqual(outcome.result.changes.tables.renamed, []);
    assert.deepEqual(outcome.result.changes.fields.renamed, []);
  });

  test('a dropped table is retired and reactivated with the same id when it comes back', async () => {
    const wh = await warehouse(`CREATE TABLE keep (id int)`, `CREATE TABLE tmp (id int, a text)`);
    await h.run(wh.dbId, DATABASE);
    const tmp = await h.table(wh.dbId, 'tmp');
    await execSql(wh.url, `DROP TABLE tmp`);
    const dropped = await h.run(wh.dbId, DATABASE);
    assert.deepEqual(dropped.outcome.result.changes.tables.retired, ['public.tmp']);
    const retired = await h.table(wh.dbId, 'tmp');
    assert.equal(retired.active, false);
    assert.notEqual(retired.deactivated_at, null);
    assert.equal((await h.fields(tmp.id)).every((f) => f.active), true, 'fields of a retired table are untouched');

    await execSql(wh.url, `CREATE TABLE tmp (id int, b text)`);
    const back = await h.run(wh.dbId, DATABASE);
    assert.deepEqual(back.outcome.result.changes.tables.reactivated, ['public.tmp']);
    const reactivated = await h.table(wh.dbId, 'tmp');
    assert.equal(reactivated.id, tmp.id);
    assert.equal(reactivated.active, true);
    assert.equal(reactivated.deactivated_at, null);
    const fields = await h.fields(tmp.id);
    assert.deepEqual(fields.map((f) => [f.name, f.active]), [['id', true], ['a', false], ['b', true]]);
  });

  test('user-set description, display name and semantic type survive a re-sync', async () => {
    const wh = await warehouse(
      `CREATE TABLE items (id int PRIMARY KEY, code text, price int)`,
      `COMMENT ON COLUMN items.code IS 'v1'`,
    );
    await h.run(wh.dbId, DATABASE);
    const items = await h.table(wh.dbId, 'items');
    await h.updateTable(items.id, { display_name: 'Catalog Items', user_set: '["display_name"]' });
    await h.updateField(items.id, 'code', {
      description: 'Our SKU',
      semantic_type: 'type/Category',
      user_set: '["description","semantic_type"]',
    });
    await execSql(
      wh.url,
      `COMMENT ON COLUMN items.code IS 'v2'`,
      `ALTER TABLE items ALTER COLUMN code TYPE int USING 0`,
      `ALTER TABLE items RENAME TO catalog_items`,
    );
    assert.equal((await h.run(wh.dbId, DATABASE)).outcome.state, 'succeeded');
    const renamed = await h.table(wh.dbId, 'catalog_items');
    assert.equal(renamed.display_name, 'Catalog Items');
    const code = (await h.fields(items.id)).find((f) => f.name === 'code');
    assert.equal(code?.description, 'Our SKU');
    assert.equal(code?.semantic_type, 'type/Category', 'a user-set semantic type survives a base-type change');
    assert.equal(code?.base_type, 'type/Integer');
  });

  test('a column in two FK constraints follows the constraint whose name sorts first', async () => {
    const wh = await warehouse(
      `CREATE TABLE x (id int PRIMARY KEY)`,
      `CREATE TABLE y (id int PRIMARY KEY)`,
      `CREATE TABLE z (id int PRIMARY KEY, ref int, CONSTRAINT z_b FOREIGN KEY (ref) REFERENCES x (id),
         CONSTRAINT z_a FOREIGN KEY (ref) REFERENCES y (id))`,
    );
    const { jobId } = await h.run(wh.dbId, DATABASE);
    const ref = (await h.fields((await h.table(wh.dbId, 'z')).id)).find((f) => f.name === 'ref');
    assert.equal(ref?.fk_target_field_id, (await h.fields((await h.table(wh.dbId, 'y')).id))[0].id);
    const fks = (await h.tasks(jobId)).find((t) => t.task === 'sync-fks')?.details;
    assert.equal(fks?.conflicts, 1);
    assert.equal(fks?.['total-fks'], 2);
    assert.deepEqual(fkNames(await h.table(wh.dbId, 'z')), ['z_a', 'z_b']);
  });

  test('a dropped FK is cleared, a user-set FK is skipped', async () => {
    const wh = await warehouse(
      `CREATE TABLE a (id int PRIMARY KEY)`,
      `CREATE TABLE b (id int PRIMARY KEY, a_id int CONSTRAINT b_a_fk REFERENCES a (id),
         a2 int CONSTRAINT b_a2_fk REFERENCES a (id))`,
    );
    await h.run(wh.dbId, DATABASE);
    const b = await h.table(wh.dbId, 'b');
    await h.updateField(b.id, 'a2', { user_set: '["fk_target_field_id"]', fk_target_field_id: null });
    await execSql(wh.url, `ALTER TABLE b DROP CONSTRAINT b_a_fk`);
    const { jobId } = await h.run(wh.dbId, DATABASE);
    const fields = await h.fields(b.id);
    const aId = fields.find((f) => f.name === 'a_id');
    assert.equal(aId?.fk_target_field_id, null);
    assert.equal(aId?.semantic_type, null);
    assert.equal(fields.find((f) => f.name === 'a2')?.fk_target_field_id, null);
    const fks = (await h.tasks(jobId)).find((t) => t.task === 'sync-fks')?.details;
    assert.equal(fks?.cleared, 1);
    assert.equal(fks?.['user-set-skipped'], 1);
    assert.deepEqual(fkNames(await h.table(wh.dbId, 'b')), ['b_a2_fk']);
  });
});
