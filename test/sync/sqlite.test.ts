// Metadata sync against real SQLite warehouse files: no schemas, case-insensitive identifiers, synthesized FK names.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import type { Plan } from '../../src/jobs/types.ts';
import { createHarness, stampCatalog, writtenSince, type Harness } from './support.ts';

const DATABASE: Plan = { metadata: { database: true } };

let h: Harness;
let counter = 0;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

function warehouse(...ddl: string[]): { file: string; exec: (...sql: string[]) => void } {
  const file = join(h.dir, `warehouse-${counter++}.sqlite`);
  const exec = (...statements: string[]) => {
    const db = new SQLite(file);
    try {
      for (const statement of statements) db.exec(statement);
    } finally {
      db.close();
    }
  };
  exec(...ddl);
  return { file, exec };
}

describe('metadata sync on SQLite', () => {
  test('a first sync: null schemas, FKs, indexes, views, cruft settings; a second run writes nothing', async () => {
    const wh = warehouse(
      `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, etl_batch INTEGER)`,
      `CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES USERS (ID),
         total DECIMAL(10,2) DEFAULT NULL)`,
      `CREATE INDEX orders_user ON orders (user_id)`,
      `CREATE VIEW order_totals AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id`,
      `CREATE TABLE tmp_load (x)`,
      `CREATE TABLE schema_migrations (version TEXT)`,
    );
    const dbId = await h.addDatabase('sqlite', { db: wh.file }, {
      settings: { 'auto-cruft-tables': ['^tmp_'], 'auto-cruft-columns': ['^etl_'] },
    });
    const { jobId, outcome } = await h.run(dbId, DATABASE);
    assert.equal(outcome.state, 'succeeded');
    const tables = await h.tables(dbId);
    assert.deepEqual(tables.map((t) => [t.schema, t.name, t.kind, t.visibility_type]), [
      [null, 'order_totals', 'view', null],
      [null, 'orders', 'table', null],
      [null, 'schema_migrations', 'table', 'cruft'],
      [null, 'tmp_load', 'table', 'cruft'],
      [null, 'users', 'table', null],
    ]);
    const users = await h.table(dbId, 'users');
    const userFields = await h.fields(users.id);
    assert.deepEqual(userFields.map((f) => [f.name, f.visibility_type]), [
      ['id', 'normal'],
      ['email', 'normal'],
      ['etl_batch', 'details-only'],
    ]);
    assert.equal(userFields[0].database_is_auto_increment, true);
    assert.equal(userFields[0].semantic_type, 'type/PK');
    const orders = await h.table(dbId, 'orders');
    const orderFields = await h.fields(orders.id);
    const userId = orderFields.find((f) => f.name === 'user_id');
    assert.equal(userId?.fk_target_field_id, userFields[0].id);
    assert.equal(userId?.database_indexed, true);
    assert.equal(orderFields.find((f) => f.name === 'total')?.database_default, null);
    assert.deepEqual(orders.database_foreign_keys.map((fk) => (fk as { columns: string[] }).columns), [['user_id']]);
    const created = ['order_totals', 'orders', 'schema_migrations', 'tmp_load', 'users'];
    assert.deepEqual(outcome.result.changes.tables.created, created);
    assert.ok(outcome.result.changes.fields.created.includes('orders.total'));
    const timezone = (await h.tasks(jobId)).find((t) => t.task === 'sync-timezone')?.details;
    assert.equal(timezone?.timezone, null);

    const sentinel = await stampCatalog(h.appDb);
    assert.equal((await h.run(dbId, DATABASE)).outcome.state, 'succeeded');
    assert.equal(await writtenSince(h.appDb, sentinel), 0);
  });

  test('case-only renames keep ids on a case-insensitive engine', async () => {
    const wh = warehouse(`CREATE TABLE foo (id INTEGER, name TEXT)`);
    const dbId = await h.addDatabase('sqlite', { db: wh.file });
    await h.run(dbId, DATABASE);
    const foo = await h.table(dbId, 'foo');
    const fields = await h.fields(foo.id);
    wh.exec(
      `ALTER TABLE foo RENAME TO foo_tmp`,
      `ALTER TABLE foo_tmp RENAME TO Foo`,
      `ALTER TABLE Foo RENAME COLUMN name TO Name`,
    );
    const { outcome } = await h.run(dbId, DATABASE);
    const renamed = await h.table(dbId, 'Foo');
    assert.equal(renamed.id, foo.id);
    assert.equal((await h.tables(dbId)).length, 1);
    assert.deepEqual((await h.fields(foo.id)).map((f) => [f.id, f.name, f.active]), [
      [fields[0].id, 'id', true],
      [fields[1].id, 'Name', true],
    ]);
    assert.deepEqual(outcome.result.changes.tables.renamed, [{ from: 'foo', to: 'Foo' }]);
    assert.deepEqual(outcome.result.changes.fields.renamed, [{ from: 'Foo.name', to: 'Foo.Name' }]);
  });

  test('new tables have a null schema and are found with their exact case only', async () => {
    const wh = warehouse(`CREATE TABLE foo (id INTEGER)`);
    const dbId = await h.addDatabase('sqlite', { db: wh.file });
    await h.run(dbId, DATABASE);
    wh.exec(`CREATE TABLE bar (id INTEGER)`);
    const plan = (name: string): Plan => ({
      metadata: { new_tables: [{ schema: null, name }] },
      analyze: { new_tables: [{ schema: null, name }] },
    });
    const upper = await h.run(dbId, plan('BAR'));
    assert.deepEqual(upper.outcome.result.new_tables, [
      { schema: null, name: 'BAR', status: 'absent', table_id: null },
    ]);
    const exact = await h.run(dbId, plan('bar'));
    assert.equal(exact.outcome.state, 'succeeded');
    const bar = await h.table(dbId, 'bar');
    assert.deepEqual(exact.outcome.result.new_tables, [
      { schema: null, name: 'bar', status: 'created', table_id: bar.id },
    ]);
    assert.equal(bar.schema, null);
    assert.equal(bar.display_name, 'Bar');
    assert.equal(bar.initial_sync_status, 'complete');
    assert.deepEqual((await h.fields(bar.id)).map((f) => f.name), ['id']);
  });

  test('user cruft patterns hide an existing table on update; built-ins never re-apply', async () => {
    const wh = warehouse(`CREATE TABLE staging_orders (id INTEGER)`, `CREATE TABLE sequences (id INTEGER)`);
    const dbId = await h.addDatabase('sqlite', { db: wh.file });
    await h.run(dbId, DATABASE);
    const sequences = await h.table(dbId, 'sequences');
    assert.equal(sequences.visibility_type, 'cruft');
    await h.appDb.db
      .updateTable('metabase_table')
      .set({ visibility_type: null, user_set: '["visibility_type"]' })
      .where('id', '=', sequences.id)
      .execute();
    await h.appDb.db
      .updateTable('metabase_database')
      .set({ settings: '{"auto-cruft-tables":["^staging_"]}' })
      .where('id', '=', dbId)
      .execute();
    await h.run(dbId, DATABASE);
    assert.equal((await h.table(dbId, 'staging_orders')).visibility_type, 'cruft');
    assert.equal((await h.table(dbId, 'sequences')).visibility_type, null);
  });

  test('a missing warehouse file fails the connection test', async () => {
    const dbId = await h.addDatabase('sqlite', { db: join(h.dir, 'does-not-exist.sqlite') });
    const { outcome } = await h.run(dbId, DATABASE);
    assert.equal(outcome.state, 'failed');
    assert.match(outcome.error ?? '', /^Sync failed: could not connect to the warehouse: /);
  });
});
