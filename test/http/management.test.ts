// notify-api.md section 6: the Database objects, POST /api/database with its connection test, the reads, the reserved
// routes (rows 131-144 except 137), and the pure parts of src/catalog (objects, ordering, details, schedules).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import SQLite from 'better-sqlite3';
import {
  MASKED_PASSWORD,
  compareCodePoints,
  compareDatabases,
  compareTables,
  databaseObject,
  publicDetails,
} from '../../src/catalog/api-objects.ts';
import { countDatabases, defaultSchedules, normalizeDetails, registerDatabase } from '../../src/catalog/databases.ts';
import { freePort } from '../support/postgres.ts';
import {
  A,
  DBMS_VERSION,
  FIELD_100,
  FIXTURE_TIME,
  KIND,
  PASSWORD,
  assertJson,
  assertText,
  harness,
  validationBody,
  type Harness,
} from './harness.ts';

const NO_ENDPOINT = 'API endpoint does not exist.';

/** A folder for warehouse files outside the harness's folder, which holds the application database (refused). */
function warehouseDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-warehouse-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const NON_BLANK = 'value must be a non-blank string.';
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function fixtureDatabase(id: number, name: string, attached: boolean, host: string, dbname: string) {
  return {
    id,
    name,
    engine: 'postgres',
    details: { host, port: 5432, dbname, user: 'catalog', password: MASKED_PASSWORD, ssl: false },
    is_attached_dwh: attached,
    is_full_sync: true,
    is_on_demand: false,
    initial_sync_status: 'complete',
    metadata_sync_schedule: `0 ${id} * * * ? *`,
    cache_field_values_schedule: `0 0 ${id} * * ? *`,
    timezone: 'UTC',
    dbms_version: DBMS_VERSION,
    created_at: FIXTURE_TIME,
    updated_at: FIXTURE_TIME,
  };
}
const DB1 = fixtureDatabase(1, 'Warehouse', false, 'warehouse-1', 'warehouse');
const DB2 = fixtureDatabase(2, 'Attached DWH', true, 'warehouse-2', 'dwh');

async function databaseCount(h: Harness): Promise<number> {
  return (await h.appDb.db.selectFrom('metabase_database').select('id').execute()).length;
}

describe('catalog objects and ordering (pure)', () => {
  test('publicDetails masks any stored password, "" included, and leaves none absent', () => {
    assert.deepEqual(publicDetails({ host: 'h', password: 'pw' }), { host: 'h', password: MASKED_PASSWORD });
    assert.deepEqual(publicDetails({ host: 'h', password: '' }), { host: 'h', password: MASKED_PASSWORD });
    assert.deepEqual(publicDetails({ db: 'x.sqlite' }), { db: 'x.sqlite' });
  });

  test('compareCodePoints orders by code point, not UTF-16 unit or locale', () => {
    assert.ok(compareCodePoints('B', 'a') < 0);
    assert.ok(compareCodePoints('\uFF21', '\u{1F600}') < 0, 'U+FF21 before U+1F600 although its UTF-16 unit is larger');
    assert.ok(compareCodePoints('ab', 'abc') < 0);
    assert.equal(compareCodePoints('x', 'x'), 0);
  });

  test('databases by lower-cased name then id; tables by schema (null first), name, id', () => {
    const dbs = [
      { id: 3, name: 'b' },
      { id: 2, name: 'B' },
      { id: 1, name: 'a' },
      { id: 4, name: 'Z' },
    ];
    assert.deepEqual([...dbs].sort(compareDatabases).map((d) => d.id), [1, 2, 3, 4]);
    const tables = [
      { id: 5, schema: 'public', name: 'a' },
      { id: 4, schema: 'B', name: 'z' },
      { id: 3, schema: null, name: 'z' },
      { id: 2, schema: 'public', name: 'a' },
      { id: 1, schema: 'public', name: 'B' },
    ];
    assert.deepEqual([...tables].sort(compareTables).map((t) => t.id), [3, 4, 1, 2, 5]);
  });

  test('normalizeDetails fills defaults and keeps only the engine\'s keys; schedules follow the id', () => {
    const server = { host: 'h', dbname: 'd', user: 'u' };
    assert.deepEqual(normalizeDetails('postgres', { ...server, other: 1, port: undefined, ssl: null }), {
      ...server,
      port: 5432,
      ssl: false,
    });
    assert.deepEqual(normalizeDetails('mysql', { ...server, password: '', 'additional-options': 'a=b' }), {
      ...server,
      port: 3306,
      password: '',
      ssl: false,
      'additional-options': 'a=b',
    });
    assert.deepEqual(normalizeDetails('sqlite', { db: 'x.sqlite', host: 'h' }), { db: 'x.sqlite' });
    assert.deepEqual(normalizeDetails('duckdb', { db: 'x.duckdb', 'schema-filters-type': 'inclusion' }), {
      db: 'x.duckdb', 'schema-filters-type': 'inclusion',
    });
    assert.deepEqual(defaultSchedules(1), {
      metadata_sync_schedule: '0 1 * * * ? *',
      cache_field_values_schedule: '0 0 1 * * ? *',
    });
    assert.deepEqual(defaultSchedules(85), {
      metadata_sync_schedule: '0 25 * * * ? *',
      cache_field_values_schedule: '0 0 13 * * ? *',
    });
  });
});

