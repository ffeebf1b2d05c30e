// The admin page: sign-in with the admin key, then hash routes, each rendered by one view module. A view returns a
// cleanup function (its timers) that runs when the route changes.
import { api, ApiError, session } from './api.js';
import { h, mount, notice } from './dom.js';
import { databasesView } from './views/databases.js';
import { jobView } from './views/job.js';
import { jobsView } from './views/jobs.js';
import { tableView } from './views/table.js';
import { tablesView } from './views/tables.js';
import { tasksView } from './views/tasks.js';

const ROUTES = [
  { pattern: /^\/?$/, nav: 'databases', view: databasesView },
  { pattern: /^\/database\/(\d+)$/, nav: 'databases', view: tablesView },
  { pattern: /^\/table\/(\d+)$/, nav: 'databases', view: tableView },
  { pattern: /^\/jobs$/, nav: 'jobs', view: jobsView },
  { pattern: /^\/job\/(\d+)$/, nav: 'jobs', view: jobView },
  { pattern: /^\/tasks$/, nav: 'tasks', view: tasksView },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let cleanup = () => {};

/** The route part and the query of the hash: `#/database/1?q=ord` → ['/database/1', URLSearchParams]. */
function location() {
  const hash = window.location.hash.replace(/^#/, '');
  const mark = hash.indexOf('?');
  return mark === -1 ? [hash, new URLSearchParams()] : [hash.slice(0, mark), new URLSearchParams(hash.slice(mark + 1))];
}

function signInView(message) {
  nav.hidden = true;
  const input = h('input', {
    id: 'admin-key',
    type: 'password',
    name: 'admin-key',
    autocomplete: 'current-password',
    required: true,
  });
  const status = h('div', { id: 'sign-in-status' }, message ? notice('error', message) : null);
  const submit = async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') return;
    mount(status, notice('info', 'Checking the key…'));
    try {
      await api('/api/ui/databases', { key });
    } catch (error) {
      mount(status, notice('error', signInMessage(error)));
      input.select();
      return;
    }
    session.signIn(key);
    render();
  };
  mount(
    main,
    h(
      'form',
      { class: 'sign-in', onsubmit: submit },
      h('h1', {}, 'Sign in'),
      h('p', { class: 'muted' }, 'Enter the admin key (MB_ADMIN_API_KEY). It is kept only in this browser tab.'),
      h('label', { for: 'admin-key' }, 'Admin key'),
      input,
      h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
      status,
    ),
  );
  input.focus();
}

function signInMessage(error) {
  if (error instanceof ApiError && error.status === 403) {
    return error.message.startsWith('MB_ADMIN_API_KEY is not set')
      ? 'The service has no admin key: set MB_ADMIN_API_KEY and restart it.'
      : 'Wrong admin key.';
  }
  return error.message;
}

/** Shows a view's failure; a refused key sends the user back to the sign-in form. */
export function showError(target, error) {
  if (error instanceof ApiError && error.status === 403) {
    session.signOut();
    signInView(signInMessage(error));
    return;
  }
  mount(target, notice('error', error.message));
}

function render() {
  cleanup();
  cleanup = () => {};
  if (!session.key) {
    signInView();
    return;
  }
  nav.hidden = false;
  const [path, query] = location();
  const route = ROUTES.find((r) => r.pattern.test(path));
  for (const link of nav.querySelectorAll('[data-nav]')) {
    link.classList.toggle('current', route?.nav === link.dataset.nav);
  }
  if (!route) {
    mount(main, notice('error', 'No such page.'), h('p', {}, h('a', { href: '#/' }, 'Back to the databases')));
    return;
  }
  const params = path.match(route.pattern).slice(1).map(Number);
  const container = h('section', { class: 'view' });
  mount(main, container);
  cleanup = route.view(container, { params, query, onError: (error) => showError(container, error) }) ?? (() => {});
}

document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  window.location.hash = '#/';
  render();
});
window.addEventListener('hashchange', render);
render();
