// What PUT /api/database/:id changes beyond the row (curation-notes.md section 1.3): new details and is_full_sync are
// used by the next job (real worker pool, SQLite warehouses); changed schedules are picked up by the scheduler of
// another instance on the same application database, first firing after the edit.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { buildApp } from '../../src/app.ts';
import type { AppDb } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { readNow } from '../../src/jobs/clock.ts';
import { Scheduler } from '../../src/jobs/scheduler.ts';
import { waitForJob } from '../../src/jobs/wait.ts';
import { WorkerPool } from '../../src/jobs/worker-pool.ts';
import { silentLogger } from '../../src/logger.ts';
import { createJobRunner } from '../../src/sync/run-job.ts';
import { createTestAppDb } from '../support/app-db.ts';
import { sleep, testConfig } from '../jobs/app-dbs.ts';
import { A } from './harness.ts';

/** Instance A (HTTP and, when asked, workers) and instance B's connection, on one application database. */
async function instances(t: TestContext, withWorkers: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-edits-'));
  const testDb = await createTestAppDb(dir);
  const config = testConfig({ adminApiKey: 'admin-key', apiKey: 'notify-key' });
  const logger = silentLogger();
  const appDb = testDb.open();
  const other = testDb.open();
  await migrate(appDb);
  const pool = withWorkers
    ? new WorkerPool({ appDb, config, logger, runner: createJobRunner({ appDb, config, logger }) })
    : null;
  const app = buildApp({ config, appDb, logger, workers: pool ?? { wake() {} }, ...(pool ? { events: pool.events } : {}) });
  t.after(async () => {
    await app.close();
    await pool?.stop();
    await appDb.close();
    await other.close();
    await testDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  pool?.start();
  const warehouses = mkdtempSync(join(tmpdir(), 'catalog-sync-edits-wh-'));
  t.after(() => rmSync(warehouses, { recursive: true, force: true }));
  const put = async (id: number, body: unknown) => {
    const res = await app.inject({ method: 'PUT', url: `/api/database/${id}`, headers: A, payload: body as object });
    assert.equal(res.statusCode, 200, res.body);
  };
  return { app, appDb, other, pool, warehouses, put };
}

function sqliteFile(dir: string, name: string, table: string): string {
  const path = join(dir, name);
  const db = new SQLite(path);
  db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, status TEXT); INSERT INTO ${table} (status) VALUES ('a'), ('b')`);
  db.close();
  return path;
}

async function insertDatabase(appDb: AppDb, details: object, schedule: string | null = null): Promise<number> {
  const row = await appDb.db
    .insertInto('metabase_database')
    .values({ name: 'shop', engine: 'sqlite', details: JSON.stringify(details), metadata_sync_schedule: schedule })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('PUT /api/database/:id takes effect at the next job', () => {
  test('new details: the next sync reads the new warehouse; is_full_sync false: its analysis is skipped', async (t) => {
    const s = await instances(t, true);
    const first = sqliteFile(s.warehouses, 'first.sqlite', 'one');
    const second = sqliteFile(s.warehouses, 'second.sqlite', 'two');
    const id = await insertDatabase(s.appDb, { db: first });
    const sync = async () => {
      const res = await s.app.inject({ method: 'POST', url: `/api/database/${id}/sync_schema`, headers: A });
      const jobId = JSON.parse(res.body).job_id as number;
      const outcome = await waitForJob(s.appDb, jobId, { timeoutMs: 20_000, events: s.pool!.events });
      assert.equal(outcome.kind === 'finished' && outcome.status, 'succeeded');
      return jobId;
    };
    const active = async () =>
      (await s.appDb.db.selectFrom('metabase_table').select('name').where('db_id', '=', id).where('active', '=', true).execute()).map((r) => r.name);
    await sync();
    assert.deepEqual(await active(), ['one']);
    await s.put(id, { details: { db: second }, is_full_sync: false });
    const jobId = await sync();
    assert.deepEqual(await active(), ['two'], 'the job used the new details');
    const analyze = await s.appDb.db
      .selectFrom('task_history')
      .select('task_details')
      .where('job_id', '=', jobId)
      .where('task', '=', 'analyze')
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(analyze.task_details!).skipped, 'data scanning disabled for this database');
  });
});

describe('PUT /api/database/:id schedules and the scheduler of another instance', () => {
  test('a new schedule is fired by the other instance, first after the edit; "never" stops it', async (t) => {
    const s = await instances(t, false);
    const id = await insertDatabase(s.appDb, { db: sqliteFile(s.warehouses, 'x.sqlite', 'x') });
    const scheduler = new Scheduler({ appDb: s.other, logger: silentLogger() });
    t.after(() => scheduler.stop());
    const jobs = async () =>
      await s.appDb.db.selectFrom('sync_job').select(['id', 'triggers']).where('database_id', '=', id).execute();
    assert.deepEqual(await scheduler.tick(), [], 'no schedule yet');

    // Every minute, set while the current minute's fire (within the last 60 s) is already past: it is not replayed.
    let now = new Date(await readNow(s.appDb, s.appDb.db));
    while (now.getSeconds() < 2 || now.getSeconds() > 55) {
      await sleep(500);
      now = new Date(await readNow(s.appDb, s.appDb.db));
    }
    await s.put(id, { schedules: { metadata_sync: { schedule_type: 'hourly', schedule_minute: now.getMinutes() } } });
    await s.put(id, { metadata_sync_schedule: '0 * * * * ? *' });
    assert.deepEqual(await scheduler.tick(), [], 'a fire time before the edit is not fired');

    // Every second: the other instance fires it at its next tick.
    await s.put(id, { metadata_sync_schedule: '* * * * * ? *' });
    await sleep(1100);
    const fired = await scheduler.tick();
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.databaseId, id);
    assert.equal(fired[0]!.outcome, 'enqueued');
    const [job] = await jobs();
    assert.equal(JSON.parse(job!.triggers)[0].source, 'schedule');

    await s.put(id, { metadata_sync_schedule: 'never' });
    await sleep(1100);
    assert.deepEqual(await scheduler.tick(), [], '"never" fires nothing');
  });
});
