// Operation rows of task_history with their step rows, drawn as a timeline: each step a bar placed and sized by its
// start and duration within its operation, with its counts and errors. Used by the task history and the job page.
import { badge, duration, h, time } from './dom.js';

const QUIET_KEYS = new Set(['scope', 'phase', 'steps', 'triggers', 'not-run', 'failed-steps', 'abandoned', 'skipped']);

/** The non-zero counts of a row's task_details, as "created 3 · unchanged 12". */
function counts(details) {
  if (!details || typeof details !== 'object') return '';
  return Object.entries(details)
    .filter(([key, value]) => !QUIET_KEYS.has(key) && typeof value === 'number' && value !== 0)
    .map(([key, value]) => `${key} ${value}`)
    .join(' · ');
}

/** The error and object failures a row reports (sanitized by the service). */
function problems(row) {
  const details = row.task_details ?? {};
  const lines = [];
  if (details.error?.message) lines.push(`${details.error.code ?? 'error'}: ${details.error.message}`);
  if (details.abandoned?.error?.message) lines.push(`abandoned at ${details.abandoned.step}: ${details.abandoned.error.message}`);
  for (const failure of details.failures ?? []) lines.push(`${failure.object}: ${failure.message}`);
  if (details['failures-total'] > (details.failures ?? []).length) {
    lines.push(`… ${details['failures-total'] - details.failures.length} more failures`);
  }
  if (typeof details.skipped === 'string') lines.push(`skipped: ${details.skipped}`);
  if (typeof row.logs === 'string') lines.push(row.logs);
  return lines;
}

function bar(step, operation) {
  const start = Date.parse(operation.started_at);
  const total = Math.max(operation.duration ?? Date.now() - start, 1);
  const offset = Math.min(Math.max((Date.parse(step.started_at) - start) / total, 0), 1);
  const width = Math.min(Math.max((step.duration ?? Date.now() - Date.parse(step.started_at)) / total, 0.005), 1 - offset);
  return h(
    'div',
    { class: 'bar-track' },
    h('div', { class: `bar bar-${step.status}`, 'data-offset': offset, 'data-width': width }),
  );
}

/** Bars are sized after creation through the CSSOM (the page's CSP allows no inline style attributes). */
export function sizeBars(root) {
  for (const el of root.querySelectorAll('.bar[data-offset]')) {
    el.style.marginLeft = `${(Number(el.dataset.offset) * 100).toFixed(2)}%`;
    el.style.width = `${(Number(el.dataset.width) * 100).toFixed(2)}%`;
  }
}

export function operationCard(operation, steps) {
  const details = operation.task_details ?? {};
  return h(
    'article',
    { class: 'operation', 'data-task-id': operation.id },
    h(
      'header',
      {},
      h('strong', {}, operation.task),
      ' ',
      badge(operation.status),
      operation.db_id !== null ? h('span', { class: 'muted' }, ` database ${operation.db_id}`) : null,
      operation.job_id !== null ? [' · ', h('a', { href: `#/job/${operation.job_id}` }, `job ${operation.job_id}`)] : null,
      h('span', { class: 'muted' }, ' · '),
      time(operation.started_at),
      h('span', { class: 'muted' }, ` · ${duration(operation.duration)}`),
      details['warehouse-queries'] ? h('span', { class: 'muted' }, ` · ${details['warehouse-queries']} warehouse queries`) : null,
    ),
    problems(operation).map((line) => h('p', { class: 'error-text' }, line)),
    details['not-run']?.length ? h('p', { class: 'muted' }, `not run: ${details['not-run'].join(', ')}`) : null,
    h(
      'ol',
      { class: 'steps' },
      steps.map((step) =>
        h(
          'li',
          { class: 'step', 'data-task-id': step.id },
          h('span', { class: 'step-name' }, step.task),
          badge(step.status),
          h('span', { class: 'step-duration' }, duration(step.duration)),
          bar(step, operation),
          h('span', { class: 'step-counts' }, counts(step.task_details)),
          problems(step).map((line) => h('span', { class: 'error-text step-error' }, line)),
        ),
      ),
    ),
  );
}

/**
 * Groups task rows (any order) into operations, newest first, each with its steps by id. A step whose operation is
 * not among the rows gets a placeholder operation, so that no loaded row is hidden.
 */
export function groupOperations(rows) {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const steps = new Map();
  for (const row of rows) {
    if (row.parent_id === null) continue;
    if (!steps.has(row.parent_id)) steps.set(row.parent_id, []);
    steps.get(row.parent_id).push(row);
  }
  const operations = rows.filter((row) => row.parent_id === null);
  for (const [parentId, children] of steps) {
    if (byId.has(parentId)) continue;
    const first = children.reduce((a, b) => (a.id < b.id ? a : b));
    operations.push({ ...first, id: parentId, task: `operation ${parentId} (older rows not loaded)`, parent_id: null, task_details: {}, duration: null });
  }
  return operations
    .sort((a, b) => b.id - a.id)
    .map((operation) => ({ operation, steps: (steps.get(operation.id) ?? []).sort((a, b) => a.id - b.id) }));
}
