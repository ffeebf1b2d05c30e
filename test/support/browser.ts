// The system's Chromium driven by playwright-core, headless, with a fresh profile folder removed on close, and a
// recorder of the page's JavaScript errors and console errors.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a new --user-data-dir; throws (never skips) when it is not installed. */
export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'catalog-sync-chromium-'));
  // launchPersistentContext passes the folder as --user-data-dir (playwright refuses that flag in `args`).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface PageProblem {
  readonly kind: 'pageerror' | 'console';
  readonly text: string;
  readonly url: string;
}

/** Every uncaught exception and every console.error of the page, in order. */
export function recordProblems(page: Page): PageProblem[] {
  const problems: PageProblem[] = [];
  page.on('pageerror', (error) => problems.push({ kind: 'pageerror', text: String(error), url: page.url() }));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push({ kind: 'console', text: message.text(), url: message.location().url ?? page.url() });
    }
  });
  return problems;
}
