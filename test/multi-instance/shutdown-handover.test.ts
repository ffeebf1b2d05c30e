// Graceful shutdown with two instances on one PostgreSQL application database (sync-engine.md 8.9): on SIGTERM an
// instance stops claiming, lets a sync that ends within MB_SYNC_SHUTDOWN_GRACE_SECONDS finish and record itself, hands
// the sync that does not back to the queue without using up an attempt, and exits 0; the other instance runs it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppDb } from '../../src/db/connect.ts';
import type { JobState } from '../../src/db/schema.ts';
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

const GRACE_SECONDS = 3;

function jobOf(appDb: AppDb, databaseId: number, state: JobState) {
  return appDb.db
    .selectFrom('sync_job')
    .selectAll()
    .where('database_id', '=', databaseId)
    .where('state', '=', state)
    .executeTakeFirst();
}

test('SIGTERM: a sync within the grace finishes, the rest is handed to the other instance', async (t) => {
  const cleanup = lastFirst(t);
  const [app, slow, hung, small] = await Promise.all([
    createAppDatabase(cleanup),
    createWarehouse(cleanup, 20, 3),
    createWarehouse(cleanup, 5, 3),
    createWarehouse(cleanup, 5, 3),
  ]);
  const slowGate = await startCatalogGate(cleanup, slow, 'pg_catalog.pg_class');
  const hungGate = await startCatalogGate(cleanup, hung, 'pg_catalog.pg_class');
  const env = {
    MB_DB_TYPE: 'postgres',
    MB_DB_CONNECTION_URI: app.uri,
    MB_SYNC_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
  };
  const a = await startInstance(cleanup, 'A', env);
  const smallId = await register(a, 'Small', small.details);
  await until('the first sync', 20, async () => ((await unfinishedJobs(app.appDb)) === 0 ? true : undefined));
  // A claims both syncs before B exists; neither warehouse answers its catalog listing for now.
  slowGate.set('hang');
  hungGate.set('hang');
  const slowId = await register(a, 'Slow', through(slowGate, slow), { fullSync: false });
  const hungId = await register(a, 'Hung', through(hungGate, hung), { fullSync: false });
  await until('A to run both', 10, async () => {
    const both = (await jobOf(app.appDb, slowId, 'running')) && (await jobOf(app.appDb, hungId, 'running'));
    return both ? true : undefined;
  });
  const b = await startInstance(cleanup, 'B', env);

  const signalled = Date.now();
  const exited = a.stop();
  // One warehouse answers again within the grace, the other one does not; B takes a request meanwhile.
  slowGate.set('pass');
  const followUp = await notify(b, smallId, { scan: 'schema' });
  assert.equal(await exited, 0);
  const seconds = (Date.now() - signalled) / 1000;
  assert.ok(seconds >= GRACE_SECONDS && seconds < GRACE_SECONDS + 5, `A exited ${seconds} s after SIGTERM`);

  const slowJob = await jobOf(app.appDb, slowId, 'succeeded');
  assert.ok(slowJob, 'the sync that ended within the grace was recorded as usual');
  assert.ok(Date.parse(slowJob.finished_at ?? '') >= signalled, 'it ended after the signal');
  const interrupted = await jobOf(app.appDb, hungId, 'interrupted');
  assert.equal(interrupted?.error, 'service shutdown');
  assert.ok(interrupted?.retried_as, 'its plan was handed on');
  hungGate.set('pass');
  const handedOn = await until('B to run the handed-on job', 20, async () => {
    const job = await jobRow(app.appDb, interrupted.retried_as as number);
    return job.state === 'queued' || job.state === 'running' ? undefined : job;
  });
  assert.equal(handedOn.state, 'succeeded', handedOn.error ?? '');
  assert.equal(handedOn.attempt, 1, 'a shutdown uses up no attempt');
  assert.match(b.output(), new RegExp(`"job_id":${handedOn.id},[^\\n]*"msg":"job finished"`));
  await until('the follow-up', 10, async () => ((await unfinishedJobs(app.appDb)) === 0 ? true : undefined));
  assert.match(b.output(), new RegExp(`"job_id":${followUp},[^\\n]*"msg":"job finished"`));

  // A claimed nothing after the signal.
  const afterSignal = a.output().slice(a.output().indexOf('"msg":"shutting down"'));
  assert.doesNotMatch(afterSignal, /"msg":"job started"/);
  assert.equal(await b.stop(), 0);
});
