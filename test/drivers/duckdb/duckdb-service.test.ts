// DuckDB warehouses through the real service: registration refuses missing and foreign files (notify-api 6.3), a file
// that breaks or is locked later fails its sync with the reason and retires nothing, and the service holds the file
// only while a job runs (sync-engine.md 4.6).
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { duckdbFixture, duckdbWarehouse, holdForWriting } from '../conformance/fixtures/duckdb.ts';
import { ConformanceService } from '../conformance/service.ts';

let service: ConformanceService;
before(async () => {
  service = await ConformanceService.start();
});
after(async () => {
  await service.stop();
});

async function databaseCount(): Promise<number> {
  const rows = await service.appDb.db.selectFrom('metabase_database').select('id').execute();
  return rows.length;
}

describe('DuckDB registration checks the file (POST /api/database)', () => {
  test('a missing file answers 400 naming it, inserts nothing and creates no file', async (t) => {
    const warehouse = duckdbWarehouse();
    t.after(() => warehouse.cleanup());
    const count = await databaseCount();
    const res = await service.addDatabase('duckdb', { db: warehouse.file });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(JSON.parse(res.body), { message: `The DuckDB file "${warehouse.file}" does not exist.` });
    assert.equal(await databaseCount(), count);
    assert.equal(existsSync(warehouse.file), false);
  });

  test('a file that is not a DuckDB database answers 400', async (t) => {
    const warehouse = duckdbWarehouse();
    t.after(() => warehouse.cleanup());
    writeFileSync(warehouse.file, 'id,name\n1,Ada\n2,Alan\n');
    const count = await databaseCount();
    const res = await service.addDatabase('duckdb', { db: warehouse.file });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(JSON.parse(res.body), { message: `The file "${warehouse.file}" is not a DuckDB database file.` });
    assert.equal(await databaseCount(), count);
  });

  test('a file another process holds for writing answers 400 with the reason', async (t) => {
    const warehouse = duckdbWarehouse();
    t.after(() => warehouse.cleanup());
    await warehouse.exec('CREATE TABLE t (x INTEGER)');
    const writer = await holdForWriting(warehouse.file);
    try {
      const res = await service.addDatabase('duckdb', { db: warehouse.file });
      assert.equal(res.statusCode, 400);
      const { message } = JSON.parse(res.body) as { message: string };
      assert.match(message, /^The DuckDB file ".*" is held open for writing by another process: .*lock/i);
    } finally {
      assert.equal(await writer.release(), 0);
    }
  });
});

describe('DuckDB warehouses that break after registration', () => {
  async function registered() {
    const warehouse = duckdbWarehouse();
    await warehouse.exec(...duckdbFixture.ddl);
    const dbId = await service.register(duckdbFixture, warehouse);
    return { warehouse, dbId };
  }

  async function failedSync(dbId: number, reason: RegExp): Promise<void> {
    const res = await service.post(`/api/notify/db/${dbId}`, { scan: 'schema', 'synchronous?': true });
    assert.equal(res.statusCode, 500, res.body);
    assert.match((JSON.parse(res.body) as { message: string }).message, reason);
    const jobs = await service.jobs(dbId);
    const job = jobs[jobs.length - 1];
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', reason);
    const [operation] = (await service.taskRows(job.id)).filter((row) => row.task === 'sync');
    assert.equal(operation.status, 'failed');
    const abandoned = operation.details.abandoned as { step: string; error: { code: string; message: string } };
    assert.equal(abandoned.step, 'test-connection');
    assert.equal(abandoned.error.code, 'CONNECTION_FAILED');
    assert.match(abandoned.error.message, reason);
    assert.deepEqual(await service.activeCatalog(dbId), duckdbFixture.expected, 'nothing was retired or changed');
    assert.equal((await service.database(dbId)).initial_sync_status, 'complete');
  }

  test('a file replaced by something else fails the sync with the reason and retires nothing', async (t) => {
    const { warehouse, dbId } = await registered();
    t.after(() => warehouse.cleanup());
    rmSync(warehouse.file);
    writeFileSync(warehouse.file, 'not a database any more');
    await failedSync(dbId, /is not a DuckDB database file/);
  });

  test('a deleted file fails the sync with the reason and retires nothing', async (t) => {
    const { warehouse, dbId } = await registered();
    t.after(() => warehouse.cleanup());
    rmSync(warehouse.file);
    await failedSync(dbId, /does not exist/);
    assert.equal(existsSync(warehouse.file), false, 'the sync did not create the file');
  });

  test('between jobs a writer can take the file; while it holds it a sync fails, then one succeeds', async (t) => {
    const { warehouse, dbId } = await registered();
    t.after(() => warehouse.cleanup());
    await warehouse.exec('CREATE TABLE held_by_writer (x INTEGER)');
    const writer = await holdForWriting(warehouse.file);
    try {
      await failedSync(dbId, /held open for writing by another process/);
    } finally {
      assert.equal(await writer.release(), 0);
    }
    const job = await service.notify(dbId);
    assert.equal(job.state, 'succeeded', job.error ?? '');
    const names = (await service.activeCatalog(dbId)).map((table) => table.name);
    assert.ok(names.includes('held_by_writer'), 'the writer’s table is synced');
  });
});
