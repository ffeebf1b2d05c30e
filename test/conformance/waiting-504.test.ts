// notify-api.md section 7.3, "Waiting limit (504)" (rows 154–156): a blocked warehouse and MB_NOTIFY_WAIT_SECONDS=1.
// GET /api/notify/job/:id is not part of this build, so the job's state is read from sync_job.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  K,
  STILL_RUNNING,
  assertJson,
  createWarehouses,
  fieldsOf,
  tableNamed,
  waitFor,
  withFixture,
  type Fixture,
  type Res,
  type Warehouses,
} from '../support/fixture.ts';

let wh: Warehouses;
before(async () => {
  wh = await createWarehouses();
});
after(async () => {
  await wh?.close();
});

/** Sends the request and checks the 504 arrives about one second later, while the job has not ended. */
async function assertStillRunning(fx: Fixture, send: () => Promise<Res>): Promise<number> {
  const started = Date.now();
  const res = await send();
  const elapsed = Date.now() - started;
  const { job_id } = assertJson<{ job_id: number }>(res, 504, STILL_RUNNING);
  assert.ok(elapsed >= 950 && elapsed < 3000, `the 504 came after ${elapsed} ms`);
  assert.ok(['queued', 'running'].includes((await fx.job(job_id)).state));
  assert.equal(fx.proxy?.held, true);
  fx.proxy?.release();
  return job_id;
}

test('row 154: blocked1, wait1, waiting table sync: 504, then the job succeeds, newly_added appears', async () => {
  await withFixture(wh, { variants: ['blocked1', 'wait1'] }, async (fx) => {
    const jobId = await assertStillRunning(fx, () =>
      fx.request({ url: '/api/notify/db/1', headers: K, json: { 'synchronous?': true, table_id: 10, scan: 'schema' } }),
    );
    assert.equal((await fx.waitForJob(jobId)).state, 'succeeded');
    assert.deepEqual(fieldsOf(await fx.metadata(1), 10), ['val', 'newly_added']);
  });
});

test('row 155: blocked1, wait1, new-table: 504, then the job goes on and creates public.bar', async () => {
  await withFixture(wh, { variants: ['blocked1', 'wait1'] }, async (fx) => {
    const jobId = await assertStillRunning(fx, () =>
      fx.request({ url: '/api/notify/db/1/new-table', headers: K, json: { schema_name: 'public', table_name: 'bar' } }),
    );
    assert.equal((await fx.waitForJob(jobId)).state, 'succeeded');
    const bar = await waitFor('public.bar in M(1)', async () => tableNamed(await fx.metadata(1), 'public.bar'));
    assert.equal(bar.initial_sync_status, 'complete');
  });
});

test('row 156: blocked2, wait1, waiting attached_datawarehouse sync: 504', async () => {
  await withFixture(wh, { variants: ['blocked2', 'wait1'] }, async (fx) => {
    const jobId = await assertStillRunning(fx, () =>
      fx.request({ url: '/api/notify/db/attached_datawarehouse', headers: K, json: { 'synchronous?': true } }),
    );
    assert.equal((await fx.waitForJob(jobId)).state, 'succeeded');
  });
});
