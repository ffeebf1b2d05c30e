// Failure semantics against a real PostgreSQL warehouse: partial listings, lost connections, guards, deadline,
// interruption and failing catalog batches.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { DriverError, type TableMetadata, type WarehouseDriver } from '../../src/drivers/driver.ts';
import { createDriver } from '../../src/drivers/registry.ts';
import { JobDeadlineExceeded, JobInterrupted, type Plan } from '../../src/jobs/types.ts';
import { createTestDatabase, execSql, freePort } from '../support/postgres.ts';
import { createHarness, wrapDriver, type DriverFactory, type Harness } from './support.ts';

const DATABASE: Plan = { metadata: { database: true } };
const RECOVERY_CONFLICT = 'canceling statement due to conflict with recovery';
const TERMINATED = 'Connection terminated unexpectedly';

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

/** Triggers on the application database (SQLite or PostgreSQL) that make inserting a row of one name fail. */
async function poisonInserts(targets: readonly { table: string; name: string }[]): Promise<() => Promise<void>> {
  const db = h.appDb.db;
  if (h.appDb.kind === 'postgres') {
    await sql`CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql
      AS $$ BEGIN RAISE EXCEPTION 'poisoned %', TG_TABLE_NAME; END $$`.execute(db);
  }
  for (const { table, name } of targets) {
    const trigger = sql.id(`poison_${table}`);
    await (h.appDb.kind === 'postgres'
      ? sql`CREATE TRIGGER ${trigger} BEFORE INSERT ON ${sql.table(table)} FOR EACH ROW
          WHEN (NEW.name = ${sql.lit(name)}) EXECUTE FUNCTION poison()`
      : sql`CREATE TRIGGER ${trigger} BEFORE INSERT ON ${sql.table(table)} WHEN NEW.name = ${sql.lit(name)}
          BEGIN SELECT RAISE(ABORT, 'poisoned'); END`
    ).execute(db);
  }
  return async () => {
    for (const { table } of targets) {
      const trigger = sql.id(`poison_${table}`);
      await (h.appDb.kind === 'postgres'
        ? sql`DROP TRIGGER ${trigger} ON ${sql.table(table)}`
        : sql`DROP TRIGGER ${trigger}`
      ).execute(db);
    }
    if (h.appDb.kind === 'postgres') await sql`DROP FUNCTION poison()`.execute(db);
  };
}

async function warehouse(...ddl: string[]) {
  const wh = await createTestDatabase('syncguard');
  if (ddl.length > 0) await execSql(wh.url, ...ddl);
  const dbId = await h.addDatabase('postgres', wh.details);
  return { ...wh, dbId };
}

function tablesDdl(names: string[]): string[] {
  return names.map((n) => `CREATE TABLE ${n} (id int PRIMARY KEY, v text)`);
}

async function databaseStatus(dbId: number): Promise<string> {
  return (await h.database(dbId)).initial_sync_status;
}

/** A real driver whose methods the test replaces. */
function wrapping(overrides: (real: WarehouseDriver) => Partial<WarehouseDriver>): DriverFactory {
  return (engine, details, options) => {
    const real = createDriver(engine, details, options);
    return wrapDriver(real, overrides(real));
  };
}

