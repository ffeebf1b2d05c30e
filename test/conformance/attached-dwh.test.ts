// notify-api.md section 7.3, "POST /api/notify/db/attached_datawarehouse" (rows 110–125): database 2 is the flagged
// one of the fixture.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  K,
  OK_JOB,
  PLAN,
  assertJson,
  assertKind,
  assertNoWait,
  assertServerError,
  assertText,
  createWarehouses,
  fieldsOf,
  spec,
  startFixture,
  tableIn,
  tableList,
  tableNamed,
  withFixture,
  type Fixture,
  type Res,
  type Warehouses,
} from '../support/fixture.ts';

const DWH_URL = '/api/notify/db/attached_datawarehouse';

let wh: Warehouses;
before(async () => {
  wh = await createWarehouses();
});
after(async () => {
  await wh?.close();
});

function dwh(fx: Fixture, body: unknown, query = ''): Promise<Res> {
  return fx.request({ url: `${DWH_URL}${query}`, headers: K, json: body });
}

/** Row 111's effect: table 20 has the fields val and newly_added in M(2). */
async function assertFooSynced(fx: Fixture, res: Res): Promise<void> {
  assertJson(res, 200, OK_JOB);
  const m = await fx.metadata(2);
  await assertKind(fx, res, PLAN.metadataTables(20), 2);
  assert.deepEqual(fieldsOf(m, 20), ['val', 'newly_added']);
}

describe('answered before any job', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(wh);
  });
  after(async () => {
    await fx?.close();
  });

  test('row 116: table_name "": 400', async () => {
    assertJson(
      await dwh(fx, { table_name: '' }),
      400,
      spec(
        String.raw`{"errors":{"table_name":"nullable value must be a non-blank string."},"specific-errors":{"table_name":["nullable value must be a non-blank string., received: \"\""]}}`,
      ),
    );
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 119: schema_name 5: 400', async () => {
    assertJson(
      await dwh(fx, { schema_name: 5, table_name: 'foo' }),
      400,
      spec(String.raw`{"errors":{"schema_name":"nullable string."},"specific-errors":{"schema_name":["nullable string., received: 5"]}}`),
    );
    assert.equal(await fx.jobCount(), 0);
  });
});

test('row 110: no-dwh: 404 Not found.', async () => {
  await withFixture(wh, { variants: ['no-dwh'] }, async (fx) => {
    assertText(await dwh(fx, { 'synchronous?': true }), 404, 'Not found.');
    assert.equal(await fx.jobCount(), 0);
  });
});

test('row 111: public.foo: table metadata sync of 20, which gains newly_added', async () => {
  await withFixture(wh, {}, async (fx) => {
    await assertFooSynced(fx, await dwh(fx, { 'synchronous?': true, schema_name: 'public', table_name: 'foo' }));
  });
});

test('row 112: public.baz is not in the warehouse: 404 JSON', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await dwh(fx, { 'synchronous?': true, schema_name: 'public', table_name: 'baz' });
    assertJson(
      res,
      404,
      spec(String.raw`{"message":"Unable to identify table 'public.baz'","schema_name":"public","table_name":"baz"}`),
    );
    assert.ok(!(await fx.tableRows(2)).some((t) => t.name === 'baz'));
  });
});

test('row 113: public.bar takes the new-table path, which always waits: in M(2), complete, field id', async () => {
  await withFixture(wh, {}, async (fx) => {
    assertJson(await dwh(fx, { schema_name: 'public', table_name: 'bar' }), 200, OK_JOB);
    const m = await fx.metadata(2);
    const bar = tableNamed(m, 'public.bar');
    assert.ok(bar, `public.bar in M(2): ${tableList(m).join(', ')}`);
    assert.equal(bar.initial_sync_status, 'complete');
    assert.deepEqual(fieldsOf(m, bar.id), ['id']);
    assert.equal(tableNamed(m, 'public.fern'), undefined);
  });
});

