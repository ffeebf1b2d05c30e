// Bugs the fuzz suite (test/fuzz) found, each pinned by the smallest request that showed it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { A, K, harness } from './harness.ts';

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

test('a value nested too deeply to render is still a 400 validation error, never a 500', async (t) => {
  const h = await harness(t);
  for (const [url, body, key, headers] of [
    ['/api/notify/db/1', `{"table_id":${deep(100_000)}}`, 'table_id', K],
    ['/api/notify/db/1', deep(100_000), 'body', K],
    ['/api/database', `{"name":${deep(100_000)},"engine":"sqlite","details":{}}`, 'name', A],
  ] as const) {
    const res = await h.post(url, body, headers);
    assert.equal(res.statusCode, 400, `${url} ${key}: ${res.body.slice(0, 200)}`);
    const answer = res.json() as { errors: Record<string, string>; 'specific-errors': Record<string, string[]> };
    assert.ok(key in answer.errors, `${key} is reported`);
    assert.match(answer['specific-errors'][key]![0]!, /, received: /);
  }
  assert.equal(await h.jobCount(), 0);
});
