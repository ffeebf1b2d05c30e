import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MYSQL_TYPE_MAP,
  mapMysqlType,
  mysqlDatabaseType,
  normalizeMysqlType,
  parseAdditionalOptions,
} from '../../../src/drivers/mysql/mysql-types.ts';
import {
  distinctValuesQuery,
  groupDistinctRows,
  normalizeMysqlValue,
  quoteIdentifier,
  sampleQuery,
  type ResultColumn,
} from '../../../src/drivers/mysql/mysql-sampling.ts';

describe('MySQL type normalization and map (sync-engine.md 4.8, 4.10)', () => {
  test('steps 4 to 6: parentheses, unsigned/zerofill, whitespace, case', () => {
    assert.equal(normalizeMysqlType('int(10) unsigned'), 'int');
    assert.equal(normalizeMysqlType('BIGINT(20) UNSIGNED ZEROFILL'), 'bigint');
    assert.equal(normalizeMysqlType('decimal(30,2)'), 'decimal');
    assert.equal(normalizeMysqlType("enum('a','b(c)')"), 'enum');
    assert.equal(normalizeMysqlType('  DOUBLE   Precision '), 'double precision');
    assert.equal(normalizeMysqlType('unsigned'), 'unsigned', 'only a trailing modifier after a type is removed');
  });

  test('the 4.8 MySQL rows: INT from int(10) unsigned, ENUM', () => {
    assert.equal(mapMysqlType('INT').baseType, 'type/Integer');
    assert.equal(mapMysqlType('int(10) unsigned').baseType, 'type/Integer');
    assert.equal(mapMysqlType('ENUM').baseType, 'type/MySQLEnum');
  });

  test('every key of the 4.10 MySQL map', () => {
    const expected: Record<string, [string, string | null]> = {
      bigint: ['type/BigInteger', null],
      int: ['type/Integer', null],
      integer: ['type/Integer', null],
      mediumint: ['type/Integer', null],
      smallint: ['type/Integer', null],
      tinyint: ['type/Integer', null],
      year: ['type/Integer', null],
      bit: ['type/Boolean', null],
      decimal: ['type/Decimal', null],
      numeric: ['type/Decimal', null],
      double: ['type/Float', null],
      float: ['type/Float', null],
      real: ['type/Float', null],
      char: ['type/Text', null],
      varchar: ['type/Text', null],
      text: ['type/Text', null],
      tinytext: ['type/Text', null],
      mediumtext: ['type/Text', null],
      longtext: ['type/Text', null],
      date: ['type/Date', null],
      datetime: ['type/DateTime', null],
      timestamp: ['type/DateTimeWithLocalTZ', null],
      time: ['type/Time', null],
      json: ['type/JSON', 'type/SerializedJSON'],
      enum: ['type/MySQLEnum', null],
      set: ['type/*', null],
      binary: ['type/*', null],
      varbinary: ['type/*', null],
      blob: ['type/*', null],
      tinyblob: ['type/*', null],
      mediumblob: ['type/*', null],
      longblob: ['type/*', null],
      geometry: ['type/*', null],
      point: ['type/*', null],
      linestring: ['type/*', null],
      polygon: ['type/*', null],
      multipoint: ['type/*', null],
      multilinestring: ['type/*', null],
      multipolygon: ['type/*', null],
      geometrycollection: ['type/*', null],
      geomcollection: ['type/*', null],
      uuid: ['type/UUID', null],
      inet4: ['type/IPAddress', 'type/IPAddress'],
      inet6: ['type/IPAddress', 'type/IPAddress'],
    };
    assert.deepEqual([...MYSQL_TYPE_MAP.keys()].sort(), Object.keys(expected).sort());
    for (const [key, [baseType, semanticHint]] of Object.entries(expected)) {
      assert.deepEqual(mapMysqlType(key.toUpperCase()), { baseType, semanticHint }, key);
    }
  });

  test('unknown types map to type/*', () => {
    for (const type of ['', 'VECTOR', 'serial', 'xml', 'unsigned']) assert.equal(mapMysqlType(type).baseType, 'type/*');
  });

  test('databaseType is UPPER(data_type); tinyint(1) is BIT unless tinyInt1isBit=false', () => {
    assert.equal(mysqlDatabaseType('int', 'int(10) unsigned', true), 'INT');
    assert.equal(mysqlDatabaseType('tinyint', 'tinyint(1)', true), 'BIT');
    assert.equal(mysqlDatabaseType('tinyint', 'TINYINT(1)', true), 'BIT');
    assert.equal(mysqlDatabaseType('tinyint', 'tinyint(1)', false), 'TINYINT');
    assert.equal(mysqlDatabaseType('tinyint', 'tinyint(1) unsigned', true), 'TINYINT');
    assert.equal(mysqlDatabaseType('tinyint', 'tinyint(4)', true), 'TINYINT');
    assert.equal(mysqlDatabaseType('longtext', 'longtext', true), 'LONGTEXT');
  });

  test('additional-options: tinyInt1isBit, JDBC style, other options ignored', () => {
    assert.deepEqual(parseAdditionalOptions(undefined), { tinyInt1isBit: true });
    assert.deepEqual(parseAdditionalOptions(''), { tinyInt1isBit: true });
    assert.deepEqual(parseAdditionalOptions('tinyInt1isBit=false'), { tinyInt1isBit: false });
    assert.deepEqual(parseAdditionalOptions('?useSSL=true&tinyint1isbit=FALSE'), { tinyInt1isBit: false });
    assert.deepEqual(parseAdditionalOptions('zeroDateTimeBehavior=convertToNull; tinyInt1isBit = true'), {
      tinyInt1isBit: true,
    });
    assert.deepEqual(parseAdditionalOptions('tinyInt1isBitX=false'), { tinyInt1isBit: true });
  });
});

