// The databases: status, last sync, running or queued jobs, next scheduled syncs, and the two on-demand actions.
import { api } from '../api.js';
import { badge, duration, h, mount, notice, table, time } from '../dom.js';
import { poll } from '../poll.js';

const REFRESH_MS = 3000;

const ACTIONS = [
  { route: 'sync_schema', label: 'Sync now', done: 'Sync queued' },
  { route: 'rescan_values', label: 'Rescan values', done: 'Value rescan queued' },
];

function lastSync(job) {
  if (!job) return h('span', { class: 'muted' }, 'never');
  return h(
    'div',
    { class: 'stack' },
    h('span', {}, badge(job.state), ' ', h('a', { href: `#/job/${job.id}` }, `job ${job.id}`)),
    h('span', {}, time(job.finished_at), h('span', { class: 'muted' }, ` · ${duration(job.duration)}`)),
    job.error ? h('span', { class: 'error-text' }, job.error) : null,
  );
}

function status(database) {
  return h(
    'div',
    { class: 'stack' },
    h('span', {}, badge(database.initial_sync_status)),
    database.current_jobs.map((job) =>
      h('span', {}, badge(job.state), ' ', h('a', { href: `#/job/${job.id}` }, `job ${job.id}`)),
    ),
  );
}

function nextSyncs(database) {
  return h(
    'div',
    { class: 'stack' },
    h('span', {}, h('span', { class: 'muted' }, 'metadata '), time(database.next_metadata_sync)),
    h('span', {}, h('span', { class: 'muted' }, 'values '), time(database.next_field_values_sync)),
  );
}

export function databasesView(container, { onError }) {
  const message = h('div', { class: 'messages' });
  const list = h('div', {}, notice('info', 'Loading…'));
  const schedulerNote = h('p', { class: 'muted' });
  mount(container, h('h1', {}, 'Databases'), schedulerNote, message, list);

  const act = async (database, action) => {
    try {
      const answer = await api(`/api/database/${database.id}/${action.route}`, { method: 'POST' });
      mount(
        message,
        notice('info', `${action.done} for ${database.name}: `),
        h('p', {}, h('a', { href: `#/job/${answer.job_id}`, class: 'job-link' }, `follow job ${answer.job_id}`)),
      );
      await loop.refresh();
    } catch (error) {
      onError(error);
    }
  };

  const row = (database) =>
    h(
      'tr',
      { 'data-database-id': database.id },
      h('td', {}, h('a', { href: `#/database/${database.id}` }, database.name)),
      h('td', {}, database.engine),
      h('td', {}, status(database)),
      h('td', {}, lastSync(database.last_sync)),
      h('td', {}, nextSyncs(database)),
      h(
        'td',
        { class: 'actions' },
        ACTIONS.map((action) =>
          h('button', { type: 'button', 'data-action': action.route, onclick: () => act(database, action) }, action.label),
        ),
      ),
    );

  const loop = poll({
    load: () => api('/api/ui/databases'),
    intervalMs: REFRESH_MS,
    onError,
    render(answer) {
      schedulerNote.textContent = answer.scheduler_enabled
        ? 'Times are in this browser’s time zone.'
        : 'This instance fires no scheduled syncs (MB_DISABLE_SCHEDULER); other instances may.';
      mount(
        list,
        answer.data.length === 0
          ? notice('info', 'No database is registered yet.')
          : table(
              ['Name', 'Engine', 'Status', 'Last sync', 'Next scheduled sync', ''],
              answer.data.map(row),
              { class: 'grid', id: 'databases' },
            ),
      );
    },
  });
  return loop.stop;
}
