// GET /api/task reads the task history in batches of TASK_BATCH rows and writes the answer as it reads (issue 10):
// the body is byte for byte the JSON of the whole answer, rows newest first across batch boundaries, also when many
// rows share a start instant (PostgreSQL: the same millisecond, different microseconds), paged or not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { TASK_BATCH } from '../../src/http/task-routes.ts';
import { A, harness } from './harness.ts';

const ROWS = TASK_BATCH * 2 + 234;

describe('GET /api/task streamed in batches', () => {
  test('every row once, in order, over batch boundaries and shared start instants; pages as before', async (t) => {
    const h = await harness(t);
    // 5 rows per millisecond; on PostgreSQL each one a microsecond apart within it.
    const values = Array.from({ length: ROWS }, (_, i) => {
      const ms = String(Math.floor(i / 5)).padStart(3, '0');
      return { task: `t${i}`, db_id: 1 + (i % 2), started_at: `2025-01-15T10:00:01.${ms}${i % 5}Z`, status: 'success' };
    });
    for (let i = 0; i < values.length; i += 200) {
      const chunk = values.slice(i, i + 200);
      if (h.appDb.kind === 'postgres') {
        await h.appDb.db.insertInto('task_history').values(chunk.map((v) => ({
          ...v, started_at: sql`${v.started_at.replace(/(\d)Z$/, '00$1Z')}::timestamptz`,
        })) as never).execute();
      } else {
        await h.appDb.db.insertInto('task_history').values(chunk.map((v) => ({ ...v, started_at: v.started_at.slice(0, 23) + 'Z' }))).execute();
      }
    }
    // The reference: one statement, every row.
    const all = await h.appDb.db.selectFrom('task_history').select(['id', 'task']).orderBy('started_at', 'desc')
      .orderBy(sql`CAST(started_at AS TEXT)`, 'desc').orderBy('id', 'desc').execute();
    const get = async (query: string) => {
      const res = await h.inject({ method: 'GET', url: `/api/task${query}`, headers: A });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.headers['transfer-encoding'], 'chunked', 'written as it is read, not built whole');
      const body = JSON.parse(res.body) as { total: number; data: { id: number }[]; limit: unknown; offset: unknown };
      assert.equal(res.body, JSON.stringify(body));
      assert.deepEqual(Object.keys(body), ['total', 'data', 'limit', 'offset']);
      return body;
    };
    const whole = await get('');
    assert.equal(whole.total, ROWS);
    assert.deepEqual(whole.data.map((r) => r.id), all.map((r) => r.id));
    assert.equal(new Set(whole.data.map((r) => r.id)).size, ROWS);
    assert.deepEqual([whole.limit, whole.offset], [null, null]);

    const page = await get(`?limit=${TASK_BATCH + 100}&offset=300`);
    assert.deepEqual(page.data.map((r) => r.id), all.slice(300, 300 + TASK_BATCH + 100).map((r) => r.id));
    assert.deepEqual([page.total, page.limit, page.offset], [ROWS, TASK_BATCH + 100, 300]);

    const db2 = await get('?db_id=2&offset=10');
    assert.equal(db2.total, ROWS / 2);
    assert.equal(db2.data.length, 50, 'Metabase pages by 50 when only offset is given');
    const past = await get(`?offset=${ROWS + 5}`);
    assert.deepEqual(past.data, []);
  });
});
