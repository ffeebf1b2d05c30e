import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import type { Config } from '../../src/config.ts';
import type { AppDb } from '../../src/db/connect.ts';
import { silentLogger } from '../../src/logger.ts';
import { nowPlusSeconds } from '../../src/jobs/clock.ts';
import { enqueue, getJob, type JobView } from '../../src/jobs/queue.ts';
import { JobDeadlineExceeded, JobInterrupted, type Plan } from '../../src/jobs/types.ts';
import { WorkerPool } from '../../src/jobs/worker-pool.ts';
import {
  APP_DB_KINDS,
  addDatabase,
  emptyResult,
  eventually,
  freshAppDb,
  sleep,
  succeeded,
  testConfig,
  trigger,
} from './app-dbs.ts';
import { Gate, RecordingRunner } from './runners.ts';

const FAST: Partial<Config> = { syncWorkers: 3, leaseTtlSeconds: 5, jobTimeoutSeconds: 60, shutdownGraceSeconds: 1 };

const now = () => new Date().toISOString();

function plan(...ids: number[]): Plan {
  return { metadata: { tables: ids } };
}

async function enqueueJob(appDb: AppDb, databaseId: number, p: Plan = { metadata: {} }): Promise<number> {
  const result = await enqueue(appDb, { databaseId, plan: p, priority: 10, trigger: trigger('notify') });
  assert.equal(result.kind, 'enqueued');
  return result.kind === 'enqueued' ? result.jobId : 0;
}

function newPool(appDb: AppDb, runner: RecordingRunner, config: Partial<Config> = {}): WorkerPool {
  const options = { appDb, config: testConfig({ ...FAST, ...config }), logger: silentLogger(), runner: runner.runner };
  return new WorkerPool(options);
}

function startPool(t: TestContext, appDb: AppDb, runner: RecordingRunner, config: Partial<Config> = {}): WorkerPool {
  const pool = newPool(appDb, runner, config);
  t.after(() => pool.stop());
  pool.start();
  return pool;
}

async function stateOf(appDb: AppDb, id: number): Promise<JobView> {
  const job = await getJob(appDb, id);
  assert.ok(job, `job ${id} exists`);
  return job;
}

async function untilState(appDb: AppDb, id: number, state: JobView['state'], timeoutMs = 5000): Promise<JobView> {
  return await eventually(
    async () => {
      const job = await getJob(appDb, id);
      return job?.state === state ? job : undefined;
    },
    timeoutMs,
    `job ${id} to be ${state}`,
  );
}

async function untilRuns(runner: RecordingRunner, count: number, timeoutMs = 5000): Promise<void> {
  await eventually(async () => (runner.runs.length >= count ? true : undefined), timeoutMs, `${count} runs`);
}

