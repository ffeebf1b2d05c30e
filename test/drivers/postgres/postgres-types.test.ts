import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mapPostgresType,
  normalizePostgresType,
  POSTGRES_TYPE_MAP,
} from '../../../src/drivers/postgres/postgres-types.ts';

describe('PostgreSQL type normalization (sync-engine.md 4.8)', () => {
  test('the PostgreSQL rows of the 4.8 table', () => {
    assert.equal(normalizePostgresType('timestamp(3) with time zone'), 'timestamp with time zone');
    assert.equal(mapPostgresType('timestamp(3) with time zone').baseType, 'type/DateTimeWithLocalTZ');
    assert.equal(normalizePostgresType('numeric(10,2)'), 'numeric');
    assert.equal(mapPostgresType('numeric(10,2)').baseType, 'type/Decimal');
    assert.equal(mapPostgresType('_int4', { isArray: true }).baseType, 'type/Array');
    assert.equal(mapPostgresType('"sales"."order_status"', { isEnum: true }).baseType, 'type/PostgresEnum');
    assert.equal(normalizePostgresType('"ext"."citext"'), 'citext');
    assert.equal(mapPostgresType('"ext"."citext"').baseType, 'type/Text');
  });

  test('steps 4 and 6 on the other engines\' spellings', () => {
    assert.equal(normalizePostgresType('VARCHAR(255)'), 'varchar');
    assert.equal(normalizePostgresType('DECIMAL(18,3)'), 'decimal');
    assert.equal(normalizePostgresType('STRUCT(a INTEGER, b VARCHAR)'), 'struct');
    assert.equal(normalizePostgresType('MAP(VARCHAR, INTEGER)'), 'map');
    assert.equal(normalizePostgresType("enum('a','b')"), 'enum');
    assert.equal(normalizePostgresType('STRUCT(a STRUCT(b INTEGER), c DECIMAL(4, 2))'), 'struct');
    assert.equal(normalizePostgresType('  Double   Precision '), 'double precision');
    assert.equal(normalizePostgresType('time(6)\twith  time zone'), 'time with time zone');
  });

  test('schema qualification is dropped, quoted or not', () => {
    assert.equal(normalizePostgresType('ext.citext'), 'citext');
    assert.equal(normalizePostgresType('"my.schema"."CiText"'), 'citext');
    assert.equal(normalizePostgresType('"a""b"."x""y"'), 'x"y');
    assert.equal(mapPostgresType('"public"."json"').semanticHint, 'type/SerializedJSON');
  });

  test('hints win, and a [] or [n] suffix means an array', () => {
    assert.equal(mapPostgresType('text', { isEnum: true }).baseType, 'type/PostgresEnum');
    assert.equal(mapPostgresType('_text', { isArray: true }).baseType, 'type/Array');
    assert.equal(mapPostgresType('_text').baseType, 'type/*');
    assert.equal(mapPostgresType('integer[]').baseType, 'type/Array');
    assert.equal(mapPostgresType('INTEGER[3][]').baseType, 'type/Array');
    assert.equal(mapPostgresType('jsonb[]').semanticHint, null);
    assert.equal(mapPostgresType('"sales"."order_status"').baseType, 'type/*');
  });

  test('unknown keys map to type/*', () => {
    for (const type of ['', 'hstore', '"ext"."ltree"', 'geography', 'int4range', 'oid']) {
      assert.deepEqual(mapPostgresType(type), { baseType: 'type/*', semanticHint: null }, type);
    }
  });
});

describe('PostgreSQL type map (sync-engine.md 4.10)', () => {
  const expected: [string[], string, string | null][] = [
    [['bigint', 'bigserial', 'int8', 'serial8'], 'type/BigInteger', null],
    [
      ['int', 'int2', 'int4', 'integer', 'smallint', 'serial', 'serial2', 'serial4', 'smallserial'],
      'type/Integer',
      null,
    ],
    [['decimal', 'numeric', 'money'], 'type/Decimal', null],
    [['float4', 'float8', 'real', 'double precision'], 'type/Float', null],
    [['bool', 'boolean'], 'type/Boolean', null],
    [['text', 'varchar', 'character varying', 'char', 'character', 'bpchar', 'citext'], 'type/Text', null],
    [['pg_lsn'], 'type/Text', null],
    [['date'], 'type/Date', null],
    [['time', 'time without time zone'], 'type/Time', null],
    [['timetz', 'time with time zone'], 'type/TimeWithLocalTZ', null],
    [['timestamp', 'timestamp without time zone'], 'type/DateTime', null],
    [['timestamptz', 'timestamp with time zone'], 'type/DateTimeWithLocalTZ', null],
    [['json', 'jsonb'], 'type/JSON', 'type/SerializedJSON'],
    [['uuid'], 'type/UUID', null],
    [['inet'], 'type/IPAddress', 'type/IPAddress'],
    [['cidr', 'macaddr'], 'type/Structured', null],
    [['xml'], 'type/Structured', 'type/XML'],
    [
      ['bit', 'bit varying', 'varbit', 'box', 'bytea', 'circle', 'geometry', 'interval', 'line', 'lseg', 'path',
        'point', 'tsquery', 'tsvector', 'txid_snapshot'],
      'type/*',
      null,
    ],
  ];

  test('every key maps as the table says, in any spelling', () => {
    for (const [keys, baseType, semanticHint] of expected) {
      for (const key of keys) {
        assert.deepEqual(mapPostgresType(key), { baseType, semanticHint }, key);
        assert.deepEqual(mapPostgresType(key.toUpperCase()), { baseType, semanticHint }, key.toUpperCase());
      }
    }
  });

  test('the map holds exactly the table\'s keys', () => {
    const keys = expected.flatMap(([list]) => list).sort();
    assert.deepEqual([...POSTGRES_TYPE_MAP.keys()].sort(), keys);
  });

  test('enum and array hints (the last two rows)', () => {
    assert.deepEqual(mapPostgresType('"sales"."mood"', { isEnum: true }), {
      baseType: 'type/PostgresEnum',
      semanticHint: null,
    });
    assert.deepEqual(mapPostgresType('_jsonb', { isArray: true }), { baseType: 'type/Array', semanticHint: null });
  });
});
