// A database's active tables, one page at a time (the service pages and searches), so that a catalog of 10,000
// tables loads as fast as one of ten.
import { api } from '../api.js';
import { badge, h, mount, notice, table } from '../dom.js';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;

export function tablesView(container, { params: [databaseId], query, onError }) {
  let search = query.get('q') ?? '';
  let page = Math.max(Number.parseInt(query.get('page') ?? '1', 10) || 1, 1);
  const heading = h('h1', {}, `Database ${databaseId}`);
  const input = h('input', {
    type: 'search',
    id: 'table-search',
    placeholder: 'Search tables by name',
    'aria-label': 'Search tables by name',
    value: search,
  });
  const summary = h('p', { class: 'muted', id: 'table-summary' });
  const list = h('div', {}, notice('info', 'Loading…'));
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  mount(
    container,
    h('p', {}, h('a', { href: '#/' }, '← Databases'), ' · ', h('a', { href: `#/tasks?db=${databaseId}` }, 'task history')),
    heading,
    input,
    summary,
    list,
    pager,
  );

  let stopped = false;
  let request = 0;
  async function load() {
    const mine = ++request;
    const qs = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String((page - 1) * PAGE_SIZE) });
    if (search !== '') qs.set('q', search);
    // The page and the search stay in the address, without another render.
    const state = new URLSearchParams();
    if (search !== '') state.set('q', search);
    if (page > 1) state.set('page', String(page));
    history.replaceState(null, '', `#/database/${databaseId}${state.size ? `?${state}` : ''}`);
    try {
      const answer = await api(`/api/ui/database/${databaseId}/tables?${qs}`);
      if (stopped || mine !== request) return;
      heading.textContent = answer.database.name;
      const pages = Math.max(Math.ceil(answer.total / PAGE_SIZE), 1);
      summary.textContent =
        answer.total === 0
          ? ''
          : `${answer.total} table${answer.total === 1 ? '' : 's'}${search ? ` matching “${search}”` : ''}, ` +
            `${answer.offset + 1}–${answer.offset + answer.data.length} shown`;
      mount(
        list,
        answer.data.length === 0
          ? notice('info', search ? 'No table matches this search.' : 'This database has no active table.')
          : table(
              ['Schema', 'Name', 'Display name', 'Visibility', 'Fields', 'Description'],
              answer.data.map((t) =>
                h(
                  'tr',
                  { 'data-table-id': t.id },
                  h('td', {}, t.schema ?? h('span', { class: 'muted' }, '–')),
                  h('td', {}, h('a', { href: `#/table/${t.id}`, class: 'table-name' }, t.name)),
                  h('td', {}, t.display_name),
                  h('td', {}, t.visibility_type ? badge(t.visibility_type) : h('span', { class: 'muted' }, 'visible')),
                  h('td', { class: 'number' }, t.field_count),
                  h('td', { class: 'description' }, t.description ?? ''),
                ),
              ),
              { class: 'grid', id: 'tables' },
            ),
      );
      const go = (target) => () => {
        page = target;
        load();
      };
      mount(
        pager,
        h('button', { type: 'button', disabled: page <= 1, onclick: go(page - 1), 'data-page': 'previous' }, '← Previous'),
        h('span', { id: 'page-status' }, ` Page ${page} of ${pages} `),
        h('button', { type: 'button', disabled: page >= pages, onclick: go(page + 1), 'data-page': 'next' }, 'Next →'),
      );
    } catch (error) {
      if (!stopped) onError(error);
    }
  }

  let timer;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      search = input.value.trim();
      page = 1;
      load();
    }, SEARCH_DELAY_MS);
  });
  load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
