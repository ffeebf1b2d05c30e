import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { removeParenthesized, sqliteBaseType, sqliteTypeKey } from '../../../src/drivers/sqlite/sqlite-types.ts';

describe('sqliteTypeKey', () => {
  test('removes parenthesized groups, collapses whitespace, trims and lower-cases', () => {
    assert.equal(sqliteTypeKey('VARCHAR(255)'), 'varchar');
    assert.equal(sqliteTypeKey('  DECIMAL ( 10, 2 ) '), 'decimal');
    assert.equal(sqliteTypeKey('UNSIGNED   BIG INT'), 'unsigned big int');
    assert.equal(sqliteTypeKey('Timestamp(3) With Time Zone'), 'timestamp with time zone');
    assert.equal(sqliteTypeKey(''), '');
  });

  test('removes nested groups whole', () => {
    assert.equal(removeParenthesized('STRUCT(a INTEGER, b MAP(VARCHAR, INT))'), 'STRUCT ');
  });
});

describe('sqliteBaseType (sync-engine.md 4.10, SQLite)', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['BIGINT', 'type/BigInteger'],
    ['UNSIGNED BIG INT', 'type/BigInteger'],
    ['INT', 'type/Integer'],
    ['INTEGER', 'type/Integer'],
    ['tinyint', 'type/Integer'],
    ['POINT', 'type/Integer'],
    ['INTERVAL', 'type/Integer'],
    ['VARCHAR(255)', 'type/Text'],
    ['NVARCHAR(10)', 'type/Text'],
    ['CHARACTER(20)', 'type/Text'],
    ['TEXT', 'type/Text'],
    ['CLOB', 'type/Text'],
    ['BLOB', 'type/*'],
    ['REAL', 'type/Float'],
    ['DOUBLE', 'type/Float'],
    ['DOUBLE PRECISION', 'type/Float'],
    ['FLOAT', 'type/Float'],
    ['NUMERIC', 'type/Float'],
    ['NUMERIC(10,2)', 'type/Float'],
    ['DECIMAL(10,2)', 'type/Decimal'],
    ['BOOLEAN', 'type/Boolean'],
    ['bool', 'type/Boolean'],
    ['TIMESTAMP', 'type/DateTime'],
    ['DATETIME', 'type/DateTime'],
    ['DATE', 'type/Date'],
    ['TIME', 'type/Time'],
    ['', 'type/*'],
    ['   ', 'type/*'],
    ['JSON', 'type/*'],
    ['my type', 'type/*'],
    ['TEXT[]', 'type/Array'],
    ['INT[3][4]', 'type/Array'],
  ];
  for (const [declared, expected] of cases) {
    test(`${JSON.stringify(declared)} → ${expected}`, () => assert.equal(sqliteBaseType(declared), expected));
  }

  test('the first matching rule wins', () => {
    // INT before CHAR, CHAR before DATE/TIME, DATETIME before DATE and TIME.
    assert.equal(sqliteBaseType('CHARINT'), 'type/Integer');
    assert.equal(sqliteBaseType('DATECHAR'), 'type/Text');
    assert.equal(sqliteBaseType('SMALLDATETIME'), 'type/DateTime');
    assert.equal(sqliteBaseType('BLOBTEXT'), 'type/Text');
    assert.equal(sqliteBaseType('FLOATING POINT'), 'type/Integer');
  });
});
