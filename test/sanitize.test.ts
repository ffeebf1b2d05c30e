// The message sanitizer of src/errors.ts (sync-engine.md 9.7): every credential shape a driver, a URI or a JSON body
// can put into an error message comes out masked, and ordinary text comes out unchanged.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sanitize } from '../src/errors.ts';

const SECRET = 'hunter2-Secret';

/** The masked output of `message` must not contain the secret; returns it for exact checks. */
function clean(message: string, secrets: readonly string[] = []): string {
  const text = sanitize(message, secrets);
  assert.ok(!text.includes(SECRET), `${JSON.stringify(message)} became ${JSON.stringify(text)}`);
  return text;
}

describe('sanitize', () => {
  test('JSON-quoted secrets, with and without spaces, escapes and nested objects', () => {
    assert.equal(clean(`{"password":"${SECRET}"}`), '{"password":"***"}');
    assert.equal(clean(`details: {"host":"h", "password" : "${SECRET}", "user":"u"}`),
      'details: {"host":"h", "password" : "***", "user":"u"}');
    assert.equal(clean(`{"password":"a\\"${SECRET}"}`), '{"password":"***"}');
    assert.equal(clean(`{'api_key': '${SECRET}'}`), `{'api_key': '***'}`);
    assert.equal(clean(`{"details":{"tunnel-private-key":"${SECRET}"}}`), '{"details":{"tunnel-private-key":"***"}}');
    assert.equal(clean(`{"token":${SECRET}}`), '{"token":***}');
  });

  test('an unclosed quoted secret masks the rest of the line', () => {
    assert.equal(clean(`invalid JSON near {"password":"${SECRET} and more`), 'invalid JSON near {"password":"***"');
  });

  test('key=value and environment-variable forms', () => {
    assert.equal(clean(`PGPASSWORD=${SECRET} psql`), 'PGPASSWORD=*** psql');
    assert.equal(clean(`host=db user=u password='${SECRET}' dbname=x`), `host=db user=u password='***' dbname=x`);
    assert.equal(clean(`db_password=${SECRET};port=1`), 'db_password=***;port=1');
    assert.equal(clean(`MB_ADMIN_API_KEY=${SECRET}`), 'MB_ADMIN_API_KEY=***');
    assert.equal(clean(`aws_secret_access_key = ${SECRET}`), 'aws_secret_access_key = ***');
    assert.equal(clean(`pwd: ${SECRET}`), 'pwd: ***');
  });

  test('URIs lose their user-info and query strings', () => {
    assert.equal(clean(`connect postgres://u:${SECRET}@db:5432/x failed`), 'connect postgres://db:5432/x failed');
    assert.equal(clean(`"mysql://root:${SECRET}@h/db"`), '"mysql://h/db"');
    assert.equal(clean(`postgresql://u:p@${SECRET}@host/db`), 'postgresql://host/db');
    assert.equal(clean(`https://h/x?token=${SECRET}&a=1 next`), 'https://h/x next');
  });

  test('authorization schemes', () => {
    assert.equal(clean(`Authorization: Bearer ${SECRET}`), 'Authorization: Bearer ***');
    assert.equal(clean(`authorization basic ${Buffer.from(SECRET).toString('base64')}`), 'authorization basic ***');
  });

  test('given secrets are masked wherever they appear, and only the first line is kept', () => {
    assert.equal(clean(`login as bob with ${SECRET} refused`, [SECRET]), 'login as bob with *** refused');
    assert.equal(clean(`first line\n    at frame (password=${SECRET})`), 'first line');
  });

  test('ordinary messages are left alone', () => {
    for (const message of [
      'password authentication failed for user "reader"',
      'relation "public.orders" does not exist',
      'The SQLite query exceeded its timeout of 5000 ms.',
      'connect ECONNREFUSED 127.0.0.1:5432',
      'column "passed" of relation "t" does not exist',
    ]) {
      assert.equal(sanitize(message), message);
    }
  });
});
