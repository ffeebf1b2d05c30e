// notify-api.md section 7.3: validation of /db/:id (rows 40–54) and its lookups that answer 404 or pick a database
// (rows 55–62, 70, 73, 74), against the real service on the fixture of section 7.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  K,
  OK_JOB,
  PLAN,
  ROW_40_BODY,
  assertJson,
  assertKind,
  assertNoWait,
  assertText,
  createWarehouses,
  spec,
  startFixture,
  tableNamed,
  withFixture,
  type Fixture,
  type Warehouses,
} from '../support/fixture.ts';

let wh: Warehouses;
let fx: Fixture;
before(async () => {
  wh = await createWarehouses();
  fx = await startFixture(wh);
});
after(async () => {
  await fx?.close();
  await wh?.close();
});

/** Rows answered before any job: the shared fixture must stay without jobs. */
async function row(url: string, body: unknown, check: (res: Awaited<ReturnType<Fixture['request']>>) => void) {
  const res = await fx.request(body === undefined ? { url, headers: K } : { url, headers: K, json: body });
  check(res);
  assert.equal(await fx.jobCount(), 0, 'no job is created');
}

describe('validation (/db/:id)', () => {
  const rows: readonly [string, string, unknown, string][] = [
    ['40', '/api/notify/db/0', undefined, JSON.stringify(ROW_40_BODY)],
    ['41', '/api/notify/db/0', { table_id: 0, scan: 'x' }, JSON.stringify(ROW_40_BODY)],
    [
      '42', '/api/notify/db/1', { table_id: 0 },
      String.raw`{"errors":{"table_id":"nullable value must be an integer greater than zero."},"specific-errors":{"table_id":["nullable value must be an integer greater than zero., received: 0"]}}`,
    ],
    [
      '43', '/api/notify/db/1', { table_id: 'abc' },
      String.raw`{"errors":{"table_id":"nullable value must be an integer greater than zero."},"specific-errors":{"table_id":["nullable value must be an integer greater than zero., received: \"abc\""]}}`,
    ],
    [
      '44', '/api/notify/db/1', { table_id: 5.5 },
      String.raw`{"errors":{"table_id":"nullable value must be an integer greater than zero."},"specific-errors":{"table_id":["nullable value must be an integer greater than zero., received: 5.5"]}}`,
    ],
    [
      '45', '/api/notify/db/1', { table_id: true },
      String.raw`{"errors":{"table_id":"nullable value must be an integer greater than zero."},"specific-errors":{"table_id":["nullable value must be an integer greater than zero., received: true"]}}`,
    ],
    [
      '46', '/api/notify/db/1', { table_name: '' },
      String.raw`{"errors":{"table_name":"nullable value must be a non-blank string."},"specific-errors":{"table_name":["nullable value must be a non-blank string., received: \"\""]}}`,
    ],
    [
      '47', '/api/notify/db/1', { table_name: '   ' },
      String.raw`{"errors":{"table_name":"nullable value must be a non-blank string."},"specific-errors":{"table_name":["nullable value must be a non-blank string., received: \"   \""]}}`,
    ],
    [
      '48', '/api/notify/db/1', { 'synchronous?': true, scan: 'unrecognized' },
      String.raw`{"errors":{"scan":"nullable enum of full, schema"},"specific-errors":{"scan":["nullable enum of full, schema, received: \"unrecognized\""]}}`,
    ],
    [
      '49', '/api/notify/db/1', { scan: 'FULL' },
      String.raw`{"errors":{"scan":"nullable enum of full, schema"},"specific-errors":{"scan":["nullable enum of full, schema, received: \"FULL\""]}}`,
    ],
    [
      '50', '/api/notify/db/1', { schema_name: '', table_name: 'foo' },
      String.raw`{"errors":{"schema_name":"nullable value must be a non-blank string."},"specific-errors":{"schema_name":["nullable value must be a non-blank string., received: \"\""]}}`,
    ],
    [
      '50a', '/api/notify/db/1', { schema_name: '' },
      String.raw`{"errors":{"schema_name":"nullable value must be a non-blank string."},"specific-errors":{"schema_name":["nullable value must be a non-blank string., received: \"\""]}}`,
    ],
    [
      '51', '/api/notify/db/1', { table_id: 0, table_name: '', schema_name: ' ', scan: 'x' },
      String.raw`{"errors":{"table_id":"nullable value must be an integer greater than zero.","table_name":"nullable value must be a non-blank string.","schema_name":"nullable value must be a non-blank string.","scan":"nullable enum of full, schema"},"specific-errors":{"table_id":["nullable value must be an integer greater than zero., received: 0"],"table_name":["nullable value must be a non-blank string., received: \"\""],"schema_name":["nullable value must be a non-blank string., received: \" \""],"scan":["nullable enum of full, schema, received: \"x\""]}}`,
    ],
    [
      '52', '/api/notify/db/999', { scan: 'x' },
      String.raw`{"errors":{"scan":"nullable enum of full, schema"},"specific-errors":{"scan":["nullable enum of full, schema, received: \"x\""]}}`,
    ],
  ];
  for (const [n, url, body, expected] of rows) {
    test(`row ${n}: POST ${url} ${body === undefined ? '' : JSON.stringify(body)}: 400`, async () => {
      await row(url, body, (res) => assertJson(res, 400, spec(expected)));
    });
  }

  test('row 53: every key null counts as absent: 200 OK_JOB, full database sync, no wait', async () => {
    await withFixture(wh, { variants: ['blocked1'] }, async (own) => {
      const body = { table_id: null, table_name: null, schema_name: null, scan: null, 'synchronous?': null };
      const res = await assertNoWait(
        own,
        () => own.request({ url: '/api/notify/db/1', headers: K, json: body }),
        async () => tableNamed(await own.metadata(1), 'public.bar') !== undefined,
      );
      assertJson(res, 200, OK_JOB);
      await assertKind(own, res, PLAN.fullDatabase);
    });
  });

  test('row 54: numeric string table_id and an unknown key: 200 OK_JOB, full table sync of 10', async () => {
    await withFixture(wh, {}, async (own) => {
      const res = await own.request({
        url: '/api/notify/db/1',
        headers: K,
        json: { 'synchronous?': true, table_id: '10', foo: 'bar' },
      });
      assertJson(res, 200, OK_JOB);
      await assertKind(own, res, PLAN.fullTables(10));
    });
  });
});

