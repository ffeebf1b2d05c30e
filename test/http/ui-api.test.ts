// The admin page's read-only routes (/api/ui/…) over the HTTP harness: the admin key, the databases with their last,
// current and next syncs, pages of tables, a table's fields, recent jobs and one job, secrets kept out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimJob, completeJob, enqueue } from '../../src/jobs/queue.ts';
import fc from 'fast-check';
import { compareTables } from '../../src/catalog/api-objects.ts';
import { nextFireOf, sortTables } from '../../src/http/ui-api-routes.ts';
import { A, K, PASSWORD, assertJson, assertText, harness, type Harness } from './harness.ts';

const EMPTY = { created: [], reactivated: [], retired: [], renamed: [], 'type-changed': [] };

async function get(h: Harness, url: string, headers = A) {
  return await h.inject({ method: 'GET', url, headers });
}

async function json(h: Harness, url: string) {
  const res = await get(h, url);
  assert.equal(res.statusCode, 200, res.body);
  return JSON.parse(res.body);
}

/** Runs one job of database `databaseId` to its end through the real queue, failing it with `error` when given. */
async function finishJob(h: Harness, databaseId: number, error?: string): Promise<number> {
  const queued = await enqueue(h.appDb, {
    databaseId,
    plan: { metadata: { database: true } },
    priority: 10,
    trigger: { source: 'admin', at: new Date().toISOString() },
  });
  assert.equal(queued.kind, 'enqueued');
  const job = await claimJob(h.appDb, 'ui-test', 60);
  assert.ok(job);
  await completeJob(h.appDb, job.id, 'ui-test', {
    state: error ? 'failed' : 'succeeded',
    error: error ?? null,
    result: {
      phases: { metadata: error ? 'failed' : 'success' },
      operations: [],
      new_tables: [],
      changes: { tables: EMPTY, fields: { ...EMPTY, created: ['public.foo.added'] } },
    },
  });
  return job.id;
}

test('every /api/ui route wants the admin key; the notify key does not open them', async (t) => {
  const h = await harness(t);
  for (const url of ['/api/ui/databases', '/api/ui/database/1/tables', '/api/ui/table/10', '/api/ui/jobs', '/api/ui/job/1']) {
    assertText(await get(h, url, {}), 403, 'Forbidden');
    assertText(await get(h, url, K), 403, 'Forbidden');
    assertText(await get(h, url, { 'X-API-KEY': 'wrong' }), 403, 'Forbidden');
  }
  assertText(await get(h, '/api/ui/nothing-here'), 404, 'API endpoint does not exist.');
});

test('databases: last sync with outcome and duration, queued jobs, next scheduled syncs', async (t) => {
  const h = await harness(t);
  let answer = await json(h, '/api/ui/databases');
  assert.equal(answer.total, 2);
  assert.equal(answer.scheduler_enabled, true);
  assert.deepEqual(answer.data.map((d: { name: string }) => d.name), ['Attached DWH', 'Warehouse']);
  const warehouse = answer.data[1];
  assert.equal(warehouse.details.password, '**MetabasePass**');
  assert.equal(warehouse.last_sync, null);
  assert.deepEqual(warehouse.current_jobs, []);
  // Database 1's schedules: minute 1 of every hour, 01:00 every day (local time).
  const next = new Date(warehouse.next_metadata_sync);
  assert.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + 3_600_000);
  assert.equal(next.getMinutes(), 1);
  const values = new Date(warehouse.next_field_values_sync);
  assert.equal(values.getHours(), 1);
  assert.ok(values.getTime() <= Date.now() + 86_400_000);

  const jobId = await finishJob(h, 1, `connection refused for password ${PASSWORD}`);
  const queued = await enqueue(h.appDb, {
    databaseId: 1,
    plan: { field_values: { database: true } },
    priority: 10,
    trigger: { source: 'admin', at: new Date().toISOString() },
  });
  answer = await json(h, '/api/ui/databases');
  const after = answer.data[1];
  assert.equal(after.last_sync.id, jobId);
  assert.equal(after.last_sync.state, 'failed');
  assert.ok(Number.isInteger(after.last_sync.duration) && after.last_sync.duration >= 0);
  assert.deepEqual(after.last_sync.triggers, ['admin']);
  assert.ok(!after.last_sync.error.includes(PASSWORD), after.last_sync.error);
  assert.deepEqual(
    after.current_jobs.map((j: { id: number; state: string }) => [j.id, j.state]),
    [[queued.kind === 'enqueued' ? queued.jobId : -1, 'queued']],
  );
  assert.equal(answer.data[0].last_sync, null);
});

test('next scheduled sync: none for a NULL or unparsable schedule, none for values while is_full_sync is off', async (t) => {
  const h = await harness(t);
  assert.equal(nextFireOf(null, new Date()), null);
  assert.equal(nextFireOf('not a schedule', new Date()), null);
  await h.appDb.db
    .updateTable('metabase_database')
    .set({ metadata_sync_schedule: null, is_full_sync: false })
    .where('id', '=', 1)
    .execute();
  const warehouse = (await json(h, '/api/ui/databases')).data[1];
  assert.equal(warehouse.next_metadata_sync, null);
  assert.equal(warehouse.next_field_values_sync, null);
});

