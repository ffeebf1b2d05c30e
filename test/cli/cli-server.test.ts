// The CLI client against a real server started in-process (startService on a temporary application database of
// test/support/app-db.ts, listening on a free port): db add, db list and notify, their output and exit statuses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import SQLite from 'better-sqlite3';
import { runCli } from '../../src/cli/program.ts';
import { collector } from './collector.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService, type Service } from '../../src/main.ts';
import { createTestAppDb, type TestAppDb } from '../support/app-db.ts';
import { freePort } from '../support/postgres.ts';

const NOTIFY_KEY = 'cli-notify-key';
const ADMIN_KEY = 'cli-admin-key';

describe('catalog-sync CLI against a running server', () => {
  let dir: string;
  let appDb: TestAppDb;
  let service: Service;
  let env: Record<string, string>;
  let warehouse: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'catalog-sync-cli-'));
    warehouse = join(dir, 'shop.sqlite');
    const db = new SQLite(warehouse);
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
    db.close();
    const port = await freePort();
    appDb = await createTestAppDb(join(dir, 'app'));
    env = {
      ...appDb.env,
      MB_LOAD_SAMPLE_CONTENT: 'false',
      MB_JETTY_HOST: '127.0.0.1',
      MB_JETTY_PORT: String(port),
      MB_API_KEY: NOTIFY_KEY,
      MB_ADMIN_API_KEY: ADMIN_KEY,
      MB_NOTIFY_WAIT_SECONDS: '20',
    };
    service = await startService(loadConfig(env), silentLogger(), { listen: true });
    assert.equal(service.url, `http://127.0.0.1:${port}`);
  });

  after(async () => {
    await service?.stop();
    await appDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('db add registers an SQLite file and prints the created database; db list shows it', async () => {
    const add = collector(env);
    const status = await runCli(['db', 'add', '--name', 'Shop', '--engine', 'sqlite', '--db', warehouse], add);
    assert.equal(status, 0, add.stderr);
    const created = JSON.parse(add.stdout) as Record<string, unknown>;
    assert.equal(created.id, 1);
    assert.equal(created.name, 'Shop');
    assert.equal(created.engine, 'sqlite');
    assert.deepEqual(created.details, { db: warehouse });
    assert.equal(created.is_attached_dwh, false);
    assert.equal(created.is_full_sync, true);

    const list = collector(env);
    assert.equal(await runCli(['db', 'list'], list), 0, list.stderr);
    const lines = list.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^id\s+name\s+engine\s+initial_sync_status$/);
    assert.equal(lines.length, 2);
    assert.match(lines[1], /^1\s+Shop\s+sqlite\s+(incomplete|complete)$/);
  });

  test('notify --wait prints {"success":true,"job_id":…} and exits 0; the new column is in the catalog', async () => {
    // The database-level notify waits for a job that starts after the initial sync, so the table is then known.
    const first = collector(env);
    assert.equal(await runCli(['notify', '1', '--scan', 'schema', '--wait'], first), 0, first.stderr);
    const db = new SQLite(warehouse);
    db.exec('ALTER TABLE customers ADD COLUMN email TEXT');
    db.close();
    const io = collector(env);
    const status = await runCli(['notify', '1', '--table-name', 'customers', '--scan', 'schema', '--wait'], io);
    assert.equal(status, 0, io.stderr);
    const answer = JSON.parse(io.stdout) as { success: boolean; job_id: number };
    assert.equal(answer.success, true);
    assert.ok(Number.isInteger(answer.job_id) && answer.job_id > 0);
    const metadata = (await (
      await fetch(`${service.url}/api/database/1/metadata`, { headers: { 'X-API-KEY': ADMIN_KEY } })
    ).json()) as { tables: { name: string; fields: { name: string }[] }[] };
    const customers = metadata.tables.find((t) => t.name === 'customers');
    assert.deepEqual(customers?.fields.map((f) => f.name), ['id', 'name', 'email']);
  });

  test('notify --new-table adds the table and prints it', async () => {
    const db = new SQLite(warehouse);
    db.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)');
    db.close();
    const io = collector(env);
    const args = ['notify', '1', '--new-table', '--schema-name', 'main', '--table-name', 'invoices'];
    assert.equal(await runCli(args, io), 0, io.stderr);
    const table = JSON.parse(io.stdout) as Record<string, unknown>;
    assert.equal(table.name, 'invoices');
    assert.equal(table.schema, null);
    assert.equal(table.initial_sync_status, 'complete');
  });

  test('an unknown database exits 2 (bad input) with "Not found."', async () => {
    const io = collector(env);
    assert.equal(await runCli(['notify', '999'], io), 2);
    assert.equal(io.stderr, 'HTTP 404: Not found.\n');
    assert.equal(io.stdout, '');
  });

  test('a table the server cannot find as new exits 2 with its message', async () => {
    const io = collector(env);
    const args = ['notify', '1', '--new-table', '--schema-name', 'main', '--table-name', 'nope'];
    assert.equal(await runCli(args, io), 2);
    assert.equal(io.stderr, "HTTP 404: Unable to identify table 'main.nope'\n");
  });

  test('a failed sync that was waited for exits 1 with the job\'s error', async () => {
    const missing = join(dir, 'gone.sqlite');
    const db = new SQLite(missing);
    db.exec('CREATE TABLE t (id INTEGER)');
    db.close();
    const add = collector(env);
    const args = ['db', 'add', '--name', 'Gone', '--engine', 'sqlite', '--db', missing];
    assert.equal(await runCli(args, add), 0, add.stderr);
    const id = (JSON.parse(add.stdout) as { id: number }).id;
    rmSync(missing);
    const io = collector(env);
    assert.equal(await runCli(['notify', String(id), '--wait'], io), 1);
    assert.match(io.stderr, /^job \d+ failed: Sync failed: .+\n$/m);
    assert.equal(io.stdout, '');
    assert.ok(!io.stderr.includes(NOTIFY_KEY) && !io.stderr.includes(ADMIN_KEY));
  });

  test('a wrong key exits 1 with "Forbidden" and the key is not printed', async () => {
    const io = collector({ ...env, MB_API_KEY: 'wrong-key' });
    assert.equal(await runCli(['notify', '1'], io), 1);
    assert.equal(io.stderr, 'HTTP 403: Forbidden\n');
    const admin = collector({ ...env, MB_ADMIN_API_KEY: 'wrong-admin-key' });
    assert.equal(await runCli(['db', 'list'], admin), 1);
    assert.equal(admin.stderr, 'HTTP 403: Forbidden\n');
  });

  test('validation errors of db add are reported key by key', async () => {
    const io = collector(env);
    assert.equal(await runCli(['db', 'add', '--name', 'X', '--engine', 'postgres', '--port', 'abc'], io), 2);
    assert.equal(
      io.stderr,
      'HTTP 400: details.host: value must be a non-blank string.; ' +
        'details.port: nullable value must be an integer between 1 and 65535.; ' +
        'details.dbname: value must be a non-blank string.; details.user: value must be a non-blank string.\n',
    );
  });
});
