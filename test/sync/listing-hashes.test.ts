// Listing hashes (issue 11 item 1, migration 004): a table whose column listing (FK constraints, index listing)
// hashes as it did at its last reconciliation is skipped without reading its stored rows; any write that changes a
// field column the reconciliation could still act on clears the hash (a trigger), so the next sync compares that
// table again and corrects what it owns, while a user's edit (user_set) survives.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Plan } from '../../src/jobs/types.ts';
import { createTestDatabase, execSql } from '../support/postgres.ts';
import { createHarness, stampCatalog, writtenSince, type Harness } from './support.ts';

const DATABASE: Plan = { metadata: { database: true } };

let h: Harness;
let wh: { url: string; details: Record<string, unknown> };
let dbId: number;

before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

type Details = Record<string, unknown>;

/** Runs a database-level sync; the details of its sync-fields step, with those of every step beside. */
async function syncSteps(): Promise<Record<string, Details>> {
  const { jobId, outcome } = await h.run(dbId, DATABASE);
  assert.equal(outcome.state, 'succeeded');
  return Object.fromEntries((await h.tasks(jobId)).map((t) => [t.task, t.details]));
}

async function sync(): Promise<Details> {
  return (await syncSteps())['sync-fields'];
}

async function hashOf(table: string): Promise<string | null> {
  const row = await h.appDb.db
    .selectFrom('metabase_table')
    .select('fields_hash')
    .where('db_id', '=', dbId)
    .where('name', '=', table)
    .executeTakeFirstOrThrow();
  return row.fields_hash;
}

async function field(table: string, name: string) {
  const t = await h.table(dbId, table);
  const f = (await h.fields(t.id)).find((x) => x.name === name);
  assert.ok(f, `${table}.${name}`);
  return f;
}

async function setField(table: string, name: string, changes: Record<string, unknown>): Promise<void> {
  const t = await h.table(dbId, table);
  await h.appDb.db.updateTable('metabase_field').set(changes).where('table_id', '=', t.id).where('name', '=', name).execute();
}