/** Result column definitions as the protocol reports them. */
const COLUMN = {
  tinyint1: { columnType: 1, columnLength: 1, flags: 0 },
  tinyint1Unsigned: { columnType: 1, columnLength: 1, flags: 32 },
  tinyint4: { columnType: 1, columnLength: 4, flags: 0 },
  int: { columnType: 3, columnLength: 11, flags: 0 },
  year: { columnType: 13, columnLength: 4, flags: 96 },
  bigint: { columnType: 8, columnLength: 20, flags: 32 },
  double: { columnType: 5, columnLength: 22, flags: 0 },
  decimal: { columnType: 246, columnLength: 32, flags: 0 },
  date: { columnType: 10, columnLength: 10, flags: 0 },
  time: { columnType: 11, columnLength: 10, flags: 0 },
  datetime: { columnType: 12, columnLength: 23, flags: 0 },
  timestamp: { columnType: 7, columnLength: 23, flags: 0 },
  bit1: { columnType: 16, columnLength: 1, flags: 32 },
  bit12: { columnType: 16, columnLength: 12, flags: 32 },
  varchar: { columnType: 253, columnLength: 40, flags: 0 },
  blob: { columnType: 252, columnLength: 65535, flags: 144 },
  geometry: { columnType: 255, columnLength: 4294967295, flags: 144 },
  json: { columnType: 245, columnLength: 4294967295, flags: 144 },
} satisfies Record<string, ResultColumn>;

describe('value normalization (sync-engine.md 4.5)', () => {
  const n = (raw: string | Buffer | null, column: ResultColumn, tinyInt1isBit = true) =>
    normalizeMysqlValue(raw, column, tinyInt1isBit);

  test('integers, floats and decimals', () => {
    assert.equal(n('42', COLUMN.int), 42);
    assert.equal(n('-7', COLUMN.tinyint4), -7);
    assert.equal(n('2024', COLUMN.year), 2024);
    assert.equal(n('9007199254740991', COLUMN.bigint), 9007199254740991);
    assert.equal(n('18446744073709551615', COLUMN.bigint), '18446744073709551615');
    assert.equal(n('1.5e300', COLUMN.double), 1.5e300);
    assert.equal(n('12.50', COLUMN.decimal), 12.5);
    assert.equal(n('0.10', COLUMN.decimal), 0.1);
    assert.equal(n('-0.00', COLUMN.decimal), 0);
    assert.equal(n('12345678901234567890.12', COLUMN.decimal), '12345678901234567890.12');
  });

  test('booleans: a signed tinyint(1) and a bit(1); wider bits are numbers', () => {
    assert.equal(n('1', COLUMN.tinyint1), true);
    assert.equal(n('0', COLUMN.tinyint1), false);
    assert.equal(n('2', COLUMN.tinyint1), true);
    assert.equal(n('1', COLUMN.tinyint1, false), 1, 'tinyInt1isBit=false');
    assert.equal(n('1', COLUMN.tinyint1Unsigned), 1, 'tinyint(1) unsigned is not reported as BIT');
    assert.equal(n(Buffer.from([1]), COLUMN.bit1), true);
    assert.equal(n(Buffer.from([0]), COLUMN.bit1), false);
    assert.equal(n(Buffer.from([0x0a, 0xbc]), COLUMN.bit12), 0xabc);
  });

  test('temporal values as ISO-8601; TIMESTAMP is an instant in UTC; zero dates are null', () => {
    assert.equal(n('2025-11-25', COLUMN.date), '2025-11-25');
    assert.equal(n('08:30:00', COLUMN.time), '08:30:00');
    assert.equal(n('-838:59:59', COLUMN.time), '-838:59:59');
    assert.equal(n('2025-11-25 08:30:00', COLUMN.datetime), '2025-11-25T08:30:00');
    assert.equal(n('2025-11-25 08:30:00.125', COLUMN.datetime), '2025-11-25T08:30:00.125');
    assert.equal(n('2025-11-25 08:30:00', COLUMN.timestamp), '2025-11-25T08:30:00Z');
    assert.equal(n('0000-00-00', COLUMN.date), null);
    assert.equal(n('0000-00-00 00:00:00', COLUMN.datetime), null);
    assert.equal(n('0000-00-00 00:00:00', COLUMN.timestamp), null);
  });

  test('text, JSON text and binary as strings; geometry and NULL as null', () => {
    assert.equal(n('héllo', COLUMN.varchar), 'héllo');
    assert.equal(n('{"a": 1}', COLUMN.json), '{"a": 1}');
    assert.equal(n('raw', COLUMN.blob), 'raw');
    assert.equal(n(Buffer.from('bytes'), COLUMN.blob), 'bytes');
    assert.equal(n('\u0000\u0000', COLUMN.geometry), null);
    assert.equal(n(null, COLUMN.int), null);
  });
});

