// Applying the config file to the test's application database (SQLite or PostgreSQL): twice gives the same catalog,
// a change updates only its keys, other databases are left alone, concurrent applies create no duplicate, and start-up
// applies it (or stops on a bad file before touching the database).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import SQLite from 'better-sqlite3';
import { codecForSecret, bindDetailsCodec } from '../../src/catalog/details-codec.ts';
import { insertDatabase } from '../../src/catalog/databases.ts';
import { applyConfigPlan } from '../../src/config-file/apply.ts';
import { planOf } from '../../src/config-file/load.ts';
import { loadConfig } from '../../src/config.ts';
import type { AppDb } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService } from '../../src/main.ts';
import { createTestAppDb, type TestAppDb } from '../support/app-db.ts';

function warehouse(dir: string, name: string): string {
  const path = join(dir, `${name}.sqlite`);
  const db = new SQLite(path);
  db.exec('CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, label TEXT)');
  db.close();
  return path;
}

function fileText(dir: string, extra = ''): string {
  return `version: 1
config:
  databases:
    - name: Shop
      engine: sqlite
      details:
        db: ${join(dir, 'shop.sqlite')}
      description: "{{ env SHOP_DESCRIPTION }}"
      metadata_sync_schedule: "0 15 * * * ? *"
    - name: CRM
      engine: sqlite
      is_full_sync: false
      details: {db: ${join(dir, 'crm.sqlite')}}
${extra}`;
}

const ENV = { SHOP_DESCRIPTION: 'Orders and items' };

async function snapshot(appDb: AppDb) {
  const databases = await appDb.db.selectFrom('metabase_database').selectAll().orderBy('id').execute();
  const jobs = await appDb.db.selectFrom('sync_job').select(['id', 'database_id', 'state']).orderBy('id').execute();
  return { databases, jobs };
}

