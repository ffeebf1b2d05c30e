// The most recent jobs of every database, refreshed while the page is open.
import { api } from '../api.js';
import { badge, duration, h, mount, notice, table, time } from '../dom.js';
import { poll } from '../poll.js';

const REFRESH_MS = 3000;

export function jobsView(container, { onError }) {
  const list = h('div', {}, notice('info', 'Loading…'));
  mount(container, h('h1', {}, 'Jobs'), h('p', { class: 'muted' }, 'The 50 most recent jobs.'), list);
  return poll({
    load: () => api('/api/ui/jobs'),
    intervalMs: REFRESH_MS,
    onError,
    render(answer) {
      mount(
        list,
        answer.data.length === 0
          ? notice('info', 'No job yet.')
          : table(
              ['Job', 'Database', 'State', 'Triggered by', 'Queued', 'Duration', 'Error'],
              answer.data.map((job) =>
                h(
                  'tr',
                  { 'data-job-id': job.id },
                  h('td', {}, h('a', { href: `#/job/${job.id}` }, `job ${job.id}`)),
                  h('td', {}, h('a', { href: `#/database/${job.database_id}` }, job.database_name ?? `database ${job.database_id}`)),
                  h('td', {}, badge(job.state)),
                  h('td', {}, job.triggers.join(', ')),
                  h('td', {}, time(job.enqueued_at)),
                  h('td', {}, duration(job.duration)),
                  h('td', { class: 'error-text' }, job.error ?? ''),
                ),
              ),
              { class: 'grid', id: 'jobs' },
            ),
      );
    },
  }).stop;
}
