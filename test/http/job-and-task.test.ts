// GET /api/notify/job/:id (notify-api.md section 4.5) and GET /api/task (section 6.7) over the HTTP harness: jobs are
// driven through the real queue functions into every state, task_history rows are written as the sync engine does.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDb } from '../../src/db/connect.ts';
import { claimJob, completeJob, enqueue, interruptOwnedJob } from '../../src/jobs/queue.ts';
import type { Changeset, JobResult, Plan } from '../../src/jobs/types.ts';
import {
  A,
  ADMIN_KEY,
  K,
  NOTIFY_KEY,
  PASSWORD,
  assertJson,
  assertOkJob,
  assertText,
  harness,
  padded,
  validationBody,
  type Harness,
} from './harness.ts';

const JOB_KEYS = [
  'id',
  'database_id',
  'status',
  'plan',
  'enqueued_at',
  'started_at',
  'finished_at',
  'steps',
  'changes',
  'error',
];
const NO_ENDPOINT = 'API endpoint does not exist.';
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const OWNER = 'job-route-test';
const FULL_DATABASE: Plan = {
  metadata: { database: true },
  analyze: { database: true },
  field_values: { database: true },
};

const CHANGES: Changeset = {
  tables: { created: ['public.bar'], reactivated: [], retired: [], renamed: [], 'type-changed': [] },
  fields: {
    created: ['public.foo.newly_added'],
    reactivated: [],
    retired: [],
    renamed: [{ from: 'public.foo.a', to: 'public.foo.b' }],
    'type-changed': [],
  },
};

function resultWith(changes: Changeset): JobResult {
  return { phases: { metadata: 'success' }, operations: [], new_tables: [], changes };
}

async function getJob(h: Harness, id: number | string) {
  return await h.inject({ method: 'GET', url: `/api/notify/job/${id}`, headers: K });
}

/** The Job object of a 200 answer, after checking its exact key set. */
async function jobObject(h: Harness, id: number): Promise<Record<string, unknown>> {
  const res = await getJob(h, id);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  const body = JSON.parse(res.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), JOB_KEYS);
  return body;
}

async function enqueueFor(appDb: AppDb, databaseId: number, plan: Plan): Promise<number> {
  const result = await enqueue(appDb, {
    databaseId,
    plan,
    priority: 10,
    trigger: { source: 'notify', at: new Date().toISOString() },
  });
  assert.equal(result.kind, 'enqueued');
  return result.kind === 'enqueued' ? result.jobId : 0;
}

/** Claims the queued job `id` (the only queued one) for OWNER. */
async function claim(appDb: AppDb, id: number): Promise<void> {
  const job = await claimJob(appDb, OWNER, 60);
  assert.equal(job?.id, id);
}

interface TaskInput {
  readonly task: string;
  readonly dbId?: number | null;
  readonly jobId?: number | null;
  readonly parentId?: number | null;
  readonly startedAt?: string;
  readonly status?: string;
  readonly details?: unknown;
  readonly logs?: unknown;
}

