// notify-api.md sections 3.1 to 3.4: routing (rows 18-24), body reading, limits and parsing (rows 25-39).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { isJsonMediaType, parseJsonBody } from '../../src/http/body.ts';
import { HttpError } from '../../src/errors.ts';
import {
  A,
  K,
  KIND,
  assertJson,
  assertOkJob,
  assertText,
  harness,
  padded,
  validationBody,
} from './harness.ts';

const NO_ENDPOINT = 'API endpoint does not exist.';
const MALFORMED = 'Malformed JSON in request body.';
const TOO_LARGE = 'Request body too large.';
const SCAN = 'nullable enum of full, schema';

describe('body parsing (pure)', () => {
  test('JSON media types: application/json and application/*+json, case-insensitive, parameters ignored', () => {
    for (const type of [
      'application/json',
      'Application/JSON; charset=UTF-8',
      ' application/json ',
      'application/vnd.api+json',
    ]) {
      assert.ok(isJsonMediaType(type), type);
    }
    const other = [undefined, '', 'text/plain', 'application/jsonx', 'text/json', 'application/x-www-form-urlencoded'];
    for (const type of other) {
      assert.ok(!isJsonMediaType(type), String(type));
    }
  });

  test('parseJsonBody: empty and whitespace are null; bad UTF-8, bad JSON and trailing garbage are malformed', () => {
    assert.equal(parseJsonBody(Buffer.from('')), null);
    assert.equal(parseJsonBody(Buffer.from(' \r\n\t')), null);
    assert.deepEqual(parseJsonBody(Buffer.from('{"a":1,"a":2}')), { a: 2 });
    assert.deepEqual(parseJsonBody(Buffer.from('[1,2]')), [1, 2]);
    const malformed = (e: unknown) => e instanceof HttpError && e.status === 400 && e.body === MALFORMED;
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]);
    for (const bad of [Buffer.from('{"a":'), Buffer.from('{} x'), invalidUtf8]) {
      assert.throws(() => parseJsonBody(bad), malformed);
    }
  });
});

describe('routing (rows 18-24)', () => {
  test('unknown methods, non-digit and negative ids, trailing slashes and HEAD: 404 after the gate', async (t) => {
    const h = await harness(t);
    const cases: [string, string][] = [
      ['GET', '/api/notify/db/1'],
      ['POST', '/api/notify/db/abc'],
      ['POST', '/api/notify/db/-1'],
      ['POST', '/api/notify/db/1/'],
      ['POST', '/api/notify'],
      ['PUT', '/api/notify/db/1/new-table'],
      ['GET', '/api/notify/db/attached_datawarehouse'],
      ['POST', '/api/notify/db/1.0'],
      ['POST', '/api/notify/db/1;x'],
      ['POST', '/api/notify/db/%zz'],
      ['POST', '/api/notify//db/1'],
      ['POST', '/api/notify/job/1'],
      ['DELETE', '/api/notify/db/1'],
    ];
    for (const [method, url] of cases) {
      assertText(await h.inject({ method: method as 'GET', url, headers: K }), 404, NO_ENDPOINT);
    }
    const head = await h.inject({ method: 'HEAD', url: '/api/notify/db/1', headers: K });
    assert.equal(head.statusCode, 404);
    assert.equal(head.body, '');
    // The gate still runs first for paths the router cannot decode.
    assertText(await h.inject({ method: 'POST', url: '/api/notify/db/%zz' }), 403, 'Forbidden');
    assert.equal(await h.jobCount(), 0);
  });

  test('a route id of any length reaches the handler: 404 Not found., never a database error', async (t) => {
    const h = await harness(t);
    for (const id of ['99999999999', '2147483648', '9'.repeat(400)]) {
      assertText(await h.post(`/api/notify/db/${id}`, {}), 404, 'Not found.');
      assertText(await h.inject({ method: 'GET', url: `/api/database/${id}`, headers: A }), 404, 'Not found.');
    }
  });

  test('an unknown route does not read its body', async (t) => {
    const h = await harness(t);
    assertText(await h.post('/api/notify/db/1/nothing', 'x'.repeat(2_000_000)), 404, NO_ENDPOINT);
  });
});

