// Edits made through the curation routes' catalog functions survive later full syncs of a real PostgreSQL warehouse
// (sync-engine.md 2.2): display names, cleared and set descriptions, semantic types, visibility, has_field_values,
// across changed comments, a new column and a column rename (the row, its id and its edits kept).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { editField } from '../../src/catalog/field-edits.ts';
import { editTables } from '../../src/catalog/table-edits.ts';
import type { Plan } from '../../src/jobs/types.ts';
import { createTestDatabase, execSql } from '../support/postgres.ts';
import { createHarness, type Harness } from './support.ts';
import { sql } from 'kysely';

const FULL: Plan = { metadata: { database: true }, analyze: { database: true }, field_values: { database: true } };

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

async function commentOf(fieldId: number): Promise<string | null> {
  const row = await h.appDb.db.selectFrom('metabase_field').select('database_comment').where('id', '=', fieldId).executeTakeFirstOrThrow();
  return row.database_comment;
}

async function valuesRows(fieldId: number): Promise<number> {
  return (await h.appDb.db.selectFrom('metabase_fieldvalues').select('id').where('field_id', '=', fieldId).execute()).length;
}

describe('user edits survive full syncs (PostgreSQL warehouse)', () => {
  test('edit, alter the warehouse (comments, a new column, a rename), sync again: every edit intact', async () => {
    const wh = await createTestDatabase('survive');
    await execSql(
      wh.url,
      `CREATE TABLE orders (id int PRIMARY KEY, status text, note text, amount int)`,
      `COMMENT ON TABLE orders IS 'raw orders'`,
      `COMMENT ON COLUMN orders.status IS 'state'`,
      `INSERT INTO orders SELECT i, CASE WHEN i % 2 = 0 THEN 'new' ELSE 'paid' END, 'n' || (i % 3), i FROM generate_series(1, 20) i`,
      `CREATE TABLE audit (id int PRIMARY KEY)`,
    );
    const dbId = await h.addDatabase('postgres', wh.details);
    assert.equal((await h.run(dbId, FULL)).outcome.state, 'succeeded');
    const orders = await h.table(dbId, 'orders');
    const audit = await h.table(dbId, 'audit');
    const field = async (name: string) => (await h.fields(orders.id)).find((f) => f.name === name)!;
    const note = await field('note');
    assert.equal(note.has_field_values, 'auto-list', 'classification lists the note before the edit');
    assert.equal(await valuesRows(note.id), 1);
    assert.equal((await field('status')).semantic_type, 'type/Category');

    await editTables(h.appDb, [orders.id], { display_name: 'Customer Orders', description: null });
    await editTables(h.appDb, [audit.id], { visibility_type: 'hidden', caveats: 'internal' });
    await editField(h.appDb, (await field('status')).id, { description: null, semantic_type: 'type/Name', has_field_values: 'none' });
    await editField(h.appDb, note.id, { visibility_type: 'sensitive' });
    assert.equal(await valuesRows(note.id), 0, 'sensitive deletes the values at once');
    const amount = await field('amount');
    await editField(h.appDb, amount.id, { display_name: 'Amount (EUR)', semantic_type: 'type/Price', description: 'Gross' });

    await execSql(
      wh.url,
      `COMMENT ON TABLE orders IS 'changed'`,
      `COMMENT ON COLUMN orders.status IS 'changed state'`,
      `COMMENT ON COLUMN orders.amount IS 'warehouse comment'`,
      `ALTER TABLE orders RENAME COLUMN amount TO amount_eur`,
      `ALTER TABLE orders ADD COLUMN extra int`,
      `INSERT INTO orders SELECT i, 'void', 'n9', i, i FROM generate_series(21, 30) i`,
    );
    assert.equal((await h.run(dbId, FULL)).outcome.state, 'succeeded');
    assert.equal((await h.run(dbId, FULL)).outcome.state, 'succeeded', 'a second sync changes nothing either');

    const table = await h.table(dbId, 'orders');
    assert.equal(table.display_name, 'Customer Orders');
    assert.equal(table.description, null, 'a cleared description stays cleared');
    assert.equal(table.database_comment, 'changed');
    assert.deepEqual(table.user_set, ['description', 'display_name']);
    const hidden = await h.table(dbId, 'audit');
    assert.equal(hidden.visibility_type, 'hidden');

    const status = await field('status');
    assert.equal(status.description, null);
    assert.equal(await commentOf(status.id), 'changed state');
    assert.equal(status.semantic_type, 'type/Name');
    assert.equal(status.has_field_values, 'none');
    assert.equal(await valuesRows(status.id), 0);
    assert.deepEqual(status.user_set, ['description', 'has_field_values', 'semantic_type']);

    const sensitive = await field('note');
    assert.equal(sensitive.visibility_type, 'sensitive');
    assert.equal(await valuesRows(sensitive.id), 0, 'field values skip a sensitive field');

    const renamed = await field('amount_eur');
    assert.equal(renamed.id, amount.id, 'the rename keeps the row');
    assert.equal(renamed.display_name, 'Amount (EUR)');
    assert.equal(renamed.semantic_type, 'type/Price');
    assert.equal(renamed.description, 'Gross');
    assert.equal(await commentOf(renamed.id), 'warehouse comment');
    assert.ok((await h.fields(orders.id)).some((f) => f.name === 'extra' && f.active));
  });

  test('without edits the same changes do reach the catalog (the test can fail)', async () => {
    const wh = await createTestDatabase('survive');
    await execSql(wh.url, `CREATE TABLE t (status text)`, `COMMENT ON TABLE t IS 'one'`, `INSERT INTO t VALUES ('a')`);
    const dbId = await h.addDatabase('postgres', wh.details);
    await h.run(dbId, FULL);
    await execSql(wh.url, `COMMENT ON TABLE t IS 'two'`);
    await h.run(dbId, FULL);
    const table = await h.table(dbId, 't');
    assert.equal(table.description, 'two');
    const [status] = await h.fields(table.id);
    assert.equal(status.semantic_type, 'type/Category');
    assert.equal(status.has_field_values, 'auto-list');
  });
});

describe('an API edit concurrent with another write of the row (PostgreSQL application database)', () => {
  test('the edit waits for the transaction holding the row (FOR UPDATE), then reads and extends its user_set', async () => {
    const pg = await createHarness('postgres');
    try {
      const dbId = await pg.addDatabase('postgres', { host: 'unused', dbname: 'x', user: 'u' });
      const { id } = await pg.appDb.db
        .insertInto('metabase_table')
        .values({ db_id: dbId, name: 'orders', display_name: 'Orders' })
        .returning('id')
        .executeTakeFirstOrThrow();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const batch = pg.appDb.db.transaction().execute(async (trx) => {
        await sql`SELECT id FROM metabase_table WHERE id = ${id} FOR UPDATE`.execute(trx);
        locked();
        await held;
        await trx.updateTable('metabase_table').set({ caveats: 'another edit', user_set: '["caveats"]' }).where('id', '=', id).execute();
      });
      await isLocked;
      let edited = false;
      const edit = editTables(pg.appDb, [id], { display_name: 'Curated', description: 'from the user' }).then((r) => {
        edited = true;
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(edited, false, 'the edit waits for the batch');
      release();
      await batch;
      await edit;
      const row = await pg.appDb.db.selectFrom('metabase_table').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.description, 'from the user');
      assert.equal(row.display_name, 'Curated');
      assert.equal(row.caveats, 'another edit');
      assert.equal(row.user_set, '["caveats","description","display_name"]', 'neither edit lost from the overlay');
    } finally {
      await pg.close();
    }
  });
});
