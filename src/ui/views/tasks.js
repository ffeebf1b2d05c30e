// Task history as a timeline: pages of GET /api/task, newest first, grouped into operations with their steps.
import { api } from '../api.js';
import { h, mount, notice } from '../dom.js';
import { groupOperations, operationCard, sizeBars } from '../timeline.js';

const PAGE_ROWS = 200;

export function tasksView(container, { query, onError }) {
  const dbId = query.get('db');
  const rows = [];
  let offset = 0;
  let total = 0;
  let stopped = false;
  const summary = h('p', { class: 'muted', id: 'task-summary' });
  const list = h('div', { class: 'timeline', id: 'timeline' }, notice('info', 'Loading…'));
  const more = h('button', { type: 'button', id: 'load-more', hidden: true, onclick: () => load() }, 'Load older rows');
  mount(
    container,
    h('h1', {}, dbId ? `Task history of database ${dbId}` : 'Task history'),
    dbId ? h('p', {}, h('a', { href: '#/tasks' }, 'All databases')) : null,
    summary,
    list,
    more,
  );

  async function load() {
    const qs = new URLSearchParams({ limit: String(PAGE_ROWS), offset: String(offset) });
    if (dbId && /^\d+$/.test(dbId)) qs.set('db_id', dbId);
    try {
      const answer = await api(`/api/task?${qs}`);
      if (stopped) return;
      rows.push(...answer.data);
      offset += answer.data.length;
      total = answer.total;
      const operations = groupOperations(rows);
      summary.textContent = `${operations.length} operations, ${rows.length} of ${total} rows loaded`;
      mount(
        list,
        operations.length === 0 ? notice('info', 'No task has run yet.') : operations.map(({ operation, steps }) => operationCard(operation, steps)),
      );
      sizeBars(list);
      more.hidden = offset >= total;
    } catch (error) {
      if (!stopped) onError(error);
    }
  }
  load();
  return () => {
    stopped = true;
  };
}
