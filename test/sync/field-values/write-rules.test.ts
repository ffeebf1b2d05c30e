// The write rules of sync-engine.md section 6.3: demotion, unchanged rows, upserts with labels rebuilt by value.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideValues, rebuildLabels, type StoredValues } from '../../../src/sync/field-values/write-rules.ts';

const AUTO = { hasFieldValues: 'auto-list', userSet: new Set<string>() };
const LIST = { hasFieldValues: 'list', userSet: new Set(['has_field_values']) };
const stored = (values: unknown[], labels: unknown[] = [], hasMoreValues = false): StoredValues => ({
  values,
  humanReadableValues: labels,
  hasMoreValues,
});

describe('decideValues', () => {
  test('a field without a row gets one, without labels', () => {
    assert.deepEqual(decideValues(AUTO, null, { values: ['a', 'b'], hasMoreValues: false }), {
      kind: 'create',
      values: ['a', 'b'],
      humanReadableValues: [],
      hasMoreValues: false,
    });
  });

  test('equal values and has_more_values write nothing', () => {
    assert.deepEqual(decideValues(AUTO, stored([1, 2]), { values: [1, 2], hasMoreValues: false }), {
      kind: 'unchanged',
    });
  });

  test('other values, or only another has_more_values, update the row', () => {
    const changed = decideValues(AUTO, stored([1, 2]), { values: [1, 3], hasMoreValues: false });
    assert.equal(changed.kind, 'update');
    const more = decideValues(LIST, stored([1, 2]), { values: [1, 2], hasMoreValues: true });
    assert.deepEqual(more, { kind: 'update', values: [1, 2], humanReadableValues: [], hasMoreValues: true });
  });

  test('an auto-list that overflowed is demoted, with or without a row', () => {
    assert.deepEqual(decideValues(AUTO, stored([1]), { values: [1, 2], hasMoreValues: true }), { kind: 'demote' });
    assert.deepEqual(decideValues(AUTO, null, { values: [1], hasMoreValues: true }), { kind: 'demote' });
  });

  test('an admin-set list, or a user-set auto-list, keeps its truncated list', () => {
    assert.equal(decideValues(LIST, null, { values: [1], hasMoreValues: true }).kind, 'create');
    const userAuto = { hasFieldValues: 'auto-list', userSet: new Set(['has_field_values']) };
    assert.equal(decideValues(userAuto, null, { values: [1], hasMoreValues: true }).kind, 'create');
  });

  test('labels are rebuilt by value on update', () => {
    const action = decideValues(LIST, stored(['a', 'b', 'c'], ['Alpha', 'Beta', 'Gamma']), {
      values: ['a', 'c', 'd'],
      hasMoreValues: false,
    });
    assert.deepEqual(action, {
      kind: 'update',
      values: ['a', 'c', 'd'],
      humanReadableValues: ['Alpha', 'Gamma', 'd'],
      hasMoreValues: false,
    });
  });
});

describe('rebuildLabels', () => {
  test('no labels stay no labels', () => {
    assert.deepEqual(rebuildLabels(stored([1, 2]), [1, 2, 3]), []);
  });

  test('values are matched by JSON identity: 1 and "1" are different values', () => {
    assert.deepEqual(rebuildLabels(stored([1, '2'], ['one', 'two']), ['1', 2, true]), ['1', '2', 'true']);
    assert.deepEqual(rebuildLabels(stored([1, '2'], ['one', 'two']), [1, '2']), ['one', 'two']);
  });
});