describe('body conventions (rows 25-39)', () => {
  test('rows 25-28: malformed JSON, before validation', async (t) => {
    const h = await harness(t);
    assertText(await h.post('/api/notify/db/1', '{"table_id":'), 400, MALFORMED);
    assertText(await h.post('/api/notify/db/0', '{"table_id":'), 400, MALFORMED);
    assertText(await h.post('/api/notify/db/1/new-table', '{"schema_name":"public",'), 400, MALFORMED);
    assertText(await h.post('/api/notify/db/attached_datawarehouse', 'not json'), 400, MALFORMED);
    assertText(await h.post('/api/notify/db/1', '{} trailing'), 400, MALFORMED);
    const invalidUtf8 = Buffer.concat([Buffer.from('{"table_name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const json = { ...K, 'content-type': 'application/json' };
    assertText(await h.send('POST', '/api/notify/db/1', json, invalidUtf8), 400, MALFORMED);
    assert.equal(await h.jobCount(), 0);
  });

  test('rows 29-32: the 1 MiB limit, exactly 1,048,576 bytes accepted', async (t) => {
    const h = await harness(t);
    const body = '{"table_id":10,"scan":"schema"}';
    assertText(await h.post('/api/notify/db/1', padded(body, 1_048_577)), 413, TOO_LARGE);
    assertText(await h.post('/api/notify/db/1/new-table', padded('{}', 1_048_577)), 413, TOO_LARGE);
    assertText(await h.post('/api/notify/db/attached_datawarehouse', padded('{}', 1_048_577)), 413, TOO_LARGE);
    const text = { ...K, 'content-type': 'text/plain' };
    assertText(await h.send('POST', '/api/notify/db/1', text, 'x'.repeat(1_048_577)), 413, TOO_LARGE);
    assert.equal(await h.jobCount(), 0);
    const jobId = assertOkJob(await h.post('/api/notify/db/1', padded(body, 1_048_576)));
    assert.deepEqual(await h.jobPlan(jobId), KIND.tableMetadata(10));
  });

  test('a Content-Length over the limit is refused without reading the body', async (t) => {
    const h = await harness(t);
    let pulled = 0;
    const payload = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(65_536, 0x20));
        if (pulled > 40) this.push(null);
      },
    });
    const res = await h.inject({
      method: 'POST',
      url: '/api/notify/db/1',
      headers: { ...K, 'content-type': 'application/json', 'content-length': '2000000' },
      payload,
    });
    assertText(res, 413, TOO_LARGE);
    assert.ok(pulled <= 1, `no body bytes were consumed (pulled ${pulled} chunks)`);
  });

  test('a chunked body is answered 413 as soon as it passes the limit, without waiting for its end', async (t) => {
    const h = await harness(t);
    let pulled = 0;
    // An endless body: only a server that stops at the limit can answer at all.
    const payload = new Readable({
      read() {
        pulled++;
        setImmediate(() => this.push(Buffer.alloc(65_536, 0x20)));
      },
    });
    t.after(() => payload.destroy());
    const res = await h.inject({
      method: 'POST',
      url: '/api/notify/db/1',
      headers: { ...K, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      payload,
    });
    assertText(res, 413, TOO_LARGE);
    assert.ok(pulled < 100, `answered near the limit (after ${pulled} chunks of 64 KiB)`);
  });

  test('a GET body is read with the same limit and ignored', async (t) => {
    const h = await harness(t);
    assertText(await h.send('GET', '/api/database', A, 'x'.repeat(1_048_577)), 413, TOO_LARGE);
    const res = await h.send('GET', '/api/database', A, '{"ignored":');
    assert.equal(res.statusCode, 200);
  });

  test('rows 33-35: only JSON media types are parsed', async (t) => {
    const h = await harness(t);
    const bogus = '{"scan":"bogus"}';
    const plain = await h.send('POST', '/api/notify/db/1', { ...K, 'content-type': 'text/plain' }, bogus);
    assert.deepEqual(await h.jobPlan(assertOkJob(plain)), KIND.fullDatabase);
    const scanError = validationBody({ scan: [SCAN, '"bogus"'] });
    for (const type of ['application/vnd.api+json', 'Application/JSON; charset=UTF-8']) {
      const res = await h.send('POST', '/api/notify/db/1', { ...K, 'content-type': type }, bogus);
      assertJson(res, 400, scanError);
    }
    // A Content-Type Fastify itself could not parse is just another non-JSON type.
    for (const type of ['', 'nonsense', 'text/plain; charset']) {
      const res = await h.send('POST', '/api/notify/db/1', { ...K, 'content-type': type }, bogus);
      assertOkJob(res);
    }
  });

  test('rows 36-37: null and empty bodies are {}', async (t) => {
    const h = await harness(t);
    for (const body of ['null', '', '  \n ']) {
      await h.appDb.db.deleteFrom('sync_job').execute();
      const jobId = assertOkJob(await h.post('/api/notify/db/1', body));
      assert.deepEqual(await h.jobPlan(jobId), KIND.fullDatabase, JSON.stringify(body));
    }
  });

  test('row 38: a JSON body that is not an object fails on the key "body"', async (t) => {
    const h = await harness(t);
    for (const [body, received] of [
      ['[1,2]', '[1,2]'],
      ['"text"', '"text"'],
      ['5', '5'],
      ['true', 'true'],
    ]) {
      const expected = validationBody({ body: ['value must be a JSON object.', received] });
      assertJson(await h.post('/api/notify/db/1', body), 400, expected);
    }
    assertJson(
      await h.post('/api/database', '[]', A),
      400,
      validationBody({ body: ['value must be a JSON object.', '[]'] }),
    );
  });

  test('row 39: without a JSON content type the body counts as empty', async (t) => {
    const h = await harness(t);
    const res = await h.inject({
      method: 'POST',
      url: '/api/notify/db/1/new-table',
      headers: K,
      payload: '{"schema_name":"public","table_name":"bar"}',
    });
    assertJson(
      res,
      400,
      validationBody({
        schema_name: ['value must be a non-blank string.', null],
        table_name: ['value must be a non-blank string.', null],
      }),
    );
  });

  test('duplicate keys: the last occurrence wins', async (t) => {
    const h = await harness(t);
    const jobId = assertOkJob(await h.post('/api/notify/db/1', '{"scan":"bogus","scan":"schema"}'));
    assert.deepEqual(await h.jobPlan(jobId), KIND.databaseMetadata);
  });
});
