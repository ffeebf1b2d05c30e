// notify-api.md sections 3.5-3.8, 4.2 and 5: validation (rows 40-54), lookups and the plan each request queues
// (rows 55-78), waiting (82-95a) and its limits (500, 504). Jobs are finished by the harness's worker stand-in.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { wantsWait } from '../../src/http/notify-routes.ts';
import {
  JSON_TYPE,
  KIND,
  NOTIFY_KEY,
  PASSWORD,
  assertJson,
  assertOkJob,
  assertText,
  harness,
  validationBody,
} from './harness.ts';

const ID = 'value must be an integer greater than zero.';
const TABLE_ID = 'nullable value must be an integer greater than zero.';
const NON_BLANK = 'nullable value must be a non-blank string.';
const SCAN = 'nullable enum of full, schema';
const URL = '/api/notify/db/1';
const succeed = async () => ({ state: 'succeeded' as const });

describe('wantsWait (section 5)', () => {
  test('body true or "true" under either spelling, or any query synchronous=true', () => {
    for (const body of [
      { 'synchronous?': true },
      { 'synchronous?': 'true' },
      { synchronous: true },
      { synchronous: 'true' },
    ]) {
      assert.ok(wantsWait(body, URL), JSON.stringify(body));
    }
    assert.ok(wantsWait({ 'synchronous?': false, synchronous: true }, URL));
    assert.ok(wantsWait({}, `${URL}?synchronous=true`));
    assert.ok(wantsWait({}, `${URL}?synchronous=1&synchronous=true`));
    assert.ok(wantsWait({}, `${URL}?synchronous=%74rue`));
    for (const value of [false, 'false', null, 'TRUE', 'True', 1, '1', 'yes', 0, {}, []]) {
      assert.ok(!wantsWait({ 'synchronous?': value, synchronous: value }, URL), JSON.stringify(value));
    }
    for (const query of ['?synchronous=1', '?synchronous', '?synchronous=', '?Synchronous=true', '?synchronous=TRUE']) {
      assert.ok(!wantsWait({}, `${URL}${query}`), query);
    }
  });
});

