// notify-api.md section 7.3: authentication (rows 1–17), routing (18–24, and 149 without the job route) and body
// conventions (25–39), against the real service on the fixture of section 7.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  K,
  KEY_NOT_SET,
  ROW_39_BODY,
  OK_JOB,
  PLAN,
  assertJson,
  assertKind,
  assertRawJson,
  assertText,
  createWarehouses,
  padded,
  spec,
  startFixture,
  withFixture,
  type Fixture,
  type Warehouses,
} from '../support/fixture.ts';

const FORBIDDEN = 'Forbidden';
const NO_ENDPOINT = 'API endpoint does not exist.';
const MALFORMED = 'Malformed JSON in request body.';
const TOO_LARGE = 'Request body too large.';
const BAR = { schema_name: 'public', table_name: 'bar' };

let wh: Warehouses;
before(async () => {
  wh = await createWarehouses();
});
after(async () => {
  await wh?.close();
});

async function assertNoBar(fx: Fixture): Promise<void> {
  const rows = await fx.tableRows(1);
  assert.ok(!rows.some((t) => t.schema === 'public' && t.name === 'bar'), 'no public.bar row');
}

describe('authentication (notify)', () => {
  let unset: Fixture;
  let blank: Fixture;
  let fx: Fixture;
  before(async () => {
    unset = await startFixture(wh, { variants: ['unset'] });
    blank = await startFixture(wh, { variants: ['blank'] });
    fx = await startFixture(wh);
  });
  after(async () => {
    await unset?.close();
    await blank?.close();
    await fx?.close();
  });

  test('row 1: unset, no key header, no body: 403 KEY_NOT_SET', async () => {
    assertRawJson(await unset.request({ url: '/api/notify/db/1' }), 403, KEY_NOT_SET);
    assert.equal(await unset.jobCount(), 0);
  });

  test('row 2: unset, K, {}: 403 KEY_NOT_SET (not set comes before the header check)', async () => {
    assertRawJson(await unset.request({ url: '/api/notify/db/1', headers: K, json: {} }), 403, KEY_NOT_SET);
    assert.equal(await unset.jobCount(), 0);
  });

  test('row 3: blank, K: 403 KEY_NOT_SET', async () => {
    assertRawJson(await blank.request({ url: '/api/notify/db/1', headers: K }), 403, KEY_NOT_SET);
    assert.equal(await blank.jobCount(), 0);
  });

  test('row 4: unset, GET /api/notify/nothing-here: 403 KEY_NOT_SET (authentication before routing)', async () => {
    assertRawJson(await unset.request({ method: 'GET', url: '/api/notify/nothing-here' }), 403, KEY_NOT_SET);
  });

  test('row 5: unset, new-table without key: 403 KEY_NOT_SET, no table is created', async () => {
    assertRawJson(await unset.request({ url: '/api/notify/db/1/new-table', json: BAR }), 403, KEY_NOT_SET);
    await assertNoBar(unset);
    assert.equal(await unset.jobCount(), 0);
  });

  test('row 6: unset, attached_datawarehouse, K, {}: 403 KEY_NOT_SET', async () => {
    assertRawJson(
      await unset.request({ url: '/api/notify/db/attached_datawarehouse', headers: K, json: {} }),
      403,
      KEY_NOT_SET,
    );
    assert.equal(await unset.jobCount(), 0);
  });

  const wrongKeys: readonly [string, string, Record<string, string>][] = [
    ['7', 'no key header', {}],
    ['8', 'X-METABASE-APIKEY: foobar', { 'X-METABASE-APIKEY': 'foobar' }],
    ['9', 'an empty X-METABASE-APIKEY', { 'X-METABASE-APIKEY': '' }],
    ['10', 'a trailing space (the value is not trimmed)', { 'X-METABASE-APIKEY': 'test-api-key ' }],
    ['11', 'TEST-API-KEY (the value is case-sensitive)', { 'X-METABASE-APIKEY': 'TEST-API-KEY' }],
    ['12', 'X-API-KEY: test-api-key only', { 'X-API-KEY': 'test-api-key' }],
  ];
  for (const [row, what, headers] of wrongKeys) {
    test(`row ${row}: POST /api/notify/db/1 with ${what}: 403 Forbidden`, async () => {
      assertText(await fx.request({ url: '/api/notify/db/1', headers }), 403, FORBIDDEN);
      assert.equal(await fx.jobCount(), 0);
    });
  }

  test('row 13: lower-case header name, full table sync of 10: 200 OK_JOB', async () => {
    await withFixture(wh, {}, async (own) => {
      const res = await own.request({
        url: '/api/notify/db/1',
        headers: { 'x-metabase-apikey': 'test-api-key' },
        json: { table_id: 10, 'synchronous?': true },
      });
      assertJson(res, 200, OK_JOB);
      await assertKind(own, res, PLAN.fullTables(10));
    });
  });

  test('row 14: no key header, malformed JSON: 403 Forbidden (X1)', async () => {
    assertText(await fx.request({ url: '/api/notify/db/1', payload: '{"table_id":' }), 403, FORBIDDEN);
  });

  test('row 15: no key header, body of 2,000,000 bytes: 403 Forbidden (before the body limit)', async () => {
    assertText(await fx.request({ url: '/api/notify/db/1', payload: padded('{}', 2_000_000) }), 403, FORBIDDEN);
  });

  test('row 16: new-table without key: 403 Forbidden, no table is created', async () => {
    assertText(await fx.request({ url: '/api/notify/db/1/new-table', json: BAR }), 403, FORBIDDEN);
    await assertNoBar(fx);
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 17: attached_datawarehouse without key: 403 Forbidden, no job is created', async () => {
    assertText(await fx.request({ url: '/api/notify/db/attached_datawarehouse', json: {} }), 403, FORBIDDEN);
    assert.equal(await fx.jobCount(), 0);
  });
});

