// A warehouse that stops answering (sync-engine.md 8.7): its sync fails by the catalog query timeout, or by the job
// deadline, with the reason recorded on the job and in its task history, while the other databases keep syncing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppDb } from '../../src/db/connect.ts';
import {
  createAppDatabase,
  createWarehouse,
  jobRow,
  lastFirst,
  notify,
  register,
  startCatalogGate,
  startInstance,
  through,
  unfinishedJobs,
  until,
} from './support.ts';

async function endedJob(appDb: AppDb, id: number, seconds: number) {
  return until(`job ${id} to end`, seconds, async () => {
    const job = await jobRow(appDb, id);
    return job.state === 'queued' || job.state === 'running' ? undefined : job;
  });
}

/** The task rows of a job that did not succeed, with their details as text. */
async function failedTasks(appDb: AppDb, jobId: number): Promise<{ task: string; details: string }[]> {
  const rows = await appDb.db
    .selectFrom('task_history')
    .select(['task', 'status', 'task_details'])
    .where('job_id', '=', jobId)
    .orderBy('id')
    .execute();
  const failed = rows.filter((row) => row.status !== 'success');
  return failed.map((row) => ({ task: row.task, details: row.task_details ?? '' }));
}

test('a hanging warehouse fails by the catalog query timeout while the other databases keep syncing', async (t) => {
  const cleanup = lastFirst(t);
  const [app, hanging, ...others] = await Promise.all([
    createAppDatabase(cleanup),
    createWarehouse(cleanup, 5, 3),
    createWarehouse(cleanup, 5, 3),
    createWarehouse(cleanup, 5, 3),
  ]);
  const gate = await startCatalogGate(cleanup, hanging, 'pg_catalog.pg_class');
  const instance = await startInstance(cleanup, 'A', {
    MB_DB_TYPE: 'postgres',
    MB_DB_CONNECTION_URI: app.uri,
    MB_SYNC_CATALOG_QUERY_TIMEOUT_SECONDS: '1',
  });
  const hangingId = await register(instance, 'Hanging', through(gate, hanging));
  const otherIds: number[] = [];
  for (const [i, other] of others.entries()) otherIds.push(await register(instance, `Other ${i + 1}`, other.details));
  await until('the initial syncs', 20, async () => ((await unfinishedJobs(app.appDb)) === 0 ? true : undefined));

  gate.set('hang');
  const hungId = await notify(instance, hangingId, { scan: 'schema' });
  // Meanwhile the other warehouses change and are synced, each sync waited for.
  const otherJobs: number[] = [];
  const started = Date.now();
  while (Date.now() - started < 1000) {
    for (const id of otherIds) otherJobs.push(await notify(instance, id, { scan: 'schema', 'synchronous?': true }));
  }
  const hung = await endedJob(app.appDb, hungId, 20);
  assert.equal(hung.state, 'failed');
  assert.match(hung.error ?? '', /^Sync failed: sync-tables failed: the warehouse did not answer within 1000 ms/);
  // Each later listing times out as well (a failed step does not stop the next one, 9.1).
  const failed = await failedTasks(app.appDb, hungId);
  assert.deepEqual(failed.map((row) => row.task), ['sync', 'sync-tables', 'sync-fields', 'sync-fks', 'sync-indexes']);
  for (const step of failed.slice(1)) assert.match(step.details, /"code":"TIMEOUT"/, step.task);

  for (const id of otherJobs) {
    const job = await endedJob(app.appDb, id, 1);
    assert.equal(job.state, 'succeeded');
  }
  const otherRuns = await app.appDb.db
    .selectFrom('sync_job')
    .selectAll()
    .where('database_id', 'in', otherIds)
    .execute();
  const within = (job: (typeof otherRuns)[number]) =>
    (job.started_at ?? '') > (hung.started_at ?? '') && (job.finished_at ?? '') < (hung.finished_at ?? '');
  const duringHang = otherRuns.filter(within);
  for (const id of otherIds) {
    assert.ok(duringHang.some((job) => job.database_id === id), `database ${id} synced while the other one hung`);
  }
  assert.equal(await instance.stop(), 0);
});

test('a job whose warehouse hangs fails at its deadline, with the deadline as its reason', async (t) => {
  const cleanup = lastFirst(t);
  const [app, hanging] = await Promise.all([createAppDatabase(cleanup), createWarehouse(cleanup, 5, 3)]);
  const gate = await startCatalogGate(cleanup, hanging, 'pg_catalog.pg_class');
  const instance = await startInstance(cleanup, 'A', {
    MB_DB_TYPE: 'postgres',
    MB_DB_CONNECTION_URI: app.uri,
    MB_SYNC_JOB_TIMEOUT_SECONDS: '2',
  });
  const databaseId = await register(instance, 'Hanging', through(gate, hanging));
  await until('the initial sync', 20, async () => ((await unfinishedJobs(app.appDb)) === 0 ? true : undefined));

  gate.set('hang');
  const jobId = await notify(instance, databaseId, { scan: 'schema' });
  const job = await endedJob(app.appDb, jobId, 20);
  assert.equal(job.state, 'failed');
  assert.equal(job.error, 'Sync failed: the job deadline passed during sync-tables');
  const seconds = (Date.parse(job.finished_at!) - Date.parse(job.started_at!)) / 1000;
  assert.ok(seconds >= 2 && seconds < 10, `the job ended ${seconds} s after it started`);
  const failed = await failedTasks(app.appDb, jobId);
  assert.deepEqual(failed.map((row) => row.task), ['sync', 'sync-tables']);
  assert.match(failed[1].details, /"code":"TIMEOUT"/);
  assert.equal(await instance.stop(), 0);
});
