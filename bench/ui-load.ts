// Page-load time of the admin page's tables page on the 10,000-table sample warehouse of `npm run bench` (PostgreSQL,
// bench/warehouses.ts), in headless Chromium against a real service process on a SQLite application database.
//
//   npm run bench:ui              # 10,000 tables
//   npm run bench:ui -- 1000      # another size
//
// "Load" is a full navigation to /#/database/1 (HTML, modules, the API call, the first 50 rows drawn), measured in
// the page from its navigation start to the moment the rows are in the document. Uses TEST_PG_URL when set,
// otherwise starts an ephemeral PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/support/browser.ts';
import { startPostgres, type PgServer } from '../test/support/postgres.ts';
import { ADMIN_KEY, startServiceProcess } from './service-process.ts';
import { keptWarehouse } from './warehouses.ts';

const RUNS = 10;
const tables = Number(process.argv[2] ?? 10_000);

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (n=${values.length})`;
}

/** Milliseconds from the navigation start of the page to the first moment `selector` matched. */
async function timeTo(page: Page, url: string, selector: string): Promise<number> {
  await page.goto(url);
  await page.locator(selector).first().waitFor({ timeout: 60_000 });
  return await page.evaluate((s) => (window as unknown as { __seen: Record<string, number> }).__seen[s]!, selector);
}

let server: PgServer | undefined;
if (!process.env.TEST_PG_URL) {
  server = await startPostgres();
  process.env.TEST_PG_URL = server.url;
}
const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-bench-ui-'));
let service;
let browser;
try {
  const warehouse = await keptWarehouse(process.env.TEST_PG_URL, tables);
  service = await startServiceProcess({ MB_DB_FILE: join(dir, 'app.db'), MB_DISABLE_SCHEDULER: 'true' });
  const base = `http://127.0.0.1:${service.port}`;
  const headers = { 'X-API-KEY': ADMIN_KEY };
  const registered = (await service.post('/api/database', headers, {
    name: `bench ${tables}`,
    engine: 'postgres',
    details: warehouse.details,
    is_full_sync: false,
  })) as { id: number };
  const syncStart = performance.now();
  for (;;) {
    const answer = (await (await fetch(`${base}/api/ui/databases`, { headers })).json()) as {
      data: { id: number; last_sync: { state: string } | null }[];
    };
    const last = answer.data.find((d) => d.id === registered.id)?.last_sync;
    if (last) {
      if (last.state !== 'succeeded') throw new Error(`the initial sync ${last.state}`);
      break;
    }
    await sleep(200);
  }
  console.log(`warehouse: ${tables} tables; initial metadata sync ${((performance.now() - syncStart) / 1000).toFixed(1)} s`);

  browser = await launchBrowser();
  // Signed in before any script runs; every selector the bench waits for records when it first matched.
  await browser.context.addInitScript((key) => {
    sessionStorage.setItem('catalog-sync.admin-key', key);
    const seen: Record<string, number> = {};
    (window as unknown as { __seen: Record<string, number> }).__seen = seen;
    const watched = ['#tables tbody tr', '#page-status'];
    new MutationObserver(() => {
      for (const s of watched) if (seen[s] === undefined && document.querySelector(s)) seen[s] = performance.now();
    }).observe(document, { subtree: true, childList: true, characterData: true });
  }, ADMIN_KEY);
  const page = await browser.context.newPage();
  const url = (run: number, hash: string) => `${base}/?run=${run}#${hash}`;
  const first = await timeTo(page, url(0, `/database/${registered.id}`), '#tables tbody tr');
  const loads: number[] = [];
  for (let run = 1; run <= RUNS; run++) loads.push(await timeTo(page, url(run, `/database/${registered.id}`), '#tables tbody tr'));
  const rows = await page.locator('#tables tbody tr').count();
  const deep: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    deep.push(await timeTo(page, url(100 + run, `/database/${registered.id}?page=150`), '#tables tbody tr'));
  }
  const searches: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await page.goto(url(200 + run, `/database/${registered.id}`));
    await page.locator('#tables tbody tr').first().waitFor();
    const term = `t0${String(run * 10 + 900).padStart(3, '0')}`;
    // Timed in the page, from the last keystroke's input event to the summary of the new rows.
    await page.evaluate((t) => {
      const marks = { input: 0, drawn: 0 };
      (window as unknown as { __search: typeof marks }).__search = marks;
      document.addEventListener('input', () => (marks.input = performance.now()), { capture: true });
      new MutationObserver(() => {
        if (!marks.drawn && document.querySelector('#table-summary')?.textContent?.includes(`“${t}”`)) {
          marks.drawn = performance.now();
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    }, term);
    await page.fill('#table-search', term);
    await page.locator('#table-summary', { hasText: `matching “${term}”` }).waitFor();
    const marks = await page.evaluate(() => (window as unknown as { __search: { input: number; drawn: number } }).__search);
    searches.push(marks.drawn - marks.input);
  }
  const api: number[] = [];
  for (let run = 0; run < 20; run++) {
    const start = performance.now();
    const response = await fetch(`${base}/api/ui/database/${registered.id}/tables?limit=50&offset=${run * 450}`, { headers });
    await response.arrayBuffer();
    api.push(performance.now() - start);
  }
  const metadataStart = performance.now();
  const metadata = await (await fetch(`${base}/api/database/${registered.id}/metadata`, { headers })).arrayBuffer();
  const metadataMs = performance.now() - metadataStart;

  console.log(`tables page, first load (cold browser cache): ${first.toFixed(0)} ms (${rows} rows drawn)`);
  console.log(`tables page, full reload: ${stats(loads)}`);
  console.log(`tables page 150 (offset 7,450), full reload: ${stats(deep)}`);
  console.log(`search typed to rows drawn (250 ms input debounce included): ${stats(searches)}`);
  console.log(`GET /api/ui/database/:id/tables?limit=50: ${stats(api)}`);
  console.log(
    `for comparison, GET /api/database/:id/metadata (every table and field): ${metadataMs.toFixed(0)} ms, ` +
      `${(metadata.byteLength / 1e6).toFixed(1)} MB`,
  );
} finally {
  await browser?.close();
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
  server?.stop();
}