describe('reads (rows 131-136)', () => {
  test('row 131: the list, ordered by name, passwords masked', async (t) => {
    const h = await harness(t);
    const res = await h.inject({ method: 'GET', url: '/api/database', headers: A });
    assertJson(res, 200, { data: [DB2, DB1], total: 2 });
    assert.ok(!res.body.includes(PASSWORD));
  });

  test('rows 132-135: one database; unknown, non-digit and zero ids', async (t) => {
    const h = await harness(t);
    const res = await h.inject({ method: 'GET', url: '/api/database/1', headers: { 'x-api-key': 'admin-key' } });
    assertJson(res, 200, DB1);
    assert.ok(!res.body.includes(PASSWORD));
    assertJson(await h.inject({ method: 'GET', url: '/api/database/01', headers: A }), 200, DB1);
    assertText(await h.inject({ method: 'GET', url: '/api/database/999', headers: A }), 404, 'Not found.');
    assertText(await h.inject({ method: 'GET', url: '/api/database/abc', headers: A }), 404, NO_ENDPOINT);
    assertJson(
      await h.inject({ method: 'GET', url: '/api/database/0', headers: A }),
      400,
      validationBody({ id: ['value must be an integer greater than zero.', '0'] }),
    );
    assertText(await h.inject({ method: 'GET', url: '/api/database/999/metadata', headers: A }), 404, 'Not found.');
  });

  test('row 136: active tables ordered by schema, name, id, each with its active fields', async (t) => {
    const h = await harness(t);
    await h.appDb.db
      .insertInto('metabase_field')
      .values([
        [101, 10, 'retired', 0, false],
        [102, 10, 'second', 1, true],
        [103, 13, 'id', 0, true],
      ].map(([id, tableId, name, position, active]) => ({
        id: id as number,
        table_id: tableId as number,
        name: name as string,
        display_name: name as string,
        database_type: 'int4',
        base_type: 'type/Integer',
        effective_type: 'type/Integer',
        position: position as number,
        active: active as boolean,
      })))
      .execute();
    const res = await h.inject({ method: 'GET', url: '/api/database/1/metadata', headers: A });
    assert.equal(res.statusCode, 200);
    type Metadata = Record<string, unknown> & { tables: { id: number; fields: { id: number }[] }[] };
    const body = JSON.parse(res.body) as Metadata;
    const { tables, ...database } = body;
    assert.deepEqual(database, DB1);
    assert.deepEqual(tables.map((t) => t.id), [12, 15, 16, 10, 14, 11]);
    assert.deepEqual(tables.find((t) => t.id === 10)!.fields.map((f) => f.id), [100, 102]);
    assert.deepEqual(tables[0], {
      id: 12,
      db_id: 1,
      schema: 'analytics',
      name: 'orders',
      display_name: 'orders',
      description: null,
      entity_type: null,
      visibility_type: null,
      active: true,
      initial_sync_status: 'complete',
      field_order: 'database',
      created_at: FIXTURE_TIME,
      updated_at: FIXTURE_TIME,
      fields: [],
    });
    assert.deepEqual(tables.find((t) => t.id === 10)!.fields[0], FIELD_100);
  });
});

