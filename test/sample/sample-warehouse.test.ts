import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteDriver } from '../../src/drivers/sqlite/sqlite-driver.ts';
import { generateSampleWarehouse } from '../../src/sample/sample-warehouse.ts';

const TABLES = ['customers', 'order_items', 'orders', 'products', 'reviews'];

let dir: string;

function read<T>(path: string, use: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return use(db);
  } finally {
    db.close();
  }
}

/** A hash of every row of every table and view, in primary-key order. */
function contentHash(path: string): string {
  return read(path, (db) => {
    const hash = createHash('sha256');
    for (const name of [...TABLES, 'order_totals']) {
      const key = name === 'order_totals' ? 'order_id' : 'id';
      for (const row of db.prepare(`SELECT * FROM "${name}" ORDER BY ${key}`).iterate()) hash.update(JSON.stringify(row));
    }
    return hash.digest('hex');
  });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'catalog-sync-sample-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('generateSampleWarehouse', () => {
  test('writes the same rows every time', () => {
    const first = join(dir, 'first', 'sample.sqlite');
    const second = join(dir, 'second', 'sample.sqlite');
    generateSampleWarehouse(first);
    generateSampleWarehouse(second);
    assert.equal(contentHash(first), contentHash(second));
    generateSampleWarehouse(first);
    assert.equal(contentHash(first), contentHash(second));
  });

  test('has the five shop tables with foreign keys, indexes, a view and a few thousand valid rows', () => {
    const path = join(dir, 'schema', 'sample.sqlite');
    generateSampleWarehouse(path);
    read(path, (db) => {
      const objects = db
        .prepare("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name")
        .all() as { type: string; name: string }[];
      assert.deepEqual(objects.filter((o) => o.type === 'table').map((o) => o.name), TABLES);
      assert.deepEqual(objects.filter((o) => o.type === 'view').map((o) => o.name), ['order_totals']);
      assert.ok(objects.filter((o) => o.type === 'index').length >= 1);

      const fks = db
        .prepare(
          `SELECT s.name AS source, f."from" AS column, f."table" AS target, f."to" AS target_column
           FROM sqlite_schema AS s JOIN pragma_foreign_key_list(s.name) AS f
           WHERE s.type = 'table' ORDER BY s.name, f."from"`,
        )
        .all();
      assert.deepEqual(fks, [
        { source: 'order_items', column: 'order_id', target: 'orders', target_column: 'id' },
        { source: 'order_items', column: 'product_id', target: 'products', target_column: 'id' },
        { source: 'orders', column: 'customer_id', target: 'customers', target_column: 'id' },
        { source: 'reviews', column: 'customer_id', target: 'customers', target_column: 'id' },
        { source: 'reviews', column: 'product_id', target: 'products', target_column: 'id' },
      ]);
      assert.deepEqual(db.prepare('PRAGMA foreign_key_check').all(), []);
      assert.equal(db.prepare('PRAGMA integrity_check').pluck().get(), 'ok');

      const counts = TABLES.map((name) => db.prepare(`SELECT count(*) FROM "${name}"`).pluck().get() as number);
      const total = counts.reduce((sum, n) => sum + n, 0);
      assert.ok(counts.every((n) => n > 0) && total >= 2000 && total <= 20_000, `rows: ${counts.join(', ')}`);

      const customer = db.prepare('SELECT email, name, city, created_at FROM customers WHERE id = 1').get() as Record<string, string>;
      assert.match(customer.email ?? '', /^[a-z]+\.[a-z]+1@example\.(com|org|net)$/);
      assert.match(customer.created_at ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      const ratings = db.prepare('SELECT min(rating) AS lo, max(rating) AS hi FROM reviews').get();
      assert.deepEqual(ratings, { lo: 1, hi: 5 });
      const statuses = db.prepare('SELECT DISTINCT status FROM orders ORDER BY status').pluck().all();
      assert.deepEqual(statuses, ['cancelled', 'delivered', 'processing', 'returned', 'shipped']);
      const totals = db.prepare('SELECT count(*) AS orders, min(total) > 0 AS positive FROM order_totals').get();
      assert.deepEqual(totals, { orders: counts[2], positive: 1 });
    });
  });

  test('replaces a file already there, creates parent folders and leaves no temporary file', () => {
    const folder = join(dir, 'replace', 'nested');
    const path = join(folder, 'sample.sqlite');
    generateSampleWarehouse(path);
    const expected = contentHash(path);
    writeFileSync(path, 'not a database');
    generateSampleWarehouse(path);
    assert.equal(contentHash(path), expected);
    assert.deepEqual(readdirSync(folder), ['sample.sqlite']);
  });

  test('is readable by the SQLite driver', async () => {
    const path = join(dir, 'driver', 'sample.sqlite');
    generateSampleWarehouse(path);
    const driver = createSqliteDriver({ db: path }, { connectTimeoutMs: 10_000, catalogQueryTimeoutMs: 10_000, sampleQueryTimeoutMs: 30_000, fieldValuesQueryTimeoutMs: 30_000 });
    const signal = new AbortController().signal;
    try {
      await driver.testConnection(signal);
      const tables = [];
      for await (const table of driver.describeTables({ kind: 'database' }, signal)) tables.push([table.name, table.kind]);
      assert.deepEqual(tables, [
        ['customers', 'table'],
        ['order_items', 'table'],
        ['order_totals', 'view'],
        ['orders', 'table'],
        ['products', 'table'],
        ['reviews', 'table'],
      ]);
      let fks = 0;
      for await (const _ of driver.describeForeignKeys({ kind: 'database' }, signal)) fks++;
      assert.equal(fks, 5);
      const prices = [];
      for await (const field of driver.describeFields({ kind: 'tables', tables: [{ schema: null, name: 'products' }] }, signal)) {
        prices.push([field.name, field.baseType]);
      }
      assert.deepEqual(prices, [
        ['id', 'type/Integer'],
        ['title', 'type/Text'],
        ['category', 'type/Text'],
        ['price', 'type/Decimal'],
        ['created_at', 'type/DateTime'],
      ]);
    } finally {
      await driver.close();
    }
  });
});
