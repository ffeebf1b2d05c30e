import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  alignPairs,
  chooseWinners,
  clearField,
  foreignKeyJson,
  markField,
  resolveColumn,
  resolveTable,
  type FkField,
} from '../../src/catalog/foreign-keys.ts';
import { indexedColumns, indexJson } from '../../src/catalog/indexes.ts';
import type { ForeignKeyMetadata } from '../../src/drivers/driver.ts';

const composite: ForeignKeyMetadata = {
  constraintName: 'lines_order_fk',
  tableSchema: 'public',
  tableName: 'lines',
  columns: ['order_id', 'order_rev'],
  targetSchema: 'public',
  targetTable: 'orders',
  targetColumns: ['id', 'rev'],
};

function field(overrides: Partial<FkField> = {}): FkField {
  return {
    id: 42,
    fk_target_field_id: null,
    semantic_type: null,
    has_field_values: null,
    has_fingerprint: false,
    fingerprint_version: 0,
    last_analyzed: null,
    user_set: new Set(),
    ...overrides,
  };
}

describe('foreign keys (3.4)', () => {
  test('composite keys pair by ordinal, never a cross product', () => {
    assert.deepEqual(alignPairs(composite), [
      { source: 'order_id', target: 'id' },
      { source: 'order_rev', target: 'rev' },
    ]);
    assert.deepEqual(foreignKeyJson(composite), {
      name: 'lines_order_fk',
      columns: ['order_id', 'order_rev'],
      target_schema: 'public',
      target_table: 'orders',
      target_columns: ['id', 'rev'],
    });
  });

  test('the constraint whose name sorts first wins a column, counted as a conflict', () => {
    const { winners, conflicts } = chooseWinners([
      { constraint: 'fk_b', sourceFieldId: 1, targetFieldId: 10 },
      { constraint: 'fk_a', sourceFieldId: 1, targetFieldId: 20 },
      { constraint: 'fk_a', sourceFieldId: 2, targetFieldId: 21 },
    ]);
    assert.equal(conflicts, 1);
    assert.deepEqual(winners.map((w) => [w.sourceFieldId, w.targetFieldId]), [[1, 20], [2, 21]]);
  });

  test('byte order decides between names that differ in case', () => {
    const { winners } = chooseWinners([
      { constraint: 'a_fk', sourceFieldId: 1, targetFieldId: 10 },
      { constraint: 'B_fk', sourceFieldId: 1, targetFieldId: 20 },
    ]);
    assert.equal(winners[0].targetFieldId, 20);
  });

  test('target tables: exact first, case-insensitive only on such engines and only unambiguous', () => {
    const tables = [
      { id: 1, schema: null, name: 'Users' },
      { id: 2, schema: null, name: 'orders' },
      { id: 3, schema: null, name: 'ORDERS' },
    ];
    assert.equal(resolveTable(tables, null, 'users', false), null);
    assert.equal(resolveTable(tables, null, 'users', true)?.id, 1);
    assert.equal(resolveTable(tables, null, 'ORDERS', true)?.id, 3);
    assert.equal(resolveTable(tables, null, 'Orders', true), null);
    assert.equal(resolveTable(tables, 'main', 'orders', true), null);
  });

  test('target columns: exact first, then the only case-insensitive one', () => {
    const fields = [{ id: 1, name: 'ID' }, { id: 2, name: 'code' }, { id: 3, name: 'Code' }];
    assert.equal(resolveColumn(fields, 'id')?.id, 1);
    assert.equal(resolveColumn(fields, 'Code')?.id, 3);
    assert.equal(resolveColumn(fields, 'CODE'), null);
  });

  test('marking sets target and type/FK, clears auto-list, and skips user-set fields', () => {
    const result = markField(field({ has_field_values: 'auto-list' }), 9);
    assert.deepEqual(result, {
      kind: 'changes',
      changes: { fk_target_field_id: 9, semantic_type: 'type/FK', has_field_values: null },
    });
    const marked = field({ fk_target_field_id: 9, semantic_type: 'type/FK' });
    assert.deepEqual(markField(marked, 9), { kind: 'changes', changes: {} });
    assert.deepEqual(markField(field({ user_set: new Set(['semantic_type']) }), 9), { kind: 'user-set-skipped' });
    assert.deepEqual(markField(field({ user_set: new Set(['fk_target_field_id']) }), 9), { kind: 'user-set-skipped' });
    const listKept = markField(field({ has_field_values: 'auto-list', user_set: new Set(['has_field_values']) }), 9);
    assert.deepEqual(listKept, { kind: 'changes', changes: { fk_target_field_id: 9, semantic_type: 'type/FK' } });
  });

  test('clearing releases type/FK and the analysis; user-set targets stay', () => {
    const fk = { fk_target_field_id: 9, semantic_type: 'type/FK' };
    const cleared = clearField(field({ ...fk, has_fingerprint: true, fingerprint_version: 5, last_analyzed: 'x' }));
    assert.deepEqual(cleared, {
      fk_target_field_id: null,
      semantic_type: null,
      fingerprint: null,
      fingerprint_version: 0,
      last_analyzed: null,
    });
    const userSemantic = field({ ...fk, user_set: new Set(['semantic_type']) });
    assert.deepEqual(clearField(userSemantic), { fk_target_field_id: null });
    assert.equal(clearField(field({ fk_target_field_id: 9, user_set: new Set(['fk_target_field_id']) })), null);
    assert.equal(clearField(field()), null);
  });
});

describe('indexes (3.5)', () => {
  test('first columns of non-partial indexes are indexed; expressions and partial indexes are not', () => {
    const base = { tableSchema: 'public', tableName: 't', isUnique: false, isPrimary: false, isPartial: false };
    const list = [
      indexJson({ ...base, indexName: 'a', columns: ['a', 'b'] }),
      indexJson({ ...base, indexName: 'c', columns: ['c'], isPartial: true }),
      indexJson({ ...base, indexName: 'e', columns: [null, 'd'] }),
    ];
    assert.deepEqual([...indexedColumns(list)], ['a']);
    assert.deepEqual(list[2], { name: 'e', columns: [null, 'd'], unique: false, primary: false, partial: false });
  });
});
