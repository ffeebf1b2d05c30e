// GET /api/field/:id (the Field object of notify-api.md section 6.2) and GET /api/field/:id/values (Metabase's shape:
// {"field_id", "values": [[v], …] or [[v, label], …], "has_more_values"}), with management authentication.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fieldValuesBody } from '../../src/http/field-routes.ts';
import {
  A,
  ADMIN_NOT_SET,
  FIELD_100,
  K,
  assertJson,
  assertText,
  harness,
  validationBody,
  type Harness,
} from './harness.ts';

const NO_ENDPOINT = 'API endpoint does not exist.';
const POSITIVE = 'value must be an integer greater than zero.';


/** The curated keys every Field object of the field routes carries besides section 6.2's (curation-notes.md 1.2). */
const CURATED = {
  caveats: null,
  points_of_interest: null,
  coercion_strategy: null,
  settings: null,
  json_unfolding: false,
  preview_display: true,
  custom_position: 0,
};
const FIELD = { ...FIELD_100, ...CURATED };

const get = (h: Harness, url: string, headers: Record<string, string> = A) => h.inject({ method: 'GET', url, headers });

async function storeValues(h: Harness, fieldId: number, values: unknown[], labels: unknown[], more: boolean) {
  await h.appDb.db
    .insertInto('metabase_fieldvalues')
    .values({
      field_id: fieldId,
      values: JSON.stringify(values),
      human_readable_values: JSON.stringify(labels),
      has_more_values: more,
    })
    .execute();
}

describe('GET /api/field/:id', () => {
  test('answers the Field object of section 6.2, exactly its keys', async (t) => {
    const h = await harness(t);
    assertJson(await get(h, '/api/field/100'), 200, FIELD);
  });

  test('after analysis: fingerprint parsed, has_field_values and last_analyzed as stored', async (t) => {
    const h = await harness(t);
    const fingerprint = { global: { 'distinct-count': 3, 'nil%': 0 } };
    await h.appDb.db
      .updateTable('metabase_field')
      .set({
        semantic_type: 'type/Category',
        fingerprint: JSON.stringify(fingerprint),
        fingerprint_version: 5,
        last_analyzed: '2025-01-15T10:21:02.400Z',
        has_field_values: 'auto-list',
      })
      .where('id', '=', 100)
      .execute();
    assertJson(await get(h, '/api/field/100'), 200, {
      ...FIELD,
      semantic_type: 'type/Category',
      fingerprint,
      last_analyzed: '2025-01-15T10:21:02.400Z',
      has_field_values: 'auto-list',
    });
  });

  test('an unknown id is 404 Not found., a non-digit id no route, 0 a validation error', async (t) => {
    const h = await harness(t);
    assertText(await get(h, '/api/field/999'), 404, 'Not found.');
    assertText(await get(h, '/api/field/99999999999999999999999'), 404, 'Not found.');
    assertText(await get(h, '/api/field/abc'), 404, NO_ENDPOINT);
    assertText(await get(h, '/api/field/-1'), 404, NO_ENDPOINT);
    assertText(await get(h, '/api/field/100/'), 404, NO_ENDPOINT);
    assertJson(await get(h, '/api/field/0'), 400, validationBody({ id: [POSITIVE, '0'] }));
  });

  test('management authentication: no key, the notify key, a wrong key, the admin key unset', async (t) => {
    const h = await harness(t);
    assertText(await get(h, '/api/field/100', {}), 403, 'Forbidden');
    assertText(await get(h, '/api/field/100', K), 403, 'Forbidden');
    assertText(await get(h, '/api/field/100/values', { 'X-API-KEY': 'wrong' }), 403, 'Forbidden');
    assertText(await get(h, '/api/field/abc', {}), 403, 'Forbidden');
    const unset = await harness(t, { env: { MB_ADMIN_API_KEY: undefined } });
    const res = await get(unset, '/api/field/100/values');
    assert.equal(res.statusCode, 403);
    assert.equal(res.body, ADMIN_NOT_SET);
  });
});

describe('GET /api/field/:id/values', () => {
  test('a field without cached values answers an empty list', async (t) => {
    const h = await harness(t);
    assertJson(await get(h, '/api/field/100/values'), 200, { field_id: 100, values: [], has_more_values: false });
  });

  test('values as one-element arrays, in their stored order, with has_more_values', async (t) => {
    const h = await harness(t);
    await storeValues(h, 100, [1, 2, 3], [], true);
    const res = await get(h, '/api/field/100/values');
    assertJson(res, 200, { field_id: 100, values: [[1], [2], [3]], has_more_values: true });
    assert.deepEqual(Object.keys(JSON.parse(res.body)), ['field_id', 'values', 'has_more_values']);
  });

  test('with human-readable values: [value, label] pairs', async (t) => {
    const h = await harness(t);
    await storeValues(h, 200, ['a', 'b'], ['Alpha', 'Beta'], false);
    assertJson(await get(h, '/api/field/200/values'), 200, {
      field_id: 200,
      values: [
        ['a', 'Alpha'],
        ['b', 'Beta'],
      ],
      has_more_values: false,
    });
  });

  test('unknown field 404, non-digit id no route, 0 a validation error', async (t) => {
    const h = await harness(t);
    assertText(await get(h, '/api/field/999/values'), 404, 'Not found.');
    assertText(await get(h, '/api/field/x/values'), 404, NO_ENDPOINT);
    assertJson(await get(h, '/api/field/0/values'), 400, validationBody({ id: [POSITIVE, '0'] }));
  });
});

describe('fieldValuesBody (pure)', () => {
  test('labels pair up with values; a value beyond the labels stays alone; booleans read from 0/1', () => {
    const row = { values: '[true,false,null]', human_readable_values: '["Yes","No"]', has_more_values: 1 };
    assert.deepEqual(fieldValuesBody(7, row), {
      field_id: 7,
      values: [
        [true, 'Yes'],
        [false, 'No'],
        [null],
      ],
      has_more_values: true,
    });
    assert.deepEqual(fieldValuesBody(7, undefined), { field_id: 7, values: [], has_more_values: false });
  });
});
