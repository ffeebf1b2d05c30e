// GET /api/database/:id/metadata writes its answer as it reads the catalog, METADATA_BATCH tables and their fields at
// a time (issue 10): the body is byte for byte the JSON of the whole answer, tables in the API's order (null schema
// first, code points, id) across batch boundaries, each with its active fields by position and id.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareTables } from '../../src/catalog/api-objects.ts';
import { METADATA_BATCH } from '../../src/http/catalog-reads.ts';
import { A, FIXTURE_TIME, harness } from './harness.ts';

const TABLES = METADATA_BATCH * 2 + 37;
const SCHEMAS = [null, 'public', 'Zeta', 'émoji😀', 'a'];

describe('GET /api/database/:id/metadata streamed in batches', () => {
  test('every active table once, in order, with its active fields; the exact JSON body', async (t) => {
    const h = await harness(t);
    const tables = Array.from({ length: TABLES }, (_, i) => ({
      id: 1000 + i,
      db_id: 1,
      schema: SCHEMAS[i % SCHEMAS.length],
      name: `t${(i * 7919) % TABLES}`,
      display_name: `T${i}`,
      active: i % 11 !== 0,
      initial_sync_status: 'complete',
      created_at: FIXTURE_TIME,
      updated_at: FIXTURE_TIME,
    }));
    for (let i = 0; i < tables.length; i += 200) {
      await h.appDb.db.insertInto('metabase_table').values(tables.slice(i, i + 200)).execute();
    }
    const fields = tables.flatMap((table, i) =>
      [2, 0, 1].map((position, k) => ({
        id: 10_000 + i * 3 + k,
        table_id: table.id,
        name: `f${position}`,
        display_name: `F${position}`,
        database_type: 'int4',
        base_type: 'type/Integer',
        effective_type: 'type/Integer',
        position,
        database_position: position,
        active: !(k === 2 && i % 3 === 0),
        created_at: FIXTURE_TIME,
        updated_at: FIXTURE_TIME,
      })),
    );
    for (let i = 0; i < fields.length; i += 300) {
      await h.appDb.db.insertInto('metabase_field').values(fields.slice(i, i + 300)).execute();
    }

    const res = await h.inject({ method: 'GET', url: '/api/database/1/metadata', headers: A });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['transfer-encoding'], 'chunked', 'written as it is read, not built whole');
    const body = JSON.parse(res.body) as { id: number; tables: { id: number; fields: { id: number; position: number }[] }[] };
    assert.equal(res.body, JSON.stringify(body));
    assert.equal(Object.keys(body).at(-1), 'tables');
    assert.equal(body.id, 1);

    const fixture = await h.appDb.db.selectFrom('metabase_table').select(['id', 'schema', 'name'])
      .where('db_id', '=', 1).where('active', '=', true).execute();
    const expected = fixture.sort(compareTables).map((table) => table.id);
    assert.deepEqual(body.tables.map((table) => table.id), expected);
    for (const table of body.tables.filter((x) => x.id >= 1000)) {
      const i = table.id - 1000;
      const active = [0, 1, 2].filter((p) => !(i % 3 === 0 && p === 1));
      assert.deepEqual(table.fields.map((f) => f.position), active, `table ${table.id}`);
    }
    const empty = await h.inject({ method: 'GET', url: '/api/database/2/metadata', headers: A });
    const two = JSON.parse(empty.body) as { tables: unknown[] };
    assert.equal(empty.body, JSON.stringify(two));
  });
});
