// Catalog listings are read as the server pushes them (src/drivers/postgres/pushed-rows.ts): every row arrives, in
// order; a slow consumer holds the server back instead of collecting the whole result; an error mid-listing is
// thrown after the rows before it; and a consumer that stops early leaves the driver usable.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createPostgresDriver } from '../../../src/drivers/postgres/postgres-driver.ts';
import { pushedRows } from '../../../src/drivers/postgres/pushed-rows.ts';
import { createTestDatabase, execSql } from '../../support/postgres.ts';

let url: string;
let details: Record<string, unknown>;
let client: pg.Client;

const OPTIONS = { connectTimeoutMs: 20_000, catalogQueryTimeoutMs: 20_000, sampleQueryTimeoutMs: 20_000, fieldValuesQueryTimeoutMs: 20_000 };
const wait = (next: Promise<void>) => next;

before(async () => {
  const wh = await createTestDatabase('pushed');
  url = wh.url;
  details = wh.details;
  const columns = Array.from({ length: 10 }, (_, i) => `c${i} int`).join(', ');
  await execSql(url, `DO $$ BEGIN FOR i IN 1..50 LOOP EXECUTE format('CREATE TABLE t%s (${columns})', i); END LOOP; END $$`);
  client = new pg.Client(url);
  await client.connect();
});

after(async () => {
  await client?.end();
});

describe('pushed catalog rows', () => {
  test('every row arrives in order', async () => {
    let expected = 1;
    for await (const rows of pushedRows<{ n: number }>(client, 'SELECT generate_series(1, 50000) AS n', [], { highWater: 1000, wait })) {
      for (const row of rows) assert.equal(row.n, expected++);
    }
    assert.equal(expected, 50001);
  });

  test('a slow consumer pauses the socket: what waits unread stays near the high-water mark', async () => {
    // 200,000 rows of 100 bytes (20 MB): without the pause, the 200 ms the consumer sleeps would let them all in.
    const text = `SELECT n, repeat('x', 100) AS pad FROM generate_series(1, 200000) n`;
    let largest = 0;
    let total = 0;
    for await (const rows of pushedRows<{ n: number }>(client, text, [], { highWater: 1000, wait })) {
      largest = Math.max(largest, rows.length);
      total += rows.length;
      if (total <= 1000 || total % 50_000 < rows.length) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(total, 200_000);
    // The socket is paused at 1,000 rows; what was already read from it (one read of at most 64 KB) still arrives.
    assert.ok(largest <= 1000 + 1000, `${largest} rows waited unread`);
    // The connection is in step: the next statement answers normally.
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
  });

  test('an error mid-listing comes after the rows before it', async () => {
    const text = `SELECT CASE WHEN n < 30000 THEN n ELSE 1 / (n - n) END AS n FROM generate_series(1, 40000) n`;
    let received = 0;
    await assert.rejects(async () => {
      for await (const rows of pushedRows<{ n: number }>(client, text, [], { highWater: 1000, wait })) received += rows.length;
    }, /division by zero/);
    assert.ok(received > 0 && received < 30000, `${received} rows before the error`);
    assert.equal((await client.query('SELECT 2 AS two')).rows[0].two, 2);
  });

  test('the driver stays usable after a consumer stops a listing early', async () => {
    const driver = createPostgresDriver(details, OPTIONS);
    try {
      for (let round = 0; round < 3; round++) {
        for await (const _ of driver.describeFields({ kind: 'database' }, AbortSignal.timeout(20_000))) break;
      }
      let fields = 0;
      for await (const _ of driver.describeFields({ kind: 'database' }, AbortSignal.timeout(20_000))) fields++;
      assert.equal(fields, 500);
    } finally {
      await driver.close();
    }
  });
});
