// DriverCache (performance.md P4): a succeeded job's PostgreSQL or MySQL driver serves the database's next job, with its
// open session; failures, changed details, SQLite and DuckDB, the idle time and the stop close drivers instead.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { DriverCache } from '../../src/drivers/driver-cache.ts';
import type { WarehouseDriver } from '../../src/drivers/driver.ts';
import { createDriver, driverOptions } from '../../src/drivers/registry.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService } from '../../src/main.ts';
import { dropTestDatabase } from '../support/app-db.ts';
import { createTestDatabase, execSql, testPg } from '../support/postgres.ts';

const options = driverOptions(loadConfig({}));
const signal = new AbortController().signal;

async function warehouse(t: { after(fn: () => unknown): void }) {
  const created = await createTestDatabase('cache');
  t.after(() => dropTestDatabase(created.name));
  await execSql(created.url, 'CREATE TABLE orders (id integer PRIMARY KEY, total numeric)');
  return created;
}

async function isClosed(driver: WarehouseDriver): Promise<boolean> {
  return await driver.testConnection(signal).then(
    () => false,
    (error: Error) => /closed/.test(error.message),
  );
}

/** Backends of the warehouse database opened by catalog-sync's drivers. */
async function driverSessions(dbname: string): Promise<number[]> {
  const { url } = await testPg();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'catalog-sync' ORDER BY pid`,
      [dbname],
    );
    return rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

describe('DriverCache', () => {
  test('a succeeded job hands its PostgreSQL driver to the next job of the database', async (t) => {
    const cache = new DriverCache();
    t.after(() => cache.closeAll());
    const { details } = await warehouse(t);
    const first = cache.acquire(1, 'postgres', details, options, createDriver);
    await first.testConnection(signal);
    await cache.release(1, first, true);
    assert.equal(cache.size, 1);
    const second = cache.acquire(1, 'postgres', details, options, createDriver);
    assert.equal(second, first);
    assert.equal(cache.size, 0, 'a driver in use is not kept at the same time');
    await second.testConnection(signal);
    const other = cache.acquire(2, 'postgres', details, options, createDriver);
    assert.notEqual(other, first, 'another database gets its own driver');
    await other.close();
    await cache.release(1, second, false);
  });

  test('a failed job closes its driver; the next job gets a new one', async (t) => {
    const cache = new DriverCache();
    t.after(() => cache.closeAll());
    const { details } = await warehouse(t);
    const first = cache.acquire(1, 'postgres', details, options, createDriver);
    await first.testConnection(signal);
    await cache.release(1, first, false);
    assert.ok(await isClosed(first));
    const second = cache.acquire(1, 'postgres', details, options, createDriver);
    assert.notEqual(second, first);
    await cache.release(1, second, false);
  });

  test('changed details close the kept driver and make a new one', async (t) => {
    const cache = new DriverCache();
    t.after(() => cache.closeAll());
    const { details } = await warehouse(t);
    const first = cache.acquire(1, 'postgres', details, options, createDriver);
    await cache.release(1, first, true);
    const changed = { ...details, 'schema-filters-type': 'all' };
    const second = cache.acquire(1, 'postgres', changed, options, createDriver);
    assert.notEqual(second, first);
    await cache.closeAll();
    assert.ok(await isClosed(first));
  });

  test('SQLite drivers are never kept', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-cache-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const cache = new DriverCache();
    const details = { db: join(dir, 'missing.sqlite') };
    const first = cache.acquire(1, 'sqlite', details, options, createDriver);
    await cache.release(1, first, true);
    assert.equal(cache.size, 0);
    assert.notEqual(cache.acquire(1, 'sqlite', details, options, createDriver), first);
  });

  test('a kept driver is closed after the idle time, and every one at the stop', async (t) => {
    const { details } = await warehouse(t);
    const cache = new DriverCache(100);
    const idle = cache.acquire(1, 'postgres', details, options, createDriver);
    await idle.testConnection(signal);
    await cache.release(1, idle, true);
    await sleep(300);
    assert.equal(cache.size, 0);
    assert.ok(await isClosed(idle));

    const kept = cache.acquire(2, 'postgres', details, options, createDriver);
    await cache.release(2, kept, true);
    await cache.closeAll();
    assert.ok(await isClosed(kept));
    const late = cache.acquire(3, 'postgres', details, options, createDriver);
    await cache.release(3, late, true);
    assert.equal(cache.size, 0, 'after the stop a released driver is closed at once');
    assert.ok(await isClosed(late));
  });

  /** The service on a temporary SQLite catalog with one PostgreSQL warehouse registered and its first sync done. */
  async function serviceWithWarehouse(t: { after(fn: () => unknown): void }) {
    const { details, name } = await warehouse(t);
    const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-cache-service-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const env = { MB_DB_FILE: join(dir, 'app.db'), MB_LOAD_SAMPLE_CONTENT: 'false', MB_API_KEY: 'k', MB_ADMIN_API_KEY: 'a' };
    const service = await startService(loadConfig(env), silentLogger());
    const added = await service.app.inject({
      method: 'POST',
      url: '/api/database',
      headers: { 'x-api-key': 'a' },
      payload: { name: 'Cached', engine: 'postgres', details, is_full_sync: false },
    });
    assert.equal(added.statusCode, 200);
    const id = (added.json() as { id: number }).id;
    for (let tries = 0; tries < 200; tries++) {
      const jobs = await service.appDb.db.selectFrom('sync_job').select('state').execute();
      if (jobs.length > 0 && jobs.every((job) => job.state === 'succeeded')) break;
      await sleep(50);
    }
    /** A synchronous one-table schema sync; resolves to the answer's status. */
    const sync = async () => {
      const reply = await service.app.inject({
        method: 'POST',
        url: `/api/notify/db/${id}`,
        headers: { 'x-metabase-apikey': 'k' },
        payload: { table_name: 'orders', scan: 'schema', 'synchronous?': true },
      });
      return reply.statusCode;
    };
    return { service, name, sync };
  }

  test('the service keeps the warehouse session between syncs and closes it when it stops', async (t) => {
    const { service, name, sync } = await serviceWithWarehouse(t);
    try {
      assert.equal(await sync(), 200);
      const after = await driverSessions(name);
      assert.ok(after.length > 0, 'the session outlives the job');
      assert.equal(await sync(), 200);
      assert.deepEqual(await driverSessions(name), after, 'the next sync ran on the same backends');
    } finally {
      await service.stop();
    }
    for (let tries = 0; (await driverSessions(name)).length > 0 && tries < 50; tries++) await sleep(50);
    assert.deepEqual(await driverSessions(name), [], 'the stop closed them');
  });

  test('a kept driver that cannot connect any more fails the next job, which counts only its own queries', async (t) => {
    const { service, name, sync } = await serviceWithWarehouse(t);
    const { url } = await testPg();
    const gone = `${name}_gone`;
    try {
      assert.equal(await sync(), 200);
      assert.ok((await driverSessions(name)).length > 0, 'a driver is kept');
      await execSql(url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
      await execSql(url, `ALTER DATABASE "${name}" RENAME TO "${gone}"`);
      assert.equal(await sync(), 500);
      const [operation] = await service.appDb.db
        .selectFrom('task_history')
        .select(['task', 'status', 'task_details'])
        .where('parent_id', 'is', null)
        .orderBy('id', 'desc')
        .limit(1)
        .execute();
      assert.equal(operation.status, 'failed');
      const details = JSON.parse(operation.task_details ?? '{}') as Record<string, unknown>;
      assert.equal(details['warehouse-queries'], 0, 'the kept driver\'s earlier queries are not this job\'s');
    } finally {
      await service.stop();
      await execSql(url, `ALTER DATABASE "${gone}" RENAME TO "${name}"`).catch(() => undefined);
    }
  });
});
