// `catalog-sync db add --config FILE` against a real server started in-process: the file's databases the server does
// not have are registered (templates expanded from the command's environment), a second run skips them all, and a
// file with problems or mixed flags exits 2 before any request.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { runCli } from '../../src/cli/program.ts';
import { collector } from './collector.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService, type Service } from '../../src/main.ts';
import { createTestAppDb, type TestAppDb } from '../support/app-db.ts';
import { freePort } from '../support/postgres.ts';

const ADMIN_KEY = 'config-admin-key';

describe('db add --config', () => {
  let dir: string;
  let appDb: TestAppDb;
  let service: Service;
  let env: Record<string, string>;
  let file: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'catalog-sync-cli-config-'));
    for (const name of ['shop', 'crm']) {
      const db = new SQLite(join(dir, `${name}.sqlite`));
      db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY)');
      db.close();
    }
    appDb = await createTestAppDb(join(dir, 'app'));
    const port = await freePort();
    env = {
      ...(appDb.kind === 'postgres' ? appDb.env : { MB_DB_FILE: join(dir, 'app', 'app.db') }),
      MB_LOAD_SAMPLE_CONTENT: 'false',
      MB_DISABLE_SCHEDULER: 'true',
      MB_JETTY_HOST: '127.0.0.1',
      MB_JETTY_PORT: String(port),
      MB_ADMIN_API_KEY: ADMIN_KEY,
    };
    service = await startService(loadConfig(env), silentLogger(), { listen: true });
    file = join(dir, 'catalog.yml');
    writeFileSync(
      file,
      `version: 1
config:
  databases:
    - name: Shop
      engine: sqlite
      details:
        db: "{{ env SHOP_FILE }}"
    - name: CRM
      engine: sqlite
      is_full_sync: false
      details: {db: ${join(dir, 'crm.sqlite')}}
`,
    );
  });

  after(async () => {
    await service?.stop();
    await appDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('registers the missing databases, then skips them', async () => {
    const io = collector({ ...env, SHOP_FILE: join(dir, 'shop.sqlite') });
    assert.equal(await runCli(['db', 'add', '--config', file], io), 0, io.stderr);
    const created = JSON.parse(io.stdout) as { name: string; is_full_sync: boolean; details: { db: string } }[];
    assert.deepEqual(created.map((d) => [d.name, d.is_full_sync]), [['Shop', true], ['CRM', false]]);
    assert.equal(created[0].details.db, join(dir, 'shop.sqlite'));
    const again = collector({ ...env, SHOP_FILE: join(dir, 'shop.sqlite') });
    assert.equal(await runCli(['db', 'add', '--config', file], again), 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), []);
    assert.equal(again.stderr, 'Shop: skipped, a database with this name exists\nCRM: skipped, a database with this name exists\n');
    const list = collector(env);
    assert.equal(await runCli(['db', 'list'], list), 0);
    assert.equal(list.stdout.trimEnd().split('\n').length, 3);
  });

  test('a file with problems, or --config with other flags, exits 2', async () => {
    const missing = collector(env);
    assert.equal(await runCli(['db', 'add', '--config', file], missing), 2);
    assert.match(missing.stderr, /SHOP_FILE is not set/);
    const mixed = collector(env);
    assert.equal(await runCli(['db', 'add', '--config', file, '--name', 'X'], mixed), 2);
    assert.match(mixed.stderr, /--config takes no other database flags/);
    const none = collector(env);
    assert.equal(await runCli(['db', 'add'], none), 2);
    assert.match(none.stderr, /db add needs --name and --engine, or --config FILE/);
  });
});
