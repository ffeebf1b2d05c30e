import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DUCKDB_TYPE_MAP,
  duckdbTypeKey,
  isDuckdbArrayType,
  mapDuckdbType,
} from '../../../src/drivers/duckdb/duckdb-types.ts';

/** The DuckDB map of sync-engine.md 4.10, key by key. */
const SPEC_MAP: readonly (readonly [readonly string[], string])[] = [
  [['boolean', 'bool', 'logical'], 'type/Boolean'],
  [
    [
      'tinyint', 'int1', 'smallint', 'int2', 'short', 'integer', 'int4', 'int', 'signed', 'utinyint', 'usmallint',
      'uinteger',
    ],
    'type/Integer',
  ],
  [['bigint', 'int8', 'long', 'ubigint', 'hugeint', 'uhugeint', 'bignum', 'varint'], 'type/BigInteger'],
  [['decimal', 'numeric'], 'type/Decimal'],
  [['float', 'float4', 'real', 'double', 'float8'], 'type/Float'],
  [['varchar', 'char', 'bpchar', 'text', 'string', 'enum'], 'type/Text'],
  [['uuid'], 'type/UUID'],
  [['date'], 'type/Date'],
  [['time', 'timetz', 'time with time zone'], 'type/Time'],
  [['timestamp', 'datetime', 'timestamp_s', 'timestamp_ms', 'timestamp_us', 'timestamp_ns'], 'type/DateTime'],
  [['timestamptz', 'timestamp with time zone'], 'type/DateTimeWithLocalTZ'],
  [['json'], 'type/JSON'],
  [['struct', 'map'], 'type/Structured'],
  [
    [
      'union', 'blob', 'bytea', 'binary', 'varbinary', 'bit', 'bitstring', 'interval', 'geometry', 'point_2d', 'box_2d',
      'null',
    ],
    'type/*',
  ],
];

describe('DuckDB type map (sync-engine.md 4.10)', () => {
  test('every key of the spec maps to its base type, in any letter case', () => {
    for (const [keys, baseType] of SPEC_MAP) {
      for (const key of keys) {
        assert.equal(mapDuckdbType(key).baseType, baseType, key);
        assert.equal(mapDuckdbType(key.toUpperCase()).baseType, baseType, key.toUpperCase());
        assert.equal(DUCKDB_TYPE_MAP.get(key)?.baseType, baseType, `${key} is a key of the map`);
      }
    }
  });

  test('JSON carries the SerializedJSON hint; nothing else does', () => {
    assert.deepEqual(mapDuckdbType('JSON'), { baseType: 'type/JSON', semanticHint: 'type/SerializedJSON' });
    for (const type of DUCKDB_TYPE_MAP.values()) {
      if (type.baseType !== 'type/JSON') assert.equal(type.semanticHint, null, type.baseType);
    }
  });

  test('the examples of 4.8 and the parameterized types DuckDB reports', () => {
    const cases: readonly (readonly [string, string])[] = [
      ['DECIMAL(18,3)', 'type/Decimal'],
      ['INTEGER[]', 'type/Array'],
      ['INTEGER[3]', 'type/Array'],
      ['VARCHAR[][]', 'type/Array'],
      ['STRUCT(a INTEGER, b VARCHAR)[]', 'type/Array'],
      ["ENUM('sad', 'ok')[]", 'type/Array'],
      ['MAP(VARCHAR, INTEGER)', 'type/Structured'],
      ['STRUCT(a INTEGER, b STRUCT(c VARCHAR))', 'type/Structured'],
      ['UNION(num INTEGER, str VARCHAR)', 'type/*'],
      ["ENUM('sad', 'ok', 'happy')", 'type/Text'],
      ["ENUM('a(', 'b)[]', 'c''d')", 'type/Text'],
      ['STRUCT("x[]" INTEGER)', 'type/Structured'],
      ['TIMESTAMP WITH TIME ZONE', 'type/DateTimeWithLocalTZ'],
      ['TIME WITH TIME ZONE', 'type/Time'],
      ['TIMESTAMP_NS', 'type/DateTime'],
      ['VARCHAR(20)', 'type/Text'],
      ['BIGNUM', 'type/BigInteger'],
      ['VARIANT', 'type/*'],
      ['', 'type/*'],
    ];
    for (const [databaseType, baseType] of cases) {
      assert.equal(mapDuckdbType(databaseType).baseType, baseType, databaseType);
    }
  });

  test('a user-defined type maps through its logical type', () => {
    assert.equal(mapDuckdbType('amount', 'DECIMAL').baseType, 'type/Decimal');
    assert.equal(mapDuckdbType('mood', 'ENUM').baseType, 'type/Text');
    assert.equal(mapDuckdbType('point', 'STRUCT').baseType, 'type/Structured');
    assert.equal(mapDuckdbType('amount').baseType, 'type/*', 'unknown without its logical type');
  });

  test('the lookup key drops parenthesized groups, collapses spaces and lower-cases', () => {
    assert.equal(duckdbTypeKey('DECIMAL(18,3)'), 'decimal');
    assert.equal(duckdbTypeKey('  TIMESTAMP   WITH TIME  ZONE '), 'timestamp with time zone');
    assert.equal(duckdbTypeKey('STRUCT(a STRUCT(b INTEGER), c VARCHAR)'), 'struct');
    assert.equal(duckdbTypeKey("ENUM('x)', 'y')"), 'enum');
  });

  test('array types are told apart from types whose text merely contains brackets', () => {
    assert.equal(isDuckdbArrayType('INTEGER[]'), true);
    assert.equal(isDuckdbArrayType('DOUBLE[768]'), true);
    assert.equal(isDuckdbArrayType("ENUM('[]')"), false);
    assert.equal(isDuckdbArrayType('MAP(VARCHAR, INTEGER[])'), false);
  });
});
