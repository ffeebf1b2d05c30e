// DELETE /api/database/:id while a sync of that database runs (jobs/cancel.ts), on both application databases: a
// real PostgreSQL warehouse whose `orders` table another session holds locked, so the job's metadata phase writes the
// catalog and its analysis then waits on the sample query. The job runs on the deleting instance, or on another one
// (a second worker pool on its own connection): either way it stops, the request waiting for it gets a clear answer,
// no row of that database remains (nor is written later), and another database's job is untouched.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { buildApp } from '../../src/app.ts';
import type { AppDb, AppDbKind } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { SYNC_CANCELLED } from '../../src/http/job-requests.ts';
import { WorkerPool } from '../../src/jobs/worker-pool.ts';
import { createLogger } from '../../src/logger.ts';
import { createJobRunner } from '../../src/sync/run-job.ts';
import { createTestAppDb, dropTestDatabase } from '../support/app-db.ts';
import { createTestDatabase, execSql } from '../support/postgres.ts';
import { APP_DB_KINDS, eventually, sleep, testConfig } from './app-dbs.ts';

const ADMIN = { 'X-API-KEY': 'admin-key' };
const NOTIFY = { 'X-METABASE-APIKEY': 'notify-key', 'content-type': 'application/json' };

/** A PostgreSQL warehouse with `orders` locked by another session until the test ends. */
async function lockedWarehouse(t: TestContext) {
  const warehouse = await createTestDatabase('cancel');
  await execSql(
    warehouse.url,
    'CREATE TABLE customers (id int PRIMARY KEY, name text)',
    'CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id), status text)',
    "INSERT INTO customers VALUES (1, 'a'), (2, 'b')",
    "INSERT INTO orders VALUES (1, 1, 'paid'), (2, 2, 'new')",
  );
  const locker = new pg.Client({ connectionString: warehouse.url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
  const sessions = async (where: string) => {
    // The locker is inside a transaction, which would otherwise keep reading one snapshot of the statistics.
    await locker.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await locker.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND ${where}`,
      [warehouse.name],
    );
    return Number(rows[0]!.n);
  };
  t.after(async () => {
    await locker.end();
    await dropTestDatabase(warehouse.name);
  });
  return { details: warehouse.details, sessions };
}

interface Instance {
  readonly appDb: AppDb;
  readonly pool: WorkerPool | null;
}

/** Two instances on one application database: A serves HTTP; the job runs on A's pool, or only on B's. */
async function twoInstances(t: TestContext, kind: AppDbKind, runOn: 'same' | 'other') {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-cancel-'));
  const testDb = await createTestAppDb(dir, kind);
  const config = testConfig({
    apiKey: 'notify-key',
    adminApiKey: 'admin-key',
    leaseTtlSeconds: 1,
    connectTimeoutSeconds: 5,
    sampleQueryTimeoutSeconds: 120,
    catalogQueryTimeoutSeconds: 120,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination: sink });
  const open = (withPool: boolean): Instance => {
    const appDb = testDb.open();
    const pool = withPool
      ? new WorkerPool({ appDb, config, logger, runner: createJobRunner({ appDb, config, logger }) })
      : null;
    return { appDb, pool };
  };
  const a = open(runOn === 'same');
  const b = open(runOn === 'other');
  await migrate(a.appDb);
  const app = buildApp({
    config,
    appDb: a.appDb,
    logger,
    workers: a.pool ?? { wake() {} },
    ...(a.pool ? { events: a.pool.events } : {}),
  });
  t.after(async () => {
    await app.close();
    for (const instance of [a, b]) {
      await instance.pool?.stop();
      await instance.appDb.close();
    }
    await testDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  a.pool?.start();
  b.pool?.start();
  return { app, appDb: a.appDb, dir, logs };
}

async function insertDatabase(appDb: AppDb, name: string, engine: string, details: object): Promise<number> {
  const row = await appDb.db
    .insertInto('metabase_database')
    .values({ name, engine, details: JSON.stringify(details) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Rows of the database in every table that holds any: its catalog, its jobs, its task history. */
async function rowsOf(appDb: AppDb, id: number): Promise<Record<string, number>> {
  const tables = await appDb.db.selectFrom('metabase_table').select('id').where('db_id', '=', id).execute();
  const fields = await appDb.db
    .selectFrom('metabase_field')
    .innerJoin('metabase_table', 'metabase_table.id', 'metabase_field.table_id')
    .select('metabase_field.id')
    .where('metabase_table.db_id', '=', id)
    .execute();
  const count = async (query: { execute(): Promise<unknown[]> }) => (await query.execute()).length;
  return {
    database: await count(appDb.db.selectFrom('metabase_database').select('id').where('id', '=', id)),
    tables: tables.length,
    fields: fields.length,
    allFields: await count(appDb.db.selectFrom('metabase_field').select('id')),
    tasks: await count(appDb.db.selectFrom('task_history').select('id').where('db_id', '=', id)),
    jobs: await count(appDb.db.selectFrom('sync_job').select('id').where('database_id', '=', id)),
  };
}

for (const kind of APP_DB_KINDS) {
  for (const runOn of ['same', 'other'] as const) {
    describe(`DELETE /api/database/:id during its sync (${kind}, job on the ${runOn} instance)`, () => {
      test('the job stops, its waiter answers, nothing of the database remains, the other database syncs', async (t) => {
        const warehouse = await lockedWarehouse(t);
        const s = await twoInstances(t, kind, runOn);
        const sqliteDir = mkdtempSync(join(tmpdir(), 'catalog-sync-cancel-wh-'));
        t.after(() => rmSync(sqliteDir, { recursive: true, force: true }));
        const file = join(sqliteDir, 'other.sqlite');
        const other = new SQLite(file);
        other.exec('CREATE TABLE kept (id INTEGER PRIMARY KEY)');
        other.close();
        const doomed = await insertDatabase(s.appDb, 'doomed', 'postgres', warehouse.details);
        const keeper = await insertDatabase(s.appDb, 'keeper', 'sqlite', { db: file });

        // A synchronous notify: its job writes the catalog, then waits on the locked table's sample query.
        const waiting = s.app.inject({ method: 'POST', url: `/api/notify/db/${doomed}`, headers: NOTIFY, payload: '{"synchronous?":true}' });
        await eventually(async () => ((await warehouse.sessions("wait_event_type = 'Lock'")) > 0 ? true : undefined), 20_000, 'the sample query to wait on the lock');
        const before = await rowsOf(s.appDb, doomed);
        assert.ok(before.tables === 2 && before.fields === 5, `the job wrote the catalog: ${JSON.stringify(before)}`);
        // A follow-up request queues the database's next job.
        const queued = await s.app.inject({ method: 'POST', url: `/api/notify/db/${doomed}`, headers: NOTIFY, payload: '{}' });
        assert.equal(queued.statusCode, 200, queued.body);

        const started = Date.now();
        const res = await s.app.inject({ method: 'DELETE', url: `/api/database/${doomed}`, headers: ADMIN });
        assert.equal(res.statusCode, 204);
        assert.equal(res.body, '');
        const answer = await waiting;
        assert.equal(answer.statusCode, 500, answer.body);
        assert.deepEqual(JSON.parse(answer.body), { message: SYNC_CANCELLED });
        assert.ok(Date.now() - started < 5000, `the waiting request answered in ${Date.now() - started} ms`);

        // The job ended: it closed its warehouse session (the blocked query was cancelled, not left waiting).
        await eventually(async () => ((await warehouse.sessions("application_name = 'catalog-sync'")) === 0 ? true : undefined), 10_000, 'the job to close its session');
        const cancelled = (line: string) => line.includes('job cancelled: its database was deleted');
        await eventually(async () => (s.logs.some(cancelled) ? true : undefined), 5000, 'the worker to log why it stopped');
        const after = await rowsOf(s.appDb, doomed);
        assert.deepEqual(after, { database: 0, tables: 0, fields: 0, allFields: after.allFields, tasks: 0, jobs: 0 });
        await sleep(1500); // more than a lease TTL: no write of the stopped job arrives late
        assert.deepEqual(await rowsOf(s.appDb, doomed), after);

        // Another database's job runs as usual.
        const kept = await s.app.inject({ method: 'POST', url: `/api/notify/db/${keeper}`, headers: NOTIFY, payload: '{"synchronous?":true}' });
        assert.equal(kept.statusCode, 200, kept.body);
        const keeperRows = await rowsOf(s.appDb, keeper);
        assert.equal(keeperRows.tables, 1);
        assert.equal(keeperRows.fields, 1);
        assert.equal(after.allFields, 0, 'the fields left before the other sync were none of the deleted database');
      });
    });
  }
}