describe('validation of /db/:id (rows 40-54)', () => {
  test('rows 40-41: the route id is the first stage, reported alone', async (t) => {
    const h = await harness(t);
    const row40 = validationBody({ id: [ID, '0'] });
    assertJson(await h.post('/api/notify/db/0'), 400, row40);
    assertJson(await h.post('/api/notify/db/0', { table_id: 0, scan: 'x' }), 400, row40);
    assertJson(await h.post('/api/notify/db/00', { table_id: 0 }), 400, row40);
    assertJson(await h.post('/api/notify/db/0/new-table', {}), 400, row40);
  });

  test('rows 42-52: every failing body key with its exact description and received value', async (t) => {
    const h = await harness(t);
    const cases: [unknown, Record<string, [string, string]>][] = [
      [{ table_id: 0 }, { table_id: [TABLE_ID, '0'] }],
      [{ table_id: '00' }, { table_id: [TABLE_ID, '0'] }],
      [{ table_id: 'abc' }, { table_id: [TABLE_ID, '"abc"'] }],
      [{ table_id: 5.5 }, { table_id: [TABLE_ID, '5.5'] }],
      [{ table_id: true }, { table_id: [TABLE_ID, 'true'] }],
      [{ table_id: -5 }, { table_id: [TABLE_ID, '-5'] }],
      [{ table_id: ' 5' }, { table_id: [TABLE_ID, '" 5"'] }],
      [{ table_id: '5.0' }, { table_id: [TABLE_ID, '"5.0"'] }],
      [{ table_id: '+5' }, { table_id: [TABLE_ID, '"+5"'] }],
      [{ table_id: [1, 2] }, { table_id: [TABLE_ID, '[1,2]'] }],
      [{ table_name: '' }, { table_name: [NON_BLANK, '""'] }],
      [{ table_name: '   ' }, { table_name: [NON_BLANK, '"   "'] }],
      [{ table_name: 5 }, { table_name: [NON_BLANK, '5'] }],
      [{ 'synchronous?': true, scan: 'unrecognized' }, { scan: [SCAN, '"unrecognized"'] }],
      [{ scan: 'FULL' }, { scan: [SCAN, '"FULL"'] }],
      [{ schema_name: '', table_name: 'foo' }, { schema_name: [NON_BLANK, '""'] }],
      [{ schema_name: '' }, { schema_name: [NON_BLANK, '""'] }],
      [
        { table_id: 0, table_name: '', schema_name: ' ', scan: 'x' },
        {
          table_id: [TABLE_ID, '0'],
          table_name: [NON_BLANK, '""'],
          schema_name: [NON_BLANK, '" "'],
          scan: [SCAN, '"x"'],
        },
      ],
    ];
    for (const [body, errors] of cases) assertJson(await h.post(URL, body), 400, validationBody(errors));
    // Row 52: validation comes before the database lookup.
    assertJson(await h.post('/api/notify/db/999', { scan: 'x' }), 400, validationBody({ scan: [SCAN, '"x"'] }));
    assert.equal(await h.jobCount(), 0, 'no job for a request that failed validation');
  });

  test('row 53: null counts as absent (full database sync, no wait)', async (t) => {
    const h = await harness(t);
    const body = { table_id: null, table_name: null, schema_name: null, scan: null, 'synchronous?': null };
    assert.deepEqual(await h.jobPlan(assertOkJob(await h.post(URL, body))), KIND.fullDatabase);
  });

  test('row 54 and X4: numeric strings and 5.0 are integers; unknown keys are ignored', async (t) => {
    const h = await harness(t, { script: succeed });
    const jobId = assertOkJob(await h.post(URL, { 'synchronous?': true, table_id: '10', foo: 'bar' }));
    assert.deepEqual(await h.jobPlan(jobId), KIND.fullTable(10));
    const second = assertOkJob(await h.post(URL, '{"synchronous?":true,"table_id":10.0,"scan":"schema"}'));
    assert.deepEqual(await h.jobPlan(second), KIND.tableMetadata(10));
  });
});

