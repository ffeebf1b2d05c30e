// notify-api.md sections 2, 3.1 and 6.1: scopes, key checks before routing and body reading, secrets hygiene
// (rows 1-17, 126-130, 144, 157-161).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyGuard, headerOccurrences, scopeOf } from '../../src/http/auth.ts';
import {
  A,
  ADMIN_KEY,
  ADMIN_NOT_SET,
  JSON_TYPE,
  K,
  KEY_NOT_SET,
  KIND,
  NOTIFY_KEY,
  assertJson,
  assertOkJob,
  assertText,
  harness,
} from './harness.ts';

const BAR = { schema_name: 'public', table_name: 'bar' };

describe('scopes and key comparison (pure)', () => {
  test('scopeOf: exact prefixes, case-sensitive, query string ignored', () => {
    assert.equal(scopeOf('/api/notify'), 'notify');
    assert.equal(scopeOf('/api/notify/db/1?synchronous=true'), 'notify');
    assert.equal(scopeOf('/api/notify/nothing-here'), 'notify');
    assert.equal(scopeOf('/api/notifyx'), 'outside');
    assert.equal(scopeOf('/api/Notify/db/1'), 'outside');
    assert.equal(scopeOf('/api/database'), 'management');
    assert.equal(scopeOf('/api/table/1'), 'management');
    assert.equal(scopeOf('/api/field/1/values'), 'management');
    assert.equal(scopeOf('/api/task'), 'management');
    assert.equal(scopeOf('/api/databases'), 'outside');
    assert.equal(scopeOf('/api/health'), 'public');
    assert.equal(scopeOf('/api/health/'), 'public');
    assert.equal(scopeOf('/api/user/current'), 'outside');
    assert.equal(scopeOf('//api/notify/db/1'), 'outside');
    // The query string is not part of the path: this is the admin page's root.
    assert.equal(scopeOf('/?/api/notify'), 'public');
    assert.equal(scopeOf('/livez'), 'public');
    assert.equal(scopeOf('/readyz'), 'public');
    assert.equal(scopeOf('/api/docs/openapi.json'), 'public');
    assert.equal(scopeOf('/ui/app.js'), 'public');
    assert.equal(scopeOf('/uix'), 'outside');
    assert.equal(scopeOf('/api/metrics'), 'management');
    assert.equal(scopeOf('/api/ui/databases'), 'management');
  });

  test('headerOccurrences keeps repeated headers apart, names case-insensitive', () => {
    const raw = ['Host', 'x', 'X-Metabase-ApiKey', 'a', 'x-metabase-apikey', 'b'];
    assert.deepEqual(headerOccurrences(raw, 'X-METABASE-APIKEY'), ['a', 'b']);
    assert.deepEqual(headerOccurrences(raw, 'x-api-key'), []);
  });

  test('KeyGuard: exact bytes, no trimming or case folding, one occurrence only', () => {
    const guard = new KeyGuard('x-api-key', 'clé');
    // Node hands header bytes over as Latin-1: the UTF-8 bytes of "clé" arrive as "clÃ©".
    assert.equal(guard.check(['x-api-key', Buffer.from('clé', 'utf8').toString('latin1')]), 'ok');
    assert.equal(guard.check(['x-api-key', 'clé']), 'forbidden');
    assert.equal(guard.check(['x-api-key', 'CLÃ©']), 'forbidden');
    assert.equal(guard.check(['x-api-key', ' clÃ©']), 'forbidden');
    assert.equal(guard.check(['x-api-key', '']), 'forbidden');
    assert.equal(guard.check([]), 'forbidden');
    assert.equal(guard.check(['x-api-key', 'clÃ©', 'x-api-key', 'clÃ©']), 'forbidden');
    assert.equal(new KeyGuard('x-api-key', null).check(['x-api-key', 'anything']), 'not-set');
  });
});

describe('notify authentication, key not set (rows 1-6)', () => {
  for (const [variant, env] of [
    ['unset', { MB_API_KEY: undefined }],
    ['blank', { MB_API_KEY: '   ' }],
  ] as const) {
    test(`${variant}: every notify request gets the JSON-string "not set" body, before routing`, async (t) => {
      const h = await harness(t, { env });
      const answers = [
        await h.inject({ method: 'POST', url: '/api/notify/db/1' }),
        await h.post('/api/notify/db/1', {}, K),
        await h.post('/api/notify/db/1', {}, { 'X-METABASE-APIKEY': '   ' }),
        await h.inject({ method: 'GET', url: '/api/notify/nothing-here' }),
        await h.post('/api/notify/db/1/new-table', BAR, {}),
        await h.post('/api/notify/db/attached_datawarehouse', {}, K),
        await h.post('/api/notify/db/1', '{"table_id":', K),
      ];
      for (const res of answers) {
        assert.equal(res.statusCode, 403);
        assert.equal(res.headers['content-type'], JSON_TYPE);
        assert.equal(res.body, KEY_NOT_SET);
      }
      assert.ok(!KEY_NOT_SET.includes('\\/'), 'slashes are not escaped');
      assert.equal(await h.jobCount(), 0);
      const bars = await h.appDb.db.selectFrom('metabase_table').select('id').where('name', '=', 'bar').execute();
      assert.equal(bars.length, 0, 'no table is created (row 5)');
    });
  }
});

