// The database curation routes (curation-notes.md section 1.3): PUT and DELETE /api/database/:id, discard_values,
// schemas, schema/:schema and validate, on the fixture of notify-api.md 7.1: success, 404, each invalid key, 403.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { MASKED_PASSWORD } from '../../src/catalog/api-objects.ts';
import { decodeDetails } from '../../src/catalog/databases.ts';
import { A, K, PASSWORD, assertJson, assertText, harness, validationBody, type Harness } from './harness.ts';

const NO_ENDPOINT = 'API endpoint does not exist.';

/** A folder for warehouse files outside the harness's folder (which holds the application database). */
function warehouseDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-curation-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sqliteFile(dir: string, name: string, ddl: string): string {
  const path = join(dir, name);
  const db = new SQLite(path);
  db.exec(ddl);
  db.close();
  return path;
}

const put = (h: Harness, id: number | string, body: unknown, headers = A) =>
  h.inject({
    method: 'PUT',
    url: `/api/database/${id}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
const get = (h: Harness, url: string, headers = A) => h.inject({ method: 'GET', url, headers });
const del = (h: Harness, id: number | string, headers = A) =>
  h.inject({ method: 'DELETE', url: `/api/database/${id}`, headers });

async function row(h: Harness, id: number) {
  return await h.appDb.db.selectFrom('metabase_database').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function storedDetails(h: Harness, id: number) {
  return decodeDetails(h.appDb, (await row(h, id)).details);
}

describe('PUT /api/database/:id', () => {
  test('edits name, texts, flags, settings and schedules; answers the Database with details masked', async (t) => {
    const h = await harness(t);
    await h.appDb.db.updateTable('metabase_database').set({ settings: '{"auto-cruft-tables":["^tmp_"],"x":1}' }).where('id', '=', 1).execute();
    const res = await put(h, 1, {
      name: 'Sales',
      description: 'The sales warehouse',
      caveats: 'Loaded nightly',
      points_of_interest: 'orders',
      is_full_sync: false,
      is_on_demand: true,
      settings: { 'auto-cruft-columns': ['^_'], x: null },
      schedules: {
        metadata_sync: { schedule_type: 'hourly', schedule_minute: 25 },
        cache_field_values: { schedule_type: 'weekly', schedule_day: 'mon', schedule_hour: 4 },
      },
      refingerprint: true,
      auto_run_queries: false,
      cache_ttl: 10,
      // The masked password stands for the stored one: the details are unchanged, so no connection test runs
      // (the fixture's host does not resolve).
      details: { password: MASKED_PASSWORD },
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.equal(body.name, 'Sales');
    assert.equal(body.is_full_sync, false);
    assert.equal(body.is_on_demand, true);
    assert.equal(body.metadata_sync_schedule, '0 25 * * * ? *');
    assert.equal(body.cache_field_values_schedule, '0 0 4 ? * 2 *');
    assert.deepEqual(body.schedules, {
      metadata_sync: { schedule_type: 'hourly', schedule_day: null, schedule_frame: null, schedule_hour: null, schedule_minute: 25 },
      cache_field_values: { schedule_type: 'weekly', schedule_day: 'mon', schedule_frame: null, schedule_hour: 4, schedule_minute: 0 },
    });
    assert.equal((body.details as Record<string, unknown>).password, MASKED_PASSWORD);
    assert.ok(!res.body.includes(PASSWORD));
    const stored = await row(h, 1);
    assert.equal(stored.description, 'The sales warehouse');
    assert.equal(stored.caveats, 'Loaded nightly');
    assert.equal(stored.points_of_interest, 'orders');
    assert.deepEqual(JSON.parse(stored.settings), { 'auto-cruft-tables': ['^tmp_'], 'auto-cruft-columns': ['^_'] });
    assert.equal((await storedDetails(h, 1)).password, PASSWORD, 'the stored secret is kept');
    assert.notEqual(stored.metadata_sync_fired_at, null, 'a changed schedule first fires after the edit');
    assert.equal(h.wakes(), 0, 'an edit starts no sync');
  });

  test('null clears description, caveats and points_of_interest; absent keys and other nulls change nothing', async (t) => {
    const h = await harness(t);
    assert.equal((await put(h, 1, { description: 'd', caveats: 'c', points_of_interest: 'p' })).statusCode, 200);
    assert.equal((await put(h, 1, { name: 'Kept' })).statusCode, 200);
    assert.equal((await row(h, 1)).description, 'd');
    const res = await put(h, 1, { description: null, caveats: null, name: null, is_full_sync: null, schedules: null });
    assert.equal(res.statusCode, 200, res.body);
    const stored = await row(h, 1);
    assert.equal(stored.description, null);
    assert.equal(stored.caveats, null);
    assert.equal(stored.points_of_interest, 'p');
    assert.equal(stored.name, 'Kept');
    assert.equal(stored.metadata_sync_schedule, '0 1 * * * ? *');
  });

  test('Quartz strings and "never" are accepted for the schedule columns; monthly maps convert as Metabase does', async (t) => {
    const h = await harness(t);
    let res = await put(h, 2, { metadata_sync_schedule: 'never', cache_field_values_schedule: '0 30 2 ? * 1#1 *' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await row(h, 2)).metadata_sync_schedule, null);
    assert.equal((await row(h, 2)).cache_field_values_schedule, '0 30 2 ? * 1#1 *');
    res = await put(h, 2, {
      schedules: {
        metadata_sync: { schedule_type: 'monthly', schedule_frame: 'last', schedule_hour: 3 },
        cache_field_values: { schedule_type: 'monthly', schedule_frame: 'first', schedule_day: 'fri', schedule_hour: 1 },
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await row(h, 2)).metadata_sync_schedule, '0 0 3 L * ? *');
    assert.equal((await row(h, 2)).cache_field_values_schedule, '0 0 1 ? * 6#1 *');
    res = await put(h, 2, { schedules: { metadata_sync: { schedule_type: 'daily', schedule_hour: 5 } } });
    assert.equal(JSON.parse(res.body).metadata_sync_schedule, '0 0 5 * * ? *');
  });

  test('each invalid key is a 400 naming it; nothing is written', async (t) => {
    const h = await harness(t);
    const cases: [Record<string, unknown>, Record<string, [string, string | null]>][] = [
      [{ name: ' ' }, { name: ['nullable value must be a non-blank string.', '" "'] }],
      [{ engine: 'oracle' }, { engine: ['nullable enum of postgres, mysql, sqlite, duckdb', '"oracle"'] }],
      [{ details: 'x' }, { details: ['nullable value must be a map.', '"x"'] }],
      [{ description: 5 }, { description: ['nullable string.', '5'] }],
      [{ caveats: [] }, { caveats: ['nullable string.', '[]'] }],
      [{ points_of_interest: true }, { points_of_interest: ['nullable string.', 'true'] }],
      [{ is_full_sync: 'yes' }, { is_full_sync: ['nullable boolean.', '"yes"'] }],
      [{ is_on_demand: 1 }, { is_on_demand: ['nullable boolean.', '1'] }],
      [{ refingerprint: 'no' }, { refingerprint: ['nullable boolean.', '"no"'] }],
      [{ auto_run_queries: 0 }, { auto_run_queries: ['nullable boolean.', '0'] }],
      [{ cache_ttl: 0 }, { cache_ttl: ['nullable value must be an integer greater than zero.', '0'] }],
      [{ settings: [1] }, { settings: ['nullable value must be a map.', '[1]'] }],
      [
        { settings: { 'auto-cruft-tables': ['('] } },
        { 'settings.auto-cruft-tables': ['nullable sequence of regular-expression strings.', '["("]'] },
      ],
      [{ schedules: 'hourly' }, { schedules: ['nullable value must be a valid map of schedule maps for a DB.', '"hourly"'] }],
      [
        { schedules: { metadata_sync: { schedule_type: 'yearly', schedule_hour: 24 } } },
        {
          'schedules.metadata_sync.schedule_type': ['enum of hourly, daily, weekly, monthly', '"yearly"'],
          'schedules.metadata_sync.schedule_hour': ['nullable value must be an integer between 0 and 23.', '24'],
        },
      ],
      [
        { schedules: { cache_field_values: { schedule_minute: 5 } } },
        { 'schedules.cache_field_values.schedule_type': ['enum of hourly, daily, weekly, monthly', null] },
      ],
      [
        { schedules: { metadata_sync: { schedule_type: 'weekly' } } },
        {
          'schedules.metadata_sync': [
            'value must be a valid schedule map. See schema in metabase.util.cron for details.',
            '{"schedule_type":"weekly"}',
          ],
        },
      ],
      [
        { metadata_sync_schedule: '0 0 12 15W * ? *' },
        { metadata_sync_schedule: ['nullable value must be a valid Quartz cron schedule string, or "never".', '"0 0 12 15W * ? *"'] },
      ],
      [{ details: { port: 70000 } }, { 'details.port': ['nullable value must be an integer between 1 and 65535.', '70000'] }],
      [{ engine: 'sqlite' }, { 'details.db': ['value must be a non-blank string.', null] }],
    ];
    for (const [body, errors] of cases) assertJson(await put(h, 1, body), 400, validationBody(errors));
    assertJson(await put(h, 1, [1]), 400, validationBody({ body: ['value must be a JSON object.', '[1]'] }));
    assertJson(await put(h, 0, {}), 400, validationBody({ id: ['value must be an integer greater than zero.', '0'] }));
    const stored = await row(h, 1);
    assert.equal(stored.name, 'Warehouse');
    assert.equal(stored.updated_at, '2025-01-01T00:00:00.000Z');
  });

  test('changed details are connection-tested: a failure is 400 {"message"} without the password, nothing stored', async (t) => {
    const h = await harness(t, { env: { MB_SYNC_CONNECT_TIMEOUT_SECONDS: '2' } });
    const res = await put(h, 1, { details: { host: '127.0.0.1', port: 1, password: 'n3w-s3cret' } });
    assert.equal(res.statusCode, 400, res.body);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['message']);
    assert.ok(!res.body.includes('n3w-s3cret') && !res.body.includes(PASSWORD));
    assert.equal((await storedDetails(h, 1)).host, 'warehouse-1');
    assert.ok(!h.logs.join('').includes('n3w-s3cret'), 'the password is not logged');
  });

  test('a new engine and details that connect are stored, merged and normalized; the answer masks nothing else', async (t) => {
    const h = await harness(t);
    const dir = warehouseDir(t);
    const file = sqliteFile(dir, 'shop.sqlite', 'CREATE TABLE orders (id INTEGER PRIMARY KEY)');
    const res = await put(h, 1, { engine: 'sqlite', details: { db: file } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(JSON.parse(res.body).details, { db: file });
    assert.equal(JSON.parse(res.body).engine, 'sqlite');
    assert.deepEqual(await storedDetails(h, 1), { db: file }, 'the postgres keys are dropped');
  });

  test('404 for an unknown database, no route for a non-digit id, 403 without the admin key', async (t) => {
    const h = await harness(t);
    assertText(await put(h, 999, { name: 'x' }), 404, 'Not found.');
    assertText(await put(h, '123456789012345678901', {}), 404, 'Not found.');
    assertText(await put(h, 'abc', {}), 404, NO_ENDPOINT);
    assertText(await put(h, 1, { name: 'x' }, {}), 403, 'Forbidden');
    assertText(await put(h, 1, { name: 'x' }, K), 403, 'Forbidden');
    assert.equal((await row(h, 1)).name, 'Warehouse');
  });
});

describe('DELETE /api/database/:id', () => {
  test('204 with an empty body; the catalog, jobs and task history of that database go, the other is untouched', async (t) => {
    const h = await harness(t);
    await h.appDb.db.insertInto('metabase_fieldvalues').values([{ field_id: 100 }, { field_id: 200 }]).execute();
    const queued = JSON.parse((await h.post('/api/notify/db/1', {})).body).job_id as number;
    const other = JSON.parse((await h.post('/api/notify/db/2', {})).body).job_id as number;
    await h.appDb.db
      .insertInto('task_history')
      .values([
        { task: 'sync', db_id: 1, job_id: queued, started_at: '2025-01-01T00:00:00.000Z' },
        { task: 'sync', db_id: 2, job_id: other, started_at: '2025-01-01T00:00:00.000Z' },
      ])
      .execute();
    const res = await del(h, 1);
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    const count = async (table: 'metabase_table' | 'metabase_field' | 'metabase_fieldvalues' | 'task_history' | 'sync_job') =>
      (await h.appDb.db.selectFrom(table).select('id').execute()).length;
    assert.equal(await count('metabase_table'), 2, 'tables 20 and 21 of database 2 remain');
    assert.equal(await count('metabase_field'), 1);
    assert.equal(await count('metabase_fieldvalues'), 1);
    assert.equal(await count('task_history'), 1);
    assert.equal(await count('sync_job'), 1);
    assert.equal((await h.jobRow(other)).state, 'queued');
    assertText(await get(h, `/api/notify/job/${queued}`, K), 404, 'Not found.');
    assertText(await get(h, '/api/database/1'), 404, 'Not found.');
    assertText(await del(h, 1), 404, 'Not found.');
    assertText(await h.post('/api/notify/db/1', {}), 404, 'Not found.');
  });

  test('404, no route, 400 and 403', async (t) => {
    const h = await harness(t);
    assertText(await del(h, 999), 404, 'Not found.');
    assertText(await del(h, '123456789012345678901'), 404, 'Not found.');
    assertText(await del(h, 'abc'), 404, NO_ENDPOINT);
    assertJson(await del(h, 0), 400, validationBody({ id: ['value must be an integer greater than zero.', '0'] }));
    assertText(await del(h, 1, {}), 403, 'Forbidden');
    assertText(await del(h, 1, K), 403, 'Forbidden');
    assert.equal((await h.appDb.db.selectFrom('metabase_database').select('id').execute()).length, 2);
  });
});

describe('POST /api/database/:id/discard_values', () => {
  test('deletes the field values of that database only; 404, 400, 403', async (t) => {
    const h = await harness(t);
    await h.appDb.db.insertInto('metabase_fieldvalues').values([{ field_id: 100 }, { field_id: 200 }]).execute();
    assertJson(await h.post('/api/database/1/discard_values', undefined, A), 200, { status: 'ok' });
    const left = await h.appDb.db.selectFrom('metabase_fieldvalues').select('field_id').execute();
    assert.deepEqual(left, [{ field_id: 200 }]);
    assertJson(await h.post('/api/database/1/discard_values', undefined, A), 200, { status: 'ok' });
    assertText(await h.post('/api/database/999/discard_values', undefined, A), 404, 'Not found.');
    assertJson(
      await h.post('/api/database/0/discard_values', undefined, A),
      400,
      validationBody({ id: ['value must be an integer greater than zero.', '0'] }),
    );
    assertText(await h.post('/api/database/2/discard_values', undefined, {}), 403, 'Forbidden');
    assert.equal((await h.appDb.db.selectFrom('metabase_fieldvalues').select('id').execute()).length, 1);
  });
});

describe('GET /api/database/:id/schemas and /schema/:schema', () => {
  test('schemas of active tables, sorted; hidden tables only with include_hidden; 404, 403', async (t) => {
    const h = await harness(t);
    assertJson(await get(h, '/api/database/1/schemas'), 200, ['analytics', 'data', 'public']);
    await h.appDb.db.updateTable('metabase_table').set({ visibility_type: 'hidden' }).where('id', '=', 15).execute();
    assertJson(await get(h, '/api/database/1/schemas'), 200, ['analytics', 'public']);
    assertJson(await get(h, '/api/database/1/schemas?include_hidden=true'), 200, ['analytics', 'data', 'public']);
    await h.appDb.db.updateTable('metabase_table').set({ active: false }).where('db_id', '=', 2).execute();
    assertJson(await get(h, '/api/database/2/schemas'), 200, []);
    assertText(await get(h, '/api/database/999/schemas'), 404, 'Not found.');
    assertJson(
      await get(h, '/api/database/0/schemas'),
      400,
      validationBody({ id: ['value must be an integer greater than zero.', '0'] }),
    );
    assertText(await get(h, '/api/database/1/schemas', {}), 403, 'Forbidden');
  });

  test('the active tables of one schema by display_name; an empty schema 404; /schema/ for tables without one', async (t) => {
    const h = await harness(t);
    await h.appDb.db.updateTable('metabase_table').set({ display_name: 'A Foo' }).where('id', '=', 10).execute();
    const res = await get(h, '/api/database/1/schema/public');
    assert.equal(res.statusCode, 200, res.body);
    const tables = JSON.parse(res.body) as { id: number; schema: string; display_name: string }[];
    assert.deepEqual(tables.map((t) => t.id), [10, 16, 14, 11], 'legacy is inactive');
    assert.ok(tables.every((t) => t.schema === 'public'));
    assertText(await get(h, '/api/database/1/schema/nope'), 404, 'Not found.');
    assertText(await get(h, '/api/database/1/schema/'), 404, 'Not found.');
    await h.appDb.db.updateTable('metabase_table').set({ schema: null }).where('id', '=', 12).execute();
    assert.deepEqual(JSON.parse((await get(h, '/api/database/1/schema/')).body).map((t: { id: number }) => t.id), [12]);
    await h.appDb.db.updateTable('metabase_table').set({ visibility_type: 'cruft' }).where('id', '=', 15).execute();
    assertText(await get(h, '/api/database/1/schema/data'), 404, 'Not found.');
    assert.equal(JSON.parse((await get(h, '/api/database/1/schema/data?include_hidden=true')).body)[0].id, 15);
    assertText(await get(h, '/api/database/999/schema/public'), 404, 'Not found.');
    assertText(await get(h, '/api/database/1/schema/public', K), 403, 'Forbidden');
  });
});

describe('POST /api/database/validate', () => {
  test('200 valid: true with the details as stored (password masked); valid: false with the reason; 400; 403', async (t) => {
    const h = await harness(t, { env: { MB_SYNC_CONNECT_TIMEOUT_SECONDS: '2' } });
    const dir = warehouseDir(t);
    const file = sqliteFile(dir, 'ok.sqlite', 'CREATE TABLE t (id INTEGER)');
    assertJson(
      await h.post('/api/database/validate', { details: { engine: 'sqlite', details: { db: file, extra: 1 } } }, A),
      200,
      { db: file, valid: true },
    );
    const missing = await h.post('/api/database/validate', { details: { engine: 'sqlite', details: { db: join(dir, 'no.sqlite') } } }, A);
    assert.equal(missing.statusCode, 200);
    assert.deepEqual(Object.keys(JSON.parse(missing.body)), ['message', 'valid']);
    assert.equal(JSON.parse(missing.body).valid, false);
    const details = { host: '127.0.0.1', port: 1, dbname: 'd', user: 'u', password: 'pw-never-echoed' };
    const refused = await h.post('/api/database/validate', { details: { engine: 'postgres', details } }, A);
    assert.equal(refused.statusCode, 200);
    assert.equal(JSON.parse(refused.body).valid, false);
    assert.ok(!refused.body.includes('pw-never-echoed'));
    assertJson(await h.post('/api/database/validate', { details: { engine: 'postgres', details: { host: '' } } }, A), 200, {
      message: 'Invalid connection details.',
      errors: {
        host: 'value must be a non-blank string.',
        dbname: 'value must be a non-blank string.',
        user: 'value must be a non-blank string.',
      },
      valid: false,
    });
    assertJson(await h.post('/api/database/validate', {}, A), 400, validationBody({ details: ['value must be a map.', null] }));
    assertJson(
      await h.post('/api/database/validate', { details: { engine: 'oracle', details: 1 } }, A),
      400,
      validationBody({
        'details.engine': ['enum of postgres, mysql, sqlite, duckdb', '"oracle"'],
        'details.details': ['value must be a map.', '1'],
      }),
    );
    assertText(await h.post('/api/database/validate', {}, {}), 403, 'Forbidden');
    assert.equal((await h.appDb.db.selectFrom('metabase_database').select('id').execute()).length, 2);
  });
});
