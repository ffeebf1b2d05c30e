import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diffTable, newTableValues, rowCountChanged, type StoredTable } from '../../src/catalog/tables.ts';
import type { TableMetadata } from '../../src/drivers/driver.ts';

function stored(overrides: Partial<StoredTable> = {}): StoredTable {
  return {
    id: 7,
    schema: 'public',
    name: 'orders',
    display_name: 'Orders',
    description: null,
    database_comment: null,
    kind: 'table',
    active: true,
    visibility_type: null,
    field_order: 'database',
    initial_sync_status: 'complete',
    estimated_row_count: 1000,
    database_object_id: '16402',
    fields_hash: null,
    fks_hash: null,
    indexes_hash: null,
    user_set: new Set(),
    ...overrides,
  };
}

function reported(overrides: Partial<TableMetadata> = {}): TableMetadata {
  return {
    schema: 'public',
    name: 'orders',
    kind: 'table',
    comment: null,
    estimatedRowCount: 1000,
    objectId: '16402',
    ...overrides,
  };
}

describe('estimated_row_count 10% rule', () => {
  test('moves of at most 10% are ignored', () => {
    assert.equal(rowCountChanged(1000, 1100), false);
    assert.equal(rowCountChanged(1000, 900), false);
    assert.equal(rowCountChanged(1000, 1000), false);
  });
  test('moves of more than 10% are written', () => {
    assert.equal(rowCountChanged(1000, 1101), true);
    assert.equal(rowCountChanged(1000, 899), true);
  });
  test('changes to or from NULL or 0 are written', () => {
    assert.equal(rowCountChanged(null, 5), true);
    assert.equal(rowCountChanged(5, null), true);
    assert.equal(rowCountChanged(0, 1), true);
    assert.equal(rowCountChanged(1, 0), true);
    assert.equal(rowCountChanged(null, null), false);
  });
});

describe('newTableValues (3.2.3)', () => {
  test('a plain table is visible and incomplete, description from the comment', () => {
    const values = newTableValues(1, reported({ name: 'order_items', comment: 'Lines' }), []);
    assert.equal(values.display_name, 'Order Items');
    assert.equal(values.description, 'Lines');
    assert.equal(values.database_comment, 'Lines');
    assert.equal(values.visibility_type, null);
    assert.equal(values.initial_sync_status, 'incomplete');
    assert.equal(values.field_order, 'database');
  });
  test('a crufty name is created cruft and complete', () => {
    const values = newTableValues(1, reported({ name: 'django_migrations' }), []);
    assert.equal(values.visibility_type, 'cruft');
    assert.equal(values.initial_sync_status, 'complete');
  });
  test('an empty comment is stored as NULL', () => {
    assert.equal(newTableValues(1, reported({ comment: '' }), []).database_comment, null);
  });
});

describe('diffTable (3.2.3, 3.2.4)', () => {
  test('nothing changed writes nothing', () => {
    const diff = diffTable(stored(), reported({ estimatedRowCount: 1050 }), []);
    assert.deepEqual(diff.changes, {});
  });

  test('the description follows the comment unless user-set', () => {
    assert.deepEqual(diffTable(stored(), reported({ comment: 'One row per order' }), []).changes, {
      database_comment: 'One row per order',
      description: 'One row per order',
    });
    const userSet = stored({ description: 'Mine', user_set: new Set(['description']) });
    assert.deepEqual(diffTable(userSet, reported({ comment: 'One row per order' }), []).changes, {
      database_comment: 'One row per order',
    });
  });

  test('reactivation clears deactivated_at and keeps visibility', () => {
    const diff = diffTable(stored({ active: false, visibility_type: 'hidden' }), reported(), []);
    assert.equal(diff.reactivated, true);
    assert.deepEqual(diff.changes, { active: true, deactivated_at: null });
  });

  test('a rename re-humanizes the display name unless user-set', () => {
    const diff = diffTable(stored(), reported({ name: 'order_log' }), []);
    assert.equal(diff.renamed, true);
    assert.deepEqual(diff.changes, { schema: 'public', name: 'order_log', display_name: 'Order Log' });
    const userSet = diffTable(stored({ user_set: new Set(['display_name']) }), reported({ name: 'order_log' }), []);
    assert.equal(userSet.changes.display_name, undefined);
  });

  test('kind and object id changes are flagged', () => {
    const diff = diffTable(stored(), reported({ kind: 'view', objectId: '99' }), []);
    assert.equal(diff.kindChanged, true);
    assert.equal(diff.objectIdChanged, true);
    assert.deepEqual(diff.changes, { kind: 'view', database_object_id: '99' });
  });

  test('user cruft patterns may hide a visible table, never un-hide, never built-ins', () => {
    const tmp = diffTable(stored({ name: 'tmp_x' }), reported({ name: 'tmp_x' }), [/^tmp_/]);
    assert.equal(tmp.changes.visibility_type, 'cruft');
    const userVisible = stored({ name: 'tmp_x', user_set: new Set(['visibility_type']) });
    assert.equal(diffTable(userVisible, reported({ name: 'tmp_x' }), [/^tmp_/]).changes.visibility_type, undefined);
    const builtIn = stored({ name: 'django_migrations' });
    assert.deepEqual(diffTable(builtIn, reported({ name: 'django_migrations' }), []).changes, {});
  });
});