describe('never retire after a failed listing', () => {
  test('a listing that fails after some tables creates what it saw, retires nothing, and fails the job', async () => {
    const wh = await warehouse(...tablesDdl(['b1', 'c1', 'd1']));
    await h.run(wh.dbId, DATABASE);
    await execSql(wh.url, `CREATE TABLE a1 (id int)`, `DROP TABLE d1`);
    const failing = wrapping((real) => ({
      async *describeTables(scope, signal) {
        let n = 0;
        for await (const table of real.describeTables(scope, signal)) {
          if (n++ === 2) throw new DriverError('QUERY_FAILED', 'postgres', RECOVERY_CONFLICT);
          yield table;
        }
      },
    }));
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE, { createDriver: failing });
    assert.equal(outcome.state, 'failed');
    assert.equal(outcome.error, `Sync failed: sync-tables failed: ${RECOVERY_CONFLICT}`);
    assert.deepEqual(outcome.result.phases, { metadata: 'failed' });
    const tables = await h.tables(wh.dbId);
    assert.deepEqual(tables.map((t) => [t.name, t.active]), [['b1', true], ['c1', true], ['d1', true], ['a1', true]]);
    const tasks = await h.tasks(jobId);
    const step = tasks.find((t) => t.task === 'sync-tables');
    assert.equal(step?.status, 'failed');
    assert.equal(step?.details['listing-complete'], false);
    assert.deepEqual(step?.details.error, { code: 'QUERY_FAILED', message: RECOVERY_CONFLICT });
    assert.equal(step?.details.created, 1);
    assert.equal(step?.details.retired, 0);
    assert.equal(tasks.find((t) => t.task === 'sync-fields')?.status, 'success', 'the next step still runs');
    assert.equal(tasks[0].status, 'failed');
    assert.deepEqual(tasks[0].details['failed-steps'], ['sync-tables']);
    assert.equal(tasks[0].details.abandoned, null);
    assert.equal(await databaseStatus(wh.dbId), 'aborted');
  });

  test('an unreachable warehouse fails the connection test and retires nothing', async () => {
    const wh = await warehouse(...tablesDdl(['t1', 't2']));
    await h.run(wh.dbId, DATABASE);
    const port = await freePort();
    const details = { ...wh.details, port, password: 'sup3r-secret' };
    await h.updateDatabase(wh.dbId, { details: JSON.stringify(details) });
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE);
    assert.equal(outcome.state, 'failed');
    assert.match(outcome.error ?? '', /^Sync failed: could not connect to the warehouse: /);
    assert.equal(JSON.stringify(outcome).includes('sup3r-secret'), false);
    assert.deepEqual(outcome.result.phases, { metadata: 'failed' });
    assert.deepEqual((await h.tables(wh.dbId)).map((t) => t.active), [true, true]);
    assert.equal(await databaseStatus(wh.dbId), 'complete', 'a complete database keeps its status');
    const tasks = await h.tasks(jobId);
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0].task, 'sync');
    assert.equal(tasks[0].status, 'failed');
    assert.deepEqual(outcome.result.operations, [tasks[0].id]);
    const abandoned = tasks[0].details.abandoned as { step: string; error: { code: string } };
    assert.equal(abandoned.step, 'test-connection');
    assert.equal(abandoned.error.code, 'CONNECTION_FAILED');
    assert.deepEqual(tasks[0].details['not-run'], [
      'sync-dbms-version', 'sync-timezone', 'sync-tables', 'sync-fields', 'sync-fks', 'sync-indexes',
    ]);

    const fresh = await h.addDatabase('postgres', details);
    assert.equal((await h.run(fresh, DATABASE)).outcome.state, 'failed');
    assert.equal(await databaseStatus(fresh), 'aborted', 'an incomplete database becomes aborted');
    const tableLevel = await h.addDatabase('postgres', details);
    await h.run(tableLevel, { metadata: { tables: [1] } });
    assert.equal(await databaseStatus(tableLevel), 'incomplete', 'a table-level plan leaves the database alone');
  });

  test('a connection lost mid-run abandons the job: the rest is not run', async () => {
    const wh = await warehouse(...tablesDdl(['t1']));
    const lost = wrapping(() => ({
      describeFields() {
        throw new DriverError('CONNECTION_FAILED', 'postgres', TERMINATED);
      },
    }));
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE, { createDriver: lost });
    assert.equal(outcome.state, 'failed');
    assert.equal(outcome.error, `Sync failed: lost the warehouse during sync-fields: ${TERMINATED}`);
    const tasks = await h.tasks(jobId);
    assert.deepEqual(tasks.map((t) => `${t.task}:${t.status}`), [
      'sync:failed', 'sync-dbms-version:success', 'sync-timezone:success', 'sync-tables:success', 'sync-fields:failed',
    ]);
    assert.deepEqual(tasks[0].details['not-run'], ['sync-fks', 'sync-indexes']);
    assert.deepEqual(tasks[0].details.abandoned, {
      step: 'sync-fields',
      error: { code: 'CONNECTION_FAILED', message: TERMINATED },
    });
    assert.equal(await databaseStatus(wh.dbId), 'aborted');
  });
});

