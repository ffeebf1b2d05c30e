// End to end: the real process as `npm start` runs it, on a fresh application database with the sample warehouse
// (notify-api rows 162, 163 and 165), one notify call against it, the lock against a second process, a graceful
// SIGTERM and a restart; the sample switch (row 164) in-process; start-up failures as one line on stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService } from '../../src/main.ts';
import { freePort } from '../support/postgres.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NOTIFY_KEY = 'e2e-notify-key';
const ADMIN_KEY = 'e2e-admin-key';
const GRACE_SECONDS = 5;

interface Running {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  /** The process's own exit. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every process of the group has closed its output: under `npm start` this includes the service itself. */
  readonly closed: Promise<void>;
  /** SIGKILL to the whole process group, for clean-up. */
  kill(): void;
}

/**
 * Starts a process in a process group of its own, with the test's settings on top of a clean environment (no MB_*
 * of the caller).
 */
function run(command: string, args: readonly string[], env: Record<string, string>): Running {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MB_')));
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const closed = once(child, 'close').then(() => undefined);
  const kill = () => {
    try {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    } catch {
      // The group has ended already.
    }
  };
  return { child, output, exited, closed, kill };
}

/** The CLI entry through the package's bin launcher, as `npx catalog-sync` runs it. */
function cli(args: readonly string[], env: Record<string, string>): Running {
  return run(process.execPath, [join(ROOT, 'bin', 'catalog-sync.js'), ...args], env);
}

async function waitFor<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await delay(100);
  }
}