describe('notify authentication, key set (rows 7-17)', () => {
  test('missing, wrong, empty, padded, case-folded, repeated or admin headers get 403 Forbidden', async (t) => {
    const h = await harness(t);
    const url = '/api/notify/db/1';
    const headerSets: Record<string, string | string[]>[] = [
      {},
      { 'X-METABASE-APIKEY': 'foobar' },
      { 'X-METABASE-APIKEY': '' },
      { 'X-METABASE-APIKEY': `${NOTIFY_KEY} ` },
      { 'X-METABASE-APIKEY': NOTIFY_KEY.toUpperCase() },
      { 'X-API-KEY': NOTIFY_KEY },
      { 'X-API-KEY': ADMIN_KEY },
      { 'X-METABASE-APIKEY': [NOTIFY_KEY, NOTIFY_KEY] },
      { Authorization: `Bearer ${NOTIFY_KEY}`, Cookie: `metabase.SESSION=${NOTIFY_KEY}` },
    ];
    for (const headers of headerSets) assertText(await h.post(url, {}, headers), 403, 'Forbidden');
    assert.equal(await h.jobCount(), 0);
  });

  test('the admin key never opens notify, even when both keys are equal (2.6)', async (t) => {
    const h = await harness(t, { env: { MB_API_KEY: 'same-key', MB_ADMIN_API_KEY: 'same-key' } });
    assertText(await h.post('/api/notify/db/1', {}, { 'X-API-KEY': 'same-key' }), 403, 'Forbidden');
    assertOkJob(await h.post('/api/notify/db/1', {}, { 'X-METABASE-APIKEY': 'same-key' }));
  });

  test('row 13: the header name is case-insensitive (full table sync of 10, waits)', async (t) => {
    const h = await harness(t, { script: async () => ({ state: 'succeeded' }) });
    const jobId = assertOkJob(
      await h.post('/api/notify/db/1', { table_id: 10, 'synchronous?': true }, { 'x-metabase-apikey': NOTIFY_KEY }),
    );
    assert.deepEqual(await h.jobPlan(jobId), KIND.fullTable(10));
    const res = await h.post('/api/notify/db/1', {}, { 'X-Metabase-ApiKey': NOTIFY_KEY });
    assertOkJob(res);
  });

  test('rows 14 and 15: authentication runs before the body is parsed or its size checked', async (t) => {
    const h = await harness(t);
    assertText(await h.post('/api/notify/db/1', '{"table_id":', {}), 403, 'Forbidden');
    assertText(await h.post('/api/notify/db/1', 'x'.repeat(2_000_000), {}), 403, 'Forbidden');
    assertText(await h.post('/api/database', 'x'.repeat(2_000_000), {}), 403, 'Forbidden');
  });

  test('rows 16 and 17: unauthenticated new-table and attached_datawarehouse create nothing', async (t) => {
    const h = await harness(t);
    assertText(await h.post('/api/notify/db/1/new-table', BAR, {}), 403, 'Forbidden');
    assertText(await h.post('/api/notify/db/attached_datawarehouse', {}, {}), 403, 'Forbidden');
    assert.equal(await h.jobCount(), 0);
    const bars = await h.appDb.db.selectFrom('metabase_table').select('id').where('name', '=', 'bar').execute();
    assert.equal(bars.length, 0);
  });
});

