// Table-level metadata sync against a real PostgreSQL warehouse (sync-engine.md 3.2.7, 3.7; notify-api X12).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Plan } from '../../src/jobs/types.ts';
import { createTestDatabase, execSql } from '../support/postgres.ts';
import { createHarness, type Harness } from './support.ts';

const DATABASE: Plan = { metadata: { database: true } };

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

async function warehouse(ddl: string[], options: { isFullSync?: boolean } = {}) {
  const wh = await createTestDatabase('synctbl');
  if (ddl.length > 0) await execSql(wh.url, ...ddl);
  const dbId = await h.addDatabase('postgres', wh.details, options);
  return { ...wh, dbId };
}

function stepDetails(tasks: Awaited<ReturnType<Harness['tasks']>>, step: string): Record<string, unknown> {
  const task = tasks.find((t) => t.task === step);
  if (!task) throw new Error(`no ${step} row`);
  return task.details;
}

describe('table-level metadata sync on PostgreSQL', () => {
  test('the example of section 3.7, end to end', async () => {
    const wh = await warehouse([
      `CREATE TABLE users (id int4 PRIMARY KEY)`,
      `CREATE TABLE orders (id int4 PRIMARY KEY, user_id int4 REFERENCES users (id), status varchar, total numeric,
         created_at timestamptz, legacy_code text)`,
    ]);
    await h.run(wh.dbId, DATABASE);
    const orders = await h.table(wh.dbId, 'orders');
    const users = await h.table(wh.dbId, 'users');
    await h.updateField(orders.id, 'status', {
      semantic_type: 'type/Category',
      description: 'Lifecycle state',
      user_set: '["description"]',
      has_field_values: 'auto-list',
      fingerprint: '{"global":{"distinct-count":3}}',
      fingerprint_version: 5,
      last_analyzed: '2025-11-01T00:00:00.000Z',
    });
    await h.updateField(orders.id, 'total', { display_name: 'Order Total', user_set: '["display_name"]' });
    await h.updateField(orders.id, 'created_at', {
      semantic_type: 'type/CreationTimestamp',
      fingerprint: '{"global":{"distinct-count":9}}',
      fingerprint_version: 5,
      last_analyzed: '2025-11-01T00:00:00.000Z',
    });
    const before = await h.fields(orders.id);
    const id = (name: string) => before.find((f) => f.name === name)?.id as number;
    await h.appDb.db.insertInto('metabase_fieldvalues').values({ field_id: id('status'), values: '["new"]' }).execute();

    await execSql(
      wh.url,
      `ALTER TABLE public.orders DROP COLUMN legacy_code`,
      `ALTER TABLE public.orders RENAME COLUMN created_at TO placed_at`,
      `CREATE TYPE public.order_status AS ENUM ('new', 'paid', 'shipped')`,
      `ALTER TABLE public.orders ALTER COLUMN status TYPE public.order_status USING status::public.order_status`,
      `ALTER TABLE public.orders ADD COLUMN note text`,
      `COMMENT ON TABLE public.orders IS 'One row per customer order'`,
    );
    const { jobId, outcome } = await h.run(wh.dbId, { metadata: { tables: [orders.id] } });
    assert.equal(outcome.state, 'succeeded');

    const table = await h.table(wh.dbId, 'orders');
    assert.equal(table.database_comment, 'One row per customer order');
    assert.equal(table.description, 'One row per customer order');
    const after = await h.fields(orders.id);
    const row = (fieldId: number) => after.find((f) => f.id === fieldId);
    const userIdTarget = (await h.fields(users.id))[0].id;

    const columns = (f: (typeof after)[number]) => [
      f.id,
      f.name,
      f.database_type,
      f.base_type,
      f.semantic_type,
      f.display_name,
      f.description,
      f.has_field_values,
      f.active,
      f.database_position,
      f.database_object_id,
    ];
    const [ENUM, TIMESTAMP] = ['type/PostgresEnum', 'type/DateTimeWithLocalTZ'];
    // id, name, database_type, base_type, semantic_type, display_name, description, has_field_values, active,
    // database_position, database_object_id
    assert.deepEqual(after.map(columns), [
      [id('id'), 'id', 'int4', 'type/Integer', 'type/PK', 'ID', null, null, true, 0, '1'],
      [id('user_id'), 'user_id', 'int4', 'type/Integer', 'type/FK', 'User ID', null, null, true, 1, '2'],
      [id('status'), 'status', 'order_status', ENUM, null, 'Status', 'Lifecycle state', null, true, 2, '3'],
      [id('total'), 'total', 'numeric', 'type/Decimal', null, 'Order Total', null, null, true, 3, '4'],
      [id('created_at'), 'placed_at', 'timestamptz', TIMESTAMP, null, 'Placed At', null, null, true, 4, '5'],
      [id('legacy_code'), 'legacy_code', 'text', 'type/Text', null, 'Legacy Code', null, null, false, 5, '6'],
      [after[6]?.id, 'note', 'text', 'type/Text', null, 'Note', null, null, true, 5, '7'],
    ]);
    assert.equal(before.some((f) => f.id === after[6]?.id), false, 'note is a new row');
    assert.equal(row(id('user_id'))?.fk_target_field_id, userIdTarget);
    const status = row(id('status'));
    assert.equal(status?.fingerprint, null);
    assert.equal(status?.fingerprint_version, 0);
    assert.equal(status?.last_analyzed, null);
    const values = await h.appDb.db.selectFrom('metabase_fieldvalues').select('id').execute();
    assert.deepEqual(values, [], 'the field values row is deleted');
    const placed = row(id('created_at'));
    assert.equal(placed?.last_analyzed, null);
    assert.equal(placed?.fingerprint, '{"global":{"distinct-count":9}}', 'the fingerprint is kept');

    const tasks = await h.tasks(jobId);
    assert.deepEqual(tasks.map((t) => t.task), ['sync', 'sync-tables', 'sync-fields', 'sync-fks', 'sync-indexes']);
    const fields = stepDetails(tasks, 'sync-fields');
    const counts = ['total-fields', 'created', 'renamed', 'updated', 'type-changed', 'retired', 'unchanged'];
    assert.deepEqual(Object.fromEntries(counts.map((k) => [k, fields[k]])), {
      'total-fields': 6,
      created: 1,
      renamed: 1,
      updated: 1,
      'type-changed': 1,
      retired: 1,
      unchanged: 3,
    });
    assert.deepEqual(fields.scope, { tables: [orders.id], 'new-tables': [] });
    assert.equal(stepDetails(tasks, 'sync-tables').updated, 1);
    for (const task of tasks.slice(1)) {
      assert.equal(task.details['warehouse-queries'], 1, `${task.task} is one scoped query`);
    }
    assert.deepEqual(outcome.result.changes.fields['type-changed'], ['public.orders.status']);
    assert.deepEqual(outcome.result.changes.fields.renamed, [
      { from: 'public.orders.created_at', to: 'public.orders.placed_at' },
    ]);
  });

  test('known targets: absent is retired, inactive and present is reactivated; fields stay', async () => {
    const wh = await warehouse([
      `CREATE TABLE gone (id int, a int)`,
      `CREATE TABLE back (id int)`,
      `CREATE TABLE other (id int)`,
    ]);
    await h.run(wh.dbId, DATABASE);
    const gone = await h.table(wh.dbId, 'gone');
    const back = await h.table(wh.dbId, 'back');
    await h.updateTable(back.id, { active: false, deactivated_at: '2025-01-01T00:00:00.000Z' });
    await execSql(wh.url, `DROP TABLE gone`, `DROP TABLE other`, `ALTER TABLE back ADD COLUMN b int`);

    const { jobId, outcome } = await h.run(wh.dbId, { metadata: { tables: [gone.id, back.id] } });
    assert.equal(outcome.state, 'succeeded');
    assert.equal((await h.table(wh.dbId, 'gone')).active, false);
    assert.equal((await h.table(wh.dbId, 'other')).active, true, 'a table-level run touches only its targets');
    const reactivated = await h.table(wh.dbId, 'back');
    assert.equal(reactivated.active, true);
    assert.equal(reactivated.deactivated_at, null);
    const goneFields = await h.fields(gone.id);
    assert.deepEqual(goneFields.map((f) => f.active), [true, true], 'fields of an absent table are unchanged');
    assert.deepEqual((await h.fields(back.id)).map((f) => f.name), ['id', 'b']);
    const tables = stepDetails(await h.tasks(jobId), 'sync-tables');
    assert.equal(tables.retired, 1);
    assert.equal(tables.reactivated, 1);
    assert.equal(tables.absent, 1);
    assert.equal(tables['warehouse-queries'], 1, 'two targets: one scoped listing');
    assert.deepEqual(outcome.result.changes.tables.retired, ['public.gone']);
    assert.deepEqual(outcome.result.changes.tables.reactivated, ['public.back']);

    const single = await h.run(wh.dbId, { metadata: { tables: [back.id] } });
    const singleStep = stepDetails(await h.tasks(single.jobId), 'sync-tables');
    assert.equal(singleStep['warehouse-queries'], 1, 'one target: one exists-check');
  });

  test('new targets: created, absent and existing, case-sensitive, with incoming FKs resolved', async () => {
    const wh = await warehouse([
      `CREATE TABLE orders (id int PRIMARY KEY, customer_id int)`,
      `CREATE TABLE known (id int)`,
    ]);
    await h.run(wh.dbId, DATABASE);
    await execSql(
      wh.url,
      `CREATE TABLE customers (id int PRIMARY KEY, name text)`,
      `ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)`,
      `CREATE TABLE "Mixed" (id int)`,
    );
    const newTables = [
      { schema: 'public', name: 'customers' },
      { schema: 'public', name: 'known' },
      { schema: 'public', name: 'mixed' },
      { schema: 'public', name: 'nowhere' },
    ];
    const scope = { new_tables: newTables };
    const plan: Plan = { metadata: scope, analyze: scope, field_values: scope };
    const { outcome } = await h.run(wh.dbId, plan);
    assert.equal(outcome.state, 'succeeded');
    const customers = await h.table(wh.dbId, 'customers');
    const known = await h.table(wh.dbId, 'known');
    assert.deepEqual(outcome.result.new_tables, [
      { schema: 'public', name: 'customers', status: 'created', table_id: customers.id },
      { schema: 'public', name: 'known', status: 'existing', table_id: known.id },
      { schema: 'public', name: 'mixed', status: 'absent', table_id: null },
      { schema: 'public', name: 'nowhere', status: 'absent', table_id: null },
    ]);
    assert.equal((await h.tables(wh.dbId)).some((t) => t.name === 'Mixed'), false);
    assert.equal(customers.initial_sync_status, 'complete', 'a full table sync completes its tables');
    assert.deepEqual((await h.fields(customers.id)).map((f) => f.name), ['id', 'name']);
    const customerId = (await h.fields((await h.table(wh.dbId, 'orders')).id)).find((f) => f.name === 'customer_id');
    assert.equal(customerId?.semantic_type, 'type/FK');
    assert.equal(customerId?.fk_target_field_id, (await h.fields(customers.id))[0].id);
    assert.deepEqual(outcome.result.changes.tables.created, ['public.customers']);
  });

  test('is_full_sync = false: a full table sync still completes the table; a schema-only one does not', async () => {
    const wh = await warehouse([`CREATE TABLE t1 (id int)`, `CREATE TABLE t2 (id int)`], { isFullSync: false });
    await h.run(wh.dbId, { metadata: { database: true } });
    await h.appDb.db.updateTable('metabase_table').set({ initial_sync_status: 'incomplete' }).execute();
    const t1 = await h.table(wh.dbId, 't1');
    const t2 = await h.table(wh.dbId, 't2');
    const one = { tables: [t1.id] };
    const full = await h.run(wh.dbId, { metadata: one, analyze: one, field_values: one });
    const skipped = { metadata: 'success', analyze: 'skipped', field_values: 'skipped' };
    assert.deepEqual(full.outcome.result.phases, skipped, 'analysis and field values are skipped');
    const operations = (await h.tasks(full.jobId)).filter((t) => t.parent_id === null).map((t) => t.task);
    assert.deepEqual(operations, ['sync', 'analyze', 'field values scanning']);
    assert.equal((await h.table(wh.dbId, 't1')).initial_sync_status, 'complete');
    await h.run(wh.dbId, { metadata: { tables: [t2.id] } });
    assert.equal((await h.table(wh.dbId, 't2')).initial_sync_status, 'incomplete');
  });

  test('new targets absorbed into a database-level run get outcomes from the listing', async () => {
    const wh = await warehouse([`CREATE TABLE present (id int)`]);
    const plan: Plan = {
      metadata: {
        database: true,
        new_tables: [
          { schema: 'public', name: 'present' },
          { schema: 'public', name: 'missing' },
        ],
      },
    };
    const first = await h.run(wh.dbId, plan);
    const present = await h.table(wh.dbId, 'present');
    assert.deepEqual(first.outcome.result.new_tables, [
      { schema: 'public', name: 'present', status: 'created', table_id: present.id },
      { schema: 'public', name: 'missing', status: 'absent', table_id: null },
    ]);
    const second = await h.run(wh.dbId, plan);
    assert.equal(second.outcome.result.new_tables[0].status, 'existing');
  });
});
