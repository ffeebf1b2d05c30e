// The field curation routes (curation-notes.md 1.2): PUT /api/field/:id, POST /api/field/:id/values (human-readable
// remapping), rescan_values (synchronous, against a real SQLite warehouse), discard_values and summary; 404, 400 bodies
// and 403 for each.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import SQLite from 'better-sqlite3';
import { parseJson } from '../../src/db/schema.ts';
import { A, FIELD_100, K, assertJson, assertText, harness, validationBody, type Harness } from './harness.ts';

const NOT_FOUND = 'Not found.';
const POSITIVE = 'value must be an integer greater than zero.';
const LABELS = 'If remapped values are specified, they must be specified for all field values';
const NOT_A_LIST =
  "You can only update the human readable values of a mapped values of a Field whose value of `has_field_values` is `list` or whose 'base_type' is 'type/Boolean'.";
const DISABLED = 'Data scanning is disabled for this database (is_full_sync is false).';

const put = (h: Harness, url: string, body: unknown, headers: Record<string, string> = A) =>
  h.inject({ method: 'PUT', url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const get = (h: Harness, url: string, headers: Record<string, string> = A) => h.inject({ method: 'GET', url, headers });
const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, unknown>;

async function fieldRow(h: Harness, id: number) {
  return await h.appDb.db.selectFrom('metabase_field').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function valuesOf(h: Harness, fieldId: number) {
  return await h.appDb.db.selectFrom('metabase_fieldvalues').selectAll().where('field_id', '=', fieldId).execute();
}

/** A field 101 `status` (text, list) of fixture table 11, and an FK field 102 pointing at field 100. */
async function addFields(h: Harness) {
  const base = { database_type: 'text', base_type: 'type/Text', effective_type: 'type/Text' };
  const same = { semantic_type: null, fk_target_field_id: null, has_field_values: null };
  await h.appDb.db
    .insertInto('metabase_field')
    .values([
      { ...same, id: 101, table_id: 11, name: 'status', display_name: 'Status', has_field_values: 'list', ...base },
      { ...same, id: 102, table_id: 11, name: 'foo_id', display_name: 'Foo ID', semantic_type: 'type/FK', fk_target_field_id: 100, ...base },
    ])
    .execute();
}

describe('PUT /api/field/:id', () => {
  test('writes every key given, user-set, nulls clearing; answers the Field with target and dimensions', async (t) => {
    const h = await harness(t);
    await h.appDb.db.updateTable('metabase_field').set({ description: 'from a comment' }).where('id', '=', 100).execute();
    const res = await put(h, '/api/field/100', {
      display_name: 'Value',
      description: null,
      caveats: 'rounded',
      semantic_type: 'type/Quantity',
      visibility_type: 'details-only',
      has_field_values: 'list',
      settings: { currency: 'EUR' },
      json_unfolding: true,
      nfc_path: ['a'],
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = json(res);
    assert.deepEqual(
      { ...body },
      {
        ...FIELD_100,
        display_name: 'Value',
        semantic_type: 'type/Quantity',
        visibility_type: 'details-only',
        has_field_values: 'list',
        caveats: 'rounded',
        points_of_interest: null,
        coercion_strategy: null,
        settings: { currency: 'EUR' },
        json_unfolding: true,
        preview_display: true,
        custom_position: 0,
        target: null,
        dimensions: [],
        name_field: null,
        updated_at: body.updated_at,
      },
    );
    assert.deepEqual(parseJson((await fieldRow(h, 100)).user_set, []), [
      'caveats',
      'description',
      'display_name',
      'has_field_values',
      'json_unfolding',
      'semantic_type',
      'settings',
      'visibility_type',
    ]);
    assert.equal((await fieldRow(h, 100)).description, null);
    assert.equal(json(await get(h, '/api/field/100')).caveats, 'rounded', 'GET shows the curated keys');
  });

  test('each invalid key gets the 400 body naming it; nothing written', async (t) => {
    const h = await harness(t);
    const res = await put(h, '/api/field/100', {
      display_name: '',
      description: '',
      caveats: 1,
      points_of_interest: ' ',
      semantic_type: 'type/Nonsense',
      visibility_type: 'gone',
      has_field_values: 'all',
      fk_target_field_id: 0,
      coercion_strategy: 'Coercion/Magic',
      settings: [1],
      nfc_path: [''],
      json_unfolding: 'yes',
    });
    const coercions = json(res).errors as Record<string, string>;
    assertJson(
      res,
      400,
      validationBody({
        display_name: ['nullable value must be a non-blank string.', '""'],
        description: ['nullable value must be a non-blank string.', '""'],
        caveats: ['nullable value must be a non-blank string.', '1'],
        points_of_interest: ['nullable value must be a non-blank string.', '" "'],
        semantic_type: ['nullable value must be a semantic or relation type such as type/Category.', '"type/Nonsense"'],
        visibility_type: ['nullable enum of normal, details-only, hidden, sensitive, retired', '"gone"'],
        has_field_values: ['nullable enum of auto-list, list, none, search', '"all"'],
        fk_target_field_id: ['nullable value must be an integer greater than zero.', '0'],
        coercion_strategy: [coercions.coercion_strategy, '"Coercion/Magic"'],
        settings: ['nullable value must be a map.', '[1]'],
        nfc_path: ['nullable value must be an array of non-blank strings.', '[""]'],
        json_unfolding: ['nullable boolean.', '"yes"'],
      }),
    );
    assert.ok(coercions.coercion_strategy.startsWith('nullable enum of Coercion/UNIXSeconds->DateTime'));
    assert.equal((await fieldRow(h, 100)).user_set, '[]');
  });

  test('fk_target_field_id: an unknown target is 400 Invalid target field; a known one is written', async (t) => {
    const h = await harness(t);
    assertJson(await put(h, '/api/field/100', { fk_target_field_id: 999 }), 400, {
      errors: { fk_target_field_id: 'Invalid target field' },
    });
    const body = json(await put(h, '/api/field/100', { semantic_type: 'type/FK', fk_target_field_id: 200 }));
    assert.equal(body.fk_target_field_id, 200);
    assert.equal((body.target as Record<string, unknown>).id, 200);
  });

  test('leaving type/FK clears the FK target (user-set); coercion sets the effective type or is refused', async (t) => {
    const h = await harness(t);
    await addFields(h);
    const body = json(await put(h, '/api/field/102', { semantic_type: 'type/Category' }));
    assert.equal(body.fk_target_field_id, null);
    assert.deepEqual(parseJson((await fieldRow(h, 102)).user_set, []), ['fk_target_field_id', 'semantic_type']);
    const coerced = json(await put(h, '/api/field/100', { coercion_strategy: 'Coercion/UNIXSeconds->DateTime' }));
    assert.equal(coerced.effective_type, 'type/DateTime');
    assert.equal(coerced.coercion_strategy, 'Coercion/UNIXSeconds->DateTime');
    const cleared = json(await put(h, '/api/field/100', { coercion_strategy: null }));
    assert.equal(cleared.effective_type, 'type/BigInteger');
    assertJson(await put(h, '/api/field/100', { coercion_strategy: 'Coercion/ISO8601->Date' }), 400, {
      errors: { coercion_strategy: 'Coercion/ISO8601->Date cannot coerce a field of base type type/BigInteger.' },
    });
  });

  test('sensitive or hidden deletes the values row at once', async (t) => {
    const h = await harness(t);
    await addFields(h);
    for (const visibility of ['sensitive', 'hidden']) {
      await h.appDb.db.insertInto('metabase_fieldvalues').values({ field_id: 101, values: '["a"]' }).execute();
      assert.equal(json(await put(h, '/api/field/101', { visibility_type: visibility })).visibility_type, visibility);
      assert.deepEqual(await valuesOf(h, 101), []);
    }
  });

  test('404 after validation, 400 for id 0, 403 without the key', async (t) => {
    const h = await harness(t);
    assertText(await put(h, '/api/field/999', { description: 'x' }), 404, NOT_FOUND);
    assertJson(await put(h, '/api/field/0', {}), 400, validationBody({ id: [POSITIVE, '0'] }));
    assertText(await put(h, '/api/field/100', { description: 'x' }, {}), 403, 'Forbidden');
    assertText(await put(h, '/api/field/100', { description: 'x' }, K), 403, 'Forbidden');
  });
});

describe('POST /api/field/:id/values', () => {
  test('stores values with labels, or without; GET /values shows the pairs', async (t) => {
    const h = await harness(t);
    await addFields(h);
    const values = [['a', 'Active'], ['b', 'Blocked']];
    assertJson(await h.post('/api/field/101/values', { values }, A), 200, { status: 'success' });
    assertJson(await get(h, '/api/field/101/values'), 200, { field_id: 101, values, has_more_values: false });
    assertJson(await h.post('/api/field/101/values', { values: [['a'], ['c']] }, A), 200, { status: 'success' });
    assertJson(await get(h, '/api/field/101/values'), 200, { field_id: 101, values: [['a'], ['c']], has_more_values: false });
    assert.equal((await valuesOf(h, 101)).length, 1);
  });

  test('labels all or none; only a list (or boolean) field; bad bodies, 404 and 403', async (t) => {
    const h = await harness(t);
    await addFields(h);
    assertText(await h.post('/api/field/101/values', { values: [['a', 'A'], ['b']] }, A), 400, LABELS);
    assertText(await h.post('/api/field/100/values', { values: [[1]] }, A), 400, NOT_A_LIST);
    const PAIRS = 'value must be an array of [value] or [value, label] pairs, each label a non-blank string.';
    assertJson(await h.post('/api/field/101/values', {}, A), 400, validationBody({ values: [PAIRS, null] }));
    assertJson(await h.post('/api/field/101/values', { values: [['a', ' ']] }, A), 400, validationBody({ values: [PAIRS, '[["a"," "]]'] }));
    assertText(await h.post('/api/field/999/values', { values: [] }, A), 404, NOT_FOUND);
    assertText(await h.post('/api/field/101/values', { values: [] }, {}), 403, 'Forbidden');
    assert.deepEqual(await valuesOf(h, 101), []);
  });
});

/** Database 1 turned into a real SQLite warehouse holding table `orders` (fixture table 11) with a `status` column. */
async function sqliteWarehouse(t: TestContext, h: Harness) {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-field-wh-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'wh.sqlite');
  const wh = new SQLite(file);
  wh.exec(`CREATE TABLE orders (status TEXT, foo_id TEXT);
    INSERT INTO orders VALUES ('paid', NULL), ('new', NULL), ('paid', NULL), (NULL, NULL), ('void', NULL)`);
  wh.close();
  await h.appDb.db
    .updateTable('metabase_database')
    .set({ engine: 'sqlite', details: JSON.stringify({ db: file }) })
    .where('id', '=', 1)
    .execute();
  await h.appDb.db.updateTable('metabase_table').set({ schema: null }).where('id', '=', 11).execute();
}

describe('field values from the warehouse', () => {
  test('rescan_values refreshes the one field at once, labels following their values', async (t) => {
    const h = await harness(t);
    await addFields(h);
    await sqliteWarehouse(t, h);
    await h.appDb.db
      .insertInto('metabase_fieldvalues')
      .values({ field_id: 101, values: '["new","old"]', human_readable_values: '["New","Old"]' })
      .execute();
    assertJson(await h.post('/api/field/101/rescan_values', undefined, A), 200, { status: 'success' });
    assertJson(await get(h, '/api/field/101/values'), 200, {
      field_id: 101,
      values: [['new', 'New'], ['paid', 'paid'], ['void', 'void']],
      has_more_values: false,
    });
    assertJson(await h.post('/api/field/101/discard_values', undefined, A), 200, { status: 'success' });
    assert.deepEqual(await valuesOf(h, 101), []);
  });

  test('rescan_values of a field that may not have values deletes its row without a query', async (t) => {
    const h = await harness(t);
    await addFields(h);
    await h.appDb.db.insertInto('metabase_fieldvalues').values({ field_id: 102, values: '["x"]' }).execute();
    assertJson(await h.post('/api/field/102/rescan_values', undefined, A), 200, { status: 'success' });
    assert.deepEqual(await valuesOf(h, 102), []);
  });

  test('summary counts rows and distinct values in the warehouse', async (t) => {
    const h = await harness(t);
    await addFields(h);
    await sqliteWarehouse(t, h);
    assertJson(await get(h, '/api/field/101/summary'), 200, [
      ['count', 5],
      ['distincts', 3],
    ]);
  });

  test('is_full_sync false: rescan_values and summary refused with a message, no warehouse query', async (t) => {
    const h = await harness(t);
    await addFields(h);
    await h.appDb.db.updateTable('metabase_database').set({ is_full_sync: false }).where('id', '=', 1).execute();
    assertText(await h.post('/api/field/101/rescan_values', undefined, A), 400, DISABLED);
    assertText(await get(h, '/api/field/101/summary'), 400, DISABLED);
  });

  test('an unreachable warehouse is a 422 with the sanitized reason; 404 and 403', async (t) => {
    const h = await harness(t, { env: { MB_SYNC_CONNECT_TIMEOUT_SECONDS: '2' } });
    await addFields(h);
    await h.appDb.db
      .updateTable('metabase_database')
      .set({ details: JSON.stringify({ host: '127.0.0.1', port: 1, dbname: 'x', user: 'u', password: 'pw-XYZ', ssl: false }) })
      .where('id', '=', 1)
      .execute();
    const res = await get(h, '/api/field/101/summary');
    assert.equal(res.statusCode, 422, res.body);
    assert.ok(!res.body.includes('pw-XYZ'));
    for (const route of ['rescan_values', 'discard_values']) {
      assertText(await h.post(`/api/field/999/${route}`, undefined, A), 404, NOT_FOUND);
      assertText(await h.post(`/api/field/101/${route}`, undefined, {}), 403, 'Forbidden');
      assertJson(await h.post(`/api/field/0/${route}`, undefined, A), 400, validationBody({ id: [POSITIVE, '0'] }));
    }
    assertJson(await h.post('/api/field/0/values', { values: [] }, A), 400, validationBody({ id: [POSITIVE, '0'] }));
    assertJson(await get(h, '/api/field/0/summary'), 400, validationBody({ id: [POSITIVE, '0'] }));
    assertText(await get(h, '/api/field/999/summary'), 404, NOT_FOUND);
    assertText(await get(h, '/api/field/101/summary', {}), 403, 'Forbidden');
  });
});
