// Screenshots of the admin page for the README: a real service process with the bundled sample warehouse, one
// column and one table added to the warehouse and synced, then each main page in headless Chromium, written to
// docs/ui-*.png.
//
//   node --import tsx scripts/ui-screenshots.ts
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ADMIN_KEY, startServiceProcess } from '../bench/service-process.ts';
import { launchBrowser } from '../test/support/browser.ts';

const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const headers = { 'X-API-KEY': ADMIN_KEY };

async function lastSync(base: string): Promise<{ id: number; state: string } | null> {
  const answer = (await (await fetch(`${base}/api/ui/databases`, { headers })).json()) as {
    data: { last_sync: { id: number; state: string } | null }[];
  };
  return answer.data[0]?.last_sync ?? null;
}

async function untilSynced(base: string, after: number): Promise<number> {
  for (let tries = 0; tries < 600; tries++) {
    const last = await lastSync(base);
    if (last && last.id > after) return last.id;
    await sleep(100);
  }
  throw new Error('the sync did not end within a minute');
}

const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-screenshots-'));
mkdirSync(DOCS, { recursive: true });
const service = await startServiceProcess({ MB_DB_FILE: join(dir, 'app.db'), MB_LOAD_SAMPLE_CONTENT: 'true' });
const browser = await launchBrowser({ width: 1280, height: 760 });
try {
  const base = `http://127.0.0.1:${service.port}`;
  const initial = await untilSynced(base, 0);
  const warehouse = new Database(join(dir, 'sample.sqlite'));
  warehouse.exec(`
    ALTER TABLE orders ADD COLUMN coupon_code TEXT;
    CREATE TABLE coupons (code TEXT PRIMARY KEY, percent_off INTEGER NOT NULL, valid_until TIMESTAMP);
  `);
  warehouse.close();
  const { job_id: jobId } = (await service.post('/api/database/1/sync_schema', headers, {})) as { job_id: number };
  await untilSynced(base, initial);

  const page = await browser.context.newPage();
  const shot = async (name: string, fullPage = false) => {
    await page.screenshot({ path: join(DOCS, `ui-${name}.png`), fullPage });
    console.log(`docs/ui-${name}.png`);
  };
  await page.goto(base);
  await page.fill('#admin-key', 'not-the-key');
  await page.click('form.sign-in button[type=submit]');
  await page.locator('#sign-in-status .notice-error').waitFor();
  await shot('sign-in');
  await page.fill('#admin-key', ADMIN_KEY);
  await page.click('form.sign-in button[type=submit]');
  await page.locator('#databases tr[data-database-id]').waitFor();
  await shot('databases');
  await page.goto(`${base}/#/database/1`);
  await page.locator('#tables tbody tr').first().waitFor();
  await shot('tables');
  await page.fill('#table-search', 'order');
  await page.locator('#table-summary', { hasText: 'matching' }).waitFor();
  await page.click('#tables a.table-name >> text=orders');
  await page.locator('#fields tr[data-field-name="coupon_code"]').waitFor();
  await shot('table');
  await page.click('#fields tr[data-field-name="coupon_code"] button.edit-field');
  await page.selectOption('#fields tr.editing [name="semantic_type"]', 'type/Category');
  await shot('field-edit');
  await page.click('#fields tr.editing button[type=button]');
  await page.goto(`${base}/#/job/${jobId}`);
  await page.locator('#job-status .badge-succeeded').waitFor();
  await shot('job', true);
  await page.goto(`${base}/#/tasks`);
  await page.locator('#timeline .operation').first().waitFor();
  await shot('tasks');
} finally {
  await browser.close();
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
}
