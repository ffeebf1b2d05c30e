// Enqueue under contention on PostgreSQL (sync-engine.md 8.3): many requests for one database at the same moment,
// while a worker keeps claiming and finishing its jobs. Each request is accepted and carried by exactly one job,
// whether it found no queued job, the queued job, or a queued job that a claim took before it could join it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { claimJob, completeJob, enqueue } from '../../src/jobs/queue.ts';
import { addDatabase, emptyResult, freshAppDb, trigger, warmPool } from './app-dbs.ts';

const REQUESTS = 200;
const WAVES = 10;

test('concurrent requests for one database while a worker claims: all accepted, none lost', async (t) => {
  const appDb = await freshAppDb(t, 'postgres');
  const db = await addDatabase(appDb);
  await warmPool(appDb, 10);
  let sending = true;
  let ran = 0;
  const worker = (async () => {
    while (sending || ran === 0) {
      const job = await claimJob(appDb, 'worker', 60);
      if (!job) continue;
      assert.ok(await completeJob(appDb, job.id, 'worker', { state: 'succeeded', error: null, result: emptyResult() }));
      ran++;
    }
  })();
  try {
    for (let wave = 0; wave < WAVES; wave++) {
      const results = await Promise.all(
        Array.from({ length: REQUESTS / WAVES }, (_, i) =>
          enqueue(appDb, { databaseId: db, plan: { metadata: { tables: [i + 1] } }, priority: 10, trigger: trigger() }),
        ),
      );
      assert.deepEqual(new Set(results.map((r) => r.kind)), new Set(['enqueued']));
    }
  } finally {
    sending = false;
    await worker;
  }
  const jobs = await appDb.db.selectFrom('sync_job').select(['state', 'trigger_count']).execute();
  assert.equal(jobs.reduce((sum, job) => sum + job.trigger_count, 0), REQUESTS, 'each request is counted by one job');
  assert.ok(jobs.filter((job) => job.state === 'queued').length <= 1);
  assert.ok(ran >= 1 && jobs.length < REQUESTS, `${jobs.length} jobs for ${REQUESTS} requests`);
});

// A job's start and end are the instants of their writes, not of their transactions' starts: otherwise a claim whose
// statement began before another instance's completion committed could record a start before that completion's end,
// and one database's job intervals would seem to overlap although the one-running index kept them apart.
test('job timestamps on PostgreSQL are the instant of the write, not the start of its transaction', async (t) => {
  const appDb = await freshAppDb(t, 'postgres');
  const gap = await appDb.db.transaction().execute(async (trx) => {
    await sql`select pg_sleep(0.3)`.execute(trx);
    const { rows } = await sql<{ gap: number }>`
      select extract(epoch from (${appDb.now()}::timestamptz - now())) as gap`.execute(trx);
    return Number(rows[0].gap);
  });
  assert.ok(gap >= 0.25, `the write's time is ${gap} s after its transaction began`);
});