describe('lookups (/db/:id)', () => {
  const notFound: readonly [string, string, unknown][] = [
    ['55', '/api/notify/db/999', {}],
    ['56', '/api/notify/db/99999999999', undefined],
    ['58', '/api/notify/db/1', { table_id: 2147483647 }],
    ['59', '/api/notify/db/1', { table_id: 99999999999 }],
    ['60', '/api/notify/db/1', { table_id: 20 }],
    ['61', '/api/notify/db/1', { table_name: 'IncorrectToucanFact' }],
    ['62', '/api/notify/db/1', { table_name: 'FOO' }],
    ['70', '/api/notify/db/1', { table_name: 'foo', schema_name: 'analytics' }],
    ['73', '/api/notify/db/1', { table_name: 'analytics.foo' }],
    ['74', '/api/notify/db/1', { table_name: 'data.aapl_stocks', schema_name: 'data' }],
  ];
  for (const [n, url, body] of notFound) {
    test(`row ${n}: POST ${url} ${body === undefined ? '' : JSON.stringify(body)}: 404 Not found.`, async () => {
      await row(url, body, (res) => assertText(res, 404, 'Not found.'));
    });
  }

  test('row 57: /db/01 is database 1: 200 OK_JOB, table metadata sync of 10', async () => {
    await withFixture(wh, {}, async (own) => {
      const res = await own.request({
        url: '/api/notify/db/01',
        headers: K,
        json: { 'synchronous?': true, table_id: 10, scan: 'schema' },
      });
      assertJson(res, 200, OK_JOB);
      await assertKind(own, res, PLAN.metadataTables(10), 1);
    });
  });
});
