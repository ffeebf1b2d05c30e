// The table curation routes (curation-notes.md 1.1): GET /api/table (streamed, by name), GET/PUT /api/table/:id, bulk
// PUT /api/table (one transaction), query_metadata, fks, rescan/discard values, sync_schema, fields/order; 404, 400
// bodies and 403 for each.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { parseJson } from '../../src/db/schema.ts';
import { A, K, PASSWORD, assertJson, assertText, harness, validationBody, type Harness } from './harness.ts';

const NOT_FOUND = 'Not found.';
const POSITIVE = 'value must be an integer greater than zero.';

const get = (h: Harness, url: string, headers: Record<string, string> = A) => h.inject({ method: 'GET', url, headers });
const put = (h: Harness, url: string, body: unknown, headers: Record<string, string> = A) =>
  h.inject({ method: 'PUT', url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, unknown>;

async function tableRow(h: Harness, id: number) {
  return await h.appDb.db.selectFrom('metabase_table').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** Fields of fixture table 10 beside field 100 (`val`): a PK `id`, `name`, `created_at`, plus an FK into it from 11. */
async function addFields(h: Harness) {
  const field = (id: number, tableId: number, name: string, position: number, extra: Record<string, unknown> = {}) => ({
    id,
    table_id: tableId,
    name,
    display_name: name,
    database_type: 'text',
    base_type: 'type/Text',
    effective_type: 'type/Text',
    position,
    database_position: position,
    active: true,
    visibility_type: 'normal',
    semantic_type: null,
    fk_target_field_id: null,
    ...extra,
  });
  await h.appDb.db
    .insertInto('metabase_field')
    .values([
      field(101, 10, 'id', 1, { semantic_type: 'type/PK', base_type: 'type/Integer', effective_type: 'type/Integer' }),
      field(102, 10, 'Name', 2, { semantic_type: 'type/Name' }),
      field(103, 10, 'created_at', 3, { base_type: 'type/DateTime', effective_type: 'type/DateTime' }),
      field(104, 10, 'secret', 4, { visibility_type: 'sensitive' }),
      field(105, 10, 'gone', 5, { active: false }),
      field(110, 11, 'foo_id', 0, { semantic_type: 'type/FK', fk_target_field_id: 101 }),
    ])
    .execute();
}

describe('GET /api/table', () => {
  test('every active table ordered by name then id, each with its db; inactive ones left out', async (t) => {
    const h = await harness(t);
    const res = await get(h, '/api/table');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    const tables = JSON.parse(res.body) as Record<string, unknown>[];
    assert.deepEqual(
      tables.map((t) => t.id),
      [15, 16, 10, 20, 14, 11, 12],
    );
    const first = tables[0];
    assert.equal(first.name, 'aapl_stocks');
    assert.equal((first.db as Record<string, unknown>).id, 1);
    assert.equal(((first.db as Record<string, unknown>).details as Record<string, unknown>).password, '**MetabasePass**');
    assert.ok(!res.body.includes(PASSWORD));
  });

  test('term: a case-insensitive name prefix with * as wildcard; LIKE wildcards are literal', async (t) => {
    const h = await harness(t);
    const ids = async (term: string) =>
      (JSON.parse((await get(h, `/api/table?term=${encodeURIComponent(term)}`)).body) as { id: number }[]).map((t) => t.id);
    assert.deepEqual(await ids('OR'), [11, 12]);
    assert.deepEqual(await ids('*v1'), [16]);
    assert.deepEqual(await ids('%'), []);
    assert.deepEqual(await ids('aapl_'), [15]);
  });

  test('streams a catalog larger than one batch in name order, a NULL schema shown as ""', async (t) => {
    const h = await harness(t);
    const rows = Array.from({ length: 2_345 }, (_, i) => ({
      db_id: 2,
      schema: null,
      name: `t${String(i).padStart(5, '0')}`,
      display_name: `T${i}`,
    }));
    for (let i = 0; i < rows.length; i += 500) await h.appDb.db.insertInto('metabase_table').values(rows.slice(i, i + 500)).execute();
    const tables = JSON.parse((await get(h, '/api/table')).body) as { name: string; schema: string }[];
    assert.equal(tables.length, 7 + 2_345);
    const names = tables.map((t) => t.name);
    assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.equal(tables.find((t) => t.name === 't00000')!.schema, '');
  });

  test('403 without the admin key', async (t) => {
    const h = await harness(t);
    assertText(await get(h, '/api/table', {}), 403, 'Forbidden');
    assertText(await get(h, '/api/table', K), 403, 'Forbidden');
  });
});

describe('GET /api/table/:id', () => {
  test('the table with its db and pk_field; 404, 400 and 403', async (t) => {
    const h = await harness(t);
    await addFields(h);
    const body = json(await get(h, '/api/table/10'));
    assert.equal(body.name, 'foo');
    assert.equal(body.schema, 'public');
    assert.equal(body.pk_field, 101);
    assert.equal((body.db as Record<string, unknown>).name, 'Warehouse');
    assert.equal(body.caveats, null);
    assert.equal(json(await get(h, '/api/table/11')).pk_field, null);
    assertText(await get(h, '/api/table/999'), 404, NOT_FOUND);
    assertText(await get(h, '/api/table/99999999999999999999'), 404, NOT_FOUND);
    assertJson(await get(h, '/api/table/0'), 400, validationBody({ id: [POSITIVE, '0'] }));
    assertText(await get(h, '/api/table/10', {}), 403, 'Forbidden');
  });
});

describe('PUT /api/table/:id', () => {
  test('writes the keys given, marks them user-set (a null description too), answers the Table', async (t) => {
    const h = await harness(t);
    await h.appDb.db.updateTable('metabase_table').set({ description: 'from the warehouse' }).where('id', '=', 10).execute();
    const res = await put(h, '/api/table/10', {
      display_name: 'Foo Things',
      description: null,
      caveats: 'partial before 2020',
      entity_type: 'entity/EventTable',
      visibility_type: 'technical',
      show_in_getting_started: true,
      unknown_key: 'ignored',
    });
    const body = json(res);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(body.display_name, 'Foo Things');
    assert.equal(body.description, null);
    assert.equal(body.caveats, 'partial before 2020');
    assert.equal(body.entity_type, 'entity/EventTable');
    assert.equal(body.visibility_type, 'technical');
    assert.equal('fields' in body, false);
    const row = await tableRow(h, 10);
    assert.deepEqual(parseJson(row.user_set, []), ['caveats', 'description', 'display_name', 'entity_type', 'visibility_type']);
  });

  test('null display_name is ignored; visibility_type null un-hides and queues a sync of the table', async (t) => {
    const h = await harness(t);
    await h.appDb.db.updateTable('metabase_table').set({ visibility_type: 'hidden' }).where('id', '=', 10).execute();
    const body = json(await put(h, '/api/table/10', { display_name: null, visibility_type: null }));
    assert.equal(body.display_name, 'foo');
    assert.equal(body.visibility_type, null);
    assert.deepEqual(parseJson((await tableRow(h, 10)).user_set, []), ['visibility_type']);
    const [job] = await h.appDb.db.selectFrom('sync_job').select('id').execute();
    assert.deepEqual(await h.jobPlan(job.id), { metadata: { tables: [10] }, analyze: { tables: [10] } });
  });

  test('field_order rewrites positions and the answer carries the fields', async (t) => {
    const h = await harness(t);
    await addFields(h);
    const positions = async () =>
      Object.fromEntries(
        (await h.appDb.db.selectFrom('metabase_field').select(['name', 'position']).where('table_id', '=', 10).execute()).map(
          (f) => [f.name, f.position],
        ),
      );
    const body = json(await put(h, '/api/table/10', { field_order: 'alphabetical' }));
    assert.deepEqual(
      (body.fields as { name: string }[]).map((f) => f.name),
      ['created_at', 'id', 'Name', 'secret', 'val'],
    );
    assert.deepEqual(await positions(), { created_at: 0, gone: 1, id: 2, Name: 3, secret: 4, val: 5 });
    await put(h, '/api/table/10', { field_order: 'smart' });
    assert.deepEqual(await positions(), { id: 0, Name: 1, created_at: 2, gone: 3, secret: 4, val: 5 });
    await put(h, '/api/table/10', { field_order: 'database' });
    assert.deepEqual(await positions(), { val: 0, id: 1, Name: 2, created_at: 3, secret: 4, gone: 5 });
  });

  test('each invalid key gets the 400 body naming it; nothing written', async (t) => {
    const h = await harness(t);
    const res = await put(h, '/api/table/10', {
      display_name: ' ',
      entity_type: 'GenericTable',
      visibility_type: 'visible',
      description: 5,
      caveats: false,
      points_of_interest: [],
      show_in_getting_started: 'yes',
      field_order: 'random',
    });
    assertJson(
      res,
      400,
      validationBody({
        display_name: ['nullable value must be a non-blank string.', '" "'],
        entity_type: ['nullable value must be an entity type such as entity/GenericTable.', '"GenericTable"'],
        visibility_type: ['nullable enum of hidden, technical, cruft', '"visible"'],
        description: ['nullable string.', '5'],
        caveats: ['nullable string.', 'false'],
        points_of_interest: ['nullable string.', '[]'],
        show_in_getting_started: ['nullable boolean.', '"yes"'],
        field_order: ['nullable enum of database, alphabetical, custom, smart', '"random"'],
      }),
    );
    assertJson(await put(h, '/api/table/10', [1]), 400, validationBody({ body: ['value must be a JSON object.', '[1]'] }));
    assert.equal((await tableRow(h, 10)).user_set, '[]');
  });

  test('404 for a missing table (after validation), 400 for id 0, 403 without the key', async (t) => {
    const h = await harness(t);
    assertText(await put(h, '/api/table/999', { description: 'x' }), 404, NOT_FOUND);
    assertJson(await put(h, '/api/table/0', {}), 400, validationBody({ id: [POSITIVE, '0'] }));
    assertText(await put(h, '/api/table/10', { description: 'x' }, {}), 403, 'Forbidden');
    assert.equal((await tableRow(h, 10)).description, null);
  });
});

describe('PUT /api/table (bulk)', () => {
  test('edits every table of ids in one go and answers them', async (t) => {
    const h = await harness(t);
    const res = await put(h, '/api/table', { ids: [11, '12'], visibility_type: 'hidden', description: 'orders' });
    assert.equal(res.statusCode, 200, res.body);
    const tables = JSON.parse(res.body) as Record<string, unknown>[];
    assert.deepEqual(tables.map((t) => [t.id, t.visibility_type, t.description]), [
      [11, 'hidden', 'orders'],
      [12, 'hidden', 'orders'],
    ]);
    assert.deepEqual(parseJson((await tableRow(h, 12)).user_set, []), ['description', 'visibility_type']);
  });

  test('one missing id: 404 and no table changed (one transaction)', async (t) => {
    const h = await harness(t);
    assertText(await put(h, '/api/table', { ids: [10, 11, 999], description: 'x' }), 404, NOT_FOUND);
    assertText(await put(h, '/api/table', { ids: [10, 99999999999999999999], description: 'x' }), 404, NOT_FOUND);
    const many = Array.from({ length: 40_000 }, (_, i) => i + 10);
    assertText(await put(h, '/api/table', { ids: many, description: 'x' }), 404, NOT_FOUND);
    for (const id of [10, 11]) assert.equal((await tableRow(h, id)).description, null);
  });

  test('ids required, an array of positive integers; the other keys validated as for one table', async (t) => {
    const h = await harness(t);
    const IDS = 'value must be an array of integers greater than zero.';
    assertJson(await put(h, '/api/table', { description: 'x' }), 400, validationBody({ ids: [IDS, null] }));
    assertJson(
      await put(h, '/api/table', { ids: [1, 0], visibility_type: 'x' }),
      400,
      validationBody({ ids: [IDS, '[1,0]'], visibility_type: ['nullable enum of hidden, technical, cruft', '"x"'] }),
    );
    assertJson(await put(h, '/api/table', { ids: [] }), 200, []);
    assertText(await put(h, '/api/table', { ids: [10] }, K), 403, 'Forbidden');
  });
});

describe('GET /api/table/:id/query_metadata and /fks', () => {
  test('fields by position with target and dimensions; hidden and sensitive only when asked; db without details', async (t) => {
    const h = await harness(t);
    await addFields(h);
    await h.appDb.db.updateTable('metabase_field').set({ visibility_type: 'hidden' }).where('id', '=', 102).execute();
    const names = async (query = '') =>
      (json(await get(h, `/api/table/10/query_metadata${query}`)).fields as { name: string }[]).map((f) => f.name);
    assert.deepEqual(await names(), ['val', 'id', 'created_at']);
    assert.deepEqual(await names('?include_hidden_fields=true'), ['val', 'id', 'Name', 'created_at']);
    assert.deepEqual(await names('?include_sensitive_fields=true&include_hidden_fields=true'), [
      'val',
      'id',
      'Name',
      'created_at',
      'secret',
    ]);
    const body = json(await get(h, '/api/table/11/query_metadata'));
    assert.equal('details' in (body.db as object), false);
    assert.deepEqual(body.segments, []);
    assert.deepEqual(body.metrics, []);
    const [fk] = body.fields as Record<string, unknown>[];
    assert.equal((fk.target as Record<string, unknown>).id, 101);
    assert.deepEqual(fk.dimensions, []);
    assertText(await get(h, '/api/table/999/query_metadata'), 404, NOT_FOUND);
    assertText(await get(h, '/api/table/10/query_metadata', {}), 403, 'Forbidden');
  });

  test('fks: the fields elsewhere pointing into the table', async (t) => {
    const h = await harness(t);
    await addFields(h);
    const fks = JSON.parse((await get(h, '/api/table/10/fks')).body) as Record<string, unknown>[];
    assert.equal(fks.length, 1);
    assert.equal(fks[0].relationship, 'Mt1');
    assert.equal(fks[0].origin_id, 110);
    assert.equal(fks[0].destination_id, 101);
    assert.equal(((fks[0].origin as Record<string, unknown>).table as Record<string, unknown>).id, 11);
    assert.equal(((fks[0].destination as Record<string, unknown>).table as Record<string, unknown>).id, 10);
    assertJson(await get(h, '/api/table/11/fks'), 200, []);
    assertText(await get(h, '/api/table/999/fks'), 404, NOT_FOUND);
    assertText(await get(h, '/api/table/10/fks', {}), 403, 'Forbidden');
  });
});

describe('table values and syncs', () => {
  test('rescan_values queues field values of the table; discard_values deletes its values rows', async (t) => {
    const h = await harness(t);
    const res = await h.post('/api/table/10/rescan_values', undefined, A);
    assertJson(res, 200, { status: 'success' });
    const jobId = Number(res.headers['x-job-id']);
    assert.deepEqual(await h.jobPlan(jobId), { field_values: { tables: [10] } });
    assert.equal((await h.jobRow(jobId)).state, 'queued');
    await h.appDb.db.insertInto('metabase_fieldvalues').values([{ field_id: 100, values: '[1]' }, { field_id: 200, values: '[2]' }]).execute();
    assertJson(await h.post('/api/table/10/discard_values', undefined, A), 200, { status: 'success' });
    const left = await h.appDb.db.selectFrom('metabase_fieldvalues').select('field_id').execute();
    assert.deepEqual(left, [{ field_id: 200 }]);
    for (const route of ['rescan_values', 'discard_values', 'sync_schema']) {
      assertText(await h.post(`/api/table/999/${route}`, undefined, A), 404, NOT_FOUND);
      assertText(await h.post(`/api/table/10/${route}`, undefined, {}), 403, 'Forbidden');
      assertJson(await h.post(`/api/table/0/${route}`, undefined, A), 400, validationBody({ id: [POSITIVE, '0'] }));
    }
  });

  test('sync_schema: 422 with the sanitized reason when the warehouse is unreachable, nothing queued', async (t) => {
    const h = await harness(t, { env: { MB_SYNC_CONNECT_TIMEOUT_SECONDS: '2' } });
    await h.appDb.db
      .updateTable('metabase_database')
      .set({ details: JSON.stringify({ host: '127.0.0.1', port: 1, dbname: 'x', user: 'u', password: PASSWORD, ssl: false }) })
      .where('id', '=', 1)
      .execute();
    const res = await h.post('/api/table/10/sync_schema', undefined, A);
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.ok(res.body.length > 0 && !res.body.includes(PASSWORD), res.body);
    assert.equal(await h.jobCount(), 0);
  });

  test('sync_schema: a reachable warehouse queues the table-scoped sync and answers {"status":"ok"}', async (t) => {
    const h = await harness(t);
    const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-table-wh-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'wh.sqlite');
    new SQLite(file).exec('CREATE TABLE foo (val INTEGER)').close();
    await h.appDb.db.updateTable('metabase_database').set({ engine: 'sqlite', details: JSON.stringify({ db: file }) }).where('id', '=', 1).execute();
    const res = await h.post('/api/table/10/sync_schema', undefined, A);
    assertJson(res, 200, { status: 'ok' });
    assert.deepEqual(await h.jobPlan(Number(res.headers['x-job-id'])), { metadata: { tables: [10] }, analyze: { tables: [10] } });
  });
});

describe('PUT /api/table/:id/fields/order', () => {
  test('a bare array of the active field ids: custom order, positions and custom positions, user-set', async (t) => {
    const h = await harness(t);
    await addFields(h);
    const order = [104, 103, 102, 101, 100];
    assertJson(await put(h, '/api/table/10/fields/order', order), 200, { success: true });
    const rows = await h.appDb.db.selectFrom('metabase_field').selectAll().where('id', 'in', order).execute();
    for (const row of rows) {
      assert.equal(row.position, order.indexOf(row.id));
      assert.equal(row.custom_position, order.indexOf(row.id));
      assert.deepEqual(parseJson(row.user_set, []), ['custom_position']);
    }
    const table = await tableRow(h, 10);
    assert.equal(table.field_order, 'custom');
    assert.deepEqual(parseJson(table.user_set, []), ['field_order']);
  });

  test('a set mismatch is a 400 with a message, not a 500; bad bodies and ids are 400 and 404', async (t) => {
    const h = await harness(t);
    await addFields(h);
    const MISMATCH = "The field ids must be exactly the table's active field ids, each once.";
    assertText(await put(h, '/api/table/10/fields/order', [100, 101]), 400, MISMATCH);
    assertText(await put(h, '/api/table/10/fields/order', [100, 101, 102, 103, 104, 104]), 400, MISMATCH);
    assertText(await put(h, '/api/table/10/fields/order', [100, 101, 102, 103, 104, 105]), 400, MISMATCH);
    const ARRAY = 'value must be an array of field ids.';
    assertJson(await put(h, '/api/table/10/fields/order', { ids: [1] }), 400, validationBody({ body: [ARRAY, '{"ids":[1]}'] }));
    assertJson(await put(h, '/api/table/10/fields/order', ['a']), 400, validationBody({ body: [ARRAY, '["a"]'] }));
    assertText(await put(h, '/api/table/999/fields/order', [1]), 404, NOT_FOUND);
    assertText(await put(h, '/api/table/10/fields/order', [100], {}), 403, 'Forbidden');
    assert.equal((await tableRow(h, 10)).field_order, 'database');
  });
});
