// notify-api.md section 7.3, "Management API" (rows 126–144). The shared fixture keeps MB_LOAD_SAMPLE_CONTENT at its
// default, as row 131 requires: the fixture rows written before start-up keep the sample database out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  A,
  ADMIN_NOT_SET,
  FIXTURE_FIELDS,
  FIXTURE_TABLES,
  INT,
  K,
  PASSWORD,
  PLAN,
  ROW_40_BODY,
  STR,
  TS,
  WAREHOUSE_USER,
  assertJson,
  assertRawJson,
  assertText,
  createWarehouses,
  fieldObject,
  padded,
  spec,
  startFixture,
  tableObject,
  withFixture,
  type Fixture,
  type Res,
  type Warehouses,
} from '../support/fixture.ts';

const FORBIDDEN = 'Forbidden';
const NO_ENDPOINT = 'API endpoint does not exist.';

let wh: Warehouses;
let fx: Fixture;
before(async () => {
  wh = await createWarehouses();
  fx = await startFixture(wh, { env: { MB_LOAD_SAMPLE_CONTENT: undefined } });
});
after(async () => {
  await fx?.close();
  await wh?.close();
});

/** "Nothing is inserted": the shared fixture still has databases 1 and 2 only, and no job. */
async function assertNothingInserted(f: Fixture): Promise<void> {
  const rows = await f.appDb.db.selectFrom('metabase_database').select('id').orderBy('id').execute();
  assert.deepEqual(rows.map((r) => r.id), [1, 2]);
  assert.equal(await f.jobCount(), 0);
}

function addDatabase(f: Fixture, body: unknown): Promise<Res> {
  return f.request({ url: '/api/database', headers: A, json: body });
}

/** Runs `body` with the process in `dir`, for the relative SQLite paths of rows 138 and 138b. */
async function inDirectory<T>(dir: string, body: () => Promise<T>): Promise<T> {
  const previous = process.cwd();
  process.chdir(dir);
  try {
    return await body();
  } finally {
    process.chdir(previous);
  }
}

describe('authentication (management)', () => {
  test('row 126: admin-unset: 403 ADMIN_NOT_SET', async () => {
    await withFixture(wh, { variants: ['admin-unset'] }, async (own) => {
      assertRawJson(await own.request({ method: 'GET', url: '/api/database', headers: A }), 403, ADMIN_NOT_SET);
    });
  });

  const rows: readonly [string, string, Record<string, string>][] = [
    ['127', 'no key header', {}],
    ['128', 'K only (the notify key does not open it)', K],
    ['129', 'X-API-KEY: wrong', { 'X-API-KEY': 'wrong' }],
  ];
  for (const [row, what, headers] of rows) {
    test(`row ${row}: GET /api/database with ${what}: 403 Forbidden`, async () => {
      assertText(await fx.request({ method: 'GET', url: '/api/database', headers }), 403, FORBIDDEN);
    });
  }

  test('row 130: POST /api/database without key, malformed JSON: 403 Forbidden (X1)', async () => {
    assertText(await fx.request({ url: '/api/database', payload: '{"name":' }), 403, FORBIDDEN);
    await assertNothingInserted(fx);
  });
});

