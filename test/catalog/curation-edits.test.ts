// The pure parts of curation (curation-notes.md 1.1, 1.2; sync-engine.md 2.2): the row change and user_set of an edit,
// the positions of each field_order, the custom-order set check, FK clearing and coercion, the name-prefix pattern.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { acceptsHumanReadableValues, fieldEditChanges, FieldEditError } from '../../src/catalog/field-edits.ts';
import { fieldPositions, isFieldOrderOf, rowEdit, type OrderableField } from '../../src/catalog/table-edits.ts';
import { namePrefixPattern } from '../../src/catalog/table-reads.ts';

describe('rowEdit', () => {
  test('writes the named keys, a null one too, and adds each to the sorted user_set', () => {
    assert.deepEqual(rowEdit('["display_name"]', { description: null, caveats: 'x', skipped: undefined }), {
      values: { description: null, caveats: 'x' },
      user_set: '["caveats","description","display_name"]',
    });
    assert.deepEqual(rowEdit('[]', {}), { values: {}, user_set: '[]' });
  });
});

describe('fieldPositions', () => {
  const field = (id: number, name: string, extra: Partial<OrderableField> = {}): OrderableField => ({
    id,
    name,
    base_type: 'type/Text',
    semantic_type: null,
    database_position: id,
    custom_position: 10 - id,
    ...extra,
  });
  const fields = [
    field(1, 'zeta'),
    field(2, 'Alpha'),
    field(3, 'made_at', { base_type: 'type/DateTime' }),
    field(4, 'id', { semantic_type: 'type/PK', base_type: 'type/Integer' }),
    field(5, 'title', { semantic_type: 'type/Name' }),
  ];
  const order = (o: Parameters<typeof fieldPositions>[0]) =>
    [...fieldPositions(o, fields)].sort((a, b) => a[1] - b[1]).map(([id]) => id);

  test('database keeps the warehouse positions; alphabetical ignores case; custom; smart groups PK, Name, temporal', () => {
    assert.deepEqual([...fieldPositions('database', fields)], fields.map((f) => [f.id, f.id]));
    assert.deepEqual(order('alphabetical'), [2, 4, 3, 5, 1]);
    assert.deepEqual(order('custom'), [5, 4, 3, 2, 1]);
    assert.deepEqual(order('smart'), [4, 5, 3, 2, 1]);
    assert.deepEqual([...fieldPositions('smart', fields).values()].sort(), [0, 1, 2, 3, 4]);
  });

  test('isFieldOrderOf: the same set, each id once', () => {
    assert.equal(isFieldOrderOf([3, 1, 2], [1, 2, 3]), true);
    assert.equal(isFieldOrderOf([1, 2], [1, 2, 3]), false);
    assert.equal(isFieldOrderOf([1, 2, 2], [1, 2, 3]), false);
    assert.equal(isFieldOrderOf([1, 2, 4], [1, 2, 3]), false);
    assert.equal(isFieldOrderOf([], []), true);
  });
});

describe('fieldEditChanges', () => {
  const stored = { base_type: 'type/Integer', semantic_type: 'type/FK', user_set: '[]' };

  test('leaving type/FK clears the target unless the edit names one', () => {
    assert.deepEqual(fieldEditChanges(stored, { semantic_type: null }).values, { semantic_type: null, fk_target_field_id: null });
    assert.deepEqual(fieldEditChanges(stored, { semantic_type: 'type/Category', fk_target_field_id: 7 }).values, {
      semantic_type: 'type/Category',
      fk_target_field_id: 7,
    });
    assert.deepEqual(fieldEditChanges(stored, { semantic_type: 'type/FK' }).values, { semantic_type: 'type/FK' });
  });

  test('coercion sets the effective type (both user-set), null returns to the base type, a mismatch is refused', () => {
    const edit = fieldEditChanges(stored, { coercion_strategy: 'Coercion/UNIXSeconds->DateTime' });
    assert.deepEqual(edit.values, { coercion_strategy: 'Coercion/UNIXSeconds->DateTime', effective_type: 'type/DateTime' });
    assert.equal(edit.user_set, '["coercion_strategy","effective_type"]');
    assert.deepEqual(fieldEditChanges(stored, { coercion_strategy: null }).values, {
      coercion_strategy: null,
      effective_type: 'type/Integer',
    });
    assert.throws(() => fieldEditChanges(stored, { coercion_strategy: 'Coercion/ISO8601->Date' }), FieldEditError);
  });

  test('settings stored as JSON; hidden, sensitive and retired delete the values, other visibilities do not', () => {
    assert.deepEqual(fieldEditChanges(stored, { settings: { a: 1 } }).values, { settings: '{"a":1}' });
    for (const v of ['hidden', 'sensitive', 'retired']) assert.equal(fieldEditChanges(stored, { visibility_type: v }).deleteValues, true);
    for (const v of ['normal', 'details-only']) assert.equal(fieldEditChanges(stored, { visibility_type: v }).deleteValues, false);
  });

  test('acceptsHumanReadableValues: active, visible, a list or a boolean', () => {
    const f = { active: true, visibility_type: 'normal', has_field_values: 'list', base_type: 'type/Text' };
    assert.equal(acceptsHumanReadableValues(f), true);
    assert.equal(acceptsHumanReadableValues({ ...f, has_field_values: 'auto-list' }), true);
    assert.equal(acceptsHumanReadableValues({ ...f, has_field_values: 'search' }), false);
    assert.equal(acceptsHumanReadableValues({ ...f, has_field_values: null, base_type: 'type/Boolean' }), true);
    assert.equal(acceptsHumanReadableValues({ ...f, visibility_type: 'sensitive' }), false);
    assert.equal(acceptsHumanReadableValues({ ...f, active: false }), false);
  });
});

test('namePrefixPattern: lower-cased prefix, * a wildcard, LIKE wildcards escaped', () => {
  assert.equal(namePrefixPattern('Ord*s'), 'ord%s%');
  assert.equal(namePrefixPattern('a_b%'), 'a\\_b\\%%');
});
