import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  columnsQuery,
  databaseTypeOf,
  foreignKeysQuery,
  indexesQuery,
  mapColumn,
  mapForeignKey,
  mapIndex,
  mapTable,
  scopedRefs,
  tablesQuery,
  type PgColumnRow,
  type PgTableRow,
} from '../../../src/drivers/postgres/postgres-introspector.ts';
import { parseSchemaFilter } from '../../../src/drivers/schema-filter.ts';

const tableRow: PgTableRow = {
  nspname: 'sales',
  relname: 'Orders',
  relkind: 'r',
  reltuples: 1234.6,
  oid: '16384',
  description: 'All orders',
};

const columnRow: PgColumnRow = {
  nspname: 'sales',
  relname: 'orders',
  attname: 'amount',
  attnum: 3,
  attnotnull: true,
  attidentity: '',
  attgenerated: '',
  type_nspname: 'pg_catalog',
  typname: 'numeric',
  typtype: 'b',
  typcategory: 'N',
  default_expr: null,
  description: null,
  is_pk: false,
};

describe('mapTable', () => {
  test('maps a row exactly', () => {
    assert.deepEqual(mapTable(tableRow), {
      schema: 'sales',
      name: 'Orders',
      kind: 'table',
      comment: 'All orders',
      estimatedRowCount: 1235,
      objectId: '16384',
    });
    assert.equal(Object.isFrozen(mapTable(tableRow)), true);
  });

  test('kinds from relkind', () => {
    const kinds = { r: 'table', p: 'partitioned_table', v: 'view', m: 'materialized_view', f: 'foreign_table' };
    for (const [relkind, kind] of Object.entries(kinds)) assert.equal(mapTable({ ...tableRow, relkind }).kind, kind);
  });

  test('row estimates only when known and not a view; empty comments are null', () => {
    assert.equal(mapTable({ ...tableRow, reltuples: -1 }).estimatedRowCount, null);
    assert.equal(mapTable({ ...tableRow, reltuples: 0 }).estimatedRowCount, 0);
    assert.equal(mapTable({ ...tableRow, relkind: 'v', reltuples: 10 }).estimatedRowCount, null);
    assert.equal(mapTable({ ...tableRow, relkind: 'm', reltuples: 10 }).estimatedRowCount, 10);
    assert.equal(mapTable({ ...tableRow, description: '' }).comment, null);
    assert.equal(mapTable({ ...tableRow, description: null }).comment, null);
  });
});

describe('mapColumn', () => {
  test('maps a plain NOT NULL column exactly', () => {
    assert.deepEqual(mapColumn(columnRow, 2), {
      tableSchema: 'sales',
      tableName: 'orders',
      name: 'amount',
      databaseType: 'numeric',
      baseType: 'type/Decimal',
      semanticHint: null,
      position: 2,
      isNullable: false,
      isPk: false,
      isAutoIncrement: false,
      isGenerated: false,
      isRequired: true,
      default: null,
      comment: null,
      objectId: '3',
    });
  });

  test('databaseType is written "schema"."name" outside public and pg_catalog', () => {
    assert.equal(databaseTypeOf({ type_nspname: 'public', typname: 'mood' }), 'mood');
    assert.equal(databaseTypeOf({ type_nspname: 'pg_catalog', typname: '_int4' }), '_int4');
    assert.equal(databaseTypeOf({ type_nspname: 'ext', typname: 'citext' }), '"ext"."citext"');
    const citext = mapColumn({ ...columnRow, type_nspname: 'ext', typname: 'citext' }, 0);
    assert.equal(citext.databaseType, '"ext"."citext"');
    assert.equal(citext.baseType, 'type/Text');
  });

  test('enum and array hints from typtype and typcategory', () => {
    const enumRow = { ...columnRow, type_nspname: 'sales', typname: 'status', typtype: 'e', typcategory: 'E' };
    const enumColumn = mapColumn(enumRow, 0);
    assert.equal(enumColumn.baseType, 'type/PostgresEnum');
    assert.equal(enumColumn.databaseType, '"sales"."status"');
    const arrayColumn = mapColumn({ ...columnRow, typname: '_jsonb', typcategory: 'A' }, 0);
    assert.deepEqual([arrayColumn.baseType, arrayColumn.semanticHint], ['type/Array', null]);
    const json = mapColumn({ ...columnRow, typname: 'jsonb', typcategory: 'U' }, 0);
    assert.deepEqual([json.baseType, json.semanticHint], ['type/JSON', 'type/SerializedJSON']);
  });

  test('auto-increment from identity or nextval(, generated from attgenerated, and isRequired', () => {
    const identity = mapColumn({ ...columnRow, attidentity: 'a' }, 0);
    assert.deepEqual([identity.isAutoIncrement, identity.isRequired, identity.default], [true, false, null]);
    const serial = mapColumn({ ...columnRow, default_expr: "nextval('orders_id_seq'::regclass)" }, 0);
    assert.deepEqual([serial.isAutoIncrement, serial.isRequired], [true, false]);
    const defaulted = mapColumn({ ...columnRow, default_expr: "'x'::text || nextval('s')" }, 0);
    assert.deepEqual(
      [defaulted.isAutoIncrement, defaulted.isRequired, defaulted.default],
      [false, false, "'x'::text || nextval('s')"],
    );
    const generated = mapColumn({ ...columnRow, attgenerated: 's', default_expr: 'upper(name)' }, 0);
    assert.deepEqual([generated.isGenerated, generated.isRequired, generated.default], [true, false, null]);
    const nullable = mapColumn({ ...columnRow, attnotnull: false }, 0);
    assert.deepEqual([nullable.isNullable, nullable.isRequired], [true, false]);
  });

  test('PK flag and comments pass through; empty comments are null', () => {
    assert.equal(mapColumn({ ...columnRow, is_pk: true }, 0).isPk, true);
    assert.equal(mapColumn({ ...columnRow, description: 'Net amount' }, 0).comment, 'Net amount');
    assert.equal(mapColumn({ ...columnRow, description: '' }, 0).comment, null);
  });
});

