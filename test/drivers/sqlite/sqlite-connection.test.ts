import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { DriverError } from '../../../src/drivers/driver.ts';
import { SqliteConnection } from '../../../src/drivers/sqlite/sqlite-connection.ts';

// Counts to 300 million: tens of seconds of work that never yields, unless the worker is killed.
const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000) SELECT count(*) AS n FROM c';
const SERIES = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT x FROM c';

let dir: string;
let file: string;
const open: SqliteConnection[] = [];

function connect(): SqliteConnection {
  const connection = new SqliteConnection(file);
  open.push(connection);
  return connection;
}

function options(timeoutMs = 10_000, signal = new AbortController().signal) {
  return { timeoutMs, signal };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exited(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && isRunning(pid); i++) await sleep(20);
  return !isRunning(pid);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'catalog-sync-sqlite-connection-'));
  file = join(dir, 'warehouse.sqlite');
  const db = new Database(file);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES (\'a\'), (\'b\');');
  db.close();
});

after(async () => {
  for (const connection of open) await connection.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteConnection', () => {
  test('starts no worker before the first query', () => {
    assert.equal(connect().workerPid, undefined);
  });

  test('streams many rows across chunks, in order', async () => {
    const connection = connect();
    let expected = 1;
    for await (const row of connection.query<{ x: number }>(SERIES, [2500], options())) {
      assert.equal(row.x, expected++);
    }
    assert.equal(expected, 2501);
    assert.equal(connection.queryCount, 1);
  });

  test('leaving a stream early closes its statement; the next query runs', async () => {
    const connection = connect();
    const seen: number[] = [];
    for await (const row of connection.query<{ x: number }>(SERIES, [5000], options())) {
      seen.push(row.x);
      if (seen.length === 3) break;
    }
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(await connection.all('SELECT name FROM t ORDER BY id', [], options()), [{ name: 'a' }, { name: 'b' }]);
    assert.equal(connection.queryCount, 2);
  });

  test('concurrent queries take turns', async () => {
    const connection = connect();
    const [series, names] = await Promise.all([
      connection.all<{ x: number }>(SERIES, [3000], options()),
      connection.all<{ name: string }>('SELECT name FROM t ORDER BY id', [], options()),
    ]);
    assert.equal(series.length, 3000);
    assert.deepEqual(names, [{ name: 'a' }, { name: 'b' }]);
  });

  test('the file is read-only', async () => {
    const connection = connect();
    const before = statSync(file).mtimeMs;
    await assert.rejects(connection.all("INSERT INTO t (name) VALUES ('c')", [], options()), (error: unknown) => {
      assert.ok(error instanceof DriverError);
      assert.equal(error.code, 'QUERY_FAILED');
      return true;
    });
    assert.equal(statSync(file).mtimeMs, before);
    assert.deepEqual(await connection.all('SELECT count(*) AS n FROM t', [], options()), [{ n: 2 }]);
  });

  test('a syntax error is QUERY_FAILED and leaves the worker usable', async () => {
    const connection = connect();
    await assert.rejects(connection.all('SELEC 1', [], options()), { code: 'QUERY_FAILED' });
    const pid = connection.workerPid;
    assert.deepEqual(await connection.all('SELECT 1 AS x', [], options()), [{ x: 1 }]);
    assert.equal(connection.workerPid, pid);
  });

  test('a slow query times out promptly, the event loop keeps running, and the next query gets a fresh worker', async () => {
    const connection = connect();
    await connection.all('SELECT 1', [], options());
    const slowPid = connection.workerPid as number;
    let ticks = 0;
    const interval = setInterval(() => ticks++, 20);
    const started = performance.now();
    try {
      await assert.rejects(connection.all(SLOW, [], options(400)), (error: unknown) => {
        assert.ok(error instanceof DriverError);
        assert.equal(error.code, 'TIMEOUT');
        assert.match(error.message, /400 ms/);
        return true;
      });
    } finally {
      clearInterval(interval);
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 390 && elapsed < 1400, `timed out after ${elapsed} ms`);
    assert.ok(ticks >= 5, `the event loop ticked ${ticks} times`);
    assert.equal(await exited(slowPid), true, 'the timed-out worker was killed');
    assert.equal(connection.workerPid, undefined);
    assert.deepEqual(await connection.all('SELECT name FROM t ORDER BY id', [], options()), [{ name: 'a' }, { name: 'b' }]);
    assert.notEqual(connection.workerPid, slowPid);
  });

  test('aborting the signal fails the waiting call at once with TIMEOUT and kills the worker', async () => {
    const connection = connect();
    await connection.all('SELECT 1', [], options());
    const pid = connection.workerPid as number;
    const controller = new AbortController();
    const reason = new Error('service shutdown');
    setTimeout(() => controller.abort(reason), 200);
    const started = performance.now();
    await assert.rejects(connection.all(SLOW, [], options(60_000, controller.signal)), (error: unknown) => {
      assert.ok(error instanceof DriverError);
      assert.equal(error.code, 'TIMEOUT');
      assert.equal(error.cause, reason);
      return true;
    });
    assert.ok(performance.now() - started < 1200);
    assert.equal(await exited(pid), true);
    assert.deepEqual(await connection.all('SELECT 2 AS x', [], options()), [{ x: 2 }]);
  });

  test('a timeout while waiting for a turn does not kill the query that holds it', async () => {
    const connection = connect();
    const rows = connection.query<{ x: number }>(SERIES, [5000], options());
    const first = await rows.next();
    assert.deepEqual(first.value, { x: 1 });
    await assert.rejects(connection.all('SELECT 1', [], options(100)), { code: 'TIMEOUT' });
    let count = 1;
    for await (const _ of rows) count++;
    assert.equal(count, 5000);
    assert.deepEqual(await connection.all('SELECT 3 AS x', [], options()), [{ x: 3 }]);
  });

  test('a worker that dies mid-query fails the query with QUERY_FAILED; the next query starts a new one', async () => {
    const connection = connect();
    await connection.all('SELECT 1', [], options());
    const pid = connection.workerPid as number;
    const pending = connection.all(SLOW, [], options(60_000));
    await sleep(50);
    process.kill(pid, 'SIGKILL');
    await assert.rejects(pending, { code: 'QUERY_FAILED', message: /exited unexpectedly \(SIGKILL\)/ });
    assert.deepEqual(await connection.all('SELECT 4 AS x', [], options()), [{ x: 4 }]);
    assert.notEqual(connection.workerPid, pid);
  });

  test('close kills the worker, is safe twice, and fails a query in flight', async () => {
    const connection = connect();
    await connection.all('SELECT 1', [], options());
    const pid = connection.workerPid as number;
    const pending = connection.all(SLOW, [], options(60_000));
    await sleep(50);
    await connection.close();
    await connection.close();
    await assert.rejects(pending, { code: 'QUERY_FAILED', message: 'The SQLite connection was closed.' });
    assert.equal(isRunning(pid), false);
    assert.equal(connection.workerPid, undefined);
  });
});
