// The caps of sync-engine.md section 6.2: 1,000 values, 100,000 characters, has_more_values only when really cut.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  capValues,
  MAX_TOTAL_CHARS,
  MAX_VALUES,
  stringForm,
  VALUES_QUERY_LIMIT,
} from '../../../src/sync/field-values/caps.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('capValues', () => {
  test('the query asks for one value beyond the cap', () => {
    assert.equal(MAX_VALUES, 1000);
    assert.equal(VALUES_QUERY_LIMIT, 1001);
    assert.equal(MAX_TOTAL_CHARS, 100_000);
  });

  test('fewer values than the cap are kept as they are, with no more values', () => {
    assert.deepEqual(capValues(['a', 'b', 'c']), { values: ['a', 'b', 'c'], hasMoreValues: false });
    assert.deepEqual(capValues([]), { values: [], hasMoreValues: false });
  });

  test('exactly 1,000 values are no sign of more (Beyond Metabase)', () => {
    const capped = capValues(range(1000));
    assert.equal(capped.values.length, 1000);
    assert.equal(capped.hasMoreValues, false);
  });

  test('a 1,001st value proves more: 1,000 are kept, has_more_values is true', () => {
    const capped = capValues(range(1001));
    assert.deepEqual(capped.values, range(1000));
    assert.equal(capped.hasMoreValues, true);
  });

  test('values are added while the running total stays at or below 100,000 characters', () => {
    const exact = capValues(['x'.repeat(60_000), 'y'.repeat(40_000)]);
    assert.equal(exact.values.length, 2);
    assert.equal(exact.hasMoreValues, false);

    const over = capValues(['x'.repeat(60_000), 'y'.repeat(40_001), 'z']);
    assert.deepEqual(over.values, ['x'.repeat(60_000)]);
    assert.equal(over.hasMoreValues, true, 'the value that would exceed the total and every later one are dropped');
  });

  test('a first value longer than the total leaves an empty list with more values', () => {
    assert.deepEqual(capValues(['x'.repeat(100_001)]), { values: [], hasMoreValues: true });
  });

  test('non-text values count by their string form', () => {
    assert.equal(stringForm(12345), '12345');
    assert.equal(stringForm(true), 'true');
    assert.equal(stringForm(1.5), '1.5');
    assert.equal(stringForm('héllo'), 'héllo');
    const text = 'x'.repeat(99_996);
    assert.deepEqual(capValues([text, 1234]), { values: [text, 1234], hasMoreValues: false });
    assert.deepEqual(capValues([text, 12345]), { values: [text], hasMoreValues: true });
  });

  test('1,000 values of 101 characters: the first 990 fit into 100,000 characters', () => {
    const capped = capValues(range(1000).map((i) => `${i}`.padStart(101, '0')));
    assert.equal(capped.values.length, 990);
    assert.equal(capped.hasMoreValues, true);
  });
});
