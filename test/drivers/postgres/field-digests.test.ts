// PostgreSQL field digests (driver.ts describeChangedFields, issue 11): one digest per table that changes whenever
// what describeFields reports for the table changes and stays equal when nothing of the table changed; the tables
// answered as changed are listed as describeFields lists them.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldDigest, Scope, WarehouseDriver } from '../../../src/drivers/driver.ts';
import { createPostgresDriver } from '../../../src/drivers/postgres/postgres-driver.ts';
import { createTestDatabase, execSql } from '../../support/postgres.ts';
import { collect, TEST_DRIVER_OPTIONS } from '../../support/drivers.ts';

const OPTIONS = TEST_DRIVER_OPTIONS;
const DATABASE: Scope = { kind: 'database' };
const signal = new AbortController().signal;
const DIGESTS_FIRST = { mostlyChanged: false };
const ONE_LISTING = { mostlyChanged: true };

let url: string;
let details: Record<string, unknown>;
let driver: WarehouseDriver;

/** Every digest of the scope, in order; no table is listed. */
async function digestList(scope: Scope = DATABASE): Promise<FieldDigest[]> {
  assert.ok(driver.describeChangedFields, 'the PostgreSQL driver has field digests');
  const seen: FieldDigest[] = [];
  const listed = await collect(driver.describeChangedFields(scope, (d) => (seen.push(d), true), signal, DIGESTS_FIRST));
  assert.deepEqual(listed, []);
  return seen;
}

async function digests(scope: Scope = DATABASE): Promise<Map<string, FieldDigest>> {
  return new Map((await digestList(scope)).map((d) => [`${d.tableSchema}.${d.tableName}`, d]));
}

/** The digest of public.t, and describeFields' report of it. */
async function probe(): Promise<{ digest: string; listing: string }> {
  const digest = (await digests()).get('public.t');
  assert.ok(digest);
  const fields = await collect(driver.describeFields({ kind: 'tables', tables: [{ schema: 'public', name: 't' }] }, signal));
  assert.equal(digest.fields, fields.length);
  return { digest: digest.digest, listing: JSON.stringify(fields) };
}