describe('reads', () => {
  test('row 131: GET /api/database: databases 2 and 1, by name; no sample database', async () => {
    const body = assertJson<{ data: { details: { password: string } }[] }>(
      await fx.request({ method: 'GET', url: '/api/database', headers: A }),
      200,
      { data: [fx.databaseObject(2), fx.databaseObject(1)], total: 2 },
    );
    assert.deepEqual(body.data.map((d) => d.details.password), ['**MetabasePass**', '**MetabasePass**']);
    assert.equal(existsSync(join(fx.dir, 'sample.sqlite')), false);
  });

  test('row 132: GET /api/database/1 with x-api-key: the Database object of database 1', async () => {
    const res = await fx.request({ method: 'GET', url: '/api/database/1', headers: { 'x-api-key': 'admin-key' } });
    assertJson(res, 200, fx.databaseObject(1));
    assert.ok(!res.body.includes(PASSWORD));
  });

  test('row 133: GET /api/database/999: 404 Not found.', async () => {
    assertText(await fx.request({ method: 'GET', url: '/api/database/999', headers: A }), 404, 'Not found.');
  });

  test('row 134: GET /api/database/abc: 404 API endpoint does not exist.', async () => {
    assertText(await fx.request({ method: 'GET', url: '/api/database/abc', headers: A }), 404, NO_ENDPOINT);
  });

  test('row 135: GET /api/database/0: 400 as in row 40', async () => {
    assertJson(await fx.request({ method: 'GET', url: '/api/database/0', headers: A }), 400, ROW_40_BODY);
  });

  test('row 136: GET /api/database/1/metadata: active tables in order, with their active fields', async () => {
    const table = (id: number) => {
      const t = FIXTURE_TABLES.find((x) => x.id === id);
      assert.ok(t);
      return { ...tableObject(t), fields: FIXTURE_FIELDS.filter((f) => f.table_id === id).map(fieldObject) };
    };
    assertJson(await fx.request({ method: 'GET', url: '/api/database/1/metadata', headers: A }), 200, {
      ...fx.databaseObject(1),
      tables: [12, 15, 16, 10, 14, 11].map(table),
    });
  });
});

