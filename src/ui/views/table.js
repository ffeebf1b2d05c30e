// One table and its active fields, filtered by name in the page. Display name, description, semantic type and
// visibility are edited through the curation routes (PUT /api/table/:id, PUT /api/field/:id), one object at a time.
import { api } from '../api.js';
import { badge, h, mount, notice, table } from '../dom.js';

/** A <select> of `values` (plus the current value when it is not one of them); `labels` names special values. */
function select(name, values, current, labels = {}) {
  const options = values.includes(current) ? values : [current, ...values];
  return h(
    'select',
    { name, 'aria-label': name.replaceAll('_', ' ') },
    options.map((value) => h('option', { value: value ?? '', selected: value === current }, labels[value ?? ''] ?? value)),
  );
}

/** The keys of `next` whose value differs from `current`: what a PUT sends, so nothing else is touched. */
function changes(current, next) {
  return Object.fromEntries(Object.entries(next).filter(([key, value]) => (current[key] ?? null) !== value));
}

const orNull = (text) => (text.trim() === '' ? null : text);

/** A form of labelled controls; a refused save shows the service's message, a refused key goes to `onError`. */
function editForm({ fields, onSave, onCancel, onError }) {
  const status = h('div', { class: 'edit-status' });
  const submit = async (event) => {
    event.preventDefault();
    mount(status);
    try {
      await onSave();
    } catch (error) {
      if (error.status === 403) onError(error);
      else mount(status, notice('error', error.message));
    }
  };
  return h(
    'form',
    { class: 'edit', onsubmit: submit },
    fields.map(([label, control]) => h('label', {}, h('span', {}, label), control)),
    h(
      'div',
      { class: 'edit-buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Save'),
      h('button', { type: 'button', onclick: onCancel }, 'Cancel'),
    ),
    status,
  );
}

function tableFacts(t, onEdit) {
  return h(
    'div',
    { id: 'table-facts' },
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Display name'),
      h('dd', { id: 'table-display-name' }, t.display_name),
      h('dt', {}, 'Description'),
      h('dd', { id: 'table-description' }, t.description ?? '–'),
      h('dt', {}, 'Visibility'),
      h('dd', { id: 'table-visibility' }, t.visibility_type ?? 'visible'),
      h('dt', {}, 'Entity type'),
      h('dd', {}, t.entity_type ?? '–'),
    ),
    h('button', { type: 'button', id: 'edit-table', onclick: onEdit }, 'Edit table'),
  );
}

function tableEditor(t, choices, { onSaved, onCancel, onError }) {
  const name = h('input', { type: 'text', name: 'display_name', value: t.display_name, required: true });
  const description = h('textarea', { name: 'description', rows: 3 }, t.description ?? '');
  const visibility = select('visibility_type', [null, ...choices.table_visibility_types], t.visibility_type, { '': 'visible' });
  return editForm({
    fields: [
      ['Display name', name],
      ['Description', description],
      ['Visibility', visibility],
    ],
    onCancel,
    onError,
    async onSave() {
      const body = changes(t, {
        display_name: name.value.trim(),
        description: orNull(description.value),
        visibility_type: visibility.value || null,
      });
      onSaved(Object.keys(body).length === 0 ? t : await api(`/api/table/${t.id}`, { method: 'PUT', body }));
    },
  });
}

const FIELD_HEADINGS = ['Name', 'Display name', 'Database type', 'Base type', 'Semantic type', 'Visibility', 'Description', ''];

function fieldRow(field, onEdit) {
  return h(
    'tr',
    { 'data-field-id': field.id, 'data-field-name': field.name },
    h('td', { class: 'field-name' }, field.name),
    h('td', { class: 'field-display-name' }, field.display_name),
    h('td', {}, h('code', {}, field.database_type)),
    h('td', {}, field.base_type),
    h('td', { class: 'field-semantic-type' }, field.semantic_type ?? h('span', { class: 'muted' }, '–')),
    h('td', {}, field.visibility_type === 'normal' ? h('span', { class: 'muted' }, 'normal') : badge(field.visibility_type)),
    h('td', { class: 'description' }, field.description ?? ''),
    h('td', {}, h('button', { type: 'button', class: 'edit-field', onclick: onEdit }, 'Edit')),
  );
}

function fieldEditorRow(field, choices, { onSaved, onCancel, onError }) {
  const name = h('input', { type: 'text', name: 'display_name', value: field.display_name, required: true });
  const semantic = select('semantic_type', [null, ...choices.semantic_types], field.semantic_type, { '': '(none)' });
  const visibility = select('visibility_type', choices.field_visibility_types, field.visibility_type);
  const description = h('textarea', { name: 'description', rows: 2 }, field.description ?? '');
  const form = editForm({
    fields: [
      ['Display name', name],
      ['Semantic type', semantic],
      ['Visibility', visibility],
      ['Description', description],
    ],
    onCancel,
    onError,
    async onSave() {
      const body = changes(field, {
        display_name: name.value.trim(),
        semantic_type: semantic.value || null,
        visibility_type: visibility.value,
        description: orNull(description.value),
      });
      onSaved(Object.keys(body).length === 0 ? field : await api(`/api/field/${field.id}`, { method: 'PUT', body }));
    },
  });
  return h(
    'tr',
    { class: 'editing', 'data-field-id': field.id, 'data-field-name': field.name },
    h('td', { class: 'field-name' }, field.name),
    h('td', { colspan: FIELD_HEADINGS.length - 1 }, form),
  );
}

export function tableView(container, { params: [tableId], onError }) {
  mount(container, notice('info', 'Loading…'));
  let stopped = false;
  (async () => {
    try {
      const t = await api(`/api/ui/table/${tableId}`);
      if (stopped) return;
      const { choices } = t;
      const heading = h('h1', {}, t.schema ? `${t.schema}.${t.name}` : t.name);
      const facts = h('div', {});
      const showFacts = (current) => {
        Object.assign(t, current);
        const edit = () =>
          mount(facts, tableEditor(t, choices, { onSaved: showFacts, onCancel: () => showFacts(t), onError }));
        mount(facts, tableFacts(t, edit));
      };
      showFacts(t);

      const filter = h('input', {
        type: 'search',
        id: 'field-search',
        placeholder: 'Filter fields by name',
        'aria-label': 'Filter fields by name',
      });
      const body = h('tbody', {});
      const shownRow = (field) => {
        const row = fieldRow(field, () => {
          const editor = fieldEditorRow(field, choices, {
            onSaved: (saved) => editor.replaceWith(shownRow(Object.assign(field, saved))),
            onCancel: () => editor.replaceWith(shownRow(field)),
            onError,
          });
          row.replaceWith(editor);
          editor.querySelector('input')?.focus();
        });
        return row;
      };
      mount(body, t.fields.map(shownRow));
      filter.addEventListener('input', () => {
        const term = filter.value.trim().toLowerCase();
        for (const row of body.rows) row.hidden = term !== '' && !row.dataset.fieldName.toLowerCase().includes(term);
      });
      const grid = table(FIELD_HEADINGS, [], { class: 'grid', id: 'fields' });
      grid.tBodies[0].replaceWith(body);
      mount(
        container,
        h('p', {}, h('a', { href: `#/database/${t.db_id}` }, '← Tables')),
        heading,
        facts,
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