describe('lookups of /db/:id (rows 55-78)', () => {
  test('rows 55-62, 70, 73, 74: 404 Not found. for every lookup that finds nothing', async (t) => {
    const h = await harness(t);
    assertText(await h.post('/api/notify/db/999', {}), 404, 'Not found.');
    assertText(await h.post('/api/notify/db/99999999999'), 404, 'Not found.');
    for (const body of [
      { table_id: 2147483647 },
      { table_id: 2147483648 },
      { table_id: 99999999999 },
      { table_id: '99999999999999999999999999' },
      { table_id: 1e300 },
      { table_id: 20 },
      { table_name: 'IncorrectToucanFact' },
      { table_name: 'FOO' },
      { table_name: ' foo' },
      { table_name: 'foo', schema_name: 'analytics' },
      { table_name: 'analytics.foo' },
      { table_name: 'data.aapl_stocks', schema_name: 'data' },
      { table_name: '.foo' },
      { table_name: 'public.' },
    ]) {
      assertText(await h.post(URL, body), 404, 'Not found.');
    }
    assert.equal(await h.jobCount(), 0);
  });

  test('1e400 is a huge integer, not a validation error', async (t) => {
    const h = await harness(t);
    assertText(await h.post(URL, '{"table_id":1e400}'), 404, 'Not found.');
  });

  test('rows 57 and 63-78: the plan each lookup queues (answered once the job succeeded)', async (t) => {
    const h = await harness(t, { script: succeed });
    const cases: [string, unknown, unknown][] = [
      ['/api/notify/db/01', { 'synchronous?': true, table_id: 10, scan: 'schema' }, KIND.tableMetadata(10)],
      [URL, { 'synchronous?': true }, KIND.fullDatabase],
      [URL, { 'synchronous?': true, scan: 'schema' }, KIND.databaseMetadata],
      [URL, { 'synchronous?': true, scan: 'full', table_name: 'foo' }, KIND.fullTable(10)],
      [URL, { 'synchronous?': true, scan: 'schema', table_name: 'foo' }, KIND.tableMetadata(10)],
      [URL, { 'synchronous?': true, table_id: 10, table_name: 'IncorrectToucanFact' }, KIND.fullTable(10)],
      [URL, { 'synchronous?': true, scan: 'schema', table_name: 'orders' }, KIND.tableMetadata(11, 12)],
      [
        URL,
        { 'synchronous?': true, scan: 'schema', table_name: 'orders', schema_name: 'analytics' },
        KIND.tableMetadata(12),
      ],
      [URL, { 'synchronous?': true, scan: 'schema', table_name: 'data.aapl_stocks' }, KIND.tableMetadata(15)],
      [URL, { 'synchronous?': true, scan: 'schema', table_name: 'events.v1' }, KIND.tableMetadata(16)],
      [URL, { 'synchronous?': true, scan: 'schema', table_id: 13 }, KIND.tableMetadata(13)],
      [URL, { 'synchronous?': true, scan: 'schema', table_name: 'legacy' }, KIND.tableMetadata(13)],
      [URL, { 'synchronous?': true, table_id: 14 }, KIND.fullTable(14)],
      [URL, { 'synchronous?': true, schema_name: 'public' }, KIND.fullDatabase],
      [URL, { table_id: 10, schema_name: 'nowhere', table_name: 'nothing' }, KIND.fullTable(10)],
    ];
    for (const [url, body, plan] of cases) {
      const jobId = assertOkJob(await h.post(url, body));
      assert.deepEqual(await h.jobPlan(jobId), plan, JSON.stringify(body));
      const job = await h.jobRow(jobId);
      assert.equal(job.database_id, 1);
      assert.equal(job.priority, 10);
    }
  });

  test('the trigger records the request keys, never a key or a password', async (t) => {
    const h = await harness(t);
    const jobId = assertOkJob(await h.post(URL, { table_name: 'orders', scan: 'schema', synchronous: 1 }));
    const job = await h.jobRow(jobId);
    const [trigger] = JSON.parse(job.triggers) as { source: string; at: string; detail: unknown }[];
    assert.equal(trigger!.source, 'notify');
    assert.match(trigger!.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(trigger!.detail, { table_name: 'orders', scan: 'schema' });
    assert.ok(!job.triggers.includes(NOTIFY_KEY));
  });

  test('concurrent notifies share one lookup and enqueue, each answered with its own status', async (t) => {
    const h = await harness(t);
    const sent: [string, unknown, number][] = [
      [URL, { table_name: 'orders', scan: 'schema' }, 200],
      [URL, { table_name: 'IncorrectToucanFact' }, 404],
      ['/api/notify/db/999', { table_name: 'orders' }, 404],
      [URL, { table_id: 20 }, 404],
      [URL, { table_id: 10, scan: 'schema' }, 200],
      [URL, { table_name: 'orders', schema_name: 'nowhere' }, 404],
      [URL, { table_name: 'data.aapl_stocks', scan: 'schema' }, 200],
      ['/api/notify/db/2', { table_name: 'foo', scan: 'schema' }, 200],
      [URL, { table_id: 0 }, 400],
    ];
    const answers = await Promise.all(sent.map(([url, body]) => h.post(url, body)));
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      sent.map(([, , status]) => status),
    );
    for (const [i, answer] of answers.entries()) {
      if (sent[i]![2] === 404) assertText(answer, 404, 'Not found.');
    }
    const jobIds = answers.filter((a) => a.statusCode === 200).map((a) => assertOkJob(a));
    assert.equal(new Set(jobIds.slice(0, 3)).size, 1, 'the requests for database 1 joined one job');
    assert.deepEqual(await h.jobPlan(jobIds[0]!), KIND.tableMetadata(10, 11, 12, 15));
    assert.equal((await h.jobRow(jobIds[0]!)).trigger_count, 3);
    assert.deepEqual(await h.jobPlan(jobIds[3]!), KIND.tableMetadata(20));
    assert.equal(await h.jobCount(), 2);
  });

  test('every enqueue wakes the workers; joined requests get the same job', async (t) => {
    const h = await harness(t);
    const first = assertOkJob(await h.post(URL, { table_id: 10, scan: 'schema' }));
    const second = assertOkJob(await h.post(URL, { table_id: 11, scan: 'schema' }));
    assert.equal(second, first);
    assert.deepEqual(await h.jobPlan(first), KIND.tableMetadata(10, 11));
    assert.equal(h.wakes(), 2);
  });
});

