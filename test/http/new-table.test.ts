// notify-api.md sections 4.3 and 4.4: new-table (rows 96-109d) and attached_datawarehouse (rows 110-121). The
// worker stand-in plays the warehouse: it "finds" the tables listed in WAREHOUSE and records the job's outcomes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDb } from '../../src/db/connect.ts';
import { toBool } from '../../src/db/schema.ts';
import { planNewTables } from '../../src/jobs/plan.ts';
import type { JobView } from '../../src/jobs/queue.ts';
import type { NewTableOutcome } from '../../src/jobs/types.ts';
import {
  FIXTURE_TIME,
  JSON_TYPE,
  KIND,
  assertJson,
  assertOkJob,
  assertText,
  harness,
  validationBody,
  type Harness,
  type JobScript,
} from './harness.ts';

const NON_BLANK = 'value must be a non-blank string.';
const ROW_39 = validationBody({ schema_name: [NON_BLANK, null], table_name: [NON_BLANK, null] });
const NEW_TABLE = '/api/notify/db/1/new-table';
const ATTACHED = '/api/notify/db/attached_datawarehouse';
/** Tables the stand-in's warehouses have, by database id: `schema.name` (schema "null" for none). */
const WAREHOUSE: Record<number, string[]> = { 1: ['public.bar', 'public.fern'], 2: ['public.bar'], 4: ['null.bar'] };

