// The pure hashes of migration 004 (src/catalog/listing-hashes.ts): every reported property of a column and every
// rule reconciliation reads changes the fields hash; the table's identity does not. The FK and index hashes follow
// their inputs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  HASHED_FIELD_KEYS,
  fieldsListingHash,
  foreignKeysHash,
  hashedValues,
  indexesHash,
} from '../../src/catalog/listing-hashes.ts';
import type { FieldMetadata } from '../../src/drivers/driver.ts';
import { fieldMetadata } from '../support/field-metadata.ts';

const FIELD: FieldMetadata = fieldMetadata({ databaseType: 'text', objectId: '16402:3' });
const RULES = { fieldOrder: 'database', byObjectId: true };

/** A different value of the same type as the property's in FIELD. */
function other(key: (typeof HASHED_FIELD_KEYS)[number]): unknown {
  const value = FIELD[key];
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'number') return value + 1;
  return value === null ? 'x' : `${value}x`;
}

describe('listing hashes', () => {
  test('hashedValues lists every hashed property in the order of HASHED_FIELD_KEYS', () => {
    assert.deepEqual(hashedValues(FIELD), HASHED_FIELD_KEYS.map((k) => FIELD[k]));
    const keys = Object.keys(FIELD).filter((k) => k !== 'tableSchema' && k !== 'tableName');
    assert.deepEqual([...HASHED_FIELD_KEYS].sort(), keys.sort());
  });

  test('every hashed property, the order of the columns and each rule change the fields hash', () => {
    const base = fieldsListingHash([FIELD], RULES);
    assert.equal(fieldsListingHash([{ ...FIELD }], { ...RULES }), base, 'the same input, the same hash');
    for (const key of HASHED_FIELD_KEYS) {
      assert.notEqual(fieldsListingHash([{ ...FIELD, [key]: other(key) }], RULES), base, key);
    }
    assert.notEqual(fieldsListingHash([FIELD], { ...RULES, fieldOrder: 'custom' }), base);
    assert.notEqual(fieldsListingHash([FIELD], { ...RULES, byObjectId: false }), base);
    const second = { ...FIELD, name: 'total', position: 3 };
    assert.notEqual(fieldsListingHash([FIELD, second], RULES), fieldsListingHash([second, FIELD], RULES));
    // null and the string "null" are different values.
    assert.notEqual(fieldsListingHash([{ ...FIELD, comment: 'null' }], RULES), base);
  });

  test("the table's identity is not hashed", () => {
    assert.equal(fieldsListingHash([{ ...FIELD, tableName: 'renamed', tableSchema: 'other' }], RULES), fieldsListingHash([FIELD], RULES));
  });

  test('the FK and index hashes change with each of their inputs', () => {
    const fk = foreignKeysHash('[{"a":1}]', 'F', [{ id: 7, fieldsHash: 'T' }]);
    assert.notEqual(foreignKeysHash('[{"a":2}]', 'F', [{ id: 7, fieldsHash: 'T' }]), fk);
    assert.notEqual(foreignKeysHash('[{"a":1}]', 'G', [{ id: 7, fieldsHash: 'T' }]), fk);
    assert.notEqual(foreignKeysHash('[{"a":1}]', 'F', [{ id: 8, fieldsHash: 'T' }]), fk);
    assert.notEqual(foreignKeysHash('[{"a":1}]', 'F', [{ id: 7, fieldsHash: 'U' }]), fk);
    const index = indexesHash('[]', 'F');
    assert.notEqual(indexesHash('[{"i":1}]', 'F'), index);
    assert.notEqual(indexesHash('[]', 'G'), index);
  });
});
