import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  fieldsQuery,
  foreignKeysQuery,
  indexesQuery,
  scopeNames,
  tablesQuery,
  toFieldMetadata,
  toForeignKeyMetadata,
  toIndexMetadata,
  toTableMetadata,
  type SqliteFieldRow,
  type SqliteForeignKeyRow,
  type SqliteIndexRow,
} from '../../../src/drivers/sqlite/sqlite-introspector.ts';

const FIELD: SqliteFieldRow = {
  table_name: 't',
  name: 'c',
  type: 'TEXT',
  notnull: 0,
  dflt_value: null,
  pk: 0,
  hidden: 0,
  position: 3,
  is_rowid_alias: 0,
};

describe('catalog queries', () => {
  test('a table scope is the database query plus one name filter bound as a JSON array', () => {
    for (const build of [tablesQuery, fieldsQuery, indexesQuery]) {
      const database = build({ kind: 'database' });
      const scoped = build({ kind: 'tables', tables: [{ schema: null, name: 'a' }, { schema: null, name: 'B"' }] });
      assert.deepEqual(database.params, []);
      assert.deepEqual(scoped.params, ['["a","B\\""]']);
      const [select, order] = database.sql.split('\nORDER BY ');
      assert.equal(scoped.sql, `${select}\n  AND s.name IN (SELECT value FROM json_each(?))\nORDER BY ${order}`);
    }
  });

  test('the scoped FK query matches the source or the target table', () => {
    const scoped = foreignKeysQuery({ kind: 'tables', tables: [{ schema: null, name: 'orders' }] });
    assert.deepEqual(scoped.params, ['["orders"]', '["orders"]']);
    assert.match(scoped.sql, /AND \(s\.name IN \(SELECT value FROM json_each\(\?\)\) OR coalesce\(ts\.name, f\."table"\) IN/);
  });

  test('refs with a schema name nothing on SQLite', () => {
    assert.equal(scopeNames([{ schema: 'main', name: 'a' }, { schema: null, name: 'b' }]), '["b"]');
  });
});

describe('toTableMetadata', () => {
  test('maps tables and views; SQLite has no schema, comment, estimate or object id', () => {
    assert.deepEqual(toTableMetadata({ name: 'Order', type: 'table' }), {
      schema: null,
      name: 'Order',
      kind: 'table',
      comment: null,
      estimatedRowCount: null,
      objectId: null,
    });
    assert.equal(toTableMetadata({ name: 'v', type: 'view' }).kind, 'view');
    assert.ok(Object.isFrozen(toTableMetadata({ name: 'v', type: 'view' })));
  });
});

describe('toFieldMetadata', () => {
  test('a plain nullable column', () => {
    assert.deepEqual(toFieldMetadata(FIELD), {
      tableSchema: null,
      tableName: 't',
      name: 'c',
      databaseType: 'TEXT',
      baseType: 'type/Text',
      semanticHint: null,
      position: 3,
      isNullable: true,
      isPk: false,
      isAutoIncrement: false,
      isGenerated: false,
      isRequired: false,
      default: null,
      comment: null,
      objectId: null,
    });
  });

  test('a rowid alias is auto-increment and not nullable, but not required', () => {
    const field = toFieldMetadata({ ...FIELD, type: 'INTEGER', pk: 1, is_rowid_alias: 1 });
    assert.deepEqual(
      [field.isPk, field.isAutoIncrement, field.isNullable, field.isRequired, field.baseType],
      [true, true, false, false, 'type/Integer'],
    );
  });

  test('required means NOT NULL, no default, not auto-increment, not generated', () => {
    assert.equal(toFieldMetadata({ ...FIELD, notnull: 1 }).isRequired, true);
    assert.equal(toFieldMetadata({ ...FIELD, notnull: 1, dflt_value: "'x'" }).isRequired, false);
    assert.equal(toFieldMetadata({ ...FIELD, notnull: 1, hidden: 2 }).isRequired, false);
    assert.equal(toFieldMetadata({ ...FIELD, notnull: 1 }).isNullable, false);
  });

  test('hidden 2 and 3 are generated columns; the default is reported as given', () => {
    assert.equal(toFieldMetadata({ ...FIELD, hidden: 2 }).isGenerated, true);
    assert.equal(toFieldMetadata({ ...FIELD, hidden: 3 }).isGenerated, true);
    assert.equal(toFieldMetadata({ ...FIELD, hidden: 0 }).isGenerated, false);
    assert.equal(toFieldMetadata({ ...FIELD, dflt_value: 'NULL' }).default, 'NULL');
  });

  test('an empty declared type is reported as empty and maps to type/*', () => {
    const field = toFieldMetadata({ ...FIELD, type: '' });
    assert.deepEqual([field.databaseType, field.baseType], ['', 'type/*']);
  });
});

describe('toForeignKeyMetadata', () => {
  const row = (seq: number, column: string, target: string | null): SqliteForeignKeyRow => ({
    table_name: 'child',
    constraint_name: 'fk_child_1',
    seq,
    column_name: column,
    target_table: 'parent',
    target_column: target,
  });

  test('pairs columns by key order', () => {
    assert.deepEqual(toForeignKeyMetadata([row(0, 'pb', 'b'), row(1, 'pa', 'a')]), {
      constraintName: 'fk_child_1',
      tableSchema: null,
      tableName: 'child',
      columns: ['pb', 'pa'],
      targetSchema: null,
      targetTable: 'parent',
      targetColumns: ['b', 'a'],
    });
  });

  test('drops a constraint whose target column cannot be resolved', () => {
    assert.equal(toForeignKeyMetadata([row(0, 'x', null)]), null);
    assert.equal(toForeignKeyMetadata([row(0, 'x', 'a'), row(1, 'y', null)]), null);
  });
});

describe('toIndexMetadata', () => {
  const row = (seqno: number, cid: number, column: string | null, more: Partial<SqliteIndexRow> = {}): SqliteIndexRow => ({
    table_name: 't',
    index_name: 'i',
    is_unique: 0,
    origin: 'c',
    partial: 0,
    seqno,
    cid,
    column_name: column,
    ...more,
  });

  test('reports key columns in order and an expression (cid -2) as null', () => {
    assert.deepEqual(toIndexMetadata([row(0, -2, null), row(1, 4, 'b')]), {
      tableSchema: null,
      tableName: 't',
      indexName: 'i',
      columns: [null, 'b'],
      isUnique: false,
      isPrimary: false,
      isPartial: false,
    });
  });

  test('origin pk is primary; unique and partial flags', () => {
    const index = toIndexMetadata([row(0, 0, 'a', { origin: 'pk', is_unique: 1, partial: 1 })]);
    assert.deepEqual([index.isPrimary, index.isUnique, index.isPartial], [true, true, true]);
    assert.equal(toIndexMetadata([row(0, 0, 'a', { origin: 'u', is_unique: 1 })]).isPrimary, false);
  });
});