describe('routing', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(wh);
  });
  after(async () => {
    await fx?.close();
  });

  const rows: readonly [string, string, string][] = [
    ['18', 'GET', '/api/notify/db/1'],
    ['19', 'POST', '/api/notify/db/abc'],
    ['20', 'POST', '/api/notify/db/-1'],
    ['21', 'POST', '/api/notify/db/1/'],
    ['22', 'POST', '/api/notify'],
    ['23', 'PUT', '/api/notify/db/1/new-table'],
    ['24', 'GET', '/api/notify/db/attached_datawarehouse'],
    ['149', 'POST', '/api/notify/job/1'],
  ];
  for (const [row, method, url] of rows) {
    test(`row ${row}: ${method} ${url}, K: 404 API endpoint does not exist.`, async () => {
      assertText(await fx.request({ method, url, headers: K }), 404, NO_ENDPOINT);
      assert.equal(await fx.jobCount(), 0);
    });
  }
});

describe('body conventions', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(wh);
  });
  after(async () => {
    await fx?.close();
  });

  test('row 25: malformed JSON: 400 text', async () => {
    assertText(await fx.request({ url: '/api/notify/db/1', headers: K, payload: '{"table_id":' }), 400, MALFORMED);
  });

  test('row 26: /db/0 with malformed JSON: 400 text (parsing before validation)', async () => {
    assertText(await fx.request({ url: '/api/notify/db/0', headers: K, payload: '{"table_id":' }), 400, MALFORMED);
  });

  test('row 27: new-table with malformed JSON: 400 text', async () => {
    const payload = '{"schema_name":"public",';
    const res = await fx.request({ url: '/api/notify/db/1/new-table', headers: K, payload });
    assertText(res, 400, MALFORMED);
  });

  test('row 28: attached_datawarehouse with body `not json`: 400 text', async () => {
    const res = await fx.request({ url: '/api/notify/db/attached_datawarehouse', headers: K, payload: 'not json' });
    assertText(res, 400, MALFORMED);
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 29: body of 1,048,577 bytes: 413', async () => {
    const payload = padded('{"table_id":10,"scan":"schema"}', 1_048_577);
    assertText(await fx.request({ url: '/api/notify/db/1', headers: K, payload }), 413, TOO_LARGE);
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 30: body of exactly 1,048,576 bytes: 200 OK_JOB, table metadata sync of 10', async () => {
    await withFixture(wh, {}, async (own) => {
      const payload = padded('{"table_id":10,"scan":"schema"}', 1_048_576);
      const res = await own.request({ url: '/api/notify/db/1', headers: K, payload });
      assertJson(res, 200, OK_JOB);
      await assertKind(own, res, PLAN.metadataTables(10));
    });
  });

  test('row 31: new-table with a body of 1,048,577 bytes: 413', async () => {
    const payload = padded('{"schema_name":"public","table_name":"bar"}', 1_048_577);
    assertText(await fx.request({ url: '/api/notify/db/1/new-table', headers: K, payload }), 413, TOO_LARGE);
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 32: attached_datawarehouse with a body of 1,048,577 bytes: 413', async () => {
    const payload = padded('{"synchronous?":true}', 1_048_577);
    const res = await fx.request({ url: '/api/notify/db/attached_datawarehouse', headers: K, payload });
    assertText(res, 413, TOO_LARGE);
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 33: Content-Type text/plain: the body is ignored, full database sync', async () => {
    await withFixture(wh, {}, async (own) => {
      const res = await own.request({
        url: '/api/notify/db/1',
        headers: K,
        payload: '{"scan":"bogus"}',
        contentType: 'text/plain',
      });
      assertJson(res, 200, OK_JOB);
      await assertKind(own, res, PLAN.fullDatabase);
    });
  });

  const scanBogus = spec(
    String.raw`{"errors":{"scan":"nullable enum of full, schema"},"specific-errors":{"scan":["nullable enum of full, schema, received: \"bogus\""]}}`,
  );

  test('row 34: Content-Type application/vnd.api+json is parsed: 400', async () => {
    const res = await fx.request({
      url: '/api/notify/db/1',
      headers: K,
      payload: '{"scan":"bogus"}',
      contentType: 'application/vnd.api+json',
    });
    assertJson(res, 400, scanBogus);
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 35: Content-Type Application/JSON; charset=UTF-8 is parsed: 400', async () => {
    const res = await fx.request({
      url: '/api/notify/db/1',
      headers: K,
      payload: '{"scan":"bogus"}',
      contentType: 'Application/JSON; charset=UTF-8',
    });
    assertJson(res, 400, scanBogus);
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 36: body null: 200 OK_JOB, full database sync', async () => {
    await withFixture(wh, {}, async (own) => {
      const res = await own.request({ url: '/api/notify/db/1', headers: K, payload: 'null' });
      assertJson(res, 200, OK_JOB);
      await assertKind(own, res, PLAN.fullDatabase);
    });
  });

  test('row 37: application/json with an empty body: 200 OK_JOB, full database sync', async () => {
    await withFixture(wh, {}, async (own) => {
      const res = await own.request({ url: '/api/notify/db/1', headers: K, payload: '' });
      assertJson(res, 200, OK_JOB);
      await assertKind(own, res, PLAN.fullDatabase);
    });
  });

  test('row 38: body [1,2]: 400 under the key body (X3)', async () => {
    const res = await fx.request({ url: '/api/notify/db/1', headers: K, payload: '[1,2]' });
    assertJson(
      res,
      400,
      spec(
        String.raw`{"errors":{"body":"value must be a JSON object."},"specific-errors":{"body":["value must be a JSON object., received: [1,2]"]}}`,
      ),
    );
    assert.equal(await fx.jobCount(), 0);
  });

  test('row 39: new-table without Content-Type: the body counts as empty, 400', async () => {
    const res = await fx.request({
      url: '/api/notify/db/1/new-table',
      headers: K,
      payload: '{"schema_name":"public","table_name":"bar"}',
      contentType: null,
    });
    assertJson(res, 400, ROW_39_BODY);
    assert.equal(await fx.jobCount(), 0);
  });
});