test('tables: active tables in the metadata order, paged, searched by name, with field counts', async (t) => {
  const h = await harness(t);
  const all = await json(h, '/api/ui/database/1/tables');
  assert.equal(all.total, 6);
  assert.equal(all.limit, 50);
  assert.equal(all.offset, 0);
  assert.equal(all.database.name, 'Warehouse');
  assert.deepEqual(all.data.map((x: { id: number }) => x.id), [12, 15, 16, 10, 14, 11]);
  assert.equal(all.data.find((x: { id: number }) => x.id === 10).field_count, 1);
  assert.equal(all.data.find((x: { id: number }) => x.id === 11).field_count, 0);

  const page = await json(h, '/api/ui/database/1/tables?limit=2&offset=1');
  assert.equal(page.total, 6);
  assert.deepEqual(page.data.map((x: { id: number }) => x.id), [15, 16]);

  const search = await json(h, '/api/ui/database/1/tables?q=ORD');
  assert.deepEqual(search.data.map((x: { id: number }) => x.id), [12, 11]);
  assert.equal(search.total, 2);
  // The search is a plain substring: LIKE wildcards mean themselves.
  assert.equal((await json(h, '/api/ui/database/1/tables?q=%25')).total, 0);
  assert.deepEqual((await json(h, '/api/ui/database/1/tables?q=s.v')).data.map((x: { id: number }) => x.id), [16]);
  assert.deepEqual((await json(h, '/api/ui/database/1/tables?offset=100')).data, []);
});

test('tables: bad paging is a 400 naming the parameter; an unknown database is 404', async (t) => {
  const h = await harness(t);
  for (const [query, key] of [
    ['limit=-1', 'limit'],
    ['limit=501', 'limit'],
    ['limit=abc', 'limit'],
    ['offset=1.5', 'offset'],
    [`q=${'x'.repeat(201)}`, 'q'],
  ] as const) {
    const res = await get(h, `/api/ui/database/1/tables?${query}`);
    assert.equal(res.statusCode, 400, query);
    assert.deepEqual(Object.keys(JSON.parse(res.body).errors), [key]);
  }
  assertText(await get(h, '/api/ui/database/99/tables'), 404, 'Not found.');
  assertText(await get(h, '/api/ui/database/99999999999999999999/tables'), 404, 'Not found.');
});

test('table: the table with its active fields; 404 for an unknown id', async (t) => {
  const h = await harness(t);
  const table = await json(h, '/api/ui/table/10');
  assert.equal(table.name, 'foo');
  assert.deepEqual(table.fields.map((f: { id: number; name: string }) => [f.id, f.name]), [[100, 'val']]);
  assert.ok(table.choices.semantic_types.includes('type/Category'));
  assert.deepEqual(table.choices.table_visibility_types, ['hidden', 'technical', 'cruft']);
  assert.deepEqual(table.choices.field_visibility_types, ['normal', 'details-only', 'hidden', 'sensitive']);
  assertText(await get(h, '/api/ui/table/9999'), 404, 'Not found.');
});

test('jobs and job: recent jobs newest first; one job as GET /api/notify/job/:id reports it, with the admin key', async (t) => {
  const h = await harness(t);
  const first = await finishJob(h, 1);
  const second = await finishJob(h, 2, `bad password ${PASSWORD}`);
  const jobs = (await json(h, '/api/ui/jobs')).data;
  assert.deepEqual(jobs.map((j: { id: number }) => j.id), [second, first]);
  assert.equal(jobs[0].database_name, 'Attached DWH');
  assert.ok(!JSON.stringify(jobs).includes(PASSWORD));
  assert.deepEqual((await json(h, '/api/ui/jobs?db_id=1')).data.map((j: { id: number }) => j.id), [first]);
  assert.equal((await get(h, '/api/ui/jobs?db_id=0')).statusCode, 400);

  const viaNotify = await h.inject({ method: 'GET', url: `/api/notify/job/${first}`, headers: K });
  assertJson(await get(h, `/api/ui/job/${first}`), 200, JSON.parse(viaNotify.body));
  const failed = await json(h, `/api/ui/job/${second}`);
  assert.equal(failed.status, 'failed');
  assert.ok(!failed.error.includes(PASSWORD), failed.error);
  assert.deepEqual(failed.changes.fields.created, ['public.foo.added']);
  assertText(await get(h, '/api/ui/job/424242'), 404, 'Not found.');
});

test('the page order of tables is the metadata order, surrogates and private-use characters included', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'B', '_', '\u00e9', '\ue000', '\uffff', '\ud83d\ude00'), maxLength: 4 });
  const key = fc.record({ id: fc.integer({ min: 1, max: 50 }), schema: fc.option(text), name: text });
  fc.assert(
    fc.property(fc.array(key, { maxLength: 30 }), (tables) => {
      assert.deepEqual(sortTables([...tables]), [...tables].sort(compareTables));
    }),
  );
  // Without surrogates the fast path runs: U+FFFF after U+E000 after é, as code points say.
  const plain = [
    { id: 1, schema: null, name: '\uffff' },
    { id: 2, schema: null, name: '\ue000' },
    { id: 3, schema: 'a', name: 'x' },
    { id: 4, schema: null, name: '\u00e9' },
  ];
  assert.deepEqual(sortTables(plain).map((t) => t.id), [4, 2, 1, 3]);
});