async function addStartedTask(appDb: AppDb, jobId: number, dbId: number): Promise<number> {
  const row = await appDb.db
    .insertInto('task_history')
    .values({ task: 'sync', db_id: dbId, job_id: jobId, started_at: now(), status: 'started' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function taskStatus(appDb: AppDb, id: number) {
  return await appDb.db
    .selectFrom('task_history')
    .select(['status', 'ended_at'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function jobRow(appDb: AppDb, id: number) {
  return await appDb.db.selectFrom('sync_job').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

for (const kind of APP_DB_KINDS) {
  describe(`WorkerPool on ${kind}`, () => {
    test('the instance id is <hostname>:<pid>:<random>', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const runner = new RecordingRunner();
      const a = newPool(appDb, runner);
      const b = newPool(appDb, runner);
      const [host, pid, random] = a.instanceId.split(':');
      assert.equal(host, hostname());
      assert.equal(pid, String(process.pid));
      assert.match(random, /^[0-9a-f]{8}$/);
      assert.notEqual(a.instanceId, b.instanceId);
      await a.stop();
      await b.stop();
    });

    test('runs a queued job and records its outcome; the lease columns are cleared', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db, plan(3, 1));
      const runner = new RecordingRunner(async (job) => {
        assert.deepEqual(job.plan, plan(1, 3));
        assert.equal(job.triggers.length, 1);
        return { state: 'succeeded', error: null, result: { ...emptyResult(), operations: [42] } };
      });
      startPool(t, appDb, runner);
      const job = await untilState(appDb, id, 'succeeded');
      assert.deepEqual(job.result?.operations, [42]);
      assert.ok(job.startedAt && job.finishedAt);
      const row = await jobRow(appDb, id);
      assert.equal(row.lease_owner, null);
      assert.equal(row.lease_expires_at, null);
      assert.equal(runner.runs.length, 1);
    });

    test('never runs two jobs of one database; requests during a run make exactly one follow-up', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const runner = new RecordingRunner();
      const gate = runner.hold(db);
      const first = await enqueueJob(appDb, db);
      const pool = startPool(t, appDb, runner);
      await untilRuns(runner, 1);
      const followUps = new Set<number>();
      for (let i = 1; i <= 5; i++) {
        followUps.add(await enqueueJob(appDb, db, plan(i)));
        pool.wake();
      }
      assert.equal(followUps.size, 1);
      await sleep(300);
      assert.equal(runner.runs.length, 1, 'the follow-up waits while the first job runs');
      assert.equal((await stateOf(appDb, [...followUps][0])).state, 'queued');
      gate.open();
      const done = await untilState(appDb, [...followUps][0], 'succeeded');
      assert.deepEqual(done.plan, plan(1, 2, 3, 4, 5));
      assert.equal((await stateOf(appDb, first)).state, 'succeeded');
      assert.equal(runner.runs.length, 2);
      assert.ok(runner.runs[1].startedAt >= runner.runs[0].endedAt!, 'the follow-up started after the first ended');
      assert.equal(runner.maxConcurrency(), 1);
    });

    test('a follow-up starts right after the running job ends (no idle poll in between)', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const runner = new RecordingRunner();
      const gate = runner.hold(db);
      await enqueueJob(appDb, db);
      startPool(t, appDb, runner, { syncWorkers: 1 });
      await untilRuns(runner, 1);
      await enqueueJob(appDb, db, plan(9));
      gate.open();
      await untilRuns(runner, 2);
      const gap = runner.runs[1].startedAt - runner.runs[0].endedAt!;
      assert.ok(gap < 500, `the follow-up started ${gap.toFixed(0)} ms after the first ended (idle poll: 2000 ms)`);
    });

    test('runs at most syncWorkers jobs at once, across databases', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const runner = new RecordingRunner();
      const gates = [];
      const ids = [];
      for (let i = 0; i < 4; i++) {
        const db = await addDatabase(appDb, `db${i}`);
        gates.push(runner.hold(db));
        ids.push(await enqueueJob(appDb, db));
      }
      startPool(t, appDb, runner, { syncWorkers: 2 });
      await untilRuns(runner, 2);
      await sleep(300);
      assert.equal(runner.runs.length, 2, 'two workers run two jobs');
      const running = await appDb.db.selectFrom('sync_job').select('id').where('state', '=', 'running').execute();
      assert.equal(running.length, 2);
      for (const gate of gates) gate.open();
      for (const id of ids) await untilState(appDb, id, 'succeeded');
      assert.equal(runner.runs.length, 4);
      assert.equal(runner.maxConcurrency(), 2);
    });

    test('wake() makes an idle worker claim at once', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const runner = new RecordingRunner();
      const pool = startPool(t, appDb, runner, { syncWorkers: 1 });
      await sleep(150);
      const before = performance.now();
      await enqueueJob(appDb, db);
      pool.wake();
      await untilRuns(runner, 1);
      const delay = runner.runs[0].startedAt - before;
      assert.ok(delay < 500, `claimed ${delay.toFixed(0)} ms after the enqueue (idle poll: 2000 ms)`);
    });

    test('the job deadline aborts the signal with JobDeadlineExceeded and the job fails', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      const runner = new RecordingRunner(async (job) => {
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
        const reason = job.signal.reason as Error;
        return { state: 'failed', error: `TIMEOUT: ${reason.message}`, result: emptyResult() };
      });
      startPool(t, appDb, runner, { jobTimeoutSeconds: 0.3 });
      const job = await untilState(appDb, id, 'failed');
      assert.ok(runner.runs[0].job.signal.reason instanceof JobDeadlineExceeded);
      assert.equal(job.error, 'TIMEOUT: job deadline of 0.3 s passed');
      const elapsed = runner.runs[0].endedAt! - runner.runs[0].startedAt;
      assert.ok(elapsed >= 250 && elapsed < 2000, `aborted after ${elapsed.toFixed(0)} ms`);
    });

    test('a runner that throws on the deadline fails the job with the deadline message', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      const runner = new RecordingRunner();
      runner.hold(db);
      startPool(t, appDb, runner, { jobTimeoutSeconds: 0.2 });
      const job = await untilState(appDb, id, 'failed');
      assert.ok(runner.runs[0].error instanceof JobDeadlineExceeded);
      assert.equal(job.error, 'job deadline of 0.2 s passed');
    });

    test('an unexpected error fails the job (sanitized), closes started task rows, and the pool goes on', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const other = await addDatabase(appDb, 'other');
      const id = await enqueueJob(appDb, db);
      const task = await addStartedTask(appDb, id, db);
      const runner = new RecordingRunner(async (job) => {
        if (job.databaseId !== db) return succeeded();
        throw new Error('cannot reach postgres://admin:hunter2@wh.example/sales?password=x\nat stack');
        return succeeded();
      });
      const pool = startPool(t, appDb, runner, { syncWorkers: 1 });
      const job = await untilState(appDb, id, 'failed');
      assert.equal(job.error, 'cannot reach postgres://wh.example/sales');
      assert.equal(job.result, null);
      assert.equal((await taskStatus(appDb, task)).status, 'failed');
      const row = await jobRow(appDb, id);
      assert.equal(row.lease_owner, null);
      const next = await enqueueJob(appDb, other);
      pool.wake();
      await untilState(appDb, next, 'succeeded');
    });

    test('the outcome error of a failed job is stored sanitized', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      const runner = new RecordingRunner(async () => ({
        state: 'failed',
        error: 'auth failed: password=secret1',
        result: emptyResult(),
      }));
      startPool(t, appDb, runner);
      const job = await untilState(appDb, id, 'failed');
      assert.equal(job.error, 'auth failed: password=***');
      assert.deepEqual(job.result, emptyResult());
    });

    test('fence renews the lease, and throws JobInterrupted once the lease was taken away', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      const stolen = new Gate();
      const fenceResults: unknown[] = [];
      const fenced = new RecordingRunner(async (job) => {
        await appDb.db.transaction().execute(async (trx) => {
          await job.fence(trx);
          await trx.insertInto('task_history').values({ task: 'first', job_id: job.id, started_at: now() }).execute();
        });
        fenceResults.push('first committed');
        await stolen.pass(new AbortController().signal);
        try {
          await appDb.db.transaction().execute(async (trx) => {
            await job.fence(trx);
            await trx
              .insertInto('task_history')
              .values({ task: 'second', job_id: job.id, started_at: now() })
              .execute();
          });
        } catch (error) {
          fenceResults.push(error);
        }
        return succeeded();
      });
      startPool(t, appDb, fenced);
      await eventually(async () => (fenceResults.length === 1 ? true : undefined));
      const lease = await jobRow(appDb, id);
      const ttlMs = Date.parse(lease.lease_expires_at!) - Date.parse(lease.heartbeat_at!);
      assert.ok(ttlMs >= 4000, 'the fence set now + TTL');
      await appDb.db.updateTable('sync_job').set({ lease_owner: 'thief:1:x' }).where('id', '=', id).execute();
      stolen.open();
      await eventually(async () => (fenceResults.length === 2 ? true : undefined));
      const error = fenceResults[1];
      assert.ok(error instanceof JobInterrupted);
      assert.equal(error.message, 'lease lost');
      const signal = fenced.runs[0].job.signal;
      assert.ok(signal.aborted && signal.reason instanceof JobInterrupted);
      const tasks = await appDb.db.selectFrom('task_history').select('task').where('job_id', '=', id).execute();
      assert.deepEqual(tasks.map((r) => r.task), ['first'], 'the fenced transaction wrote nothing');
      await eventually(async () => (fenced.runs[0].endedAt !== null ? true : undefined));
      await sleep(100);
      const row = await jobRow(appDb, id);
      assert.equal(row.state, 'running', 'the pool that lost the lease writes nothing');
      assert.equal(row.lease_owner, 'thief:1:x');
    });

    test('a heartbeat that finds the lease gone aborts the job with JobInterrupted("lease lost")', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      const runner = new RecordingRunner();
      runner.hold(db);
      startPool(t, appDb, runner, { leaseTtlSeconds: 0.4 });
      await untilRuns(runner, 1);
      const first = await stateOf(appDb, id);
      assert.equal(first.state, 'running');
      await sleep(250);
      const renewed = await jobRow(appDb, id);
      const leaseMs = Date.parse(renewed.lease_expires_at!) - Date.parse(renewed.started_at!);
      assert.ok(leaseMs > 400, 'the heartbeat renewed the lease');
      await appDb.db.updateTable('sync_job').set({ lease_owner: 'thief:1:x' }).where('id', '=', id).execute();
      await eventually(async () => (runner.runs[0].endedAt !== null ? true : undefined), 2000);
      const reason = runner.runs[0].job.signal.reason;
      assert.ok(reason instanceof JobInterrupted);
      assert.equal(reason.message, 'lease lost');
      assert.equal((await stateOf(appDb, id)).state, 'running', 'left to the new owner');
    });

    test('stop(): a job ending within the grace is recorded; the others are interrupted and handed on', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const quick = await addDatabase(appDb, 'quick');
      const slowWithFollowUp = await addDatabase(appDb, 'slow-follow-up');
      const slowAlone = await addDatabase(appDb, 'slow-alone');
      const runner = new RecordingRunner();
      const quickGate = runner.hold(quick);
      runner.hold(slowWithFollowUp);
      runner.hold(slowAlone);
      const quickId = await enqueueJob(appDb, quick);
      const slowId = await enqueueJob(appDb, slowWithFollowUp, { metadata: { tables: [1] }, analyze: { tables: [1] } });
      const aloneId = await enqueueJob(appDb, slowAlone, plan(5));
      const pool = newPool(appDb, runner, { shutdownGraceSeconds: 0.6 });
      pool.start();
      await untilRuns(runner, 3);
      const followUp = await enqueueJob(appDb, slowWithFollowUp, { metadata: { tables: [2] } });
      const slowTask = await addStartedTask(appDb, slowId, slowWithFollowUp);

      const stopping = performance.now();
      const stopped = pool.stop();
      setTimeout(() => quickGate.open(), 100);
      await stopped;
      const took = performance.now() - stopping;
      assert.ok(took >= 550 && took < 3000, `stop() took ${took.toFixed(0)} ms with a grace of 600 ms`);

      assert.equal((await stateOf(appDb, quickId)).state, 'succeeded');

      const slow = await stateOf(appDb, slowId);
      assert.equal(slow.state, 'interrupted');
      assert.equal(slow.error, 'service shutdown');
      assert.equal(slow.retriedAs, followUp, 'merged into the queued follow-up');
      assert.ok(runner.runsOf(slowWithFollowUp)[0].job.signal.reason instanceof JobInterrupted);
      assert.equal((await taskStatus(appDb, slowTask)).status, 'failed');
      const merged = await stateOf(appDb, followUp);
      assert.equal(merged.state, 'queued');
      assert.deepEqual(merged.plan, { metadata: { tables: [1, 2] }, analyze: { tables: [1] } });
      assert.equal(merged.attempt, 1);
      assert.equal(merged.triggers.at(-1)?.source, 'retry');

      const alone = await stateOf(appDb, aloneId);
      assert.equal(alone.state, 'interrupted');
      assert.ok(alone.retriedAs);
      const successor = await stateOf(appDb, alone.retriedAs);
      assert.equal(successor.state, 'queued');
      assert.deepEqual(successor.plan, plan(5));
      assert.equal(successor.attempt, 1, 'a shutdown uses up no attempt');
      assert.equal(successor.priority, 10);

      await sleep(200);
      assert.equal(runner.runs.length, 3, 'a stopped pool claims nothing');
    });

    test('stop() before start() and a second start() are harmless', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const runner = new RecordingRunner();
      const idle = newPool(appDb, runner);
      await idle.stop();
      idle.start();
      const db = await addDatabase(appDb);
      const id = await enqueueJob(appDb, db);
      await sleep(100);
      assert.equal((await stateOf(appDb, id)).state, 'queued', 'a stopped pool does not start');

      const pool = startPool(t, appDb, runner, { syncWorkers: 1 });
      pool.start();
      await untilState(appDb, id, 'succeeded');
      await pool.stop();
      await pool.stop();
    });

    test('start() sweeps expired leases of a dead instance, then runs the retry', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const deadPlan: Plan = { metadata: { database: true, new_tables: [{ schema: 'public', name: 'events' }] } };
      const dead = await appDb.db
        .insertInto('sync_job')
        .values({
          database_id: db,
          state: 'running',
          plan: JSON.stringify(deadPlan),
          triggers: JSON.stringify([trigger('notify')]),
          priority: 10,
          started_at: nowPlusSeconds(appDb, -120),
          lease_owner: 'dead-host:4242:beef',
          lease_expires_at: nowPlusSeconds(appDb, -30),
          heartbeat_at: nowPlusSeconds(appDb, -90),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const task = await addStartedTask(appDb, dead.id, db);
      const runner = new RecordingRunner();
      startPool(t, appDb, runner);
      const interrupted = await untilState(appDb, dead.id, 'interrupted');
      assert.equal(interrupted.error, 'lease expired');
      assert.ok(interrupted.retriedAs);
      const task_ = await taskStatus(appDb, task);
      assert.equal(task_.status, 'unknown');
      assert.ok(task_.ended_at);
      const retry = await untilState(appDb, interrupted.retriedAs, 'succeeded');
      assert.equal(retry.attempt, 2);
      assert.deepEqual(retry.plan, deadPlan);
      assert.deepEqual(runner.runs[0].job.plan, deadPlan);
    });
  });
}