test('row 114: no table_name: database metadata sync of database 2', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await dwh(fx, { 'synchronous?': true });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(2);
    await assertKind(fx, res, PLAN.metadataDatabase, 2);
    assert.deepEqual(tableList(m), ['public.bar', 'public.fern', 'public.foo', 'public.old']);
  });
});

test('row 115: scan and table_id are ignored: database metadata sync of database 2', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await dwh(fx, { 'synchronous?': true, scan: 'full', table_id: 20 });
    assertJson(res, 200, OK_JOB);
    await assertKind(fx, res, PLAN.metadataDatabase, 2);
  });
});

test('row 117: no schema_name means schema IS NULL: 404 for null.foo, no row is created', async () => {
  await withFixture(wh, {}, async (fx) => {
    assertJson(
      await dwh(fx, { table_name: 'foo' }),
      404,
      spec(String.raw`{"message":"Unable to identify table 'null.foo'","schema_name":null,"table_name":"foo"}`),
    );
    assert.deepEqual((await fx.tableRows(2)).map((t) => t.id), [20, 21]);
  });
});

test('row 118: schema_name "" passes validation: 404 for .foo', async () => {
  await withFixture(wh, {}, async (fx) => {
    assertJson(
      await dwh(fx, { schema_name: '', table_name: 'foo' }),
      404,
      spec(String.raw`{"message":"Unable to identify table '.foo'","schema_name":"","table_name":"foo"}`),
    );
    assert.deepEqual((await fx.tableRows(2)).map((t) => t.id), [20, 21]);
  });
});

test('row 120: the inactive public.old counts as existing: reactivated (X12) with field id', async () => {
  await withFixture(wh, {}, async (fx) => {
    const res = await dwh(fx, { 'synchronous?': true, schema_name: 'public', table_name: 'old' });
    assertJson(res, 200, OK_JOB);
    const m = await fx.metadata(2);
    await assertKind(fx, res, PLAN.metadataTables(21), 2);
    assert.equal(tableIn(m, 21)?.active, true);
    assert.deepEqual(fieldsOf(m, 21), ['id']);
  });
});

test('row 121: dwh3: database 2 (the lowest id) is used (X14): 404, database 3 gets no baz row', async () => {
  await withFixture(wh, { variants: ['dwh3'] }, async (fx) => {
    const res = await dwh(fx, { 'synchronous?': true, schema_name: 'public', table_name: 'baz' });
    assertJson(
      res,
      404,
      spec(String.raw`{"message":"Unable to identify table 'public.baz'","schema_name":"public","table_name":"baz"}`),
    );
    assert.deepEqual(await fx.tableRows(3), []);
    const jobs = await fx.appDb.db.selectFrom('sync_job').select('database_id').execute();
    assert.deepEqual(jobs.map((j) => j.database_id), [2]);
  });
});

test('row 122: blocked2, public.foo without synchronous?: 200 OK_JOB, no wait', async () => {
  await withFixture(wh, { variants: ['blocked2'] }, async (fx) => {
    const res = await assertNoWait(
      fx,
      () => dwh(fx, { schema_name: 'public', table_name: 'foo' }),
      async () => fieldsOf(await fx.metadata(2), 20).includes('newly_added'),
    );
    assertJson(res, 200, OK_JOB);
    await assertKind(fx, res, PLAN.metadataTables(20), 2);
  });
});

test('row 123: ?synchronous=true waits (X15): the effect of row 111', async () => {
  await withFixture(wh, {}, async (fx) => {
    await assertFooSynced(fx, await dwh(fx, { schema_name: 'public', table_name: 'foo' }, '?synchronous=true'));
  });
});

test('row 124: down2, waiting database sync: 500', async () => {
  await withFixture(wh, { variants: ['down2'] }, async (fx) => {
    assertServerError(await dwh(fx, { 'synchronous?': true }));
  });
});

test('row 125: down2, the new-table path always waits: 500', async () => {
  await withFixture(wh, { variants: ['down2'] }, async (fx) => {
    assertServerError(await dwh(fx, { schema_name: 'public', table_name: 'bar' }));
    assert.ok(!(await fx.tableRows(2)).some((t) => t.name === 'bar'));
  });
});