async function setUp(t: TestContext): Promise<{ dir: string; appDb: AppDb; open: () => AppDb; env: TestAppDb['env'] }> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-cfg-apply-'));
  warehouse(dir, 'shop');
  warehouse(dir, 'crm');
  // Not in the warehouses' folder: the service refuses any warehouse next to its own database.
  const testAppDb = await createTestAppDb(join(dir, 'app'));
  const opened: AppDb[] = [];
  const open = () => {
    const appDb = testAppDb.open();
    opened.push(appDb);
    return appDb;
  };
  t.after(async () => {
    for (const appDb of opened) await appDb.close();
    await testAppDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const appDb = open();
  await migrate(appDb);
  return { dir, appDb, open, env: testAppDb.env };
}

describe('applying the config file', () => {
  test('twice gives the same catalog; a change updates only its keys; others left alone', async (t) => {
    const { dir, appDb } = await setUp(t);
    const other = await insertDatabase(appDb, { name: 'Added by hand', engine: 'sqlite', details: { db: join(dir, 'crm.sqlite') } });

    const first = await applyConfigPlan(appDb, planOf(fileText(dir), 'config.yml', ENV));
    assert.equal(first.created.length, 2);
    assert.equal(first.jobs.length, 2);
    const created = await snapshot(appDb);
    const shop = created.databases.find((d) => d.name === 'Shop')!;
    assert.equal(shop.description, 'Orders and items');
    assert.equal(shop.metadata_sync_schedule, '0 15 * * * ? *');
    assert.equal(Boolean(created.databases.find((d) => d.name === 'CRM')!.is_full_sync), false);
    assert.deepEqual(created.jobs.map((j) => [j.database_id, j.state]), first.created.map((id) => [id, 'queued']));

    await sleep(5); // a write would now show in updated_at
    const second = await applyConfigPlan(appDb, planOf(fileText(dir), 'config.yml', ENV));
    assert.deepEqual(second, { created: [], updated: [], unchanged: first.created, deleted: [], jobs: [] });
    assert.deepEqual(await snapshot(appDb), created);

    // A changed description: that key of that row only; no job; the hand-added database untouched.
    const changed = await applyConfigPlan(appDb, planOf(fileText(dir), 'config.yml', { SHOP_DESCRIPTION: 'Shop' }));
    assert.deepEqual(changed.updated, [shop.id]);
    const after = await snapshot(appDb);
    assert.deepEqual(after.jobs, created.jobs);
    const shopAfter = after.databases.find((d) => d.id === shop.id)!;
    assert.equal(shopAfter.description, 'Shop');
    assert.notEqual(shopAfter.updated_at, shop.updated_at);
    assert.deepEqual({ ...shopAfter, description: null, updated_at: null }, { ...shop, description: null, updated_at: null });
    for (const id of [other.id, first.created[1]]) {
      assert.deepEqual(after.databases.find((d) => d.id === id), created.databases.find((d) => d.id === id));
    }

    // A delete entry removes CRM with its job, once; the hand-added database stays.
    const crm = first.created[1]!;
    const deletion = fileText(dir).replace(/    - name: CRM[\s\S]*$/, '    - {name: CRM, engine: sqlite, delete: "DELETE_WITH_DEPENDENTS:CRM"}\n');
    const removed = await applyConfigPlan(appDb, planOf(deletion, 'config.yml', ENV));
    assert.deepEqual(removed.deleted, [crm]);
    const gone = await snapshot(appDb);
    assert.deepEqual(gone.databases.map((d) => d.id).sort(), [other.id, shop.id].sort());
    assert.ok(gone.jobs.every((j) => j.database_id !== crm));
    assert.deepEqual((await applyConfigPlan(appDb, planOf(deletion, 'config.yml', ENV))).deleted, []);
  });

  test('concurrent applies of one file create each database once', async (t) => {
    const { dir, appDb, open } = await setUp(t);
    const second = open();
    const plan = planOf(fileText(dir), 'config.yml', ENV);
    const results = await Promise.all([applyConfigPlan(appDb, plan), applyConfigPlan(second, plan), applyConfigPlan(appDb, plan)]);
    assert.equal(results.flatMap((r) => r.created).length, 2);
    const { databases, jobs } = await snapshot(appDb);
    assert.deepEqual(databases.map((d) => d.name).sort(), ['CRM', 'Shop']);
    assert.equal(jobs.length, 2);
  });

  test('config-from-file-sync-databases false registers without a sync; details go through the codec', async (t) => {
    const { dir, appDb } = await setUp(t);
    bindDetailsCodec(appDb, codecForSecret('config-file-test-key-0001'));
    const text = fileText(dir).replace('config:\n', 'config:\n  settings:\n    config-from-file-sync-databases: false\n');
    const result = await applyConfigPlan(appDb, planOf(text, 'config.yml', ENV));
    assert.equal(result.created.length, 2);
    assert.deepEqual(result.jobs, []);
    const { databases, jobs } = await snapshot(appDb);
    assert.equal(jobs.length, 0);
    assert.ok(databases.every((d) => !d.details.includes('sqlite')), 'stored encrypted');
    const again = await applyConfigPlan(appDb, planOf(text, 'config.yml', ENV));
    assert.deepEqual(again.unchanged, result.created, 'encrypted details compare by their decrypted value');
  });

  test('start-up applies the file; a restart changes nothing; a bad file stops start-up before the database', async (t) => {
    const { dir, env, appDb } = await setUp(t);
    const file = join(dir, 'catalog.yml');
    writeFileSync(file, fileText(dir));
    const config = loadConfig({ ...env, MB_CONFIG_FILE_PATH: file, MB_LOAD_SAMPLE_CONTENT: 'false', MB_DISABLE_SCHEDULER: 'true' });
    const first = await startService(config, silentLogger(), { env: ENV });
    try {
      for (let i = 0; i < 200; i += 1) {
        const open = await appDb.db.selectFrom('sync_job').select('id').where('state', 'in', ['queued', 'running']).execute();
        if (open.length === 0) break;
        await sleep(50);
      }
    } finally {
      await first.stop();
    }
    const synced = await snapshot(appDb);
    assert.deepEqual(synced.databases.map((d) => [d.name, d.initial_sync_status]), [['Shop', 'complete'], ['CRM', 'complete']]);
    const restarted = await startService(config, silentLogger(), { env: ENV });
    await restarted.stop();
    assert.deepEqual(await snapshot(appDb), synced);

    writeFileSync(file, fileText(dir).replace('engine: sqlite', 'engine: sqlite3'));
    const fresh = join(dir, 'fresh', 'app.db');
    const bad = loadConfig({ MB_DB_FILE: fresh, MB_CONFIG_FILE_PATH: file });
    await assert.rejects(startService(bad, silentLogger(), { env: ENV }), {
      message: 'catalog.yml:5: config.databases[0].engine must be one of postgres, mysql, sqlite, duckdb',
    });
    assert.equal(existsSync(fresh), false);
  });
});
