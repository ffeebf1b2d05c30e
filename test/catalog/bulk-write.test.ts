// The bulk catalog writes (src/catalog/bulk-write.ts) on the suite's application database: multi-row INSERTs over
// several statements, and updates by id of rows with different change sets, values of every column type bound.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { insertRows, updateRowsById } from '../../src/catalog/bulk-write.ts';
import { toBool } from '../../src/db/schema.ts';
import { createHarness, type Harness } from '../sync/support.ts';

describe('bulk catalog writes', () => {
  let h: Harness;
  let tableIds: number[] = [];
  before(async () => {
    h = await createHarness();
    const dbId = await h.addDatabase('sqlite', { db: '/nonexistent/warehouse.sqlite' });
    const rows = Array.from({ length: 1_200 }, (_, i) => ({
      db_id: dbId,
      schema: i % 2 === 0 ? null : 'public',
      name: `t${i}`,
      display_name: `T${i}`,
      active: true,
      estimated_row_count: i === 0 ? null : i * 1_000_000_000,
    }));
    const inserted = await insertRows<{ id: number; name: string }>(h.appDb.db, h.appDb.kind, 'metabase_table', rows, [
      'id',
      'name',
    ]);
    assert.equal(inserted.length, 1_200);
    assert.deepEqual(
      inserted.map((r) => r.name),
      rows.map((r) => r.name),
    );
    tableIds = inserted.map((r) => r.id);
  });
  after(() => h.close());

  test('inserted rows carry their values; booleans, nulls and big integers round-trip', async () => {
    const [first, last] = await h.appDb.db
      .selectFrom('metabase_table')
      .select(['schema', 'active', 'estimated_row_count'])
      .where('id', 'in', [tableIds[0], tableIds[1_199]])
      .orderBy('id')
      .execute();
    assert.deepEqual({ ...first, active: toBool(first.active) }, { schema: null, active: true, estimated_row_count: null });
    assert.equal(last.schema, 'public');
    assert.equal(Number(last.estimated_row_count), 1_199_000_000_000);
  });

  test('updates by id write each row its own values, per change set, and touch no other row', async () => {
    const stamps = async () => {
      const rows = await h.appDb.db
        .selectFrom('metabase_table')
        .select(['id', 'updated_at'])
        .where('id', 'in', [tableIds[2], tableIds[1_001]])
        .orderBy('id')
        .execute();
      return rows.map((r) => String(r.updated_at));
    };
    const before = await stamps();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const updates = [
      ...tableIds.slice(0, 700).map((id, i) => ({ id, changes: { database_indexes: `[${i}]`, active: i % 2 === 0 } })),
      { id: tableIds[1_000], changes: { description: `it's "quoted"`, estimated_row_count: null, deactivated_at: null } },
      { id: tableIds[1_001], changes: {} },
    ];
    await updateRowsById(h.appDb.db, h.appDb.kind, 'metabase_table', updates);
    const rows = await h.appDb.db
      .selectFrom('metabase_table')
      .select(['id', 'database_indexes', 'active', 'description', 'estimated_row_count', 'updated_at'])
      .where('id', 'in', [tableIds[0], tableIds[1], tableIds[699], tableIds[700], tableIds[1_000]])
      .orderBy('id')
      .execute();
    assert.deepEqual(
      rows.map((r) => [r.database_indexes, toBool(r.active), r.description]),
      [
        ['[0]', true, null],
        ['[1]', false, null],
        ['[699]', false, null],
        ['[]', true, null],
        ['[]', true, `it's "quoted"`],
      ],
    );
    assert.equal(rows[4].estimated_row_count, null);
    const [touched, untouched] = await stamps();
    assert.ok(touched > before[0], `updated_at follows the database clock (${before[0]} → ${touched})`);
    assert.equal(untouched, before[1], 'a row without changes is not written');
  });
});
