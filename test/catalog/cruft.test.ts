import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePatterns, isCruftyByUserPatterns, isCruftyNewTable } from '../../src/catalog/cruft.ts';

describe('crufty tables (3.6.2)', () => {
  test('built-in patterns match the lower-cased name, anchored', () => {
    const crufty = ['django_migrations', 'Schema_Migrations', 'cache_form', 'page_cache', 'node_revision_x'];
    for (const name of [...crufty, 'syncobj_0x12']) {
      assert.equal(isCruftyNewTable(name, []), true, name);
    }
    for (const name of ['my_django_migrations', 'orders', 'queue_items', 'config_values', 'batches']) {
      assert.equal(isCruftyNewTable(name, []), false, name);
    }
  });

  test('user patterns apply at creation and on update; built-ins only at creation', () => {
    const { patterns } = compilePatterns(['^tmp_', 'staging$']);
    assert.equal(isCruftyNewTable('TMP_load', patterns), true);
    assert.equal(isCruftyByUserPatterns('orders_staging', patterns), true);
    assert.equal(isCruftyByUserPatterns('django_migrations', patterns), false);
  });

  test('invalid and non-string patterns are ignored and reported', () => {
    const compiled = compilePatterns(['(', 42, '^ok$', '']);
    assert.deepEqual(compiled.invalid, ['(']);
    assert.equal(compiled.patterns.length, 1);
    assert.deepEqual(compilePatterns('not a list'), { patterns: [], invalid: [] });
  });
});
