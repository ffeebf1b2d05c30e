import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allowsFieldValues, isa, isFingerprintable } from '../../src/drivers/types.ts';

describe('base-type hierarchy (sync-engine.md 4.9)', () => {
  test('every row of the table holds', () => {
    const rows: [string, string][] = [
      ['type/Integer', 'type/Number'],
      ['type/Float', 'type/Number'],
      ['type/BigInteger', 'type/Integer'],
      ['type/Decimal', 'type/Float'],
      ['type/UUID', 'type/Text'],
      ['type/PostgresEnum', 'type/Text'],
      ['type/MySQLEnum', 'type/Text'],
      ['type/IPAddress', 'type/TextLike'],
      ['type/Date', 'type/Temporal'],
      ['type/Time', 'type/Temporal'],
      ['type/DateTime', 'type/Temporal'],
      ['type/TimeWithLocalTZ', 'type/Time'],
      ['type/DateTimeWithLocalTZ', 'type/DateTime'],
      ['type/Array', 'type/Collection'],
      ['type/JSON', 'type/Structured'],
      ['type/JSON', 'type/Collection'],
    ];
    for (const [type, ancestor] of rows) assert.equal(isa(type, ancestor), true, `${type} ⊑ ${ancestor}`);
    for (const root of ['type/Number', 'type/Text', 'type/TextLike', 'type/Temporal', 'type/Boolean', 'type/Collection',
      'type/Structured']) {
      assert.equal(isa(root, 'type/*'), true, root);
    }
  });

  test('is reflexive and transitive, and nothing else', () => {
    assert.equal(isa('type/Text', 'type/Text'), true);
    assert.equal(isa('type/BigInteger', 'type/Number'), true);
    assert.equal(isa('type/Decimal', 'type/Number'), true);
    assert.equal(isa('type/DateTimeWithLocalTZ', 'type/Temporal'), true);
    assert.equal(isa('type/TimeWithLocalTZ', 'type/DateTime'), false);
    assert.equal(isa('type/IPAddress', 'type/Text'), false);
    assert.equal(isa('type/Integer', 'type/BigInteger'), false);
    assert.equal(isa('type/Float', 'type/Integer'), false);
    assert.equal(isa('type/Array', 'type/Structured'), false);
    assert.equal(isa('type/Number', 'type/Integer'), false);
    assert.equal(isa('type/*', 'type/Text'), false);
    assert.equal(isa('type/Unheard', 'type/*'), true);
  });

  test('not fingerprintable: type/*, Structured, Collection', () => {
    for (const type of ['type/*', 'type/Structured', 'type/JSON', 'type/Array', 'type/Collection']) {
      assert.equal(isFingerprintable(type), false, type);
    }
    for (const type of ['type/Text', 'type/Integer', 'type/DateTime', 'type/Boolean', 'type/IPAddress', 'type/UUID']) {
      assert.equal(isFingerprintable(type), true, type);
    }
  });

  test('no field values: the same, plus Temporal', () => {
    for (const type of ['type/*', 'type/JSON', 'type/Array', 'type/Date', 'type/Time', 'type/DateTimeWithLocalTZ']) {
      assert.equal(allowsFieldValues(type), false, type);
    }
    for (const type of ['type/Text', 'type/PostgresEnum', 'type/Decimal', 'type/Boolean', 'type/IPAddress']) {
      assert.equal(allowsFieldValues(type), true, type);
    }
  });
});
