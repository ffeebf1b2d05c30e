// notify-api.md section 7.3, "POST /api/notify/db/:id/new-table" (rows 96–109d), on PostgreSQL warehouses and, for
// lite4, an SQLite one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  INT,
  K,
  ROW_39_BODY,
  ROW_40_BODY,
  TS,
  assertJson,
  assertMatches,
  assertServerError,
  assertText,
  createWarehouses,
  fieldsOf,
  oneOf,
  spec,
  startFixture,
  tableList,
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

function newTable(fx: Fixture, body: unknown, db = 1): Promise<Res> {
  return fx.request({ url: `/api/notify/db/${db}/new-table`, headers: K, json: body });
}

function createdTable(dbId: number, schema: string | null, name: string, displayName: string) {
  return {
    id: INT, db_id: dbId, schema, name, display_name: displayName, description: null,
    entity_type: oneOf(null, 'entity/GenericTable'), visibility_type: null, active: true,
    initial_sync_status: 'complete', field_order: 'database', created_at: TS, updated_at: TS,
  };
}

const ROW_100_BODY = createdTable(1, 'public', 'bar', 'Bar');
const ROW_100_TABLES = [
  'analytics.orders',
  'data.aapl_stocks',
  'public.bar',
  'public.events.v1',
  'public.foo',
  'public.gone',
  'public.orders',
];
const BAR_EXISTS = spec(
  String.raw`{"message":"Table 'public.bar' already exists","schema_name":"public","table_name":"bar"}`,
);

/** Row 100's "Also check": header X-Job-Id, and M(1) with public.bar (field id) and without public.fern. */
async function assertBarCreated(fx: Fixture, res: Res): Promise<void> {
  const body = assertJson<{ id: number }>(res, 200, ROW_100_BODY);
  assertMatches(Number(res.headers['x-job-id']), INT, `X-Job-Id ${String(res.headers['x-job-id'])}`);
  assert.match(String(res.headers['x-job-id']), /^[1-9][0-9]*$/);
  const m = await fx.metadata(1);
  assert.deepEqual(tableList(m), ROW_100_TABLES);
  assert.deepEqual(fieldsOf(m, body.id), ['id']);
}

async function barRows(fx: Fixture): Promise<number> {
  return (await fx.tableRows(1)).filter((t) => t.schema === 'public' && t.name === 'bar').length;
}

describe('answered before any job', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(wh);
  });
  after(async () => {
    await fx?.close();
  });

  test('row 96: public.foo already exists: 400', async () => {
    const res = await newTable(fx, { 'synchronous?': true, schema_name: 'public', table_name: 'foo' });
    assertJson(
      res,
      400,
      spec(String.raw`{"message":"Table 'public.foo' already exists","schema_name":"public","table_name":"foo"}`),
    );
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 97: the inactive public.legacy counts as existing: 400, table 13 stays inactive', async () => {
    const res = await newTable(fx, { schema_name: 'public', table_name: 'legacy' });
    assertJson(
      res,
      400,
      spec(String.raw`{"message":"Table 'public.legacy' already exists","schema_name":"public","table_name":"legacy"}`),
    );
    assert.equal((await fx.tableRows(1)).find((t) => t.id === 13)?.active, false);
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 102: {}: 400 as in row 39', async () => {
    assertJson(await newTable(fx, {}), 400, ROW_39_BODY);
  });

  test('row 103: no table_name: 400', async () => {
    assertJson(
      await newTable(fx, { schema_name: 'public' }),
      400,
      spec(
        String.raw`{"errors":{"table_name":"value must be a non-blank string."},"specific-errors":{"table_name":["missing required key, received: null"]}}`,
      ),
    );
  });

  test('row 104: blank schema_name and null table_name: 400 for both', async () => {
    assertJson(
      await newTable(fx, { schema_name: '  ', table_name: null }),
      400,
      spec(
        String.raw`{"errors":{"schema_name":"value must be a non-blank string.","table_name":"value must be a non-blank string."},"specific-errors":{"schema_name":["value must be a non-blank string., received: \"  \""],"table_name":["missing required key, received: null"]}}`,
      ),
    );
  });

  test('row 105: database 999: 404 Not found.', async () => {
    assertText(await newTable(fx, { schema_name: 'public', table_name: 'bar' }, 999), 404, 'Not found.');
  });

  test('row 106: /db/0/new-table, {}: only the route stage is reported', async () => {
    assertJson(await newTable(fx, {}, 0), 400, ROW_40_BODY);
    assert.equal(await fx.jobCount(), 0);
    assert.equal(await barRows(fx), 0);
  });
});

