// kill -9 of the instance that runs a long sync, two instances on one PostgreSQL application database: the other
// instance takes the job over once its lease expires (sync-engine.md 8.5) and completes it, and the catalog holds no
// half-written table and no duplicate row, neither right after the kill nor after the takeover (9.4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import type { AppDb } from '../../src/db/connect.ts';
import {
  createAppDatabase,
  createWarehouse,
  jobRow,
  lastFirst,
  register,
  startCatalogGate,
  startInstance,
  through,
  until,
  type Instance,
} from './support.ts';

const TABLES = 800;
const COLUMNS = 8;
const TTL_SECONDS = 4;

/** Per table of the database: its name and how many fields the catalog has for it. */
async function fieldCounts(appDb: AppDb, databaseId: number): Promise<{ name: string; fields: number }[]> {
  const { rows } = await sql<{ name: string; fields: number }>`
    SELECT t.name, count(f.id)::integer AS fields
    FROM metabase_table t LEFT JOIN metabase_field f ON f.table_id = t.id
    WHERE t.db_id = ${databaseId}
    GROUP BY t.id, t.name`.execute(appDb.db);
  return rows;
}

test('kill -9 during a long sync: the other instance completes the job after the lease expires', async (t) => {
  const cleanup = lastFirst(t);
  const [warehouse, app] = await Promise.all([createWarehouse(cleanup, TABLES, COLUMNS), createAppDatabase(cleanup)]);
  // Every cursor fetch of a catalog listing waits, so the fields arrive, and are written, batch by batch.
  const gate = await startCatalogGate(cleanup, warehouse, 'pg_catalog.pg_class');
  const env = {
    MB_DB_TYPE: 'postgres',
    MB_DB_CONNECTION_URI: app.uri,
    MB_SYNC_LEASE_TTL_SECONDS: String(TTL_SECONDS),
  };
  const instances = await Promise.all(['A', 'B'].map((name) => startInstance(cleanup, name, env)));
  gate.set({ delayMs: 250 });
  // Metadata only: the test is about catalog rows, and the analysis of 800 tables would only make it longer.
  const databaseId = await register(instances[0], 'Big', through(gate, warehouse), { fullSync: false });

  const first = await until('the initial sync to write its first fields', 20, async () => {
    const job = await app.appDb.db
      .selectFrom('sync_job')
      .selectAll()
      .where('database_id', '=', databaseId)
      .executeTakeFirstOrThrow();
    const written = (await fieldCounts(app.appDb, databaseId)).some((table) => table.fields > 0);
    return job.state === 'running' && written ? job : undefined;
  });
  const ownerPid = Number(/:(\d+):[0-9a-f]+$/.exec(first.lease_owner ?? '')?.[1]);
  const victim = instances.find((instance) => instance.pid === ownerPid);
  assert.ok(victim, `the lease owner ${first.lease_owner} is one of the instances`);
  const survivor = instances.find((instance) => instance !== victim) as Instance;
  await victim.kill9();
  gate.set('pass');

  // Right after the kill: part of the catalog is written, and every table has all of its fields or none.
  const { lease_expires_at: leaseExpiry } = await app.appDb.db
    .selectFrom('sync_job')
    .select('lease_expires_at')
    .where('id', '=', first.id)
    .executeTakeFirstOrThrow();
  const atKill = await fieldCounts(app.appDb, databaseId);
  assert.equal(atKill.length, TABLES, 'the tables were written in one batch');
  const written = atKill.filter((table) => table.fields > 0).length;
  assert.ok(written > 0 && written < TABLES, `the kill came mid-sync (${written} of ${TABLES} tables have fields)`);
  const halfWritten = atKill.filter((table) => table.fields !== 0 && table.fields !== COLUMNS);
  assert.deepEqual(halfWritten, [], 'no half-written table');

  const interrupted = await until('the sweeper to hand the job on', 3 * TTL_SECONDS + 10, async () => {
    const job = await jobRow(app.appDb, first.id);
    return job.state === 'running' ? undefined : job;
  });
  assert.equal(interrupted.state, 'interrupted');
  assert.equal(interrupted.error, 'lease expired');
  assert.ok(leaseExpiry !== null && (interrupted.finished_at ?? '') >= leaseExpiry, 'not before the lease expired');
  const successorId = interrupted.retried_as;
  assert.ok(successorId !== null, 'the plan was handed on');
  const successor = await until('the retry to end', 30, async () => {
    const job = await jobRow(app.appDb, successorId);
    return job.state === 'queued' || job.state === 'running' ? undefined : job;
  });
  assert.equal(successor.state, 'succeeded', successor.error ?? '');
  assert.equal(successor.attempt, 2);
  assert.equal(successor.plan, interrupted.plan);
  // The log line follows the row's update, through a pipe: wait for it rather than race it.
  const finished = new RegExp(`"job_id":${successorId},[^\\n]*"msg":"job finished"`);
  await until('the survivor to log the finish', 10, async () => (finished.test(survivor.output()) ? true : undefined));

  // After the takeover: every table once, each with all of its fields once; the rows of the dead run are closed.
  const after = await fieldCounts(app.appDb, databaseId);
  assert.equal(after.length, TABLES);
  assert.equal(new Set(after.map((table) => table.name)).size, TABLES);
  assert.deepEqual(after.filter((table) => table.fields !== COLUMNS), []);
  const { rows: duplicates } = await sql<{ n: number }>`
    SELECT count(*)::integer AS n FROM (
      SELECT f.table_id, f.name FROM metabase_field f JOIN metabase_table t ON t.id = f.table_id
      WHERE t.db_id = ${databaseId} GROUP BY f.table_id, f.name HAVING count(*) > 1) d`.execute(app.appDb.db);
  assert.equal(duplicates[0].n, 0);
  const database = await app.appDb.db
    .selectFrom('metabase_database')
    .select('initial_sync_status')
    .where('id', '=', databaseId)
    .executeTakeFirstOrThrow();
  assert.equal(database.initial_sync_status, 'complete');
  const tasks = await app.appDb.db
    .selectFrom('task_history')
    .select(['status', 'ended_at'])
    .where('job_id', '=', first.id)
    .execute();
  assert.ok(tasks.length > 0);
  assert.deepEqual(tasks.filter((task) => task.status === 'started' || task.ended_at === null), []);
  assert.ok(tasks.some((task) => task.status === 'unknown'), 'the rows the dead run left started became unknown');
  assert.equal(await survivor.stop(), 0);
});
