import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  columnsQuery,
  foreignKeysQuery,
  indexExpressionColumn,
  indexesQuery,
  mapColumn,
  mapForeignKey,
  mapIndex,
  mapTable,
  scopedRefs,
  tablesQuery,
  type DuckdbColumnRow,
} from '../../../src/drivers/duckdb/duckdb-introspector.ts';
import { parseSchemaFilter } from '../../../src/drivers/schema-filter.ts';

const COLUMN: DuckdbColumnRow = {
  schema_name: 'main',
  table_name: 'orders',
  column_name: 'id',
  position: 0n,
  data_type: 'INTEGER',
  logical_type: null,
  is_nullable: false,
  column_default: null,
  comment: null,
  is_pk: false,
};

describe('DuckDB catalog statements', () => {
  test('one statement per describe call; a table scope binds its refs as two name lists', () => {
    const refs = scopedRefs([
      { schema: 'main', name: 'Orders' },
      { schema: null, name: 'ignored' },
      { schema: 'sales', name: 'lines' },
    ]);
    assert.deepEqual(refs, { schemas: ['main', 'sales'], names: ['Orders', 'lines'] });
    for (const build of [tablesQuery, columnsQuery, indexesQuery, foreignKeysQuery]) {
      const database = build(null, null);
      assert.deepEqual(database.values, []);
      assert.doesNotMatch(database.text, /;/, 'one statement');
      assert.match(database.text, /database_name = current_database\(\)/);
      assert.match(database.text, /schema_name NOT IN \('information_schema', 'pg_catalog'\)/);
      assert.match(database.text, /NOT t\.internal/);
      assert.match(database.text, /NOT v\.temporary/);
      const scoped = build(refs, null);
      assert.deepEqual(scoped.values, [
        { kind: 'names', names: ['main', 'sales'] },
        { kind: 'names', names: ['Orders', 'lines'] },
      ]);
      assert.match(scoped.text, /IN \(SELECT unnest\(\$1\), unnest\(\$2\)\)/);
    }
  });

  test('a scoped FK statement matches constraints by source or by target', () => {
    const query = foreignKeysQuery({ schemas: ['main'], names: ['orders'] }, null);
    assert.match(query.text, /\(f\.schema_name, f\.table_name\) IN .* OR \(f\.schema_name, f\.target_table\) IN/s);
  });

  test('orderings follow 4.3', () => {
    assert.match(tablesQuery(null, null).text, /ORDER BY r\.schema_name, r\.table_name$/);
    assert.match(columnsQuery(null, null).text, /ORDER BY c\.schema_name, c\.table_name, c\.column_index$/);
    assert.match(foreignKeysQuery(null, null).text, /ORDER BY f\.schema_name, f\.table_name, f\.constraint_name$/);
    assert.match(indexesQuery(null, null).text, /ORDER BY e\.schema_name, e\.table_name, e\.index_name$/);
  });

  test('schema filters become bound LIKE patterns', () => {
    const filter = parseSchemaFilter('inclusion', ' sales*, a_b ,, ');
    assert.deepEqual(filter, { mode: 'inclusion', likePatterns: ['sales%', 'a\\_b'] });
    assert.equal(parseSchemaFilter('all', 'x'), null);
    assert.equal(parseSchemaFilter('exclusion', ' , '), null);
    assert.equal(parseSchemaFilter(undefined, 'x'), null);
    const query = tablesQuery(null, parseSchemaFilter('exclusion', 'tmp*'));
    assert.deepEqual(query.values, [{ kind: 'names', names: ['tmp%'] }]);
    assert.match(query.text, /NOT EXISTS \(SELECT 1 FROM unnest\(\$1\) AS p \(pattern\) WHERE t\.schema_name LIKE/);
  });
});

describe('DuckDB row mappers', () => {
  test('tables and views', () => {
    assert.deepEqual(
      mapTable({ schema_name: 'main', table_name: 'T', kind: 'table', comment: '', estimated_size: 12n }),
      { schema: 'main', name: 'T', kind: 'table', comment: null, estimatedRowCount: 12, objectId: null },
    );
    assert.deepEqual(
      mapTable({ schema_name: 's', table_name: 'v', kind: 'view', comment: 'A view', estimated_size: null }),
      { schema: 's', name: 'v', kind: 'view', comment: 'A view', estimatedRowCount: null, objectId: null },
    );
  });

  test('columns: required, auto-increment from a sequence default, PK, comment, user types', () => {
    const id = mapColumn({ ...COLUMN, column_default: `nextval('orders_seq')`, is_pk: true });
    assert.equal(id.isAutoIncrement, true);
    assert.equal(id.isRequired, false);
    assert.equal(id.isPk, true);
    assert.equal(id.objectId, null);
    const required = mapColumn({ ...COLUMN, column_name: 'qty', position: 3n, comment: 'How many' });
    assert.deepEqual(required, {
      tableSchema: 'main',
      tableName: 'orders',
      name: 'qty',
      databaseType: 'INTEGER',
      baseType: 'type/Integer',
      semanticHint: null,
      position: 3,
      isNullable: false,
      isPk: false,
      isAutoIncrement: false,
      isGenerated: false,
      isRequired: true,
      default: null,
      comment: 'How many',
      objectId: null,
    });
    assert.equal(mapColumn({ ...COLUMN, column_default: '0' }).isRequired, false);
    assert.equal(mapColumn({ ...COLUMN, is_nullable: true }).isRequired, false);
    const json = mapColumn({ ...COLUMN, data_type: 'JSON' });
    assert.deepEqual([json.baseType, json.semanticHint], ['type/JSON', 'type/SerializedJSON']);
    const alias = mapColumn({ ...COLUMN, data_type: 'amount', logical_type: 'DECIMAL' });
    assert.deepEqual([alias.databaseType, alias.baseType], ['amount', 'type/Decimal']);
  });

  test('foreign keys keep their pairs in key order, the target in the source schema', () => {
    assert.deepEqual(
      mapForeignKey({
        schema_name: 'sales',
        table_name: 'lines',
        constraint_name: 'lines_a_b_x_y_fkey',
        target_table: 'Orders',
        column_names: ['a', 'b'],
        target_column_names: ['x', 'y'],
      }),
      {
        constraintName: 'lines_a_b_x_y_fkey',
        tableSchema: 'sales',
        tableName: 'lines',
        columns: ['a', 'b'],
        targetSchema: 'sales',
        targetTable: 'Orders',
        targetColumns: ['x', 'y'],
      },
    );
  });

  test('index expressions name columns in the table spelling; others are null', () => {
    const columns = ['id', 'Order', 'a,b', 'note'];
    assert.equal(indexExpressionColumn('id', columns), 'id');
    assert.equal(indexExpressionColumn('ID', columns), 'id');
    assert.equal(indexExpressionColumn('"Order"', columns), 'Order');
    assert.equal(indexExpressionColumn('"a,b"', columns), 'a,b');
    assert.equal(indexExpressionColumn('(lower(note))', columns), null);
    assert.equal(indexExpressionColumn('((id + 1))', columns), null);
    assert.equal(indexExpressionColumn('missing', columns), null);
  });

  test('indexes and key constraints', () => {
    const index = mapIndex({
      schema_name: 'main',
      table_name: 't',
      index_name: 't_mixed',
      expressions: ['"Order"', '(lower(note))'],
      from_constraint: false,
      is_unique: false,
      is_primary: false,
      table_columns: ['id', 'Order', 'note'],
    });
    assert.deepEqual(index, {
      tableSchema: 'main',
      tableName: 't',
      indexName: 't_mixed',
      columns: ['Order', null],
      isUnique: false,
      isPrimary: false,
      isPartial: false,
    });
    const pk = mapIndex({
      schema_name: 'main',
      table_name: 't',
      index_name: 't_id_pkey',
      expressions: ['a,b'],
      from_constraint: true,
      is_unique: true,
      is_primary: true,
      table_columns: ['a,b'],
    });
    assert.deepEqual([pk.columns, pk.isUnique, pk.isPrimary], [['a,b'], true, true]);
  });
});
