// A running job's progress: recorded at most once per second (the first time after one second), read back by
// GET /api/notify/job/:id/progress (notify key) and /api/ui/job/:id/progress (admin key) only while the job runs.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { claimJob } from '../../src/jobs/queue.ts';
import { JobProgress } from '../../src/sync/progress.ts';
import { A, harness, K } from '../http/harness.ts';

test('progress is written after a second, read while running, and null otherwise', async (t) => {
  const h = await harness(t);
  const { job_id: jobId } = (await h.post('/api/notify/db/1', { table_id: 10, scan: 'schema' }, K)).json() as {
    job_id: number;
  };
  const read = async (root = '/api/notify/job', headers = K) => {
    const response = await h.inject({ method: 'GET', url: `${root}/${jobId}/progress`, headers });
    return { status: response.statusCode, body: response.statusCode === 200 ? response.json() : response.body };
  };
  assert.deepEqual((await read()).body, { id: jobId, status: 'queued', running_job_id: jobId, progress: null });

  const claimed = await claimJob(h.appDb, 'progress-test', 60);
  assert.equal(claimed?.id, jobId);
  const progress = new JobProgress(h.appDb, jobId);
  t.after(() => progress.close());
  progress.step('metadata', 'sync-fields');
  progress.tables(3, 7);
  assert.equal((await h.jobRow(jobId)).progress, null, 'nothing is written in the first second');
  assert.deepEqual((await read()).body, { id: jobId, status: 'running', running_job_id: jobId, progress: null });
  await sleep(1300);
  const expected = { phase: 'metadata', step: 'sync-fields', tables_done: 3, tables_total: 7 };
  assert.deepEqual((await read()).body, { id: jobId, status: 'running', running_job_id: jobId, progress: expected });
  assert.deepEqual((await read('/api/ui/job', A)).body, (await read()).body);
  assert.equal((await read('/api/ui/job', K)).status, 403);

  progress.close();
  await h.appDb.db.updateTable('sync_job').set({ state: 'succeeded' }).where('id', '=', jobId).execute();
  assert.deepEqual((await read()).body, { id: jobId, status: 'succeeded', running_job_id: jobId, progress: null });
  const unknown = await h.inject({ method: 'GET', url: '/api/notify/job/99999/progress', headers: K });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.body, 'Not found.');
});