/** Creates the new tables the warehouse has (initial_sync_status complete), reports the others absent. */
const warehouseScript: JobScript = async (job: JobView, appDb: AppDb) => {
  const outcomes: NewTableOutcome[] = [];
  for (const ref of planNewTables(job.plan)) {
    if (!WAREHOUSE[job.databaseId]?.includes(`${ref.schema ?? 'null'}.${ref.name}`)) {
      outcomes.push({ ...ref, status: 'absent', table_id: null });
      continue;
    }
    const { id } = await appDb.db
      .insertInto('metabase_table')
      .values({
        db_id: job.databaseId,
        schema: ref.schema,
        name: ref.name,
        display_name: 'Bar',
        initial_sync_status: 'complete',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    outcomes.push({ ...ref, status: 'created', table_id: id });
  }
  return { state: 'succeeded', result: { new_tables: outcomes } };
};

const exists = (schema: string | null, table: string) => ({
  message: `Table '${schema ?? 'null'}.${table}' already exists`,
  schema_name: schema,
  table_name: table,
});
const unknown = (schema: string | null, table: string) => ({
  message: `Unable to identify table '${schema ?? 'null'}.${table}'`,
  schema_name: schema,
  table_name: table,
});
const newTablePlan = (schema: string | null, name: string) => {
  const scope = { new_tables: [{ schema, name }] };
  return { metadata: scope, analyze: scope, field_values: scope };
};

async function tableIds(h: Harness, dbId: number, name?: string): Promise<number[]> {
  const rows = await h.appDb.db
    .selectFrom('metabase_table')
    .select('id')
    .where('db_id', '=', dbId)
    .$if(name !== undefined, (qb) => qb.where('name', '=', name!))
    .execute();
  return rows.map((r) => r.id);
}

async function addLiteDatabase(appDb: AppDb): Promise<void> {
  await appDb.db
    .insertInto('metabase_database')
    .values({
      id: 4,
      name: 'Lite',
      engine: 'sqlite',
      details: JSON.stringify({ db: '/nowhere/lite.sqlite' }),
      initial_sync_status: 'complete',
    })
    .execute();
  await appDb.db
    .insertInto('metabase_table')
    .values({ id: 40, db_id: 4, schema: null, name: 'foo', display_name: 'Foo', initial_sync_status: 'complete' })
    .execute();
}

describe('POST /api/notify/db/:id/new-table', () => {
  test('rows 96-97: a catalog row, active or inactive, already exists; no job is created', async (t) => {
    const h = await harness(t);
    const foo = { 'synchronous?': true, schema_name: 'public', table_name: 'foo' };
    assertJson(await h.post(NEW_TABLE, foo), 400, exists('public', 'foo'));
    const legacyBody = { schema_name: 'public', table_name: 'legacy' };
    assertJson(await h.post(NEW_TABLE, legacyBody), 400, exists('public', 'legacy'));
    assert.equal(await h.jobCount(), 0);
    const legacy = await h.appDb.db
      .selectFrom('metabase_table')
      .select('active')
      .where('id', '=', 13)
      .executeTakeFirst();
    assert.equal(legacy && toBool(legacy.active), false, 'table 13 stays inactive');
  });

  test('rows 98-99: a table the warehouse does not have is 404 JSON, and no row is created', async (t) => {
    const h = await harness(t, { script: warehouseScript });
    const nope = { 'synchronous?': true, schema_name: 'public', table_name: 'nope' };
    assertJson(await h.post(NEW_TABLE, nope), 404, unknown('public', 'nope'));
    assertJson(await h.post(NEW_TABLE, { schema_name: 'public', table_name: 'BAR' }), 404, unknown('public', 'BAR'));
    assert.equal((await tableIds(h, 1)).length, 7);
  });

  test('rows 100 and 109: 200 with the Table object as stored and X-Job-Id; undeclared keys ignored', async (t) => {
    const h = await harness(t, { script: warehouseScript });
    const body = { 'synchronous?': false, schema_name: 'public', table_name: 'bar', table_id: 'x', scan: 'bogus' };
    const res = await h.post(NEW_TABLE, body);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], JSON_TYPE);
    const jobId = Number(res.headers['x-job-id']);
    assert.ok(Number.isInteger(jobId) && jobId > 0, 'X-Job-Id is a positive integer');
    const table = JSON.parse(res.body) as Record<string, unknown>;
    assert.match(String(table.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(table, {
      id: (await tableIds(h, 1, 'bar'))[0],
      db_id: 1,
      schema: 'public',
      name: 'bar',
      display_name: 'Bar',
      description: null,
      entity_type: null,
      visibility_type: null,
      active: true,
      initial_sync_status: 'complete',
      field_order: 'database',
      created_at: table.created_at,
      updated_at: table.updated_at,
    });
    assert.deepEqual(await h.jobPlan(jobId), newTablePlan('public', 'bar'));
  });

  test('rows 102-106: both keys required; the route id first; an unknown database', async (t) => {
    const h = await harness(t);
    assertJson(await h.post(NEW_TABLE, {}), 400, ROW_39);
    assertJson(await h.post(NEW_TABLE, 'null'), 400, ROW_39);
    const onlySchema = await h.post(NEW_TABLE, { schema_name: 'public' });
    assertJson(onlySchema, 400, validationBody({ table_name: [NON_BLANK, null] }));
    assertJson(
      await h.post(NEW_TABLE, { schema_name: '  ', table_name: null }),
      400,
      validationBody({ schema_name: [NON_BLANK, '"  "'], table_name: [NON_BLANK, null] }),
    );
    const bar = { schema_name: 'public', table_name: 'bar' };
    assertText(await h.post('/api/notify/db/999/new-table', bar), 404, 'Not found.');
    assertJson(
      await h.post('/api/notify/db/0/new-table', {}),
      400,
      validationBody({ id: ['value must be an integer greater than zero.', '0'] }),
    );
    assert.equal(await h.jobCount(), 0);
  });

  test('row 107 and a failed outcome: 500 with one sanitized message', async (t) => {
    const bar = { schema_name: 'public', table_name: 'bar' };
    const failed = { state: 'failed' as const, error: 'could not connect to the warehouse.' };
    const failing = await harness(t, { script: async () => failed });
    const message = 'Sync failed: could not connect to the warehouse.';
    assertJson(await failing.post(NEW_TABLE, bar), 500, { message });
    const outcome: NewTableOutcome = { schema: 'public', name: 'bar', status: 'failed', table_id: null };
    const rowFailed = await harness(t, {
      script: async () => ({ state: 'succeeded', result: { new_tables: [outcome] } }),
    });
    const res = await rowFailed.post(NEW_TABLE, bar);
    assert.equal(res.statusCode, 500);
    assert.deepEqual(Object.keys(JSON.parse(res.body) as object), ['message']);
  });

  test('row 108: of two concurrent requests for one table, one is 200 and the other 400', async (t) => {
    const h = await harness(t, { script: warehouseScript });
    const body = { schema_name: 'public', table_name: 'bar' };
    const answers = await Promise.all([h.post(NEW_TABLE, body), h.post(NEW_TABLE, body)]);
    assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, 400]);
    assertJson(answers.find((r) => r.statusCode === 400)!, 400, exists('public', 'bar'));
    assert.equal((await tableIds(h, 1, 'bar')).length, 1);
  });

  test('rows 109a-109c (X20): no schemas means lookup and insert with schema null, schema_name echoed', async (t) => {
    const h = await harness(t, { script: warehouseScript });
    await addLiteDatabase(h.appDb);
    const url = '/api/notify/db/4/new-table';
    assertJson(await h.post(url, { schema_name: 'main', table_name: 'foo' }), 400, exists('main', 'foo'));
    assertJson(await h.post(url, { schema_name: 'public', table_name: 'nope' }), 404, unknown('public', 'nope'));
    const res = await h.post(url, { schema_name: 'public', table_name: 'bar' });
    assert.equal(res.statusCode, 200, res.body);
    const table = JSON.parse(res.body) as { schema: unknown; db_id: number };
    assert.equal(table.schema, null);
    assert.equal(table.db_id, 4);
    assert.deepEqual(await h.jobPlan(Number(res.headers['x-job-id'])), newTablePlan(null, 'bar'));
  });

  test('504: new-table is bounded by MB_NOTIFY_WAIT_SECONDS too', async (t) => {
    const h = await harness(t, { env: { MB_NOTIFY_WAIT_SECONDS: '1' } });
    const res = await h.post(NEW_TABLE, { schema_name: 'public', table_name: 'bar' });
    assert.equal(res.statusCode, 504);
    const body = JSON.parse(res.body) as { message: string; job_id: number };
    assert.equal(body.message, 'Sync is still running.');
    assert.deepEqual(await h.jobPlan(body.job_id), newTablePlan('public', 'bar'));
  });
});

