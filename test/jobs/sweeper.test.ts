import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDb } from '../../src/db/connect.ts';
import { nowPlusSeconds } from '../../src/jobs/clock.ts';
import { claimJob, enqueue, getJob, interruptOwnedJob, sweepExpiredLeases } from '../../src/jobs/queue.ts';
import type { Plan } from '../../src/jobs/types.ts';
import { APP_DB_KINDS, addDatabase, freshAppDb, trigger, warmPool } from './app-dbs.ts';

interface RunningRow {
  readonly databaseId: number;
  readonly plan: Plan;
  readonly expiresInSeconds: number;
  readonly attempt?: number;
  readonly priority?: number;
}

/** A running job as an instance left it: its lease expires (or expired) `expiresInSeconds` from now. */
async function insertRunning(appDb: AppDb, row: RunningRow): Promise<number> {
  const inserted = await appDb.db
    .insertInto('sync_job')
    .values({
      database_id: row.databaseId,
      state: 'running',
      plan: JSON.stringify(row.plan),
      triggers: JSON.stringify([trigger('schedule')]),
      priority: row.priority ?? 0,
      attempt: row.attempt ?? 1,
      started_at: nowPlusSeconds(appDb, -300),
      lease_owner: 'dead-host:1:dead',
      lease_expires_at: nowPlusSeconds(appDb, row.expiresInSeconds),
      heartbeat_at: nowPlusSeconds(appDb, -200),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

async function addTask(appDb: AppDb, jobId: number, status: string): Promise<number> {
  const row = await appDb.db
    .insertInto('task_history')
    .values({ task: 'sync-fields', job_id: jobId, db_id: 1, started_at: nowPlusSeconds(appDb, -250), status })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function task(appDb: AppDb, id: number) {
  return await appDb.db.selectFrom('task_history').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

for (const kind of APP_DB_KINDS) {
  describe(`sweeper on ${kind}`, () => {
    test('an expired lease: interrupted, started task rows unknown, the plan retried with attempt + 1', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const plan: Plan = { metadata: { database: true } };
      const id = await insertRunning(appDb, { databaseId: db, plan, expiresInSeconds: -5 });
      const started = await addTask(appDb, id, 'started');
      const finished = await addTask(appDb, id, 'success');

      const swept = await sweepExpiredLeases(appDb);
      const job = await getJob(appDb, id);
      assert.deepEqual(swept, [{ jobId: id, retriedAs: job!.retriedAs }]);
      assert.equal(job!.state, 'interrupted');
      assert.equal(job!.error, 'lease expired');
      assert.ok(job!.finishedAt);
      const startedRow = await task(appDb, started);
      assert.equal(startedRow.status, 'unknown');
      assert.ok(startedRow.ended_at);
      assert.ok(startedRow.duration !== null && startedRow.duration >= 240_000, `duration ${startedRow.duration}`);
      assert.equal((await task(appDb, finished)).status, 'success', 'finished rows are left alone');

      const retry = await getJob(appDb, job!.retriedAs!);
      assert.equal(retry!.state, 'queued');
      assert.equal(retry!.attempt, 2);
      assert.equal(retry!.priority, 0, 'the same priority');
      assert.deepEqual(retry!.plan, { metadata: { database: true } });
      assert.deepEqual(retry!.triggers[0].detail, { job_id: id, reason: 'lease expired' });
      assert.equal(retry!.triggers[0].source, 'retry');

      assert.deepEqual(await sweepExpiredLeases(appDb), [], 'a second sweep finds nothing');
    });

    test('the plan is merged into the queued job of the database', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const plan: Plan = { metadata: { tables: [4] } };
      const id = await insertRunning(appDb, { databaseId: db, plan, expiresInSeconds: -1, priority: 10 });
      const queued = await enqueue(appDb, {
        databaseId: db,
        plan: { metadata: { tables: [2] } },
        priority: 0,
        trigger: trigger('schedule'),
      });
      assert.equal(queued.kind, 'enqueued');
      const queuedId = queued.kind === 'enqueued' ? queued.jobId : 0;

      await sweepExpiredLeases(appDb);
      assert.equal((await getJob(appDb, id))!.retriedAs, queuedId);
      const merged = await getJob(appDb, queuedId);
      assert.deepEqual(merged!.plan, { metadata: { tables: [2, 4] } });
      assert.equal(merged!.priority, 10);
      assert.equal(merged!.attempt, 2);
      assert.equal(merged!.triggerCount, 2);
      const jobs = await appDb.db.selectFrom('sync_job').select('id').where('database_id', '=', db).execute();
      assert.equal(jobs.length, 2);
    });

    test('after the third attempt the job is interrupted without a successor', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await insertRunning(appDb, { databaseId: db, plan: {}, expiresInSeconds: -1, attempt: 3 });
      assert.deepEqual(await sweepExpiredLeases(appDb), [{ jobId: id, retriedAs: null }]);
      const job = await getJob(appDb, id);
      assert.equal(job!.state, 'interrupted');
      assert.equal(job!.retriedAs, null);
      const queued = await appDb.db.selectFrom('sync_job').select('id').where('state', '=', 'queued').execute();
      assert.equal(queued.length, 0);
    });

    test('live leases and other states are left alone', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const a = await addDatabase(appDb, 'a');
      const live = await insertRunning(appDb, { databaseId: a, plan: {}, expiresInSeconds: 30 });
      const liveTask = await addTask(appDb, live, 'started');
      const b = await addDatabase(appDb, 'b');
      await enqueue(appDb, { databaseId: b, plan: {}, priority: 0, trigger: trigger('schedule') });
      assert.deepEqual(await sweepExpiredLeases(appDb), []);
      assert.equal((await getJob(appDb, live))!.state, 'running');
      assert.equal((await task(appDb, liveTask)).status, 'started');
    });

    test('concurrent sweepers handle each expired job once', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const ids = [];
      for (let i = 0; i < 3; i++) {
        const databaseId = await addDatabase(appDb, `db${i}`);
        ids.push(await insertRunning(appDb, { databaseId, plan: {}, expiresInSeconds: -1 }));
      }
      await warmPool(appDb, 6);
      const results = await Promise.all([1, 2, 3].map(() => sweepExpiredLeases(appDb)));
      const handled = results.flat().map((r) => r.jobId).sort((a, b) => a - b);
      assert.deepEqual(handled, ids);
      const queued = await appDb.db.selectFrom('sync_job').select('attempt').where('state', '=', 'queued').execute();
      assert.deepEqual(queued.map((r) => r.attempt), [2, 2, 2]);
    });

    test('interruptOwnedJob (shutdown) acts for the owner only, fails started tasks, keeps the attempt', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const plan: Plan = { analyze: { tables: [1] } };
      const queued = await enqueue(appDb, { databaseId: db, plan, priority: 10, trigger: trigger() });
      assert.equal(queued.kind, 'enqueued');
      const job = await claimJob(appDb, 'me:1:a', 60);
      assert.ok(job);
      const started = await addTask(appDb, job.id, 'started');
      assert.equal(await interruptOwnedJob(appDb, job.id, 'other:1:b', 'service shutdown'), null);
      assert.equal((await getJob(appDb, job.id))!.state, 'running');

      const handedOn = await interruptOwnedJob(appDb, job.id, 'me:1:a', 'service shutdown');
      assert.ok(handedOn?.retriedAs);
      const interrupted = await getJob(appDb, job.id);
      assert.equal(interrupted!.state, 'interrupted');
      assert.equal(interrupted!.error, 'service shutdown');
      assert.equal(interrupted!.retriedAs, handedOn.retriedAs);
      assert.equal((await task(appDb, started)).status, 'failed');
      const successor = await getJob(appDb, handedOn.retriedAs);
      assert.equal(successor!.attempt, 1);
      assert.equal(successor!.priority, 10);
      assert.deepEqual(successor!.plan, { analyze: { tables: [1] } });
      assert.equal(await interruptOwnedJob(appDb, job.id, 'me:1:a', 'service shutdown'), null, 'only once');
    });
  });
}
