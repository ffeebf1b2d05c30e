import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { WarehouseDriver } from '../../../src/drivers/driver.ts';
import { createSqliteDriver } from '../../../src/drivers/sqlite/sqlite-driver.ts';
import {
  distinctValuesQuery,
  normalizeSqliteValue,
  sampleQuery,
} from '../../../src/drivers/sqlite/sqlite-sampling.ts';
import { collect } from '../../support/drivers.ts';

const OPTIONS = {
  connectTimeoutMs: 10_000,
  catalogQueryTimeoutMs: 10_000,
  sampleQueryTimeoutMs: 30_000,
  fieldValuesQueryTimeoutMs: 30_000,
};
const SAMPLE = { limit: 10_000, textTruncate: 1_234 } as const;
const signal = new AbortController().signal;

const codeOf = (code: string) => (error: Error & { code?: string }) => error.name === 'DriverError' && error.code === code;

describe('SQLite sampling statements and normalization (pure)', () => {
  test('the sample statement cuts text with substr and has a LIMIT but no ORDER BY', () => {
    const query = sampleQuery({ schema: null, name: 'my "t"' }, [{ name: 'a', truncateText: true }, { name: 'b', truncateText: false }], SAMPLE);
    assert.equal(query.sql, 'SELECT substr("a", 1, ?), "b" FROM "my ""t""" LIMIT ?');
    assert.deepEqual(query.params, [1234, 10_000]);
  });

  test('the distinct-values statement is one UNION ALL of tagged per-field subqueries after a typing branch', () => {
    const query = distinctValuesQuery({ schema: null, name: 't' }, ['a', 'b'], { limit: 1001 });
    const branches = query.sql.split('\nUNION ALL\n');
    assert.equal(branches.length, 3);
    assert.equal(branches[0], 'SELECT NULL AS i, "a" AS v0, "b" AS v1 FROM "t" WHERE 0');
    assert.equal(branches[1], 'SELECT 0, d."a", NULL FROM (SELECT DISTINCT "a" FROM "t" WHERE "a" IS NOT NULL ORDER BY "a" LIMIT ?) AS d');
    assert.match(branches[2], /ORDER BY i, v0, v1$/);
    assert.deepEqual(query.params, [1001, 1001]);
  });

  test('values are normalized by the declared type', () => {
    assert.equal(normalizeSqliteValue(1n, 'type/Boolean'), true);
    assert.equal(normalizeSqliteValue(0n, 'type/Boolean'), false);
    assert.equal(normalizeSqliteValue(2n, 'type/Boolean'), 2);
    assert.equal(normalizeSqliteValue(9007199254740993n, 'type/BigInteger'), '9007199254740993');
    assert.equal(normalizeSqliteValue(-5n, 'type/Integer'), -5);
    assert.equal(normalizeSqliteValue('2025-11-25 08:30:00', 'type/DateTime'), '2025-11-25T08:30:00');
    assert.equal(normalizeSqliteValue('2025-11-25 08:30:00', 'type/Text'), '2025-11-25 08:30:00');
    assert.equal(normalizeSqliteValue(new Uint8Array([104, 105]), 'type/*'), 'hi');
    assert.equal(normalizeSqliteValue(null, 'type/Text'), null);
  });
});

