// The admin page's grouping of task_history rows (src/ui/timeline.js, a pure function the browser runs): operations
// newest first with their steps by id, and steps whose operation row is not loaded yet kept under a placeholder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error a browser module without type declarations
import { groupOperations } from '../../src/ui/timeline.js';

const row = (id: number, parentId: number | null, task: string) => ({
  id,
  task,
  db_id: 1,
  job_id: 7,
  parent_id: parentId,
  started_at: '2026-01-01T00:00:00.000Z',
  ended_at: null,
  duration: 5,
  status: 'success',
  task_details: { created: 1 },
  logs: null,
});

test('operations newest first, each with its steps in id order', () => {
  const rows = [row(6, 4, 'classify-fields'), row(5, 4, 'fingerprint-fields'), row(4, null, 'analyze'), row(3, 1, 'sync-fields'), row(2, 1, 'sync-tables'), row(1, null, 'sync')];
  const grouped = groupOperations(rows) as { operation: { id: number }; steps: { id: number }[] }[];
  assert.deepEqual(
    grouped.map((g) => [g.operation.id, g.steps.map((s) => s.id)]),
    [
      [4, [5, 6]],
      [1, [2, 3]],
    ],
  );
});

test('steps whose operation is on a later page stay visible under a placeholder', () => {
  const grouped = groupOperations([row(9, null, 'sync'), row(3, 1, 'sync-fields'), row(2, 1, 'sync-tables')]) as {
    operation: { id: number; task: string; duration: number | null };
    steps: { id: number }[];
  }[];
  assert.deepEqual(grouped.map((g) => g.operation.id), [9, 1]);
  assert.equal(grouped[1]!.operation.task, 'operation 1 (older rows not loaded)');
  assert.equal(grouped[1]!.operation.duration, null);
  assert.deepEqual(grouped[1]!.steps.map((s) => s.id), [2, 3]);
});
