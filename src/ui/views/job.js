// One job, followed live: queued → running → done, its operations and steps, and what it changed.
import { api } from '../api.js';
import { badge, duration, h, mount, notice, time } from '../dom.js';
import { poll } from '../poll.js';
import { groupOperations, operationCard, sizeBars } from '../timeline.js';

const POLL_MS = 500;
const STAGES = ['queued', 'running', 'done'];
const CHANGE_KINDS = [
  ['created', 'added'],
  ['reactivated', 'reactivated'],
  ['renamed', 'renamed'],
  ['type-changed', 'type changed'],
  ['retired', 'retired'],
];

function stage(status) {
  return status === 'queued' || status === 'running' ? status : 'done';
}

function stepper(status) {
  const current = STAGES.indexOf(stage(status));
  return h(
    'ol',
    { class: 'stepper', id: 'job-stages' },
    STAGES.map((name, i) =>
      h(
        'li',
        { class: i < current ? 'past' : i === current ? `current status-${status}` : 'future', 'data-stage': name },
        name === 'done' && current === 2 ? status : name,
      ),
    ),
  );
}

function changeText(entry) {
  return typeof entry === 'string' ? entry : `${entry.from} → ${entry.to}`;
}

function changeset(changes, status) {
  if (changes === null) {
    return notice('info', status === 'queued' || status === 'running' ? 'The changes appear when the job ends.' : 'This job recorded no changes.');
  }
  const groups = [];
  for (const [kind, label] of CHANGE_KINDS) {
    for (const level of ['tables', 'fields']) {
      const entries = changes[level]?.[kind] ?? [];
      if (entries.length === 0) continue;
      groups.push(
        h(
          'div',
          { class: `change change-${kind}`, 'data-change': `${level}-${kind}` },
          h('h3', {}, `${level === 'tables' ? 'Tables' : 'Fields'} ${label} (${entries.length})`),
          h('ul', {}, entries.map((entry) => h('li', {}, h('code', {}, changeText(entry))))),
        ),
      );
    }
  }
  return groups.length === 0 ? notice('info', 'Nothing changed.') : h('div', { class: 'changes' }, groups);
}

function planText(plan) {
  return Object.entries(plan)
    .map(([phase, scope]) => {
      const parts = [];
      if (scope.database) parts.push('whole database');
      if (scope.tables?.length) parts.push(`tables ${scope.tables.join(', ')}`);
      if (scope.new_tables?.length) {
        parts.push(`new ${scope.new_tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)).join(', ')}`);
      }
      return `${phase}: ${parts.join('; ') || 'nothing'}`;
    })
    .join(' · ');
}

export function jobView(container, { params: [jobId], onError }) {
  mount(container, notice('info', 'Loading…'));
  return poll({
    load: () => api(`/api/ui/job/${jobId}`),
    intervalMs: POLL_MS,
    onError,
    done: (job) => job.status === 'succeeded' || job.status === 'failed',
    render(job) {
      const total = job.started_at && job.finished_at ? Date.parse(job.finished_at) - Date.parse(job.started_at) : null;
      mount(
        container,
        h('p', {}, h('a', { href: '#/jobs' }, '← Jobs'), ' · ', h('a', { href: `#/database/${job.database_id}` }, `database ${job.database_id}`)),
        h('h1', {}, `Job ${job.id} `, h('span', { id: 'job-status' }, badge(job.status))),
        stepper(job.status),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Plan'),
          h('dd', {}, planText(job.plan)),
          h('dt', {}, 'Queued'),
          h('dd', {}, time(job.enqueued_at)),
          h('dt', {}, 'Started'),
          h('dd', {}, time(job.started_at)),
          h('dt', {}, 'Finished'),
          h('dd', {}, time(job.finished_at), total === null ? null : h('span', { class: 'muted' }, ` · ${duration(total)}`)),
        ),
        job.error ? notice('error', job.error) : null,
        h('h2', {}, 'Changes'),
        h('div', { id: 'job-changes' }, changeset(job.changes, job.status)),
        h('h2', {}, 'Operations and steps'),
        job.steps.length === 0
          ? notice('info', 'No step has run yet.')
          : h('div', { class: 'timeline' }, groupOperations(job.steps).reverse().map(({ operation, steps }) => operationCard(operation, steps))),
      );
      sizeBars(container);
    },
  }).stop;
}
