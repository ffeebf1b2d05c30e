import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChangesetBuilder, MAX_CHANGES_PER_LIST, emptyChangeset } from '../../src/sync/changeset.ts';
import { scopeDetail } from '../../src/sync/phase.ts';
import { semanticVersion } from '../../src/sync/sync-database-facts.ts';
import { isSkippedTableName, retireSkipReason } from '../../src/sync/sync-tables.ts';
import { StepReport } from '../../src/sync/step-report.ts';

describe('semantic version (2.3)', () => {
  test('the leading integers of the first digit run', () => {
    assert.deepEqual(semanticVersion('16.4'), [16, 4]);
    assert.deepEqual(semanticVersion('10.11.6-MariaDB'), [10, 11, 6]);
    assert.deepEqual(semanticVersion('v1.1.3'), [1, 1, 3]);
    assert.deepEqual(semanticVersion('3.46.1'), [3, 46, 1]);
    assert.deepEqual(semanticVersion('unknown'), []);
  });
});

describe('retirement guards (3.2.6)', () => {
  test('an empty listing never retires while active tables exist', () => {
    assert.equal(retireSkipReason(0, 3, 3, 0.5), 'empty listing');
    assert.equal(retireSkipReason(0, 0, 0, 0.5), null);
  });
  test('more than 20 and more than the fraction is a mass retirement', () => {
    assert.equal(retireSkipReason(10, 40, 30, 0.5), 'mass retirement guard (30 of 40)');
    assert.equal(retireSkipReason(10, 40, 20, 0.5), null);
    assert.equal(retireSkipReason(10, 100, 21, 0.5), null);
    assert.equal(retireSkipReason(10, 40, 30, 1), null);
  });
  test('skipped inputs', () => {
    assert.equal(isSkippedTableName('_METABASE_metadata'), true);
    assert.equal(isSkippedTableName(''), true);
    assert.equal(isSkippedTableName('metabase_metadata'), false);
  });
});

describe('changeset (8.6)', () => {
  test('every list keeps at most 1,000 entries in order', () => {
    const builder = new ChangesetBuilder();
    for (let i = 0; i < MAX_CHANGES_PER_LIST + 5; i++) builder.field('created', `public.t.f${i}`);
    builder.table('renamed', { from: 'a', to: 'b' });
    const changes = builder.build();
    assert.equal(changes.fields.created.length, 1000);
    assert.equal(changes.fields.created[999], 'public.t.f999');
    assert.deepEqual(changes.tables.renamed, [{ from: 'a', to: 'b' }]);
    assert.deepEqual(changes.tables.retired, []);
  });
  test('the empty changeset has every list', () => {
    const empty = { created: [], reactivated: [], retired: [], renamed: [], 'type-changed': [] };
    assert.deepEqual(emptyChangeset(), { tables: empty, fields: empty });
  });
});

describe('step report (7.3, 7.5)', () => {
  test('at most 20 failures with the total; at most 100 log entries', () => {
    const report = new StepReport().init(['created']);
    const error = { code: 'QUERY_FAILED', message: 'password=hunter2 boom' };
    for (let i = 0; i < 130; i++) report.failure(`public.t${i}`, error);
    const details = report.details();
    assert.equal((details.failures as unknown[]).length, 20);
    assert.equal(details['failures-total'], 130);
    assert.equal(details.created, 0);
    const logs = report.logs() ?? [];
    assert.equal(logs.length, 100);
    assert.deepEqual(logs[99], { level: 'info', message: '[truncated] 31 messages' });
    assert.equal(logs[0].message.includes('hunter2'), false);
    assert.equal(new StepReport().logs(), null);
  });
  test('scope detail', () => {
    assert.equal(scopeDetail({ database: true }), 'database');
    assert.deepEqual(scopeDetail({ tables: [7] }), { tables: [7], 'new-tables': [] });
  });
});