describe('the fields listing hash', () => {
  beforeEach(async () => {
    wh = await createTestDatabase('fhash');
    await execSql(
      wh.url,
      `CREATE TABLE users (id serial PRIMARY KEY, email text, name text)`,
      `CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users (id), status text)`,
      `CREATE INDEX orders_status ON orders (status)`,
    );
    dbId = await h.addDatabase('postgres', wh.details);
    const cold = await sync();
    assert.equal(cold['tables-unchanged'], 0, 'a cold sync has no hash to match');
    assert.equal(cold['warehouse-queries'], 1, 'no hash recorded yet: one listing that carries the digests');
    assert.ok((await hashOf('users')) !== null && (await hashOf('orders')) !== null, 'the cold sync recorded hashes');
  });

  test('a no-change sync skips every table and writes nothing; the FK and index steps do not clear a hash', async () => {
    const sentinel = await stampCatalog(h.appDb);
    const steps = await syncSteps();
    const again = steps['sync-fields'];
    assert.equal(again['tables-unchanged'], 2);
    assert.equal(again.unchanged, 6);
    assert.equal(again['total-fields'], 6);
    assert.equal(steps['sync-fks']['tables-unchanged'], 1, "orders' FK group");
    assert.equal(steps['sync-fks']['total-pairs'], 1);
    assert.equal(steps['sync-fks'].unchanged, 1);
    assert.equal(steps['sync-indexes']['tables-unchanged'], 2);
    assert.equal(await writtenSince(h.appDb, sentinel), 0);
    // The PostgreSQL driver answers with field digests (README Departures): no field is listed.
    assert.equal(again['warehouse-queries'], 3, 'BEGIN, the field digests, COMMIT');
  });

  test('a changed target table makes the FKs that point at it compared again; a new indexed column is marked', async () => {
    await execSql(wh.url, `ALTER TABLE users ADD COLUMN code text`, `CREATE INDEX users_code ON users (code)`);
    const steps = await syncSteps();
    assert.equal(steps['sync-fks']['tables-unchanged'], 0);
    assert.equal(steps['sync-fks'].unchanged, 1);
    assert.equal(steps['sync-indexes']['tables-unchanged'], 1, 'orders');
    assert.equal((await field('users', 'code')).database_indexed, true);
    const again = await syncSteps();
    assert.equal(again['sync-fks']['tables-unchanged'], 1);
    assert.equal(again['sync-indexes']['tables-unchanged'], 2);
  });

  test("an FK mark changed by another writer clears the table's FK hash; the next sync marks it again", async () => {
    await setField('orders', 'user_id', { semantic_type: 'type/Category' });
    const orders = await h.table(dbId, 'orders');
    const row = await h.appDb.db.selectFrom('metabase_table').select('fks_hash').where('id', '=', orders.id).executeTakeFirstOrThrow();
    assert.equal(row.fks_hash, null);
    const steps = await syncSteps();
    assert.equal(steps['sync-fks'].marked, 1);
    assert.equal((await field('orders', 'user_id')).semantic_type, 'type/FK');
  });

  test('a warehouse change makes its table compared again, the other one stays skipped', async () => {
    await execSql(wh.url, `ALTER TABLE users ADD COLUMN nickname text`);
    const before = await hashOf('users');
    const details = await sync();
    assert.equal(details['tables-unchanged'], 1);
    assert.equal(details.created, 1);
    assert.equal(details['warehouse-queries'], 4, 'BEGIN, the digests, the scoped listing of users, COMMIT');
    assert.notEqual(await hashOf('users'), before);
    assert.equal((await field('users', 'nickname')).active, true);
  });

  test('a write to a column sync owns clears the hash, and the next sync corrects it', async () => {
    await setField('users', 'email', { database_type: 'bogus' });
    assert.equal(await hashOf('users'), null, 'the trigger cleared the hash');
    assert.notEqual(await hashOf('orders'), null, "the other table's hash stays");
    const details = await sync();
    assert.equal(details['tables-unchanged'], 1);
    assert.equal(details.updated, 1);
    assert.equal((await field('users', 'email')).database_type, 'text');
    assert.notEqual(await hashOf('users'), null, 'recorded again');
  });

  test("a primary key's semantic type set to NULL is written back as type/PK", async () => {
    await setField('orders', 'id', { semantic_type: null });
    assert.equal(await hashOf('orders'), null);
    await sync();
    assert.equal((await field('orders', 'id')).semantic_type, 'type/PK');
  });

  test("a user's edit clears the hash and survives the compare; a semantic type set by analysis does not clear it", async () => {
    await setField('users', 'email', { description: 'mine', user_set: '["description"]' });
    assert.equal(await hashOf('users'), null);
    await setField('orders', 'status', { semantic_type: 'type/Category' });
    assert.notEqual(await hashOf('orders'), null, 'a semantic type set (not cleared) leaves the hash');
    const details = await sync();
    assert.equal(details['tables-unchanged'], 1);
    assert.equal(details.updated, 0);
    assert.equal((await field('users', 'email')).description, 'mine');
  });

  test("a table's field order set to database makes positions follow the warehouse again", async () => {
    const users = await h.table(dbId, 'users');
    await setField('users', 'email', { position: 9 });
    assert.equal(await hashOf('users'), null);
    await h.appDb.db.updateTable('metabase_table').set({ field_order: 'custom' }).where('id', '=', users.id).execute();
    await sync();
    assert.equal((await field('users', 'email')).position, 9, 'custom order: the position is kept');
    await h.appDb.db.updateTable('metabase_table').set({ field_order: 'database' }).where('id', '=', users.id).execute();
    const details = await sync();
    assert.equal(details['tables-unchanged'], 1, 'the order is part of the hash: users is compared');
    assert.equal((await field('users', 'email')).position, 1);
  });
});

describe('the trigger of migration 004', () => {
  test('fires for the watched columns only', async () => {
    wh = await createTestDatabase('fhash2');
    await execSql(wh.url, `CREATE TABLE t (id int PRIMARY KEY, a text)`);
    dbId = await h.addDatabase('postgres', wh.details);
    await sync();
    for (const [column, value] of [
      ['fingerprint', '{"global":{}}'],
      ['last_analyzed', '2020-01-01T00:00:00.000Z'],
      ['has_field_values', 'list'],
      ['visibility_type', 'details-only'],
      ['database_indexed', h.appDb.kind === 'sqlite' ? 1 : true],
      ['fk_target_field_id', null],
    ] as const) {
      await setField('t', 'a', { [column]: value });
      assert.notEqual(await hashOf('t'), null, `${column} leaves the hash`);
    }
    await sql`UPDATE metabase_field SET name = 'b' WHERE name = 'a' AND table_id = ${(await h.table(dbId, 't')).id}`.execute(h.appDb.db);
    assert.equal(await hashOf('t'), null, 'name clears it');
  });
});