describe('data queries', () => {
  const table = { schema: null, name: 'or`ders' };

  test('identifiers are quoted with backticks', () => {
    assert.equal(quoteIdentifier('a`b'), '`a``b`');
    assert.equal(quoteIdentifier('select'), '`select`');
  });

  test('the sample: one SELECT with a LIMIT, text cut with SUBSTRING, values bound', () => {
    const fields = [
      { name: 'id', truncateText: false },
      { name: 'note', truncateText: true },
    ];
    assert.deepEqual(sampleQuery(table, fields, { limit: 10_000, textTruncate: 1_234 }), {
      text: 'SELECT `id`, SUBSTRING(`note`, 1, ?) FROM `or``ders` LIMIT ?',
      values: [1_234, 10_000],
    });
  });

  test('distinct values: the bounded GROUP BY statement for one field, one tagged statement for several', () => {
    assert.deepEqual(distinctValuesQuery(table, ['status'], { limit: 1_001 }), {
      text: 'SELECT `status` FROM `or``ders` WHERE `status` IS NOT NULL GROUP BY `status` ORDER BY `status` LIMIT ?',
      values: [1_001],
    });
    const batched = distinctValuesQuery(table, ['a', 'b'], { limit: 1_001 });
    assert.equal(
      batched.text,
      [
        'SELECT tag.k, d0.v, d1.v',
        'FROM (SELECT 0 AS k UNION ALL SELECT 1) tag',
        'LEFT JOIN (SELECT 0 AS k, `a` AS v FROM `or``ders` WHERE `a` IS NOT NULL GROUP BY `a` ORDER BY `a` LIMIT ?) d0' +
          ' ON d0.k = tag.k',
        'LEFT JOIN (SELECT 1 AS k, `b` AS v FROM `or``ders` WHERE `b` IS NOT NULL GROUP BY `b` ORDER BY `b` LIMIT ?) d1' +
          ' ON d1.k = tag.k',
        'ORDER BY tag.k, d0.v, d1.v',
      ].join('\n'),
    );
    assert.deepEqual(batched.values, [1_001, 1_001]);
  });

  test('grouping: rows are split by tag, the empty row of a field without values is dropped', () => {
    const tag = { columnType: 8, columnLength: 1, flags: 0 };
    const columns = [tag, COLUMN.tinyint1, COLUMN.varchar, COLUMN.decimal];
    const rows = [
      ['0', '0', null, null],
      ['0', '1', null, null],
      ['1', null, null, null],
      ['2', null, null, '1.50'],
    ];
    assert.deepEqual(groupDistinctRows(rows, columns, 3, true), [[false, true], [], [1.5]]);
    assert.deepEqual(groupDistinctRows([['b'], ['a']], [COLUMN.varchar], 1, true), [['b', 'a']]);
  });
});
