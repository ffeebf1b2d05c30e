// A no-change sync only reads and compares (issue 11 item 1): on a PostgreSQL application database it locks no
// catalog row. A row locked by SELECT … FOR UPDATE carries the locking transaction in xmax; rows only read keep 0.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Plan } from '../../src/jobs/types.ts';
import { createTestDatabase, execSql } from '../support/postgres.ts';
import { createHarness, type Harness } from './support.ts';

const DATABASE: Plan = { metadata: { database: true } };

let h: Harness;
before(async () => {
  h = await createHarness('postgres');
});
after(async () => {
  await h.close();
});

/** Catalog rows of the database whose xmax is set: locked (or updated) since they were written. */
async function lockedRows(dbId: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT (SELECT count(*) FROM metabase_table WHERE db_id = ${dbId} AND xmax::text <> '0')
         + (SELECT count(*) FROM metabase_field f JOIN metabase_table t ON t.id = f.table_id
             WHERE t.db_id = ${dbId} AND f.xmax::text <> '0') AS n`.execute(h.appDb.db);
  return Number(rows[0].n);
}

describe('a no-change sync on a PostgreSQL application database', () => {
  test('locks no table or field row; a change locks only the rows of the changed table and of the FKs that target it', async () => {
    const wh = await createTestDatabase('nochange');
    await execSql(
      wh.url,
      `CREATE TABLE users (id serial PRIMARY KEY, email text)`,
      `CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users (id), status text)`,
      `CREATE INDEX orders_status ON orders (status)`,
    );
    const dbId = await h.addDatabase('postgres', wh.details);
    assert.equal((await h.run(dbId, DATABASE)).outcome.state, 'succeeded');
    // The first sync locked the rows it wrote; a new version of each row starts with xmax 0.
    await sql`UPDATE metabase_table SET caveats = caveats WHERE db_id = ${dbId}`.execute(h.appDb.db);
    await sql`UPDATE metabase_field SET caveats = caveats
              WHERE table_id IN (SELECT id FROM metabase_table WHERE db_id = ${dbId})`.execute(h.appDb.db);
    assert.equal(await lockedRows(dbId), 0);

    assert.equal((await h.run(dbId, DATABASE)).outcome.state, 'succeeded');
    assert.equal(await lockedRows(dbId), 0, 'the no-change sync took no row lock');

    await execSql(wh.url, `ALTER TABLE users ADD COLUMN nickname text`);
    assert.equal((await h.run(dbId, DATABASE)).outcome.state, 'succeeded');
    const users = await h.table(dbId, 'users');
    assert.deepEqual(
      (await h.fields(users.id)).map((f) => f.name),
      ['id', 'email', 'nickname'],
    );
    const { rows } = await sql<{ name: string }>`
      SELECT name FROM metabase_field WHERE table_id = ${users.id} AND xmax::text <> '0' ORDER BY id`.execute(h.appDb.db);
    assert.deepEqual(rows.map((r) => r.name), ['id', 'email'], "the changed table's stored fields were locked");
    const { rows: others } = await sql<{ name: string }>`
      SELECT name FROM metabase_table WHERE db_id = ${dbId} AND xmax::text <> '0'
      UNION ALL SELECT t.name || '.' || f.name FROM metabase_field f JOIN metabase_table t ON t.id = f.table_id
      WHERE t.db_id = ${dbId} AND f.xmax::text <> '0' AND f.table_id <> ${users.id}`.execute(h.appDb.db);
    // orders' foreign key targets users, whose fields changed: its FK group is compared again under lock (its
    // source and target fields) and its new FK hash written (listing-hashes.ts). Nothing else of orders is touched.
    assert.deepEqual(
      others.map((r) => r.name).filter((n) => n !== 'users'),
      ['orders', 'orders.id', 'orders.user_id'],
      'only the FK group that targets users was locked',
    );
  });
});
