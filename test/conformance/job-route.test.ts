// notify-api.md section 7.3, "GET /api/notify/job/:id" (rows 145–153): routing, validation and authentication of the
// route, then the Job object of a succeeded, a held (queued or running), a merged follow-up and a failed job.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANY,
  K,
  OBJECT,
  OK_JOB,
  PLAN,
  ROW_40_BODY,
  STR,
  TS,
  assertJson,
  assertText,
  createWarehouses,
  oneOf,
  startFixture,
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

const NO_ENDPOINT = 'API endpoint does not exist.';
const EMPTY_GROUP = { created: [], reactivated: [], retired: [], renamed: [], 'type-changed': [] };

function getJob(fx: Fixture, id: number | string, headers: Readonly<Record<string, string>> = K): Promise<Res> {
  return fx.request({ method: 'GET', url: `/api/notify/job/${id}`, headers });
}

function jobIdOf(res: Res): number {
  return assertJson<{ job_id: number }>(res, 200, OK_JOB).job_id;
}

interface Step {
  readonly id: number;
  readonly task: string;
  readonly job_id: number;
  readonly parent_id: number | null;
  readonly status: string;
}

describe('routing, validation and authentication (rows 145–149)', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(wh);
  });
  after(async () => {
    await fx?.close();
  });

  test('row 145: GET /api/notify/job/abc, K: 404 API endpoint does not exist.', async () => {
    assertText(await getJob(fx, 'abc'), 404, NO_ENDPOINT);
  });

  test('row 146: GET /api/notify/job/0, K: 400, the body of row 40', async () => {
    assertJson(await getJob(fx, '0'), 400, ROW_40_BODY);
  });

  test('row 147: GET /api/notify/job/99999999999, K: 404 Not found.', async () => {
    assertText(await getJob(fx, '99999999999'), 404, 'Not found.');
  });

  test('row 148: GET /api/notify/job/1 without a key header: 403 Forbidden', async () => {
    assertText(await getJob(fx, 1, {}), 403, 'Forbidden');
  });

  test('row 149: POST /api/notify/job/1, K: 404 API endpoint does not exist.', async () => {
    assertText(await fx.request({ method: 'POST', url: '/api/notify/job/1', headers: K }), 404, NO_ENDPOINT);
    assert.equal(await fx.jobCount(), 0);
  });
});

test('row 150: a waited-for table sync reports succeeded, its changeset and its task rows', async () => {
  await withFixture(wh, {}, async (fx) => {
    const json = { 'synchronous?': true, scan: 'schema', table_id: 10 };
    const id = jobIdOf(await fx.request({ url: '/api/notify/db/1', headers: K, json }));
    const body = assertJson<{ steps: Step[] }>(await getJob(fx, id), 200, {
      id,
      database_id: 1,
      status: 'succeeded',
      plan: PLAN.metadataTables(10),
      enqueued_at: TS,
      started_at: TS,
      finished_at: TS,
      steps: ANY,
      changes: {
        tables: EMPTY_GROUP,
        fields: { ...EMPTY_GROUP, created: ['public.foo.newly_added'] },
      },
      error: null,
    });
    assert.ok(Array.isArray(body.steps));
    const [operation, ...steps] = body.steps;
    assert.deepEqual(
      [operation.task, operation.status, operation.parent_id],
      ['sync', 'success', null],
    );
    assert.deepEqual(
      steps.map((s) => s.task),
      ['sync-tables', 'sync-fields', 'sync-fks', 'sync-indexes'],
    );
    for (const row of body.steps) assert.equal(row.job_id, id, `task row ${row.id}`);
    for (const step of steps) assert.equal(step.parent_id, operation.id, `parent of ${step.task}`);
  });
});

test('row 151: blocked1, a job not yet ended reports queued or running, its plan and no outcome', async () => {
  await withFixture(wh, { variants: ['blocked1'] }, async (fx) => {
    const id = jobIdOf(await fx.request({ url: '/api/notify/db/1', headers: K, json: {} }));
    const body = assertJson<{ steps: unknown; started_at: unknown }>(await getJob(fx, id), 200, {
      id,
      database_id: 1,
      status: oneOf('queued', 'running'),
      plan: PLAN.fullDatabase,
      enqueued_at: TS,
      started_at: ANY,
      finished_at: null,
      steps: ANY,
      changes: null,
      error: null,
    });
    assert.ok(Array.isArray(body.steps));
    assert.ok(body.started_at === null || TS.accepts(body.started_at), `started_at ${JSON.stringify(body.started_at)}`);
    assert.equal(fx.proxy?.held, true, 'answered while the warehouse is held');
  });
});

test('row 152: blocked1, two requests during a running job share one queued follow-up with merged plans', async () => {
  await withFixture(wh, { variants: ['blocked1'] }, async (fx) => {
    const first = jobIdOf(await fx.request({ url: '/api/notify/db/1', headers: K, json: {} }));
    await waitFor('job J1 running', async () => {
      const { status } = JSON.parse((await getJob(fx, first)).body) as { status: string };
      return status === 'running';
    });
    const second = jobIdOf(
      await fx.request({ url: '/api/notify/db/1', headers: K, json: { table_id: 10, scan: 'schema' } }),
    );
    const third = jobIdOf(
      await fx.request({ url: '/api/notify/db/1', headers: K, json: { table_id: 11, scan: 'schema' } }),
    );
    assert.equal(third, second, 'J3 = J2');
    assert.notEqual(second, first, 'J2 ≠ J1');
    assertJson(await getJob(fx, second), 200, {
      id: second,
      database_id: 1,
      status: 'queued',
      plan: PLAN.metadataTables(10, 11),
      enqueued_at: TS,
      started_at: null,
      finished_at: null,
      steps: [],
      changes: null,
      error: null,
    });
  });
});

test('row 153: down1, a job that failed reports failed, empty changes and a sanitized error', async () => {
  await withFixture(wh, { variants: ['down1'] }, async (fx) => {
    const id = jobIdOf(await fx.request({ url: '/api/notify/db/1', headers: K, json: {} }));
    await fx.waitForJob(id);
    // fx.request fails the row when the password or the notify key appears anywhere in the response.
    const body = assertJson<{ steps: unknown; changes: unknown }>(await getJob(fx, id), 200, {
      id,
      database_id: 1,
      status: 'failed',
      plan: OBJECT,
      enqueued_at: TS,
      started_at: TS,
      finished_at: TS,
      steps: ANY,
      changes: OBJECT,
      error: STR,
    });
    assert.ok(Array.isArray(body.steps));
    assert.deepEqual(body.changes, { tables: EMPTY_GROUP, fields: EMPTY_GROUP });
  });
});