describe('waiting (rows 79-95a, 504)', () => {
  test('rows 82-95a: which spellings wait (a failed job answers 500 only to a request that waits)', async (t) => {
    const failed = { state: 'failed' as const, error: 'could not connect to the warehouse.' };
    const h = await harness(t, { script: async () => failed });
    const base = { table_id: 10, scan: 'schema' };
    const waits: [string, string][] = [
      [URL, JSON.stringify({ ...base, 'synchronous?': true })],
      [URL, JSON.stringify({ ...base, 'synchronous?': 'true' })],
      [URL, JSON.stringify({ ...base, synchronous: true })],
      [URL, JSON.stringify({ ...base, synchronous: 'true' })],
      [`${URL}?synchronous=true`, JSON.stringify(base)],
      [URL, JSON.stringify({ ...base, 'synchronous?': false, synchronous: true })],
      [`${URL}?synchronous=1&synchronous=true`, JSON.stringify(base)],
    ];
    for (const [url, body] of waits) {
      assertJson(await h.post(url, body), 500, { message: 'Sync failed: could not connect to the warehouse.' });
    }
    const noWait: [string, string][] = [
      [URL, JSON.stringify(base)],
      [URL, JSON.stringify({ ...base, 'synchronous?': false })],
      [URL, JSON.stringify({ ...base, 'synchronous?': 'false' })],
      [URL, JSON.stringify({ ...base, 'synchronous?': 'TRUE' })],
      [URL, JSON.stringify({ ...base, 'synchronous?': 1 })],
      [URL, JSON.stringify({ ...base, 'synchronous?': 'yes' })],
      [URL, JSON.stringify({ ...base, synchronous: 1 })],
      [`${URL}?synchronous=1`, JSON.stringify(base)],
      [URL, '{"table_id":10,"scan":"schema","synchronous?":true,"synchronous?":false}'],
    ];
    for (const [url, body] of noWait) assertOkJob(await h.post(url, body));
  });

  test('row 79: the 500 body has exactly one key and no password, key, SQL or stack', async (t) => {
    const error =
      `connect ECONNREFUSED: password=${PASSWORD} for postgres://catalog:${PASSWORD}@warehouse-1/x ` +
      `key ${NOTIFY_KEY}\n    at Socket.x`;
    const h = await harness(t, { script: async () => ({ state: 'failed', error }) });
    const res = await h.post(URL, { 'synchronous?': true });
    assert.equal(res.statusCode, 500);
    assert.equal(res.headers['content-type'], JSON_TYPE);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['message']);
    assert.match(String(body.message), /^Sync failed: connect ECONNREFUSED/);
    for (const secret of [PASSWORD, NOTIFY_KEY, 'at Socket']) assert.ok(!res.body.includes(secret), secret);
  });

  test('row 81 and the 504: a wait that runs out answers STILL_RUNNING with the job id', async (t) => {
    const h = await harness(t, { env: { MB_NOTIFY_WAIT_SECONDS: '1' } });
    assertOkJob(await h.post('/api/notify/db/2', {}));
    const started = Date.now();
    const res = await h.post(URL, { 'synchronous?': true, table_id: 10, scan: 'schema' });
    const elapsed = Date.now() - started;
    assert.equal(res.statusCode, 504);
    assert.equal(res.headers['content-type'], JSON_TYPE);
    const body = JSON.parse(res.body) as { message: string; job_id: number };
    assert.deepEqual(Object.keys(body).sort(), ['job_id', 'message']);
    assert.equal(body.message, 'Sync is still running.');
    const job = await h.jobRow(body.job_id);
    assert.equal(job.state, 'queued', 'the job goes on');
    assert.equal(job.database_id, 1);
    assert.ok(elapsed >= 900 && elapsed < 5000, `answered after about 1 s (${elapsed} ms)`);
  });
});