describe('SQLite sampleRows and distinctValues', () => {
  let dir: string;
  let driver: WarehouseDriver;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-sampling-'));
    const db = new Database(join(dir, 'w.sqlite'));
    db.exec(`
      CREATE TABLE kinds (id INTEGER PRIMARY KEY, big BIGINT, r REAL, dec DECIMAL(10,2), flag BOOLEAN, ts DATETIME,
        d DATE, txt TEXT, v VARCHAR(10));
      INSERT INTO kinds VALUES (1, 9223372036854775807, 1.5, 12.5, 1, '2025-11-25 08:30:00', '2025-11-25', 'héllo', 'x');
      INSERT INTO kinds VALUES (2, 42, NULL, 3, 0, NULL, NULL, NULL, NULL);
      CREATE TABLE "long text" (body TEXT, n INTEGER);
      CREATE TABLE letters (c TEXT, k INTEGER, b BOOLEAN);
      INSERT INTO letters VALUES ('b', 2, 1), ('a', 1, NULL), ('b', 2, 0), (NULL, 3, 1), ('c', NULL, NULL);
      CREATE TABLE many (n INTEGER);
      CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000)
        SELECT x AS n FROM c WHERE x % 500000000 = 0;
    `);
    const series = (n: number) => `WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n})`;
    db.prepare(`INSERT INTO "long text" ${series(12000)} SELECT ?, value FROM s`).run('é'.repeat(5000));
    db.exec(`INSERT INTO many ${series(3000)} SELECT value % 1500 FROM s`);
    db.close();
    driver = createSqliteDriver({ db: join(dir, 'w.sqlite') }, OPTIONS);
  });

  after(async () => {
    await driver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('capabilities declare batched distinct values', async () => {
    assert.equal((await driver.capabilities(signal)).batchedDistinctValues, true);
  });

  test('one sample statement; values normalized by declared type', async () => {
    const names = ['id', 'big', 'r', 'dec', 'flag', 'ts', 'd', 'txt', 'v'];
    const fields = names.map((name) => ({ name, truncateText: name === 'txt' || name === 'v' }));
    const before = driver.queryCount;
    const rows = await collect(driver.sampleRows({ schema: null, name: 'kinds' }, fields, SAMPLE, signal));
    assert.equal(driver.queryCount - before, 1);
    assert.deepEqual(rows, [
      [1, '9223372036854775807', 1.5, 12.5, true, '2025-11-25T08:30:00', '2025-11-25', 'héllo', 'x'],
      [2, 42, null, 3, false, null, null, null, null],
    ]);
  });

  test('the sample is capped at 10,000 rows and long text is cut to 1,234 characters in SQL', async () => {
    const fields = [{ name: 'body', truncateText: true }, { name: 'n', truncateText: false }];
    const rows = await collect(driver.sampleRows({ schema: null, name: 'long text' }, fields, SAMPLE, signal));
    assert.equal(rows.length, 10_000);
    assert.equal((rows[0][0] as string).length, 1_234);
    assert.equal(rows[0][1], 1);
  });

  test('distinct values: one statement for every field, ascending, non-null, booleans restored, capped', async () => {
    const before = driver.queryCount;
    const lists = await driver.distinctValues({ schema: null, name: 'letters' }, ['c', 'k', 'b'], { limit: 1001 }, signal);
    assert.equal(driver.queryCount - before, 1);
    assert.deepEqual(lists, [['a', 'b', 'c'], [1, 2, 3], [false, true]]);
    const many = await driver.distinctValues({ schema: null, name: 'many' }, ['n'], { limit: 1001 }, signal);
    assert.equal(many[0].length, 1001);
    assert.deepEqual(many[0].slice(0, 3), [0, 1, 2]);
    const big = await driver.distinctValues({ schema: null, name: 'kinds' }, ['big', 'dec'], { limit: 1001 }, signal);
    assert.deepEqual(big, [[42, '9223372036854775807'], [3, 12.5]]);
    assert.deepEqual(await driver.distinctValues({ schema: null, name: 'many' }, [], { limit: 1001 }, signal), []);
  });

  test('a missing column fails the batched query with QUERY_FAILED, and the next query works', async () => {
    await assert.rejects(
      driver.distinctValues({ schema: null, name: 'letters' }, ['c', 'nope'], { limit: 1001 }, signal),
      codeOf('QUERY_FAILED'),
    );
    const lists = await driver.distinctValues({ schema: null, name: 'letters' }, ['c'], { limit: 1001 }, signal);
    assert.deepEqual(lists, [['a', 'b', 'c']]);
  });

  test('sample and distinct-values statements beyond their timeouts fail with TIMEOUT at once', async () => {
    const quick = createSqliteDriver({ db: join(dir, 'w.sqlite') }, { ...OPTIONS, sampleQueryTimeoutMs: 1500, fieldValuesQueryTimeoutMs: 1500 });
    try {
      const slow = { schema: null, name: 'slow' };
      let started = performance.now();
      await assert.rejects(collect(quick.sampleRows(slow, [{ name: 'n', truncateText: false }], SAMPLE, signal)), codeOf('TIMEOUT'));
      assert.ok(performance.now() - started < 6_000);
      started = performance.now();
      await assert.rejects(quick.distinctValues(slow, ['n'], { limit: 1001 }, signal), codeOf('TIMEOUT'));
      assert.ok(performance.now() - started < 6_000);
      const lists = await quick.distinctValues({ schema: null, name: 'letters' }, ['k'], { limit: 1001 }, signal);
      assert.deepEqual(lists, [[1, 2, 3]]);
    } finally {
      await quick.close();
    }
  });
});
