import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../src/config.ts';
import type { AppDb } from '../../src/db/connect.ts';
import { silentLogger } from '../../src/logger.ts';
import { nowPlusSeconds } from '../../src/jobs/clock.ts';
import { claimJob, completeJob, enqueue, getJob, interruptOwnedJob, sweepExpiredLeases } from '../../src/jobs/queue.ts';
import type { Plan } from '../../src/jobs/types.ts';
import { JobEvents, reportJob, waitForJob } from '../../src/jobs/wait.ts';
import { WorkerPool } from '../../src/jobs/worker-pool.ts';
import { APP_DB_KINDS, addDatabase, emptyResult, eventually, freshAppDb, testConfig, trigger } from './app-dbs.ts';
import { RecordingRunner } from './runners.ts';

const FAST: Partial<Config> = { syncWorkers: 2, leaseTtlSeconds: 5, shutdownGraceSeconds: 1 };
/** Polling slower than any bound below: only an in-process event can end these waits in time. */
const NO_POLL = { initialMs: 60_000, maxMs: 60_000 };

async function enqueueJob(appDb: AppDb, databaseId: number, plan: Plan = { metadata: {} }): Promise<number> {
  const result = await enqueue(appDb, { databaseId, plan, priority: 10, trigger: trigger() });
  assert.equal(result.kind, 'enqueued');
  return result.kind === 'enqueued' ? result.jobId : 0;
}

function startPool(t: { after(fn: () => unknown): void }, appDb: AppDb, runner: RecordingRunner, events?: JobEvents) {
  const pool = new WorkerPool({
    appDb,
    config: testConfig(FAST),
    logger: silentLogger(),
    runner: runner.runner,
    ...(events ? { events } : {}),
  });
  t.after(() => pool.stop());
  pool.start();
  return pool;
}

/** Claims the database's queued job and hands it on as a shutdown would; returns [interrupted, successor]. */
async function interruptedChain(appDb: AppDb, databaseId: number): Promise<[number, number]> {
  const first = await enqueueJob(appDb, databaseId, { metadata: { tables: [1] } });
  assert.equal((await claimJob(appDb, 'gone:1:a', 60))?.id, first);
  const handedOn = await interruptOwnedJob(appDb, first, 'gone:1:a', 'service shutdown');
  assert.ok(handedOn?.retriedAs);
  return [first, handedOn.retriedAs];
}

