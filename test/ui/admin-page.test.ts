// The admin page in a real headless Chromium against a real service process and a real SQLite warehouse: sign-in
// (a wrong key refused), the databases list, "Sync now" followed live to its end, a column added in the warehouse
// appearing in the job's changes and in the table's fields, search, curation edits, the task timeline, names shown as
// text, and no JavaScript or console error on any page. Runs on the application database TEST_APP_DB selects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { createAppDatabase, lastFirst, startInstance } from '../multi-instance/support.ts';
import { testAppDbKind } from '../support/app-db.ts';
import { launchBrowser, recordProblems } from '../support/browser.ts';

const ADMIN_KEY = 'ui-admin-key';
const SCRIPT_NAME = '<script>window.__xss = 1</script>';
const IMG_NAME = '<img src=x onerror="window.__xss = 2">';
const DB_NAME = 'Shop <b>bold</b>';
const WAIT = { timeout: 30_000 };

function createWarehouse(file: string): void {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), status TEXT);
    CREATE TABLE "${SCRIPT_NAME.replaceAll('"', '""')}" (id INTEGER PRIMARY KEY);
    CREATE TABLE "${IMG_NAME.replaceAll('"', '""')}" (id INTEGER PRIMARY KEY, "<i>note</i>" TEXT);
  `);
  db.close();
}

/** Nothing the page built from catalog text became an element or ran. */
async function assertNoInjection(page: Page): Promise<void> {
  const injected = await page.evaluate(() => ({
    xss: (window as unknown as { __xss?: number }).__xss ?? null,
    elements: document.querySelectorAll('#main script, #main img, #main b, #main i').length,
  }));
  assert.deepEqual(injected, { xss: null, elements: 0 });
}

test('admin page in Chromium: sign in, sync, follow the job, see the new column, with no page errors', async (t) => {
  const cleanup = lastFirst(t);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-ui-'));
  cleanup.after(() => rmSync(dir, { recursive: true, force: true }));
  const warehouse = join(dir, 'shop.sqlite');
  createWarehouse(warehouse);
  const appDbEnv: Record<string, string> =
    testAppDbKind() === 'postgres'
      ? { MB_DB_TYPE: 'postgres', MB_DB_CONNECTION_URI: (await createAppDatabase(cleanup)).uri }
      : { MB_DB_FILE: join(dir, 'app', 'app.db') }; // the service refuses warehouse files in its own data folder
  const service = await startInstance(cleanup, 'ui', { ...appDbEnv, MB_ADMIN_API_KEY: ADMIN_KEY });
  cleanup.after(() => service.stop());
  const registered = await fetch(`${service.url}/api/database`, {
    method: 'POST',
    headers: { 'X-API-KEY': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ name: DB_NAME, engine: 'sqlite', details: { db: warehouse } }),
  });
  assert.equal(registered.status, 200, await registered.clone().text());
  const databaseId = ((await registered.json()) as { id: number }).id;

  const browser = await launchBrowser();
  cleanup.after(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(WAIT.timeout);
  const problems = recordProblems(page);

  await t.test('a wrong key is refused with a message and not kept', async () => {
    await page.goto(service.url);
    await page.fill('#admin-key', 'not-the-key');
    await page.click('form.sign-in button[type=submit]');
    await page.locator('#sign-in-status .notice-error', { hasText: 'Wrong admin key.' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    // Chromium reports the refused request (403) on the console: the only console error the run may show.
    const refused = problems.splice(0);
    assert.equal(refused.length, 1, JSON.stringify(refused));
    assert.match(refused[0]!.text, /status of 403/);
  });

  await t.test('the right key signs in; the key lives in sessionStorage only', async () => {
    await page.fill('#admin-key', ADMIN_KEY);
    await page.click('form.sign-in button[type=submit]');
    await page.locator(`#databases tr[data-database-id="${databaseId}"]`).waitFor();
    const stored = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: localStorage.length,
      cookie: document.cookie,
    }));
    assert.deepEqual(stored, { session: [ADMIN_KEY], local: 0, cookie: '' });
  });

  const row = page.locator(`#databases tr[data-database-id="${databaseId}"]`);
  await t.test('the databases list shows the initial sync once it has ended, and the name as text', async () => {
    await row.locator('.badge-succeeded').waitFor();
    assert.equal(await row.locator('td').first().textContent(), DB_NAME);
    assert.equal(await row.locator('td').nth(1).textContent(), 'sqlite');
    assert.match(await row.locator('td').nth(3).innerText(), /succeeded/);
    await assertNoInjection(page);
  });

  let jobUrl = '';
  await t.test('"Sync now" after a column was added: the job is followed to its end and shows the new column', async () => {
    const db = new Database(warehouse);
    db.exec('ALTER TABLE orders ADD COLUMN coupon_code TEXT');
    db.close();
    await row.locator('button[data-action="sync_schema"]').click();
    const link = page.locator('a.job-link');
    await link.waitFor();
    await link.click();
    await page.waitForURL(/#\/job\/\d+$/);
    jobUrl = page.url();
    await page.locator('#job-status .badge-succeeded').waitFor();
    await page.locator('#job-stages li.current[data-stage="done"]').waitFor();
    const added = page.locator('[data-change="fields-created"]');
    assert.match(await added.innerText(), /orders\.coupon_code/);
    assert.ok((await page.locator('.operation').count()) >= 1);
    assert.ok((await page.locator('.step', { hasText: 'sync-fields' }).count()) >= 1);
  });

  await t.test('"Rescan values" queues a job and links to it', async () => {
    await page.goto(`${service.url}/#/`);
    await row.locator('button[data-action="rescan_values"]').click();
    await page.locator('a.job-link').waitFor();
  });

  await t.test('the tables page: names as text, search by name, the new field in the table page', async () => {
    await page.goto(`${service.url}/#/database/${databaseId}`);
    await page.locator('#tables').waitFor();
    assert.equal(await page.locator('h1').textContent(), DB_NAME);
    assert.equal(await page.locator('#tables a.table-name', { hasText: SCRIPT_NAME }).count(), 1);
    assert.equal(await page.locator('#tables a.table-name', { hasText: IMG_NAME }).count(), 1);
    await assertNoInjection(page);
    await page.fill('#table-search', 'ORD');
    await page.locator('#table-summary', { hasText: '1 table matching' }).waitFor();
    assert.deepEqual(await page.locator('#tables a.table-name').allTextContents(), ['orders']);
    assert.match(page.url(), /\?q=ORD$/);
    await page.click('#tables a.table-name');
    await page.locator('#fields tr[data-field-name="coupon_code"]').waitFor();
    await page.fill('#field-search', 'coupon');
    assert.equal(await page.locator('#fields tbody tr:not([hidden])').count(), 1);
  });

  await t.test('curation: the table and a field edited through PUT /api/table/:id and PUT /api/field/:id', async () => {
    const tableId = Number(new URL(page.url()).hash.match(/^#\/table\/(\d+)$/)![1]);
    await page.click('#edit-table');
    await page.fill('form.edit [name="display_name"]', 'Orders <i>curated</i>');
    await page.fill('form.edit [name="description"]', 'One row per order');
    await page.selectOption('form.edit [name="visibility_type"]', 'technical');
    await page.click('form.edit button[type=submit]');
    await page.locator('#table-display-name', { hasText: 'Orders <i>curated</i>' }).waitFor();
    assert.equal(await page.locator('#table-visibility').textContent(), 'technical');
    const coupon = page.locator('#fields tr[data-field-name="coupon_code"]');
    await coupon.locator('button.edit-field').click();
    await page.fill('#fields tr.editing [name="display_name"]', 'Coupon');
    await page.selectOption('#fields tr.editing [name="semantic_type"]', 'type/Category');
    await page.click('#fields tr.editing button[type=submit]');
    await coupon.locator('td.field-semantic-type', { hasText: 'type/Category' }).waitFor();
    assert.equal(await coupon.locator('td.field-display-name').textContent(), 'Coupon');
    await assertNoInjection(page);

    const read = async (path: string) =>
      (await (await fetch(`${service.url}${path}`, { headers: { 'X-API-KEY': ADMIN_KEY } })).json()) as Record<string, unknown>;
    const stored = await read(`/api/table/${tableId}`);
    assert.deepEqual(
      [stored.display_name, stored.description, stored.visibility_type],
      ['Orders <i>curated</i>', 'One row per order', 'technical'],
    );
    const fieldId = Number(await coupon.getAttribute('data-field-id'));
    const field = await read(`/api/field/${fieldId}`);
    assert.deepEqual([field.display_name, field.semantic_type, field.visibility_type], ['Coupon', 'type/Category', 'normal']);
    await page.reload();
    await page.locator('#table-display-name', { hasText: 'Orders <i>curated</i>' }).waitFor();
  });

  await t.test('the task history timeline and the jobs list', async () => {
    await page.goto(`${service.url}/#/tasks`);
    await page.locator('#timeline .operation').first().waitFor();
    assert.ok((await page.locator('#timeline .operation').count()) >= 2);
    assert.ok((await page.locator('#timeline .step', { hasText: 'sync-tables' }).count()) >= 2);
    await page.goto(`${service.url}/#/jobs`);
    await page.locator('#jobs tr[data-job-id]').first().waitFor();
    assert.ok((await page.locator('#jobs tr[data-job-id]').count()) >= 3);
    await page.goto(jobUrl);
    await page.locator('#job-status .badge-succeeded').waitFor();
    await page.goto(`${service.url}/#/nowhere`);
    await page.locator('.notice-error', { hasText: 'No such page.' }).waitFor();
  });

  await t.test('a key refused later (changed, or the tab tampered with) returns to the sign-in form', async () => {
    await page.evaluate(() => sessionStorage.setItem('catalog-sync.admin-key', 'stale'));
    await page.goto(`${service.url}/#/jobs`);
    await page.locator('#sign-in-status', { hasText: 'Wrong admin key.' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    const refused = problems.splice(0);
    assert.ok(refused.every((p) => p.kind === 'console' && /status of 403/.test(p.text)), JSON.stringify(refused));
  });

  await t.test('sign out forgets the key', async () => {
    await page.fill('#admin-key', ADMIN_KEY);
    await page.click('form.sign-in button[type=submit]');
    await page.locator('#jobs').waitFor();
    await page.click('#sign-out');
    await page.locator('#admin-key').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  });

  assert.deepEqual(problems, [], 'no JavaScript error and no console error on any page');
});
