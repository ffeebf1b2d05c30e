// The service on a PostgreSQL application database: instances starting at once on an empty catalog register
// one sample database between them (sync-engine.md section 8.9, the advisory lock), written to ./data/sample.sqlite.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService } from '../../src/main.ts';
import { createTestDatabase } from '../support/postgres.ts';

test('three instances starting at once on one empty PostgreSQL catalog register one sample database', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-pg-app-'));
  const cwd = process.cwd();
  process.chdir(dir);
  t.after(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });
  const { url } = await createTestDatabase('app');
  const config = loadConfig({ MB_DB_TYPE: 'postgres', MB_DB_CONNECTION_URI: url, MB_ADMIN_API_KEY: 'admin' });
  const services = await Promise.all([1, 2, 3].map(() => startService(config, silentLogger())));
  try {
    const databases = await services[0].appDb.db.selectFrom('metabase_database').select(['name', 'details']).execute();
    assert.equal(databases.length, 1);
    assert.equal(databases[0].name, 'Sample Database');
    const samplePath = join(dir, 'data', 'sample.sqlite');
    assert.deepEqual(JSON.parse(databases[0].details), { db: samplePath });
    assert.ok(existsSync(samplePath));
    const headers = { 'X-API-KEY': 'admin' };
    const response = await services[1].app.inject({ method: 'GET', url: '/api/database', headers });
    assert.equal(response.json().total, 1);
  } finally {
    await Promise.all(services.map((service) => service.stop()));
  }
});