describe('management authentication (rows 126-130, 144)', () => {
  test('row 126: admin key not set', async (t) => {
    const h = await harness(t, { env: { MB_ADMIN_API_KEY: undefined } });
    for (const res of [
      await h.inject({ method: 'GET', url: '/api/database', headers: A }),
      await h.inject({ method: 'GET', url: '/api/task' }),
      await h.post('/api/database', '{"name":', A),
    ]) {
      assert.equal(res.statusCode, 403);
      assert.equal(res.headers['content-type'], JSON_TYPE);
      assert.equal(res.body, ADMIN_NOT_SET);
    }
  });

  test('rows 127-130: missing, notify or wrong key; X1 holds for the management API', async (t) => {
    const h = await harness(t);
    assertText(await h.inject({ method: 'GET', url: '/api/database' }), 403, 'Forbidden');
    assertText(await h.inject({ method: 'GET', url: '/api/database', headers: K }), 403, 'Forbidden');
    assertText(await h.send('GET', '/api/database', { 'X-API-KEY': 'wrong' }), 403, 'Forbidden');
    assertText(await h.post('/api/database', '{"name":', {}), 403, 'Forbidden');
    assertText(await h.inject({ method: 'PUT', url: '/api/table/1/nothing' }), 403, 'Forbidden');
    const count = await h.appDb.db.selectFrom('metabase_database').select('id').execute();
    assert.equal(count.length, 2);
  });

  test('row 144 and unscoped paths: 404 without authentication', async (t) => {
    const h = await harness(t, { env: { MB_API_KEY: undefined, MB_ADMIN_API_KEY: undefined } });
    for (const url of ['/api/user/current', '/api', '/api/notifyx', '/API/notify/db/1', '/api/session', '/uix']) {
      assertText(await h.inject({ method: 'GET', url }), 404, 'API endpoint does not exist.');
    }
    // `/` is the admin page (issue 9): public, HTML, and it signs in by itself.
    const page = await h.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assertText(await h.post('/api/user', 'x'.repeat(2_000_000), {}), 404, 'API endpoint does not exist.');
  });
});

describe('health (rows 157-161)', () => {
  test('public, reads no key, exact path and method only', async (t) => {
    const h = await harness(t, { env: { MB_API_KEY: undefined, MB_ADMIN_API_KEY: undefined } });
    assertJson(await h.inject({ method: 'GET', url: '/api/health' }), 200, { status: 'ok' });
    const wrongKeys = { 'X-METABASE-APIKEY': 'wrong', 'X-API-KEY': 'wrong' };
    assertJson(await h.send('GET', '/api/health', wrongKeys), 200, { status: 'ok' });
    assertText(await h.inject({ method: 'POST', url: '/api/health' }), 404, 'API endpoint does not exist.');
    assertText(await h.inject({ method: 'GET', url: '/api/health/' }), 404, 'API endpoint does not exist.');
    const head = await h.inject({ method: 'HEAD', url: '/api/health' });
    assert.equal(head.statusCode, 404);
    assert.equal(head.body, '');
  });

  test('503 initializing until ready', async (t) => {
    let ready = false;
    const h = await harness(t, { isReady: () => ready });
    assertJson(await h.inject({ method: 'GET', url: '/api/health' }), 503, { status: 'initializing' });
    ready = true;
    assertJson(await h.inject({ method: 'GET', url: '/api/health' }), 200, { status: 'ok' });
  });
});

describe('secrets hygiene (2.5)', () => {
  test('key headers, Authorization and Cookie values never reach the log', async (t) => {
    const h = await harness(t);
    const headers = {
      ...K,
      ...A,
      Authorization: 'Bearer bearer-secret',
      Cookie: 'session=cookie-secret',
    };
    await h.post('/api/notify/db/1', {}, headers);
    await h.inject({ method: 'GET', url: '/api/database', headers });
    await h.post('/api/notify/db/1', {}, { 'X-METABASE-APIKEY': 'wrong-key-value' });
    assert.ok(h.logs.length > 0, 'requests are logged');
    for (const secret of [NOTIFY_KEY, ADMIN_KEY, 'bearer-secret', 'cookie-secret', 'wrong-key-value']) {
      assert.ok(!h.logs.some((line) => line.includes(secret)), `${secret} is not logged`);
    }
  });

  test('one access line per request: method, url, status and time, written when it is answered', async (t) => {
    const h = await harness(t);
    await h.post('/api/notify/db/1', { table_name: 'orders', scan: 'schema' }, K);
    await h.post('/api/notify/db/999', {}, K);
    await h.post('/api/notify/db/1', {}, { 'X-METABASE-APIKEY': 'wrong-key-value' });
    await h.inject({ method: 'GET', url: '/no/such/path' });
    const lines = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.filter((l) => l.msg === 'incoming request').length, 0);
    const access = lines.filter((l) => l.msg === 'request completed');
    assert.deepEqual(
      access.map((l) => l.res),
      [
        { method: 'POST', url: '/api/notify/db/1', statusCode: 200 },
        { method: 'POST', url: '/api/notify/db/999', statusCode: 404 },
        { method: 'POST', url: '/api/notify/db/1', statusCode: 403 },
        { method: 'GET', url: '/no/such/path', statusCode: 404 },
      ],
    );
    assert.ok(access.every((l) => typeof l.responseTime === 'number' && typeof l.reqId === 'string'));
  });
});
