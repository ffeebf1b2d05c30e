// notify-api.md section 7.3, "POST /api/notify/db/:id: lookups and effects": the rows that run a real sync against
// the fixture warehouses (63–69, 71, 72, 75–81), each on its own application database.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  K,
  OK_JOB,
  PLAN,
  assertJson,
  assertKind,
  assertServerError,
  createWarehouses,
  fieldsOf,
  tableIn,
  tableList,
  tableNamed,
  withFixture,
  type Fixture,
  type Warehouses,
} from '../support/fixture.ts';

let wh: Warehouses;
before(async () => {
  wh = await createWarehouses();
});
after(async () => {
  await wh?.close();
});

const ROW_63_TABLES = [
  'analytics.orders',
  'data.aapl_stocks',
  'public.bar',
  'public.events.v1',
  'public.fern',
  'public.foo',
  'public.legacy',
  'public.orders',
];

function sync(fx: Fixture, body: unknown) {
  return fx.request({ url: '/api/notify/db/1', headers: K, json: body });
}

async function changes(fx: Fixture, jobId: number): Promise<{ fields: { created: unknown[] } }> {
  const row = await fx.appDb.db
    .selectFrom('sync_job')
    .select('result')
    .where('id', '=', jobId)
    .executeTakeFirstOrThrow();
  assert.ok(row.result, `job ${jobId} has a result`);
  return (JSON.parse(row.result) as { changes: { fields: { created: unknown[] } } }).changes;
}

test('row 63: full database sync, waits: M(1) has every warehouse table, table 10 gains newly_added', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.fullDatabase);
    assert.deepEqual(tableList(m), ROW_63_TABLES);
    assert.deepEqual(fieldsOf(m, 10), ['val', 'newly_added']);
  });
});

test('row 64: database metadata sync, waits: M(1) tables as in row 63', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, scan: 'schema' });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.metadataDatabase);
    assert.deepEqual(tableList(m), ROW_63_TABLES);
  });
});

test('row 65: full table sync of foo only: table 10 complete with newly_added, no public.bar', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, scan: 'full', table_name: 'foo' });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.fullTables(10));
    assert.deepEqual(fieldsOf(m, 10), ['val', 'newly_added']);
    assert.equal(tableIn(m, 10)?.initial_sync_status, 'complete');
    assert.equal(tableNamed(m, 'public.bar'), undefined);
  });
});

test('row 66: table metadata sync of foo: newly_added, initial_sync_status still incomplete', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, scan: 'schema', table_name: 'foo' });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.metadataTables(10));
    assert.deepEqual(fieldsOf(m, 10), ['val', 'newly_added']);
    assert.equal(tableIn(m, 10)?.initial_sync_status, 'incomplete');
  });
});

test('row 67: table_id wins over table_name: full table sync of 10', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, table_id: 10, table_name: 'IncorrectToucanFact' });
    assertJson(res, 200, OK_JOB);
    await assertKind(fx, res, PLAN.fullTables(10));
  });
});

test('row 68: table_name in two schemas syncs tables 12 and 11, in that order (X10)', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, scan: 'schema', table_name: 'orders' });
    const { job_id } = assertJson<{ job_id: number }>(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.metadataTables(11, 12));
    assert.deepEqual(fieldsOf(m, 12), ['id']);
    assert.deepEqual(fieldsOf(m, 11), ['id']);
    // The changeset lists the fields in the order the job processed the tables (sync-engine.md section 8.6).
    assert.deepEqual((await changes(fx, job_id)).fields.created, ['analytics.orders.id', 'public.orders.id']);
  });
});

test('row 69: schema_name selects one of them (X9): table 12 has field id, table 11 none', async () => {
  await withFixture(wh, {}, async (fx) => {
    const body = { 'synchronous?': true, scan: 'schema', table_name: 'orders', schema_name: 'analytics' };
    const res = await sync(fx, body);
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.metadataTables(12));
    assert.deepEqual(fieldsOf(m, 12), ['id']);
    assert.deepEqual(fieldsOf(m, 11), []);
  });
});

test('row 71: a schema-qualified table_name is split (X11): table 15 has field id', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, scan: 'schema', table_name: 'data.aapl_stocks' });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.metadataTables(15));
    assert.deepEqual(fieldsOf(m, 15), ['id']);
  });
});

test('row 72: the exact name events.v1 wins over the split: table 16 has field id', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, scan: 'schema', table_name: 'events.v1' });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.metadataTables(16));
    assert.deepEqual(fieldsOf(m, 16), ['id']);
  });
});

test('row 75: table_id 13 (inactive) is reactivated (X12) and has field id', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, scan: 'schema', table_id: 13 });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.metadataTables(13));
    assert.equal(tableIn(m, 13)?.active, true);
    assert.deepEqual(fieldsOf(m, 13), ['id']);
  });
});

test('row 76: the inactive table legacy is found by name; outcome as in row 75', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, scan: 'schema', table_name: 'legacy' });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.metadataTables(13));
    assert.equal(tableIn(m, 13)?.active, true);
    assert.deepEqual(fieldsOf(m, 13), ['id']);
  });
});

test('row 77: table 14 is gone from the warehouse: it becomes inactive (X12) and leaves M(1)', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, table_id: 14 });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(1);
    await assertKind(fx, res, PLAN.fullTables(14));
    assert.equal(tableIn(m, 14), undefined, `table 14 in M(1): ${tableList(m).join(', ')}`);
    const row = (await fx.tableRows(1)).find((t) => t.id === 14);
    assert.equal(row?.active, false);
  });
});

test('row 78: schema_name alone is ignored: full database sync', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await sync(fx, { 'synchronous?': true, schema_name: 'public' });
    assertJson(res, 200, OK_JOB);
    await assertKind(fx, res, PLAN.fullDatabase);
  });
});

test('row 79: down1, waiting full sync: 500 with exactly one key, no secret in it', async () => {
  await withFixture(wh, { variants: ['down1'] }, async (fx) => {
    assertServerError(await sync(fx, { 'synchronous?': true }));
  });
});

test('row 80: down1, waiting sync of table 10: 500, table 10 unchanged (still active)', async () => {
  await withFixture(wh, { variants: ['down1'] }, async (fx) => {
    assertServerError(await sync(fx, { 'synchronous?': true, table_id: 10 }));
    const row = (await fx.tableRows(1)).find((t) => t.id === 10);
    assert.equal(row?.active, true);
    assert.deepEqual(fieldsOf(await fx.metadata(1), 10), ['val']);
  });
});

test('row 81: down1, no wait: 200 OK_JOB, the job is later recorded as failed', async () => {
  await withFixture(wh, { variants: ['down1'] }, async (fx) => {
    const res = await sync(fx, {});
    const { job_id } = assertJson<{ job_id: number }>(res, 200, OK_JOB);
    const job = await fx.waitForJob(job_id);
    assert.equal(job.state, 'failed');
  });
});