describe('POST /api/notify/db/attached_datawarehouse', () => {
  test('row 110: no flagged database', async (t) => {
    const h = await harness(t);
    await h.appDb.db.updateTable('metabase_database').set({ is_attached_dwh: false }).execute();
    assertText(await h.post(ATTACHED, { 'synchronous?': true }), 404, 'Not found.');
  });

  test('rows 111, 114, 115, 120: the kinds queued for database 2', async (t) => {
    const h = await harness(t, { script: warehouseScript });
    const cases: [unknown, unknown][] = [
      [{ 'synchronous?': true, schema_name: 'public', table_name: 'foo' }, KIND.tableMetadata(20)],
      [{ 'synchronous?': true }, KIND.databaseMetadata],
      [{ 'synchronous?': true, scan: 'full', table_id: 20 }, KIND.databaseMetadata],
      [{ 'synchronous?': true, schema_name: 'public', table_name: 'old' }, KIND.tableMetadata(21)],
    ];
    for (const [body, plan] of cases) {
      const jobId = assertOkJob(await h.post(ATTACHED, body));
      assert.deepEqual(await h.jobPlan(jobId), plan, JSON.stringify(body));
      assert.equal((await h.jobRow(jobId)).database_id, 2);
    }
  });

  test('rows 112-113: the new-table path always waits and answers OK_JOB or the 404 JSON', async (t) => {
    const h = await harness(t, { script: warehouseScript });
    const baz = { 'synchronous?': true, schema_name: 'public', table_name: 'baz' };
    assertJson(await h.post(ATTACHED, baz), 404, unknown('public', 'baz'));
    const jobId = assertOkJob(await h.post(ATTACHED, { schema_name: 'public', table_name: 'bar' }));
    assert.deepEqual(await h.jobPlan(jobId), newTablePlan('public', 'bar'));
    const [barId] = await tableIds(h, 2, 'bar');
    const bar = await h.appDb.db.selectFrom('metabase_table').selectAll().where('id', '=', barId!).executeTakeFirst();
    assert.equal(bar?.initial_sync_status, 'complete', 'the answer came after the job');
  });

  test('rows 116-119: validation, and an absent schema meaning schema IS NULL', async (t) => {
    const h = await harness(t, { script: warehouseScript });
    const NULLABLE_NON_BLANK = 'nullable value must be a non-blank string.';
    const blank = validationBody({ table_name: [NULLABLE_NON_BLANK, '""'] });
    assertJson(await h.post(ATTACHED, { table_name: '' }), 400, blank);
    assertJson(await h.post(ATTACHED, { table_name: 'foo' }), 404, unknown(null, 'foo'));
    assertJson(await h.post(ATTACHED, { schema_name: '', table_name: 'foo' }), 404, unknown('', 'foo'));
    const schemaError = validationBody({ schema_name: ['nullable string.', '5'] });
    assertJson(await h.post(ATTACHED, { schema_name: 5, table_name: 'foo' }), 400, schemaError);
    assertJson(
      await h.post(ATTACHED, { schema_name: 5, table_name: '  ' }),
      400,
      validationBody({ table_name: [NULLABLE_NON_BLANK, '"  "'], schema_name: ['nullable string.', '5'] }),
    );
    assert.equal((await tableIds(h, 2, 'foo')).length, 1, 'no row is created');
  });

  test('row 121 (X14): the flagged database with the lowest id is used', async (t) => {
    const h = await harness(t, { script: warehouseScript });
    await h.appDb.db
      .insertInto('metabase_database')
      .values({
        id: 3,
        name: 'Third',
        engine: 'postgres',
        details: '{}',
        is_attached_dwh: true,
        created_at: FIXTURE_TIME,
        updated_at: FIXTURE_TIME,
      })
      .execute();
    const baz = { 'synchronous?': true, schema_name: 'public', table_name: 'baz' };
    assertJson(await h.post(ATTACHED, baz), 404, unknown('public', 'baz'));
    const jobs = await h.appDb.db.selectFrom('sync_job').select('database_id').execute();
    assert.deepEqual(jobs.map((j) => j.database_id), [2]);
  });

  test('a waiting request without a table: 504 when the wait runs out', async (t) => {
    const h = await harness(t, { env: { MB_NOTIFY_WAIT_SECONDS: '1' } });
    const res = await h.post(ATTACHED, { 'synchronous?': true });
    assert.equal(res.statusCode, 504);
    assert.equal((JSON.parse(res.body) as { message: string }).message, 'Sync is still running.');
  });
});