async function addTask(appDb: AppDb, input: TaskInput): Promise<number> {
  const ended = input.status !== undefined && input.status !== 'started';
  const row = await appDb.db
    .insertInto('task_history')
    .values({
      task: input.task,
      db_id: input.dbId === undefined ? 1 : input.dbId,
      job_id: input.jobId ?? null,
      parent_id: input.parentId ?? null,
      started_at: input.startedAt ?? '2025-01-15T10:00:00.000Z',
      ended_at: ended ? '2025-01-15T10:00:01.000Z' : null,
      duration: ended ? 1000 : null,
      status: input.status ?? 'started',
      task_details: input.details === undefined ? null : JSON.stringify(input.details),
      logs: input.logs === undefined ? null : JSON.stringify(input.logs),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('GET /api/notify/job/:id', () => {
  test('a queued job: its plan and enqueued_at, nothing else yet', async (t) => {
    const h = await harness(t);
    const id = assertOkJob(await h.post('/api/notify/db/1', {}));
    const body = await jobObject(h, id);
    assert.match(String(body.enqueued_at), TS);
    assert.deepEqual(body, {
      id,
      database_id: 1,
      status: 'queued',
      plan: FULL_DATABASE,
      enqueued_at: body.enqueued_at,
      started_at: null,
      finished_at: null,
      steps: [],
      changes: null,
      error: null,
    });
  });

  test('a running job: started_at and its task rows so far, ordered by id, JSON columns parsed', async (t) => {
    const h = await harness(t);
    const id = await enqueueFor(h.appDb, 1, { metadata: { tables: [10] } });
    await claim(h.appDb, id);
    const operation = await addTask(h.appDb, {
      task: 'sync',
      jobId: id,
      details: null,
    });
    const step = await addTask(h.appDb, {
      task: 'sync-tables',
      jobId: id,
      parentId: operation,
      status: 'success',
      details: { scope: { tables: [10] }, 'warehouse-queries': 1 },
      logs: [{ level: 'warn', at: '2025-01-15T10:00:00.500Z', message: 'slow' }],
    });
    await addTask(h.appDb, { task: 'sync', jobId: id + 1 });
    await addTask(h.appDb, { task: 'sync', jobId: null });
    const body = await jobObject(h, id);
    assert.equal(body.status, 'running');
    assert.match(String(body.started_at), TS);
    assert.equal(body.finished_at, null);
    assert.equal(body.changes, null);
    assert.equal(body.error, null);
    assert.deepEqual(body.plan, { metadata: { tables: [10] } });
    assert.deepEqual(body.steps, [
      {
        id: operation,
        task: 'sync',
        db_id: 1,
        job_id: id,
        parent_id: null,
        started_at: '2025-01-15T10:00:00.000Z',
        ended_at: null,
        duration: null,
        status: 'started',
        task_details: null,
        logs: null,
      },
      {
        id: step,
        task: 'sync-tables',
        db_id: 1,
        job_id: id,
        parent_id: operation,
        started_at: '2025-01-15T10:00:00.000Z',
        ended_at: '2025-01-15T10:00:01.000Z',
        duration: 1000,
        status: 'success',
        task_details: { scope: { tables: [10] }, 'warehouse-queries': 1 },
        logs: [{ level: 'warn', at: '2025-01-15T10:00:00.500Z', message: 'slow' }],
      },
    ]);
  });

  test('a succeeded job: its timestamps and changeset', async (t) => {
    const h = await harness(t);
    const id = await enqueueFor(h.appDb, 2, { metadata: { database: true } });
    await claim(h.appDb, id);
    assert.ok(await completeJob(h.appDb, id, OWNER, { state: 'succeeded', error: null, result: resultWith(CHANGES) }));
    const body = await jobObject(h, id);
    assert.equal(body.status, 'succeeded');
    assert.equal(body.database_id, 2);
    for (const key of ['enqueued_at', 'started_at', 'finished_at']) assert.match(String(body[key]), TS, key);
    assert.deepEqual(body.changes, CHANGES);
    assert.equal(body.error, null);
  });

  test('a failed job: its sanitized error, never a password or a key', async (t) => {
    const h = await harness(t);
    const id = await enqueueFor(h.appDb, 1, { metadata: { database: true } });
    await claim(h.appDb, id);
    // As if a driver message had slipped through the worker's sanitizer with the raw secrets in it.
    await completeJob(h.appDb, id, OWNER, { state: 'failed', error: 'placeholder', result: resultWith(CHANGES) });
    await h.appDb.db
      .updateTable('sync_job')
      .set({ error: `could not connect: ${PASSWORD} ${NOTIFY_KEY} ${ADMIN_KEY}` })
      .where('id', '=', id)
      .execute();
    const res = await getJob(h, id);
    for (const secret of [PASSWORD, NOTIFY_KEY, ADMIN_KEY]) assert.ok(!res.body.includes(secret), secret);
    const body = await jobObject(h, id);
    assert.equal(body.status, 'failed');
    assert.equal(body.error, 'could not connect: *** *** ***');
    assert.deepEqual(body.changes, CHANGES);
  });

  test('an interrupted job reports the end of its retried_as chain', async (t) => {
    const h = await harness(t);
    const first = await enqueueFor(h.appDb, 1, { metadata: { tables: [10] } });
    await claim(h.appDb, first);
    await addTask(h.appDb, { task: 'sync', jobId: first, status: 'failed' });
    const handedOn = await interruptOwnedJob(h.appDb, first, OWNER, 'service shutdown');
    const successor = handedOn?.retriedAs;
    assert.ok(successor !== undefined && successor !== null && successor !== first);

    let body = await jobObject(h, first);
    assert.equal(body.status, 'queued');
    assert.deepEqual(body.plan, { metadata: { tables: [10] } });
    assert.match(String(body.finished_at), TS, 'its own timestamps');
    assert.equal((body.steps as unknown[]).length, 1, 'its own task rows');
    assert.equal(body.changes, null);

    await claim(h.appDb, successor);
    assert.equal((await jobObject(h, first)).status, 'running');
    await completeJob(h.appDb, successor, OWNER, { state: 'succeeded', error: null, result: resultWith(CHANGES) });
    body = await jobObject(h, first);
    assert.equal(body.status, 'succeeded');
    assert.equal(body.error, null);
    assert.equal(body.changes, null, 'the interrupted job recorded no changeset');
    assert.deepEqual((await jobObject(h, successor)).changes, CHANGES);
  });

  test('an interrupted job without a successor counts as failed', async (t) => {
    const h = await harness(t);
    const id = await enqueueFor(h.appDb, 1, { metadata: { database: true } });
    await claim(h.appDb, id);
    await h.appDb.db
      .updateTable('sync_job')
      .set({ state: 'interrupted', error: 'lease expired', finished_at: '2025-01-15T10:00:00.000Z' })
      .where('id', '=', id)
      .execute();
    const body = await jobObject(h, id);
    assert.equal(body.status, 'failed');
    assert.equal(body.error, 'lease expired');
    assert.equal(body.changes, null);
  });

  test('a skipped row (a scheduled fire a running job covered) is 404 Not found.', async (t) => {
    const h = await harness(t);
    const row = await h.appDb.db
      .insertInto('sync_job')
      .values({
        database_id: 1,
        state: 'skipped',
        plan: '{"metadata":{"database":true}}',
        triggers: '[]',
        error: 'covered by running job 1',
        finished_at: '2025-01-15T10:00:00.000Z',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    assertText(await getJob(h, row.id), 404, 'Not found.');
  });

  test('rows 145-149: routing, validation, unknown ids, authentication', async (t) => {
    const h = await harness(t);
    assertText(await getJob(h, 'abc'), 404, NO_ENDPOINT);
    assertText(await getJob(h, '-1'), 404, NO_ENDPOINT);
    assertText(await getJob(h, '1/'), 404, NO_ENDPOINT);
    const zero = validationBody({ id: ['value must be an integer greater than zero.', '0'] });
    assertJson(await getJob(h, '0'), 400, zero);
    assertJson(await getJob(h, '00'), 400, zero);
    for (const id of ['1', '99999999999', '2147483648', '9'.repeat(400)]) {
      assertText(await getJob(h, id), 404, 'Not found.');
    }
    assertText(await h.inject({ method: 'GET', url: '/api/notify/job/1' }), 403, 'Forbidden');
    assertText(await h.inject({ method: 'GET', url: '/api/notify/job/1', headers: A }), 403, 'Forbidden');
    assertText(await h.post('/api/notify/job/1', {}), 404, NO_ENDPOINT);
    assertText(await h.inject({ method: 'PUT', url: '/api/notify/job/1', headers: K }), 404, NO_ENDPOINT);
  });

  test('a body is read with the limit and ignored', async (t) => {
    const h = await harness(t);
    const id = assertOkJob(await h.post('/api/notify/db/1', {}));
    const headers = { ...K, 'content-type': 'application/json' };
    const ignored = await h.send('GET', `/api/notify/job/${id}`, headers, '{"id": 5, "oops"');
    assert.equal(ignored.statusCode, 200, ignored.body);
    assert.equal(JSON.parse(ignored.body).id, id);
    const tooLarge = await h.send('GET', `/api/notify/job/${id}`, headers, padded('{}', 1_048_577));
    assertText(tooLarge, 413, 'Request body too large.');
  });
});

describe('GET /api/task', () => {
  async function getTasks(h: Harness, query = '') {
    return await h.inject({ method: 'GET', url: `/api/task${query}`, headers: A });
  }

  interface Page {
    readonly total: number;
    readonly data: readonly { readonly id: number }[];
    readonly limit: unknown;
    readonly offset: unknown;
  }

  async function page(h: Harness, query = ''): Promise<Page> {
    const res = await getTasks(h, query);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    const body = JSON.parse(res.body);
    assert.deepEqual(Object.keys(body), ['total', 'data', 'limit', 'offset']);
    return body;
  }

  /** Six rows: three of database 1, two of database 2, one without a database; two share a start time. */
  async function addHistory(h: Harness): Promise<Record<string, number>> {
    const at = (minute: number) => `2025-01-15T10:${String(minute).padStart(2, '0')}:00.000Z`;
    return {
      oldest: await addTask(h.appDb, { task: 'sync', dbId: 1, jobId: 7, startedAt: at(1), status: 'success' }),
      newest: await addTask(h.appDb, { task: 'analyze', dbId: 2, jobId: 8, startedAt: at(9), status: 'failed' }),
      tieLow: await addTask(h.appDb, { task: 'sync-fields', dbId: 1, startedAt: at(5), status: 'success' }),
      tieHigh: await addTask(h.appDb, { task: 'sync-fks', dbId: 1, startedAt: at(5), status: 'failed' }),
      middle: await addTask(h.appDb, { task: 'sync', dbId: 2, startedAt: at(3), status: 'unknown' }),
      orphan: await addTask(h.appDb, {
        task: 'sync',
        dbId: null,
        startedAt: at(2),
        status: 'started',
        details: { phase: 'metadata' },
        logs: [{ level: 'info', message: '[truncated] 3 messages' }],
      }),
    };
  }

  test("every row, newest first, in Metabase's shape", async (t) => {
    const h = await harness(t);
    assert.deepEqual(await page(h), { total: 0, data: [], limit: null, offset: null });
    const ids = await addHistory(h);
    const body = await page(h);
    assert.equal(body.total, 6);
    assert.equal(body.limit, null);
    assert.equal(body.offset, null);
    assert.deepEqual(
      body.data.map((r) => r.id),
      [ids.newest, ids.tieHigh, ids.tieLow, ids.middle, ids.orphan, ids.oldest],
    );
    assert.deepEqual(body.data[4], {
      id: ids.orphan,
      task: 'sync',
      db_id: null,
      job_id: null,
      parent_id: null,
      started_at: '2025-01-15T10:02:00.000Z',
      ended_at: null,
      duration: null,
      status: 'started',
      task_details: { phase: 'metadata' },
      logs: [{ level: 'info', message: '[truncated] 3 messages' }],
    });
    assert.equal((body.data[0] as unknown as { job_id: number }).job_id, 8);
  });

  test('filters by db_id and status; total counts the filtered rows', async (t) => {
    const h = await harness(t);
    const ids = await addHistory(h);
    const ofDb1 = await page(h, '?db_id=1');
    assert.equal(ofDb1.total, 3);
    assert.deepEqual(
      ofDb1.data.map((r) => r.id),
      [ids.tieHigh, ids.tieLow, ids.oldest],
    );
    const failed = await page(h, '?status=failed');
    assert.deepEqual(
      failed.data.map((r) => r.id),
      [ids.newest, ids.tieHigh],
    );
    const both = await page(h, '?db_id=2&status=unknown');
    assert.deepEqual(
      both.data.map((r) => r.id),
      [ids.middle],
    );
    assert.deepEqual(await page(h, '?db_id=99999999999'), { total: 0, data: [], limit: null, offset: null });
    assert.deepEqual(await page(h, '?db_id=3'), { total: 0, data: [], limit: null, offset: null });
  });

  test('pages with limit and offset as Metabase does (limit 50, offset 0 when only the other is given)', async (t) => {
    const h = await harness(t);
    const ids = await addHistory(h);
    const newestFirst = [ids.newest, ids.tieHigh, ids.tieLow, ids.middle, ids.orphan, ids.oldest];
    const first = await page(h, '?limit=2');
    assert.deepEqual([first.total, first.limit, first.offset], [6, 2, 0]);
    assert.deepEqual(
      first.data.map((r) => r.id),
      newestFirst.slice(0, 2),
    );
    const second = await page(h, '?limit=2&offset=2');
    assert.deepEqual([second.total, second.limit, second.offset], [6, 2, 2]);
    assert.deepEqual(
      second.data.map((r) => r.id),
      newestFirst.slice(2, 4),
    );
    const rest = await page(h, '?offset=4');
    assert.deepEqual([rest.total, rest.limit, rest.offset], [6, 50, 4]);
    assert.deepEqual(
      rest.data.map((r) => r.id),
      newestFirst.slice(4),
    );
    const none = await page(h, '?limit=0&status=failed');
    assert.deepEqual(none, { total: 2, data: [], limit: 0, offset: 0 });
    const huge = await page(h, '?limit=99999999999999999999&offset=007');
    assert.deepEqual([huge.total, huge.data.length, huge.limit, huge.offset], [6, 0, Number.MAX_SAFE_INTEGER, 7]);
    const repeated = await page(h, '?limit=1&limit=3');
    assert.equal(repeated.limit, 3, 'the last of a repeated parameter counts');
  });

  test('invalid query parameters: a 400 naming every failing one', async (t) => {
    const h = await harness(t);
    const nonNegative = 'nullable value must be an integer greater than or equal to zero.';
    assertJson(
      await getTasks(h, '?limit=-1&offset=1.5&db_id=0&status=done'),
      400,
      validationBody({
        limit: [nonNegative, '"-1"'],
        offset: [nonNegative, '"1.5"'],
        db_id: ['nullable value must be an integer greater than zero.', '0'],
        status: ['nullable enum of started, success, failed, unknown', '"done"'],
      }),
    );
    assertJson(await getTasks(h, '?limit=abc'), 400, validationBody({ limit: [nonNegative, '"abc"'] }));
    assertJson(await getTasks(h, '?limit='), 400, validationBody({ limit: [nonNegative, '""'] }));
    assertJson(
      await getTasks(h, '?status=SUCCESS'),
      400,
      validationBody({ status: ['nullable enum of started, success, failed, unknown', '"SUCCESS"'] }),
    );
  });

  test('the management key guards it; other methods and paths below it are no route', async (t) => {
    const h = await harness(t);
    assertText(await h.inject({ method: 'GET', url: '/api/task' }), 403, 'Forbidden');
    assertText(await h.inject({ method: 'GET', url: '/api/task', headers: K }), 403, 'Forbidden');
    assertText(await h.inject({ method: 'POST', url: '/api/task', headers: A }), 404, NO_ENDPOINT);
    assertText(await h.inject({ method: 'GET', url: '/api/task/', headers: A }), 404, NO_ENDPOINT);
    assertText(await h.inject({ method: 'GET', url: '/api/task/1', headers: A }), 404, NO_ENDPOINT);
  });
});
