// The service's own files are never a warehouse (issue 10): POST /api/database refuses, with a 400 and a message, any
// SQLite or DuckDB path that resolves to the application database, its companions or the data folder, however it is
// spelled; a job whose stored details name them fails before opening anything; the sample warehouse stays allowed.
import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.ts';
import { createDriver, driverOptions } from '../../src/drivers/registry.ts';
import { DriverError } from '../../src/drivers/driver.ts';
import type { Plan } from '../../src/jobs/types.ts';
import { sampleWarehousePath } from '../../src/sample/register-sample.ts';
import { createHarness } from '../sync/support.ts';
import { A, PASSWORD, harness } from './harness.ts';

const REFUSED = /inside the service's data folder or names its application database/;

function elsewhere(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-elsewhere-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sqliteFile(path: string): string {
  const db = new SQLite(path);
  db.exec('CREATE TABLE t (id integer)');
  db.close();
  return path;
}

describe('POST /api/database refuses the service’s own files', () => {
  test('the application database however spelled, its companions, anything in its folder; elsewhere is fine', async (t) => {
    const h = await harness(t);
    // The harness's settings: MB_DB_FILE is the SQLite application database, or the default on PostgreSQL.
    const appFile = h.appDb.kind === 'sqlite' ? join(h.dir, 'app.db') : resolve('data', 'catalog-sync.db');
    const folder = dirname(appFile);
    const other = elsewhere(t);
    symlinkSync(appFile, join(other, 'innocent.sqlite'));
    symlinkSync(folder, join(other, 'folder-link'));
    const spellings = [
      appFile,
      relative(process.cwd(), appFile),
      `${folder}/./sub/../${appFile.slice(folder.length + 1)}`,
      `file://${appFile}?mode=ro`,
      `file:${appFile}`,
      appFile.toUpperCase(),
      `${appFile}-wal`,
      `${appFile}-shm`,
      `${appFile}.lock`,
      join(other, 'innocent.sqlite'),
      join(other, 'folder-link', 'app.db'),
      join(folder, 'some-other-warehouse.sqlite'),
    ];
    if (h.appDb.kind === 'sqlite') {
      linkSync(appFile, join(other, 'hard-link.sqlite'));
      spellings.push(join(other, 'hard-link.sqlite'));
    }
    for (const engine of ['sqlite', 'duckdb']) {
      for (const db of spellings) {
        const res = await h.post('/api/database', { name: 'Steal', engine, details: { db } }, A);
        assert.equal(res.statusCode, 400, `${engine} ${db}: ${res.body}`);
        const body = JSON.parse(res.body) as { message: string };
        assert.match(body.message, REFUSED, db);
        assert.ok(!res.body.includes(PASSWORD));
      }
    }
    assert.equal(await h.jobCount(), 0);
    const fine = await h.post('/api/database', { name: 'Fine', engine: 'sqlite', details: { db: sqliteFile(join(other, 'w.sqlite')) } }, A);
    assert.equal(fine.statusCode, 200, fine.body);
  });
});

describe('a job whose stored details name the application database', () => {
  test('fails at its start: nothing opened, no field values of metabase_database', async (t) => {
    const h = await createHarness('sqlite');
    t.after(() => h.close());
    const appFile = join(h.dir, 'app.db');
    const id = await h.addDatabase('sqlite', { db: appFile, password: PASSWORD });
    await h.updateDatabase(id, { details: JSON.stringify({ db: appFile, note: PASSWORD }) });
    const plan: Plan = { metadata: { database: true }, analyze: { database: true }, field_values: { database: true } };
    const { outcome } = await h.run(id, plan, { config: { dbFile: appFile } });
    assert.equal(outcome.state, 'failed');
    assert.match(outcome.error ?? '', REFUSED);
    assert.deepEqual(await h.tables(id), []);
    const values = await h.appDb.db.selectFrom('metabase_fieldvalues').select('values').execute();
    assert.ok(values.every((row) => !String(row.values).includes(PASSWORD)));
  });
});

describe('the driver factories', () => {
  test('every engine that opens a file checks; the sample warehouse next to the application database is allowed', (t) => {
    const dir = elsewhere(t);
    const config = loadConfig({ MB_DB_FILE: join(dir, 'app.db') });
    const options = driverOptions(config);
    const sample = sampleWarehousePath(config);
    writeFileSync(join(dir, 'app.db'), '');
    for (const engine of ['sqlite', 'duckdb'] as const) {
      assert.throws(() => createDriver(engine, { db: join(dir, 'app.db') }, options), (error: unknown) => {
        assert.ok(error instanceof DriverError);
        assert.equal(error.code, 'PERMISSION_DENIED');
        return true;
      });
      assert.doesNotThrow(() => createDriver(engine, { db: sample }, options));
    }
  });
});
