import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matchUnambiguous } from '../../src/catalog/match.ts';

const lower = (s: string) => s.toLowerCase();

describe('matchUnambiguous', () => {
  test('pairs exact keys and leaves the rest on both sides', () => {
    const result = matchUnambiguous(['a', 'b', 'c'], ['c', 'a', 'z'], (r) => r, (s) => s);
    assert.deepEqual(result.pairs, [['a', 'a'], ['c', 'c']]);
    assert.deepEqual(result.reported, ['b']);
    assert.deepEqual(result.stored, ['z']);
  });

  test('a key with two stored candidates matches nothing', () => {
    const result = matchUnambiguous(['ID'], ['id', 'Id'], lower, lower);
    assert.deepEqual(result.pairs, []);
    assert.deepEqual(result.reported, ['ID']);
    assert.deepEqual(result.stored, ['id', 'Id']);
  });

  test('a key reported twice matches nothing', () => {
    const result = matchUnambiguous(['Id', 'ID'], ['id'], lower, lower);
    assert.deepEqual(result.pairs, []);
    assert.deepEqual(result.stored, ['id']);
  });

  test('null keys never match', () => {
    const result = matchUnambiguous([{ k: null }], [{ k: null }], (r) => r.k, (s) => s.k);
    assert.equal(result.pairs.length, 0);
  });
});