async function waitForHealth(base: string, running: Running): Promise<void> {
  await waitFor('/api/health', 60, async () => {
    if (running.child.exitCode !== null) throw new Error(`the service exited: ${running.output.stderr}`);
    const response = await fetch(`${base}/api/health`);
    return response.status === 200 ? true : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message}\nstdout: ${running.output.stdout}\nstderr: ${running.output.stderr}`);
  });
}

interface NamedRow {
  readonly id: number;
  readonly name: string;
  readonly schema?: string | null;
  readonly fields?: readonly NamedRow[];
  readonly [key: string]: unknown;
}

/** The JSON of the management API's answers, loosely typed: database lists, Database objects, metadata. */
interface AdminBody {
  readonly data: readonly NamedRow[];
  readonly total: number;
  readonly initial_sync_status?: string;
  readonly tables: readonly NamedRow[];
}

async function admin(base: string, path: string): Promise<{ status: number; body: AdminBody }> {
  const response = await fetch(`${base}${path}`, { headers: { 'X-API-KEY': ADMIN_KEY } });
  return { status: response.status, body: (await response.json()) as AdminBody };
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('catalog-sync serve, end to end', () => {
  test('npm start: sample database, notify, lock, SIGTERM, restart', { timeout: 120_000 }, async (t) => {
    const dir = tempDir(t);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      MB_DB_FILE: join(dir, 'state', 'catalog-sync.db'),
      MB_JETTY_HOST: '127.0.0.1',
      MB_JETTY_PORT: String(port),
      MB_API_KEY: NOTIFY_KEY,
      MB_ADMIN_API_KEY: ADMIN_KEY,
      MB_SYNC_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
    };
    const samplePath = join(dir, 'state', 'sample.sqlite');

    const first = run('npm', ['start'], env);
    t.after(() => first.kill());
    await waitForHealth(base, first);
    assert.match(first.output.stdout, new RegExp(`catalog-sync listening on http://127\\.0\\.0\\.1:${port}`));

    // Row 162: the one database is the sample, with the schedules of id 1 and its file next to MB_DB_FILE.
    const listed = await admin(base, '/api/database');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.total, 1);
    const [sample] = listed.body.data;
    assert.equal(sample.id, 1);
    assert.equal(sample.name, 'Sample Database');
    assert.equal(sample.engine, 'sqlite');
    assert.equal(sample.is_attached_dwh, false);
    assert.equal(sample.is_full_sync, true);
    assert.equal(sample.metadata_sync_schedule, '0 1 * * * ? *');
    assert.equal(sample.cache_field_values_schedule, '0 0 1 * * ? *');
    assert.deepEqual(sample.details, { db: samplePath });
    assert.ok(existsSync(samplePath));

    // Row 163: the sample database is not the attached data warehouse.
    const dwh = await fetch(`${base}/api/notify/db/attached_datawarehouse`, {
      method: 'POST',
      headers: { 'X-METABASE-APIKEY': NOTIFY_KEY, 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(dwh.status, 404);
    assert.equal(await dwh.text(), 'Not found.');

    // The initial sync: five tables and one view, without schemas.
    const synced = await waitFor('the initial sync of the sample', 30, async () => {
      const { body } = await admin(base, '/api/database/1/metadata');
      return body.initial_sync_status === 'complete' ? body : undefined;
    });
    const names = synced.tables.map((table) => table.name);
    assert.deepEqual(names, ['customers', 'order_items', 'order_totals', 'orders', 'products', 'reviews']);
    assert.ok(synced.tables.every((table) => table.schema === null));

    // An ETL job adds a column and notifies; the synchronous answer comes after the column is in the catalog.
    const warehouse = new SQLite(samplePath);
    warehouse.exec('ALTER TABLE orders ADD COLUMN coupon_code TEXT');
    warehouse.close();
    const notified = await fetch(`${base}/api/notify/db/1`, {
      method: 'POST',
      headers: { 'X-METABASE-APIKEY': NOTIFY_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ table_name: 'orders', scan: 'schema', 'synchronous?': true }),
    });
    assert.equal(notified.status, 200);
    const answer = (await notified.json()) as { success: boolean; job_id: number };
    assert.equal(answer.success, true);
    assert.ok(Number.isInteger(answer.job_id) && answer.job_id > 0);
    const after = await admin(base, '/api/database/1/metadata');
    const orders = after.body.tables.find((table) => table.name === 'orders');
    assert.ok(orders?.fields?.some((field) => field.name === 'coupon_code'));

    // A second process on the same MB_DB_FILE stops at once with one line naming the holder.
    const second = cli(['serve'], { ...env, MB_JETTY_PORT: String(await freePort()) });
    const secondExit = await second.exited;
    assert.notEqual(secondExit.code, 0);
    const reason = second.output.stderr.trimEnd();
    assert.ok(!reason.includes('\n'), `one line: ${reason}`);
    assert.match(reason, /another catalog-sync process \(pid \d+\) is using .*catalog-sync\.db$/);

    // SIGTERM to the process group, as a container runtime or a terminal sends it (npm forwards signals only to
    // the shell of its script): the service stops within the grace and closes its output.
    const stoppedAt = Date.now();
    process.kill(-(first.child.pid ?? 0), 'SIGTERM');
    await first.closed;
    assert.ok(Date.now() - stoppedAt < (GRACE_SECONDS + 5) * 1000);
    assert.match(first.output.stdout, /catalog-sync stopped/);

    // Row 165: a restart on the same file registers no second sample database. This process is the CLI itself,
    // so its exit status after SIGTERM is the service's: 0.
    const restarted = cli(['serve'], env);
    t.after(() => restarted.kill());
    await waitForHealth(base, restarted);
    const again = await admin(base, '/api/database');
    assert.equal(again.body.total, 1);
    assert.equal(again.body.data[0].id, 1);
    restarted.child.kill('SIGTERM');
    assert.deepEqual(await restarted.exited, { code: 0, signal: null }, restarted.output.stderr);
  });

  test('MB_LOAD_SAMPLE_CONTENT=false: no database and no sample file (row 164)', async (t) => {
    const dir = tempDir(t);
    const config = loadConfig({
      MB_DB_FILE: join(dir, 'catalog-sync.db'),
      MB_LOAD_SAMPLE_CONTENT: 'false',
      MB_ADMIN_API_KEY: ADMIN_KEY,
    });
    const service = await startService(config, silentLogger());
    try {
      assert.equal(service.url, null);
      const headers = { 'X-API-KEY': ADMIN_KEY };
      const response = await service.app.inject({ method: 'GET', url: '/api/database', headers });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { data: [], total: 0 });
      assert.ok(!existsSync(join(dir, 'sample.sqlite')));
    } finally {
      await service.stop();
    }
  });

  describe('start-up failures: one line on stderr naming the variable, non-zero exit', () => {
    const cases: readonly { name: string; env: Record<string, string>; names: string }[] = [
      { name: 'a port that is no number', env: { MB_JETTY_PORT: 'abc' }, names: 'MB_JETTY_PORT' },
      { name: 'postgres without a URI', env: { MB_DB_TYPE: 'postgres' }, names: 'MB_DB_CONNECTION_URI' },
      { name: 'an unknown application database', env: { MB_DB_TYPE: 'h2' }, names: 'MB_DB_TYPE' },
      { name: 'an invalid sync setting', env: { MB_SYNC_WORKERS: '0' }, names: 'MB_SYNC_WORKERS' },
    ];
    for (const { name, env, names } of cases) {
      test(name, async (t) => {
        const dir = tempDir(t);
        const keys = { MB_API_KEY: 'e2e-secret-notify', MB_ADMIN_API_KEY: 'e2e-secret-admin' };
        const started = cli(['serve'], { ...keys, MB_DB_FILE: join(dir, 'app.db'), ...env });
        const { code } = await started.exited;
        assert.notEqual(code, 0);
        const stderr = started.output.stderr;
        assert.equal(stderr.split('\n').filter(Boolean).length, 1, stderr);
        assert.ok(stderr.includes(names), stderr);
        assert.ok(!stderr.includes('e2e-secret') && !started.output.stdout.includes('e2e-secret'));
        assert.ok(!existsSync(join(dir, 'app.db')), 'nothing is created');
      });
    }

    test('the password of MB_DB_CONNECTION_URI is never echoed', async (t) => {
      const dir = tempDir(t);
      const port = await freePort();
      const started = cli(['serve'], {
        MB_DB_FILE: join(dir, 'app.db'),
        MB_DB_TYPE: 'postgres',
        MB_DB_CONNECTION_URI: `postgres://catalog:e2e-pw-secret@127.0.0.1:${port}/catalog`,
        MB_API_KEY: 'e2e-secret-notify',
      });
      const { code } = await started.exited;
      assert.notEqual(code, 0);
      const stderr = started.output.stderr;
      assert.equal(stderr.split('\n').filter(Boolean).length, 1, stderr);
      assert.match(stderr, /^catalog-sync cannot start: /);
      assert.ok(!stderr.includes('e2e-pw-secret') && !started.output.stdout.includes('e2e-pw-secret'), stderr);
      assert.ok(!stderr.includes('e2e-secret-notify'));
    });
  });
});