describe('mapForeignKey and mapIndex', () => {
  test('a composite foreign key keeps its pairs in key order', () => {
    const fk = mapForeignKey({
      conname: 'lines_order_fk',
      nspname: 'sales',
      relname: 'lines',
      target_nspname: 'sales',
      target_relname: 'orders',
      attnames: ['order_no', 'region'],
      target_attnames: ['no', 'region_code'],
    });
    assert.deepEqual(fk, {
      constraintName: 'lines_order_fk',
      tableSchema: 'sales',
      tableName: 'lines',
      columns: ['order_no', 'region'],
      targetSchema: 'sales',
      targetTable: 'orders',
      targetColumns: ['no', 'region_code'],
    });
    assert.equal(Object.isFrozen(fk.columns), true);
  });

  test('an index with an expression key', () => {
    const index = mapIndex({
      nspname: 'public',
      relname: 'users',
      index_name: 'users_lower_email',
      indisunique: true,
      indisprimary: false,
      is_partial: true,
      attnames: [null, 'id'],
    });
    assert.deepEqual(index, {
      tableSchema: 'public',
      tableName: 'users',
      indexName: 'users_lower_email',
      columns: [null, 'id'],
      isUnique: true,
      isPrimary: false,
      isPartial: true,
    });
  });
});

describe('schema filters and scopes', () => {
  test('patterns become LIKE patterns: * is %, everything else literal', () => {
    assert.deepEqual(parseSchemaFilter('inclusion', 'sales, mar*, *_raw ,a%b\\c'), {
      mode: 'inclusion',
      likePatterns: ['sales', 'mar%', '%\\_raw', 'a\\%b\\\\c'],
    });
    assert.deepEqual(parseSchemaFilter('exclusion', 'tmp*'), { mode: 'exclusion', likePatterns: ['tmp%'] });
  });

  test('no filter for all, a missing type, or blank patterns', () => {
    assert.equal(parseSchemaFilter('all', 'sales'), null);
    assert.equal(parseSchemaFilter(undefined, 'sales'), null);
    assert.equal(parseSchemaFilter(null, null), null);
    assert.equal(parseSchemaFilter('inclusion', ' , '), null);
    assert.equal(parseSchemaFilter('exclusion', undefined), null);
  });

  test('null-schema refs never match on PostgreSQL', () => {
    assert.deepEqual(
      scopedRefs([
        { schema: 'public', name: 'a' },
        { schema: null, name: 'b' },
        { schema: 'Sales', name: 'C' },
      ]),
      { schemas: ['public', 'Sales'], names: ['a', 'C'] },
    );
  });
});

describe('catalog statements', () => {
  const refs = { schemas: ['public'], names: ['t'] };
  const filter = parseSchemaFilter('exclusion', 'tmp*');
  const builders = { tablesQuery, columnsQuery, foreignKeysQuery, indexesQuery };

  test('values are bound: scope arrays first, then the schema patterns', () => {
    for (const [name, build] of Object.entries(builders)) {
      assert.deepEqual(build(null, null).values, [], name);
      assert.deepEqual(build(refs, null).values, [['public'], ['t']], name);
      assert.deepEqual(build(null, filter).values, [['tmp%']], name);
      const both = build(refs, filter);
      assert.equal(both.values.length, 3, name);
      assert.ok(both.text.includes('$3'), name);
      assert.ok(!both.text.includes('$4'), name);
    }
  });

  test('the scoped statement is the database statement plus a filter, and every ordering is byte order', () => {
    for (const [name, build] of Object.entries(builders)) {
      const database = build(null, null).text;
      const scoped = build(refs, null).text;
      assert.ok(!database.includes('unnest($1'), name);
      assert.ok(scoped.includes('IN (SELECT * FROM unnest($1::name[], $2::name[]))'), name);
      assert.match(database, /ORDER BY \S+ COLLATE "C", \S+ COLLATE "C"/, name);
      assert.ok(database.includes('has_any_column_privilege'), name);
    }
    // Constraints of the scoped tables, and those that target them through pg_depend's index on the referenced object.
    const fk = foreignKeysQuery(refs, null).text;
    assert.ok(fk.includes('con.conrelid IN (SELECT oid FROM scoped_rel)'));
    assert.ok(fk.includes('d.refobjid IN (SELECT oid FROM scoped_rel)'));
  });
});
