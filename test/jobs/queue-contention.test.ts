// Enqueue under contention on PostgreSQL (sync-engine.md 8.3): many requests for one database at the same moment,
// while a worker keeps claiming and finishing its jobs. Each request is accepted and carried by exactly one job,
// whether it found no queued job, the queued job, or a queued job that a claim took before it could join it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