for (const kind of APP_DB_KINDS) {
  describe(`waitForJob on ${kind}`, () => {
    test('returns the finished job, succeeded or failed', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const good = await addDatabase(appDb, 'good');
      const bad = await addDatabase(appDb, 'bad');
      const goodId = await enqueueJob(appDb, good);
      const badId = await enqueueJob(appDb, bad);
      const runner = new RecordingRunner(async (job) =>
        job.databaseId === good
          ? { state: 'succeeded', error: null, result: emptyResult() }
          : { state: 'failed', error: 'sync-tables failed', result: emptyResult() },
      );
      const pool = startPool(t, appDb, runner);
      const [a, b] = await Promise.all([
        waitForJob(appDb, goodId, { timeoutMs: 5000, events: pool.events }),
        waitForJob(appDb, badId, { timeoutMs: 5000, events: pool.events }),
      ]);
      assert.equal(a.kind, 'finished');
      assert.ok(a.kind === 'finished' && b.kind === 'finished');
      assert.equal(a.status, 'succeeded');
      assert.equal(a.job.id, goodId);
      assert.equal(a.job.state, 'succeeded');
      assert.equal(b.status, 'failed');
      assert.equal(b.job.error, 'sync-tables failed');
    });

    test('follows retried_as to the job that carries the plan on', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const [first, successor] = await interruptedChain(appDb, db);
      const runner = new RecordingRunner();
      const gate = runner.hold(db);
      const pool = startPool(t, appDb, runner);
      const waiting = waitForJob(appDb, first, { timeoutMs: 5000, events: pool.events });
      await eventually(async () => (runner.runs.length === 1 ? true : undefined));
      assert.equal(runner.runs[0].job.id, successor);
      gate.open();
      const outcome = await waiting;
      assert.equal(outcome.kind, 'finished');
      assert.ok(outcome.kind === 'finished');
      assert.equal(outcome.status, 'succeeded');
      assert.equal(outcome.job.id, successor);
    });

    test('an interrupted job without a successor counts as failed', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      await claimJob(appDb, 'dead:1:a', 60);
      await appDb.db
        .updateTable('sync_job')
        .set({ attempt: 3, lease_expires_at: nowPlusSeconds(appDb, -1) })
        .where('id', '=', id)
        .execute();
      await sweepExpiredLeases(appDb);
      const outcome = await waitForJob(appDb, id, { timeoutMs: 1000 });
      assert.equal(outcome.kind, 'finished');
      assert.ok(outcome.kind === 'finished');
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.job.id, id);
      assert.equal(outcome.job.state, 'interrupted');
      assert.equal(outcome.job.error, 'lease expired');
    });

    test('times out after timeoutMs, and the job goes on', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const id = await enqueueJob(appDb, await addDatabase(appDb));
      const started = performance.now();
      const outcome = await waitForJob(appDb, id, { timeoutMs: 300 });
      const elapsed = performance.now() - started;
      assert.deepEqual(outcome, { kind: 'timeout', jobId: id });
      assert.ok(elapsed >= 290 && elapsed < 1500, `waited ${elapsed.toFixed(0)} ms`);
      assert.equal((await getJob(appDb, id))!.state, 'queued');
    });

    test('the timeout reports the id that was asked for, also along a chain', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const [first] = await interruptedChain(appDb, await addDatabase(appDb));
      assert.deepEqual(await waitForJob(appDb, first, { timeoutMs: 100 }), { kind: 'timeout', jobId: first });
    });

    test('a waiter on the same instance returns within milliseconds of the completion', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      const runner = new RecordingRunner();
      const gate = runner.hold(db);
      const pool = startPool(t, appDb, runner);
      await eventually(async () => (runner.runs.length === 1 ? true : undefined));
      const waiting = waitForJob(appDb, id, { timeoutMs: 10_000, events: pool.events, poll: NO_POLL });
      setTimeout(() => gate.open(), 300);
      const outcome = await waiting;
      const latency = performance.now() - runner.runs[0].endedAt!;
      assert.equal(outcome.kind, 'finished');
      assert.ok(latency < 200, `returned ${latency.toFixed(0)} ms after the runner ended (completion write included)`);
    });

    test('polling sees a job that another instance runs', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      const runner = new RecordingRunner();
      startPool(t, appDb, runner);
      const outcome = await waitForJob(appDb, id, { timeoutMs: 5000, events: new JobEvents() });
      assert.equal(outcome.kind, 'finished');
    });

    test('a waiter that is not notified waits for its next poll', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      assert.ok(await claimJob(appDb, 'other:1:a', 60));
      const started = performance.now();
      const waiting = waitForJob(appDb, id, { timeoutMs: 400, events: new JobEvents(), poll: NO_POLL });
      await completeJob(appDb, id, 'other:1:a', { state: 'succeeded', error: null, result: emptyResult() });
      const outcome = await waiting;
      const elapsed = performance.now() - started;
      assert.equal(outcome.kind, 'finished', 'the last look at the deadline sees the job finished');
      assert.ok(elapsed >= 380, `returned after ${elapsed.toFixed(0)} ms, at the deadline`);
    });

    test('an abort stops the waiting, never the job', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      const runner = new RecordingRunner();
      const gate = runner.hold(db);
      const pool = startPool(t, appDb, runner);
      await eventually(async () => (runner.runs.length === 1 ? true : undefined));
      const client = new AbortController();
      const waiting = waitForJob(appDb, id, { timeoutMs: 10_000, signal: client.signal, events: pool.events });
      const gone = new Error('client went away');
      setTimeout(() => client.abort(gone), 100);
      await assert.rejects(waiting, (error) => error === gone);
      assert.equal(runner.runs[0].job.signal.aborted, false);
      assert.equal((await getJob(appDb, id))!.state, 'running');
      gate.open();
      await eventually(async () => ((await getJob(appDb, id))!.state === 'succeeded' ? true : undefined));
    });

    test('rejects for a job that does not exist', async (t) => {
      const appDb = await freshAppDb(t, kind);
      await assert.rejects(waitForJob(appDb, 999, { timeoutMs: 100 }), /job 999 does not exist/);
    });
  });

  describe(`reportJob on ${kind}`, () => {
    test('maps states to the four reported statuses and follows retried_as', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const [first, successor] = await interruptedChain(appDb, db);
      assert.equal((await reportJob(appDb, first))?.status, 'queued');
      assert.equal((await reportJob(appDb, successor))?.status, 'queued');
      await claimJob(appDb, 'me', 60);
      const running = await reportJob(appDb, first);
      assert.equal(running?.status, 'running');
      assert.equal(running?.job.id, first);
      assert.equal(running?.end.id, successor);
      assert.equal(running?.error, null);
      const failure = { state: 'failed' as const, error: 'connection refused', result: emptyResult() };
      await completeJob(appDb, successor, 'me', failure);
      const failed = await reportJob(appDb, first);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.error, 'connection refused');
      assert.equal(failed?.job.state, 'interrupted');
    });

    test('an interrupted job without successor is failed; unknown and skipped jobs are not reported', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      await claimJob(appDb, 'me', 60);
      await appDb.db
        .updateTable('sync_job')
        .set({ state: 'interrupted', error: 'lease expired', lease_owner: null })
        .where('id', '=', id)
        .execute();
      assert.deepEqual(
        { status: (await reportJob(appDb, id))?.status, error: (await reportJob(appDb, id))?.error },
        { status: 'failed', error: 'lease expired' },
      );
      const skipped = await appDb.db
        .insertInto('sync_job')
        .values({ database_id: db, state: 'skipped', plan: '{}', triggers: '[]', error: `covered by job ${id}` })
        .returning('id')
        .executeTakeFirstOrThrow();
      assert.equal(await reportJob(appDb, skipped.id), null);
      assert.equal(await reportJob(appDb, 12345), null);
      assert.equal(await reportJob(appDb, 2 ** 40), null);
      const ok = await enqueueJob(appDb, db);
      await claimJob(appDb, 'me', 60);
      await completeJob(appDb, ok, 'me', { state: 'succeeded', error: null, result: emptyResult() });
      assert.equal((await reportJob(appDb, ok))?.status, 'succeeded');
    });
  });
}