describe('decided by the warehouse', () => {
  test('row 98: public.nope is not in the warehouse: 404, no row is created', async () => {
    await withFixture(wh, {}, async (fx) => {
      const res = await newTable(fx, { 'synchronous?': true, schema_name: 'public', table_name: 'nope' });
      assertJson(
        res,
        404,
        spec(String.raw`{"message":"Unable to identify table 'public.nope'","schema_name":"public","table_name":"nope"}`),
      );
      assert.ok(!(await fx.tableRows(1)).some((t) => t.name === 'nope'));
    });
  });

  test('row 99: the warehouse check is case-sensitive: public.BAR gets 404', async () => {
    await withFixture(wh, {}, async (fx) => {
      const res = await newTable(fx, { schema_name: 'public', table_name: 'BAR' });
      assertJson(
        res,
        404,
        spec(String.raw`{"message":"Unable to identify table 'public.BAR'","schema_name":"public","table_name":"BAR"}`),
      );
      assert.equal(await barRows(fx), 0);
      assert.ok(!(await fx.tableRows(1)).some((t) => t.name === 'BAR'));
    });
  });

  test('row 100: public.bar: 200 with the synced Table object and X-Job-Id', async () => {
    await withFixture(wh, {}, async (fx) => {
      const res = await newTable(fx, { 'synchronous?': true, schema_name: 'public', table_name: 'bar' });
      await assertBarCreated(fx, res);
    });
  });

  test('row 101: blocked1, "synchronous?": false: new-table always waits for the release', async () => {
    await withFixture(wh, { variants: ['blocked1'] }, async (fx) => {
      const proxy = fx.proxy;
      assert.ok(proxy);
      let released = false;
      const timer = setTimeout(() => {
        released = true;
        proxy.release();
      }, 1000);
      try {
        const res = await newTable(fx, { 'synchronous?': false, schema_name: 'public', table_name: 'bar' });
        assert.equal(released, true, 'the response arrived before the release');
        await assertBarCreated(fx, res);
      } finally {
        clearTimeout(timer);
      }
    });
  });

  test('row 107: down1: 500, no row is created', async () => {
    await withFixture(wh, { variants: ['down1'] }, async (fx) => {
      assertServerError(await newTable(fx, { schema_name: 'public', table_name: 'bar' }));
      assert.equal(await barRows(fx), 0);
    });
  });

  test('row 108: two concurrent requests for public.bar: one 200, one 400, exactly one row', async () => {
    await withFixture(wh, {}, async (fx) => {
      const responses = await Promise.all([
        newTable(fx, { schema_name: 'public', table_name: 'bar' }),
        newTable(fx, { schema_name: 'public', table_name: 'bar' }),
      ]);
      const statuses = responses.map((r) => r.statusCode).sort();
      assert.deepEqual(statuses, [200, 400], responses.map((r) => `${r.statusCode} ${r.body}`).join(' | '));
      const ok = responses.find((r) => r.statusCode === 200);
      const refused = responses.find((r) => r.statusCode === 400);
      assert.ok(ok && refused);
      assertJson(ok, 200, ROW_100_BODY);
      assertJson(refused, 400, BAR_EXISTS);
      assert.equal(await barRows(fx), 1);
    });
  });

  test('row 109: undeclared keys are ignored: 200 as in row 100', async () => {
    await withFixture(wh, {}, async (fx) => {
      const res = await newTable(fx, { schema_name: 'public', table_name: 'bar', table_id: 'x', scan: 'bogus' });
      await assertBarCreated(fx, res);
    });
  });
});

describe('lite4 (SQLite, X20)', () => {
  test('row 109a: bar is stored with schema null: 200, M(4) has bar (field id) and foo', async () => {
    await withFixture(wh, { variants: ['lite4'] }, async (fx) => {
      const res = await newTable(fx, { schema_name: 'public', table_name: 'bar' }, 4);
      const body = assertJson<{ id: number }>(res, 200, createdTable(4, null, 'bar', 'Bar'));
      assert.match(String(res.headers['x-job-id']), /^[1-9][0-9]*$/);
      const m = await fx.metadata(4);
      assert.deepEqual(tableList(m), ['bar', 'foo']);
      assert.deepEqual(fieldsOf(m, body.id), ['id']);
    });
  });

  test('row 109b: main.foo matches table 40 (schema null); the received schema is echoed: 400', async () => {
    await withFixture(wh, { variants: ['lite4'] }, async (fx) => {
      const res = await newTable(fx, { schema_name: 'main', table_name: 'foo' }, 4);
      assertJson(
        res,
        400,
        spec(String.raw`{"message":"Table 'main.foo' already exists","schema_name":"main","table_name":"foo"}`),
      );
      assert.equal(await fx.jobCount(), 0);
    });
  });

  test('row 109c: public.nope: 404, no row is created', async () => {
    await withFixture(wh, { variants: ['lite4'] }, async (fx) => {
      const res = await newTable(fx, { schema_name: 'public', table_name: 'nope' }, 4);
      assertJson(
        res,
        404,
        spec(String.raw`{"message":"Unable to identify table 'public.nope'","schema_name":"public","table_name":"nope"}`),
      );
      assert.deepEqual((await fx.tableRows(4)).map((t) => t.name), ['foo']);
    });
  });

  test('row 109d: public.BAR: 404, the check is case-sensitive on SQLite too', async () => {
    await withFixture(wh, { variants: ['lite4'] }, async (fx) => {
      const res = await newTable(fx, { schema_name: 'public', table_name: 'BAR' }, 4);
      assertJson(
        res,
        404,
        spec(String.raw`{"message":"Unable to identify table 'public.BAR'","schema_name":"public","table_name":"BAR"}`),
      );
      assert.deepEqual((await fx.tableRows(4)).map((t) => t.name), ['foo']);
    });
  });
});
