// The short fuzz run inside `npm test`: about 1,000 generated requests against a real service process (the long run
// is `npm run fuzz`). No 5xx but the contract's own, the process alive after every batch, and no warehouse statement
// or application-database write for the requests that ask for none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz, summaryLine } from './fuzz-run.ts';

test('1,000 generated requests: no 5xx, the service alive, nothing run that was not asked for', async (t) => {
  const report = await runFuzz(t, { requests: 1_000, seed: 1_206 });
  t.diagnostic(summaryLine(report));
  t.diagnostic(`answers by status: ${JSON.stringify(report.byStatus)}`);
  assert.deepEqual(report.failures, []);
  assert.ok(report.requests >= 1_000);
  assert.equal(report.fiveXx, 0);
  assert.ok(report.quietRequests >= 200);
});
