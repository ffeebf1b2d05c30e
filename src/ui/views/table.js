// One table and its active fields, filtered by name in the page.
import { api } from '../api.js';
import { badge, h, mount, notice, table } from '../dom.js';

function fieldRow(field) {
  return h(
    'tr',
    { 'data-field-id': field.id, 'data-field-name': field.name },
    h('td', { class: 'field-name' }, field.name),
    h('td', {}, field.display_name),
    h('td', {}, h('code', {}, field.database_type)),
    h('td', {}, field.base_type),
    h('td', {}, field.semantic_type ?? h('span', { class: 'muted' }, '–')),
    h('td', {}, field.visibility_type === 'normal' ? h('span', { class: 'muted' }, 'normal') : badge(field.visibility_type)),
    h('td', { class: 'description' }, field.description ?? ''),
  );
}

export function tableView(container, { params: [tableId], onError }) {
  mount(container, notice('info', 'Loading…'));
  let stopped = false;
  (async () => {
    try {
      const t = await api(`/api/ui/table/${tableId}`);
      if (stopped) return;
      const filter = h('input', {
        type: 'search',
        id: 'field-search',
        placeholder: 'Filter fields by name',
        'aria-label': 'Filter fields by name',
      });
      const body = h('tbody', {}, t.fields.map(fieldRow));
      filter.addEventListener('input', () => {
        const term = filter.value.trim().toLowerCase();
        for (const row of body.rows) row.hidden = term !== '' && !row.dataset.fieldName.toLowerCase().includes(term);
      });
      const grid = table(['Name', 'Display name', 'Database type', 'Base type', 'Semantic type', 'Visibility', 'Description'], [], {
        class: 'grid',
        id: 'fields',
      });
      grid.tBodies[0].replaceWith(body);
      mount(
        container,
        h('p', {}, h('a', { href: `#/database/${t.db_id}` }, '← Tables')),
        h('h1', {}, t.schema ? `${t.schema}.${t.name}` : t.name),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Display name'),
          h('dd', { id: 'table-display-name' }, t.display_name),
          h('dt', {}, 'Description'),
          h('dd', { id: 'table-description' }, t.description ?? '–'),
          h('dt', {}, 'Visibility'),
          h('dd', {}, t.visibility_type ?? 'visible'),
          h('dt', {}, 'Entity type'),
          h('dd', {}, t.entity_type ?? '–'),
        ),
        h('h2', {}, `Fields (${t.fields.length})`),
        filter,
        grid,
      );
    } catch (error) {
      if (!stopped) onError(error);
    }
  })();
  return () => {
    stopped = true;
  };
}