describe('PostgreSQL field digests', () => {
  before(async () => {
    ({ url, details } = await createTestDatabase('fdigest'));
    driver = createPostgresDriver(details, OPTIONS);
  });
  beforeEach(async () => {
    await execSql(
      url,
      `DROP SCHEMA public CASCADE`,
      `CREATE SCHEMA public`,
      `CREATE TYPE mood AS ENUM ('happy', 'sad')`,
      `CREATE DOMAIN short_text AS text`,
      `CREATE TABLE t (id serial PRIMARY KEY, name short_text, feeling mood, note text)`,
      `CREATE TABLE other (id int, label text)`,
      `CREATE TABLE empty ()`,
    );
  });
  after(async () => {
    await driver.close();
  });

  test('one digest per table with fields, ordered, counting its fields; scoped to the given tables', async () => {
    const all = await digestList();
    assert.deepEqual(
      all.map((d) => [d.tableSchema, d.tableName, d.fields]),
      [
        ['public', 'other', 2],
        ['public', 't', 4],
      ],
      'a table without columns has no digest',
    );
    const scoped = await digests({ kind: 'tables', tables: [{ schema: 'public', name: 'other' }] });
    assert.deepEqual([...scoped.keys()], ['public.other']);
    assert.equal(scoped.get('public.other')?.digest, all[0].digest);
  });

  test('lists the tables answered as changed, as describeFields does, in one transaction', async () => {
    const sent = driver.queryCount;
    await digestList();
    assert.equal(driver.queryCount - sent, 3, 'BEGIN, the digests, COMMIT');
    const changed = (d: FieldDigest) => d.tableName !== 't';
    const listed = await collect(driver.describeChangedFields!(DATABASE, changed, signal, DIGESTS_FIRST));
    const expected = await collect(driver.describeFields({ kind: 'tables', tables: [{ schema: 'public', name: 't' }] }, signal));
    assert.deepEqual(listed, expected);
    const both = await collect(driver.describeChangedFields!(DATABASE, () => false, signal, DIGESTS_FIRST));
    assert.deepEqual(both, await collect(driver.describeFields(DATABASE, signal)), 'the whole listing when all changed');
    const scoped = await collect(
      driver.describeChangedFields!({ kind: 'tables', tables: [{ schema: 'public', name: 'other' }] }, () => false, signal, DIGESTS_FIRST),
    );
    assert.deepEqual(scoped.map((f) => f.name), ['id', 'label']);
  });

  test('more than half of the database changed: its one listing, without the unchanged tables', async () => {
    await execSql(url, `CREATE TABLE third (id int, code text)`);
    const sent = driver.queryCount;
    const listed = await collect(
      driver.describeChangedFields!(DATABASE, (d) => d.tableName === 'other', signal, DIGESTS_FIRST),
    );
    assert.equal(driver.queryCount - sent, 4, 'BEGIN, the digests, one listing, COMMIT');
    const expected = await collect(
      driver.describeFields(
        { kind: 'tables', tables: [{ schema: 'public', name: 't' }, { schema: 'public', name: 'third' }] },
        signal,
      ),
    );
    assert.deepEqual(listed, expected, 'positions counted per table as describeFields does');
  });

  test('one listing carrying the digests: the same digests, each table listed after its digest, in one query', async () => {
    const first = await digestList();
    const events: string[] = [];
    const seen: FieldDigest[] = [];
    const sent = driver.queryCount;
    for await (const field of driver.describeChangedFields!(
      DATABASE,
      (d) => (seen.push(d), events.push(`digest ${d.tableName}`), d.tableName === 'other'),
      signal,
      ONE_LISTING,
    )) {
      events.push(`field ${field.tableName}.${field.name}`);
    }
    assert.equal(driver.queryCount - sent, 1);
    assert.deepEqual(seen, first);
    assert.deepEqual(events, [
      'digest other',
      'digest t',
      'field t.id',
      'field t.name',
      'field t.feeling',
      'field t.note',
    ]);
    const listed = await collect(driver.describeChangedFields!(DATABASE, () => false, signal, ONE_LISTING));
    assert.deepEqual(listed, await collect(driver.describeFields(DATABASE, signal)));
  });

  test('equal when nothing changed, also when another table changed', async () => {
    const before = await probe();
    await execSql(url, `ALTER TABLE other ADD COLUMN extra int`, `COMMENT ON COLUMN other.label IS 'x'`);
    const after = await probe();
    assert.equal(after.listing, before.listing);
    assert.equal(after.digest, before.digest);
  });

  const changes: [string, string[]][] = [
    ['a column added', [`ALTER TABLE t ADD COLUMN added int`]],
    ['a column dropped', [`ALTER TABLE t DROP COLUMN note`]],
    ['a column renamed', [`ALTER TABLE t RENAME COLUMN note TO remark`]],
    ['a type changed', [`ALTER TABLE t ALTER COLUMN note TYPE varchar(10)`]],
    ['nullability', [`ALTER TABLE t ALTER COLUMN note SET NOT NULL`]],
    ['a default set', [`ALTER TABLE t ALTER COLUMN note SET DEFAULT 'n/a'`]],
    ['a column comment', [`COMMENT ON COLUMN t.note IS 'remark'`]],
    ['the primary key', [`ALTER TABLE t DROP CONSTRAINT t_pkey`, `ALTER TABLE t ADD PRIMARY KEY (id, note)`]],
    ['the enum type renamed', [`ALTER TYPE mood RENAME TO feeling`]],
    ['the sequence of a default renamed', [`ALTER SEQUENCE t_id_seq RENAME TO t_id_sequence`]],
    ['the table dropped and created again', [`DROP TABLE t`, `CREATE TABLE t (id serial PRIMARY KEY, name short_text, feeling mood, note text)`]],
  ];
  for (const [what, statements] of changes) {
    test(`changes with the listing: ${what}`, async () => {
      const before = await probe();
      await execSql(url, ...statements);
      const after = await probe();
      if (what !== 'the table dropped and created again') assert.notEqual(after.listing, before.listing, 'the listing changed');
      assert.notEqual(after.digest, before.digest);
    });
  }

  test('a transaction that ends by itself after the last row loses nothing: every field is yielded', async () => {
    const wh = await createTestDatabase('fdigest_idle');
    await execSql(
      wh.url,
      `CREATE TABLE a (id int, note text)`,
      `CREATE TABLE b (id int)`,
      `ALTER DATABASE "${wh.name}" SET idle_in_transaction_session_timeout = '200ms'`,
    );
    const idle = createPostgresDriver(wh.details, OPTIONS);
    try {
      const fields: string[] = [];
      for await (const field of idle.describeChangedFields!(DATABASE, (d) => d.tableName === 'b', signal, DIGESTS_FIRST)) {
        fields.push(`${field.tableName}.${field.name}`);
        // The server has sent the listing; the session waits idle in its transaction until the server ends it.
        if (field.name === 'note') await new Promise((resolve) => setTimeout(resolve, 600));
      }
      assert.deepEqual(fields, ['a.id', 'a.note']);
      const again = await collect(idle.describeFields(DATABASE, signal));
      assert.equal(again.length, 3, 'the driver goes on with a new connection');
    } finally {
      await idle.close();
    }
  });
});