describe('partial field, FK and index listings', () => {
  test('a table reported without columns keeps its fields', async () => {
    const wh = await warehouse(`CREATE TABLE hollow (a int)`);
    await h.run(wh.dbId, DATABASE);
    await execSql(wh.url, `ALTER TABLE hollow DROP COLUMN a`);
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE);
    assert.equal(outcome.state, 'succeeded');
    assert.deepEqual((await h.fields((await h.table(wh.dbId, 'hollow')).id)).map((f) => f.active), [true]);
    assert.equal((await h.tasks(jobId)).find((t) => t.task === 'sync-fields')?.details['tables-without-columns'], 1);
  });

  test('a field stream that fails writes the completed tables and leaves the rest unchanged', async () => {
    const wh = await warehouse(`CREATE TABLE a1 (id int, x int)`, `CREATE TABLE b1 (id int, y int)`);
    await h.run(wh.dbId, DATABASE);
    await execSql(
      wh.url,
      `ALTER TABLE a1 DROP COLUMN x`,
      `ALTER TABLE b1 DROP COLUMN y`,
      `ALTER TABLE b1 ADD COLUMN z int`,
    );
    const failing = wrapping((real) => ({
      async *describeFields(scope, signal) {
        for await (const field of real.describeFields(scope, signal)) {
          if (field.tableName === 'b1' && field.name === 'z') {
            throw new DriverError('TIMEOUT', 'postgres', 'statement timeout');
          }
          yield field;
        }
      },
    }));
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE, { createDriver: failing });
    assert.equal(outcome.state, 'failed', 'sync-fields is essential');
    const state = async (name: string) => {
      const fields = await h.fields((await h.table(wh.dbId, name)).id);
      return fields.map((f) => [f.name, f.active]);
    };
    assert.deepEqual(await state('a1'), [['id', true], ['x', false]]);
    assert.deepEqual(await state('b1'), [['id', true], ['y', true]]);
    const step = (await h.tasks(jobId)).find((t) => t.task === 'sync-fields');
    assert.equal(step?.status, 'failed');
    assert.deepEqual(step?.details.error, { code: 'TIMEOUT', message: 'statement timeout' });
    assert.equal((await h.table(wh.dbId, 'a1')).initial_sync_status, 'complete');
  });

  test('FK and index listings that fail clear and unmark nothing; the job still succeeds', async () => {
    const wh = await warehouse(
      `CREATE TABLE p (id int PRIMARY KEY)`,
      `CREATE TABLE c (id int, p_id int CONSTRAINT c_p_fk REFERENCES p (id))`,
      `CREATE INDEX c_p ON c (p_id)`,
    );
    await h.run(wh.dbId, DATABASE);
    await execSql(wh.url, `ALTER TABLE c DROP CONSTRAINT c_p_fk`, `DROP INDEX c_p`);
    const failing = wrapping(() => ({
      describeForeignKeys() {
        throw new DriverError('PERMISSION_DENIED', 'postgres', 'permission denied for pg_constraint');
      },
      async *describeIndexes() {
        throw new DriverError('QUERY_FAILED', 'postgres', 'index listing failed');
      },
    }));
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE, { createDriver: failing });
    assert.equal(outcome.state, 'succeeded', 'sync-fks and sync-indexes are not essential');
    const pId = (await h.fields((await h.table(wh.dbId, 'c')).id)).find((f) => f.name === 'p_id');
    assert.equal(pId?.semantic_type, 'type/FK');
    assert.notEqual(pId?.fk_target_field_id, null);
    assert.equal(pId?.database_indexed, true);
    const tasks = await h.tasks(jobId);
    assert.equal(tasks[0].status, 'success');
    assert.deepEqual(tasks[0].details['failed-steps'], ['sync-fks', 'sync-indexes']);
    assert.equal(tasks.find((t) => t.task === 'sync-fks')?.details['listing-complete'], false);

    const repaired = await h.run(wh.dbId, DATABASE);
    const cleared = (await h.fields((await h.table(wh.dbId, 'c')).id)).find((f) => f.name === 'p_id');
    assert.equal(cleared?.fk_target_field_id, null);
    assert.equal(cleared?.database_indexed, false);
    const fks = (await h.tasks(repaired.jobId)).find((t) => t.task === 'sync-fks');
    assert.equal(fks?.details.cleared, 1);
  });
});

describe('retirement guards', () => {
  test('an empty listing retires nothing', async () => {
    const wh = await warehouse(...tablesDdl(['t1', 't2']));
    await h.run(wh.dbId, DATABASE);
    await execSql(wh.url, `DROP TABLE t1`, `DROP TABLE t2`);
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE);
    assert.equal(outcome.state, 'succeeded');
    assert.deepEqual((await h.tables(wh.dbId)).map((t) => t.active), [true, true]);
    const step = (await h.tasks(jobId)).find((t) => t.task === 'sync-tables');
    assert.equal(step?.status, 'success');
    assert.equal(step?.details['retire-skipped'], 'empty listing');
    assert.ok((step?.logs ?? []).some((l) => (l as { level: string }).level === 'warn'));
  });

  test('the mass-retirement guard holds more than 20 and more than the fraction; 1 disables it', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    const wh = await warehouse(...tablesDdl(names));
    await h.run(wh.dbId, DATABASE);
    await execSql(wh.url, ...names.slice(0, 25).map((n) => `DROP TABLE ${n}`));
    const guarded = await h.run(wh.dbId, DATABASE);
    assert.equal(guarded.outcome.state, 'succeeded');
    const step = (await h.tasks(guarded.jobId)).find((t) => t.task === 'sync-tables');
    assert.equal(step?.details['retire-skipped'], 'mass retirement guard (25 of 30)');
    assert.equal((await h.tables(wh.dbId)).filter((t) => t.active).length, 30);

    const disabled = await h.run(wh.dbId, DATABASE, { config: { retireGuardFraction: 1 } });
    assert.equal(disabled.outcome.result.changes.tables.retired.length, 25);
    assert.equal((await h.tables(wh.dbId)).filter((t) => t.active).length, 5);
  });
});