describe('POST /api/database (rows 138-142)', () => {
  test('rows 139-140: validation, details keys listed with the top-level errors', async (t) => {
    const h = await harness(t);
    assertJson(
      await h.post('/api/database', { name: '', engine: 'oracle', details: [] }, A),
      400,
      validationBody({
        name: [NON_BLANK, '""'],
        engine: ['enum of postgres, mysql, sqlite, duckdb', '"oracle"'],
        details: ['value must be a map.', '[]'],
      }),
    );
    assertJson(
      await h.post('/api/database', { name: 'X', engine: 'postgres', details: { port: 'abc' } }, A),
      400,
      validationBody({
        'details.host': [NON_BLANK, null],
        'details.port': ['nullable value must be an integer between 1 and 65535.', '"abc"'],
        'details.dbname': [NON_BLANK, null],
        'details.user': [NON_BLANK, null],
      }),
    );
    const server = { host: 'h', dbname: 'd', user: 'u' };
    const details = { ...server, port: 70000, password: 5, ssl: 'y', 'schema-filters-type': 'x' };
    assertJson(
      await h.post('/api/database', { name: ' ', engine: 'postgres', details, is_full_sync: 'no' }, A),
      400,
      validationBody({
        name: [NON_BLANK, '" "'],
        is_full_sync: ['nullable boolean.', '"no"'],
        'details.port': ['nullable value must be an integer between 1 and 65535.', '70000'],
        'details.password': ['nullable string.', '5'],
        'details.ssl': ['nullable boolean.', '"y"'],
        'details.schema-filters-type': ['nullable enum of inclusion, exclusion, all', '"x"'],
      }),
    );
    assertJson(
      await h.post('/api/database', { engine: 'sqlite', details: {}, is_attached_dwh: 1 }, A),
      400,
      validationBody({
        name: [NON_BLANK, null],
        is_attached_dwh: ['nullable boolean.', '1'],
        'details.db': [NON_BLANK, null],
      }),
    );
    assertJson(
      await h.post('/api/database', {}, A),
      400,
      validationBody({
        name: [NON_BLANK, null],
        engine: ['enum of postgres, mysql, sqlite, duckdb', null],
        details: ['value must be a map.', null],
      }),
    );
    assert.equal(await databaseCount(h), 2, 'nothing is inserted');
  });

  test('rows 141-143: malformed JSON, the size limit, routes that do not exist (PUT and DELETE do since issue 8)', async (t) => {
    const h = await harness(t);
    assertText(await h.post('/api/database', '{"name":', A), 400, 'Malformed JSON in request body.');
    const huge = `{"name":"X"}${' '.repeat(1_048_577)}`;
    assertText(await h.post('/api/database', huge, A), 413, 'Request body too large.');
    assert.equal(await databaseCount(h), 2);
    for (const [method, url] of [
      ['PATCH', '/api/database/1'],
      ['DELETE', '/api/database/'],
      ['GET', '/api/database/'],
      ['POST', '/api/database/1'],
    ] as const) {
      const res = await h.inject({ method, url, headers: { ...A, 'content-type': 'application/json' }, payload: '{}' });
      assertText(res, 404, NO_ENDPOINT);
    }
  });

  test('an unknown MySQL host is refused with the driver\'s reason, nothing inserted', async (t) => {
    const h = await harness(t);
    const res = await h.post(
      '/api/database',
      { name: 'M', engine: 'mysql', details: { host: 'no-such-host.invalid', dbname: 'd', user: 'u', password: PASSWORD } },
      A,
    );
    assert.equal(res.statusCode, 400);
    const body = res.json() as { message: string };
    assert.match(body.message, /could not connect to no-such-host\.invalid:3306/);
    assert.ok(!res.body.includes(PASSWORD));
    assert.equal(await databaseCount(h), 2);
  });

  test('row 138b: a missing SQLite file is refused, nothing inserted and no file created', async (t) => {
    const h = await harness(t);
    const elsewhere = warehouseDir(t);
    const missing = join(elsewhere, 'does', 'not', 'exist.sqlite');
    const res = await h.post('/api/database', { name: 'Nope', engine: 'sqlite', details: { db: missing } }, A);
    assert.equal(res.statusCode, 400, res.body);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['message']);
    assert.ok(typeof body.message === 'string' && body.message.length > 0);
    assert.equal(existsSync(missing), false);
    assert.equal(existsSync(join(elsewhere, 'does')), false);
    assert.equal(await databaseCount(h), 2);
    assert.equal(await h.jobCount(), 0);
  });

  test('row 138: an SQLite warehouse is registered, its initial full sync queued', async (t) => {
    const h = await harness(t);
    const file = join(warehouseDir(t), 'local.sqlite');
    const warehouse = new SQLite(file);
    warehouse.exec('CREATE TABLE foo (id integer)');
    warehouse.close();
    const local = { name: 'Local', engine: 'sqlite', details: { db: file, host: 'ignored' }, is_attached_dwh: true };
    const res = await h.post('/api/database', local, A);
    assert.equal(res.statusCode, 200, res.body);
    const body = JSON.parse(res.body) as Record<string, unknown> & { id: number };
    assert.ok(Number.isInteger(body.id) && body.id > 2);
    assert.match(String(body.created_at), TS);
    assert.deepEqual(body, {
      id: body.id,
      name: 'Local',
      engine: 'sqlite',
      details: { db: file },
      is_attached_dwh: true,
      is_full_sync: true,
      is_on_demand: false,
      initial_sync_status: 'incomplete',
      metadata_sync_schedule: `0 ${body.id % 60} * * * ? *`,
      cache_field_values_schedule: `0 0 ${body.id % 24} * * ? *`,
      timezone: null,
      dbms_version: null,
      created_at: body.created_at,
      updated_at: body.created_at,
    });
    const jobs = await h.appDb.db.selectFrom('sync_job').selectAll().execute();
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.database_id, body.id);
    assert.equal(jobs[0]!.priority, 10);
    assert.deepEqual(JSON.parse(jobs[0]!.plan), KIND.fullDatabase);
    assert.equal((JSON.parse(jobs[0]!.triggers) as { source: string }[])[0]!.source, 'creation');
    assert.ok(h.wakes() >= 1, 'the workers were woken');
    assertJson(await h.inject({ method: 'GET', url: `/api/database/${body.id}`, headers: A }), 200, body);
  });

  test('row 138a: a refused PostgreSQL connection is 400 naming it, with no password anywhere', async (t) => {
    const h = await harness(t);
    const port = await freePort();
    const res = await h.post(
      '/api/database',
      {
        name: 'Nope',
        engine: 'postgres',
        details: { host: '127.0.0.1', port, dbname: 'x', user: 'u', password: PASSWORD },
      },
      A,
    );
    assert.equal(res.statusCode, 400, res.body);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['message']);
    assert.ok(typeof body.message === 'string' && body.message.length > 0);
    assert.ok(!res.body.includes(PASSWORD));
    assert.ok(!h.logs.some((line) => line.includes(PASSWORD)), 'the password is not logged');
    assert.equal(await databaseCount(h), 2);
  });
});

describe('registerDatabase and countDatabases (start-up registration)', () => {
  test('insert with id-derived schedules and a queued full sync, without HTTP', async (t) => {
    const h = await harness(t);
    assert.equal(await countDatabases(h.appDb), 2);
    const at = new Date().toISOString();
    const { database, jobId } = await registerDatabase(
      h.appDb,
      { name: 'Sample Database', engine: 'sqlite', details: normalizeDetails('sqlite', { db: '/x/sample.sqlite' }) },
      { source: 'sample', at },
    );
    assert.equal(await countDatabases(h.appDb), 3);
    const object = databaseObject(database);
    assert.equal(object.metadata_sync_schedule, `0 ${database.id % 60} * * * ? *`);
    assert.equal(object.is_full_sync, true);
    assert.equal(object.is_attached_dwh, false);
    assert.deepEqual(object.details, { db: '/x/sample.sqlite' });
    const job = await h.appDb.db.selectFrom('sync_job').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    assert.equal(job.database_id, database.id);
    assert.deepEqual(JSON.parse(job.triggers), [{ source: 'sample', at }]);
  });
});