describe('POST /api/database', () => {
  test('row 137: a reachable PostgreSQL warehouse: 200, the Database object as inserted, a full sync job', async () => {
    await withFixture(wh, {}, async (own) => {
      const details = { host: wh.host, port: wh.port, dbname: wh.db1.name, user: WAREHOUSE_USER, password: PASSWORD };
      const body = assertJson<{ id: number; metadata_sync_schedule: string; cache_field_values_schedule: string }>(
        await addDatabase(own, { name: 'Sales', engine: 'postgres', details }),
        200,
        {
          id: INT, name: 'Sales', engine: 'postgres',
          details: { ...details, password: '**MetabasePass**', ssl: false },
          is_attached_dwh: false, is_full_sync: true, is_on_demand: false, initial_sync_status: 'incomplete',
          metadata_sync_schedule: STR, cache_field_values_schedule: STR, timezone: null, dbms_version: null,
          created_at: TS, updated_at: TS,
        },
      );
      assert.equal(body.metadata_sync_schedule, `0 ${body.id % 60} * * * ? *`);
      assert.equal(body.cache_field_values_schedule, `0 0 ${body.id % 24} * * ? *`);
      const jobs = await own.jobsOf(body.id);
      assert.deepEqual(jobs.map((j) => j.plan), [PLAN.fullDatabase]);
    });
  });

  test('row 138: an SQLite file given by a relative path: 200, details as given, a full sync job', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conformance-138-'));
    try {
      mkdirSync(join(dir, 'data'));
      const file = new SQLite(join(dir, 'data', 'local.sqlite'));
      file.exec('CREATE TABLE t (id integer)');
      file.close();
      await withFixture(wh, {}, async (own) => {
        await inDirectory(dir, async () => {
          const body = assertJson<{ id: number; metadata_sync_schedule: string; cache_field_values_schedule: string }>(
            await addDatabase(own, {
              name: 'Local', engine: 'sqlite', details: { db: 'data/local.sqlite' }, is_attached_dwh: true,
            }),
            200,
            {
              id: INT, name: 'Local', engine: 'sqlite', details: { db: 'data/local.sqlite' }, is_attached_dwh: true,
              is_full_sync: true, is_on_demand: false, initial_sync_status: 'incomplete',
              metadata_sync_schedule: STR, cache_field_values_schedule: STR, timezone: null, dbms_version: null,
              created_at: TS, updated_at: TS,
            },
          );
          assert.equal(body.metadata_sync_schedule, `0 ${body.id % 60} * * * ? *`);
          assert.equal(body.cache_field_values_schedule, `0 0 ${body.id % 24} * * ? *`);
          const jobs = await own.jobsOf(body.id);
          assert.deepEqual(jobs.map((j) => j.plan), [PLAN.fullDatabase]);
          // The job resolves the relative path too: let it end while the process is still in `dir`.
          await own.waitForJob(jobs[0].id);
        });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('row 138a: an unreachable PostgreSQL warehouse: 400 with a reason, nothing inserted, no password', async () => {
    const res = await addDatabase(fx, {
      name: 'Nope',
      engine: 'postgres',
      details: { host: '127.0.0.1', port: 1, dbname: 'x', user: 'u', password: PASSWORD },
    });
    assertJson(res, 400, { message: STR });
    assert.deepEqual(Object.keys(JSON.parse(res.body) as object), ['message']);
    await assertNothingInserted(fx);
    assert.ok(!fx.logText.includes(PASSWORD), 'the password is in the log');
  });

  test('row 138b: a missing SQLite file: 400 with a reason, nothing inserted, no file created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conformance-138b-'));
    try {
      const res = await inDirectory(dir, () =>
        addDatabase(fx, { name: 'Nope', engine: 'sqlite', details: { db: 'does/not/exist.sqlite' } }),
      );
      assertJson(res, 400, { message: STR });
      assert.deepEqual(Object.keys(JSON.parse(res.body) as object), ['message']);
      await assertNothingInserted(fx);
      assert.equal(existsSync(join(dir, 'does')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('row 139: bad name, engine and details: 400 for all three', async () => {
    assertJson(
      await addDatabase(fx, { name: '', engine: 'oracle', details: [] }),
      400,
      spec(
        String.raw`{"errors":{"name":"value must be a non-blank string.","engine":"enum of postgres, mysql, sqlite, duckdb","details":"value must be a map."},"specific-errors":{"name":["value must be a non-blank string., received: \"\""],"engine":["enum of postgres, mysql, sqlite, duckdb, received: \"oracle\""],"details":["value must be a map., received: []"]}}`,
      ),
    );
    await assertNothingInserted(fx);
  });

  test('row 140: details keys are validated under dotted keys: 400', async () => {
    assertJson(
      await addDatabase(fx, { name: 'X', engine: 'postgres', details: { port: 'abc' } }),
      400,
      spec(
        String.raw`{"errors":{"details.host":"value must be a non-blank string.","details.port":"nullable value must be an integer between 1 and 65535.","details.dbname":"value must be a non-blank string.","details.user":"value must be a non-blank string."},"specific-errors":{"details.host":["missing required key, received: null"],"details.port":["nullable value must be an integer between 1 and 65535., received: \"abc\""],"details.dbname":["missing required key, received: null"],"details.user":["missing required key, received: null"]}}`,
      ),
    );
    await assertNothingInserted(fx);
  });

  test('row 141: malformed JSON: 400 text', async () => {
    assertText(
      await fx.request({ url: '/api/database', headers: A, payload: '{"name":' }),
      400,
      'Malformed JSON in request body.',
    );
  });

  test('row 142: a body of 1,048,577 bytes: 413, nothing inserted', async () => {
    const payload = padded('{"name":"Big","engine":"sqlite","details":{"db":"big.sqlite"}}', 1_048_577);
    assertText(await fx.request({ url: '/api/database', headers: A, payload }), 413, 'Request body too large.');
    await assertNothingInserted(fx);
  });
});

describe('routing', () => {
  // Row 143's PUT /api/database/1 exists since issue 8 (README, Departures); a method no route has stands in for it.
  test('row 143: PATCH /api/database/1: 404 API endpoint does not exist.', async () => {
    assertText(await fx.request({ method: 'PATCH', url: '/api/database/1', headers: A, json: {} }), 404, NO_ENDPOINT);
  });

  test('row 144: GET /api/user/current without headers: 404 API endpoint does not exist.', async () => {
    assertText(await fx.request({ method: 'GET', url: '/api/user/current' }), 404, NO_ENDPOINT);
  });
});