describe('deadline and interruption', () => {
  test('the job deadline fails the current step with TIMEOUT and stops the rest', async () => {
    const wh = await warehouse(...tablesDdl(['t1']));
    const controller = new AbortController();
    const late = wrapping((real) => ({
      describeFields(scope, signal) {
        controller.abort(new JobDeadlineExceeded('job deadline exceeded'));
        return real.describeFields(scope, signal);
      },
    }));
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE, { createDriver: late, signal: controller.signal });
    assert.equal(outcome.state, 'failed');
    assert.equal(outcome.error, 'Sync failed: the job deadline passed during sync-fields');
    const tasks = await h.tasks(jobId);
    const fields = tasks.find((t) => t.task === 'sync-fields');
    assert.equal(fields?.status, 'failed');
    assert.equal((fields?.details.error as { code: string }).code, 'TIMEOUT');
    assert.deepEqual(tasks[0].details['not-run'], ['sync-fks', 'sync-indexes']);
    assert.equal(tasks[0].status, 'failed');
    assert.equal(await databaseStatus(wh.dbId), 'aborted');
  });

  test('an interruption rethrows JobInterrupted and leaves no partial batch', async () => {
    const wh = await warehouse(...tablesDdl(['t1', 't2']));
    const controller = new AbortController();
    const interrupted = wrapping((real) => ({
      async *describeFields(scope, signal) {
        for await (const field of real.describeFields(scope, signal)) {
          controller.abort(new JobInterrupted('service shutdown'));
          yield field;
        }
      },
    }));
    const run = h.run(wh.dbId, DATABASE, { createDriver: interrupted, signal: controller.signal });
    await assert.rejects(run, JobInterrupted);
    const tables = await h.tables(wh.dbId);
    assert.equal(tables.length, 2, 'the committed table batch stays');
    for (const t of tables) assert.deepEqual(await h.fields(t.id), []);
  });

  test('a lost lease stops the job at its next write', async () => {
    const wh = await warehouse(...tablesDdl(['t1']));
    const stolen = wrapping((real) => ({
      describeTables(scope, signal) {
        return (async function* () {
          const steal = h.appDb.db.updateTable('sync_job').set({ lease_owner: 'someone-else' });
          await steal.where('database_id', '=', wh.dbId).execute();
          yield* real.describeTables(scope, signal) as AsyncIterable<TableMetadata>;
        })();
      },
    }));
    await assert.rejects(h.run(wh.dbId, DATABASE, { createDriver: stolen }), JobInterrupted);
    assert.deepEqual(await h.tables(wh.dbId), []);
  });
});

describe('failing catalog batches', () => {
  test('a batch that fails is retried one table at a time; only the failing table is recorded', async () => {
    const wh = await warehouse(
      ...tablesDdl(['alpha', 'poison', 'zulu']),
      `CREATE TABLE mixed (id int, bad int, good int)`,
    );
    const dropPoison = await poisonInserts([
      { table: 'metabase_table', name: 'poison' },
      { table: 'metabase_field', name: 'bad' },
    ]);
    try {
      const poison = { schema: 'public', name: 'poison' };
      const { jobId, outcome } = await h.run(wh.dbId, { metadata: { database: true, new_tables: [poison] } });
      assert.equal(outcome.state, 'succeeded', 'object-level failures do not fail the job');
      assert.deepEqual((await h.tables(wh.dbId)).map((t) => t.name).sort(), ['alpha', 'mixed', 'zulu']);
      assert.deepEqual(outcome.result.new_tables, [{ ...poison, status: 'failed', table_id: null }]);
      const tasks = await h.tasks(jobId);
      const tablesStep = tasks.find((t) => t.task === 'sync-tables');
      assert.equal(tablesStep?.details.failed, 1);
      assert.equal(tablesStep?.details.created, 3);
      assert.deepEqual((tablesStep?.details.failures as { object: string }[]).map((f) => f.object), ['public.poison']);
      assert.equal(tablesStep?.details['failures-total'], 1);
      const fieldsStep = tasks.find((t) => t.task === 'sync-fields');
      assert.equal(fieldsStep?.details['tables-failed'], 1);
      assert.deepEqual((fieldsStep?.details.failures as { object: string }[]).map((f) => f.object), ['public.mixed']);
      assert.equal((await h.fields((await h.table(wh.dbId, 'alpha')).id)).length, 2);
      assert.deepEqual(await h.fields((await h.table(wh.dbId, 'mixed')).id), []);
      assert.equal((await h.table(wh.dbId, 'mixed')).initial_sync_status, 'incomplete');
      assert.equal((await h.table(wh.dbId, 'alpha')).initial_sync_status, 'complete');
    } finally {
      await dropPoison();
    }
  });
});
