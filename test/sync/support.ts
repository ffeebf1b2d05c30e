// Test harness for the sync engine: a migrated application database (test/support/app-db.ts), database rows, and jobs
// run the way the worker runs them (a running sync_job row whose lease the fence checks).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Selectable, Transaction, Updateable } from 'kysely';
import { loadConfig, type Config } from '../../src/config.ts';
import type { AppDb, AppDbKind } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import {
  parseJson,
  toBool,
  type AppSchema,
  type DatabaseRow,
  type FieldRow,
  type TableRow,
} from '../../src/db/schema.ts';
import type { Engine, WarehouseDriver } from '../../src/drivers/driver.ts';
import type { CreateDriver } from '../../src/drivers/registry.ts';
import type { JobOutcome, Plan, RunningJob, Trigger } from '../../src/jobs/types.ts';
import { silentLogger } from '../../src/logger.ts';
import { createTestAppDb, testAppDbKind } from '../support/app-db.ts';
import { createJobRunner } from '../../src/sync/run-job.ts';

export type DriverFactory = CreateDriver;

export interface RunOptions {
  readonly triggers?: readonly Trigger[];
  readonly signal?: AbortSignal;
  readonly createDriver?: DriverFactory;
  readonly config?: Partial<Config>;
}

export interface Harness {
  readonly appDb: AppDb;
  readonly dir: string;
  addDatabase(
    engine: Engine,
    details: Record<string, unknown>,
    options?: { settings?: Record<string, unknown>; isFullSync?: boolean; initialSyncStatus?: string },
  ): Promise<number>;
  /** Runs one job for the plan and records its outcome on the sync_job row, as the worker would. */
  run(databaseId: number, plan: Plan, options?: RunOptions): Promise<{ jobId: number; outcome: JobOutcome }>;
  tables(databaseId: number): Promise<TableView[]>;
  table(databaseId: number, name: string): Promise<TableView>;
  fields(tableId: number): Promise<FieldView[]>;
  tasks(jobId: number): Promise<TaskView[]>;
  database(databaseId: number): Promise<Selectable<DatabaseRow>>;
  updateTable(tableId: number, values: Updateable<TableRow>): Promise<void>;
  updateField(tableId: number, name: string, values: Updateable<FieldRow>): Promise<void>;
  updateDatabase(databaseId: number, values: Updateable<DatabaseRow>): Promise<void>;
  close(): Promise<void>;
}

export interface TableView {
  readonly id: number;
  readonly schema: string | null;
  readonly name: string;
  readonly display_name: string;
  readonly description: string | null;
  readonly database_comment: string | null;
  readonly kind: string;
  readonly active: boolean;
  readonly deactivated_at: string | null;
  readonly visibility_type: string | null;
  readonly initial_sync_status: string;
  readonly estimated_row_count: number | null;
  readonly database_object_id: string | null;
  readonly database_foreign_keys: unknown[];
  readonly database_indexes: unknown[];
  readonly user_set: string[];
  readonly updated_at: string;
}

export interface FieldView {
  readonly id: number;
  readonly name: string;
  readonly display_name: string;
  readonly description: string | null;
  readonly database_type: string;
  readonly base_type: string;
  readonly effective_type: string;
  readonly semantic_type: string | null;
  readonly active: boolean;
  readonly visibility_type: string;
  readonly position: number;
  readonly database_position: number;
  readonly fk_target_field_id: number | null;
  readonly fingerprint: string | null;
  readonly fingerprint_version: number;
  readonly last_analyzed: string | null;
  readonly has_field_values: string | null;
  readonly database_is_pk: boolean;
  readonly database_is_nullable: boolean;
  readonly database_required: boolean;
  readonly database_is_auto_increment: boolean;
  readonly database_default: string | null;
  readonly database_indexed: boolean;
  readonly database_object_id: string | null;
  readonly user_set: string[];
  readonly updated_at: string;
}

export interface TaskView {
  readonly id: number;
  readonly task: string;
  readonly parent_id: number | null;
  readonly job_id: number | null;
  readonly db_id: number | null;
  readonly status: string;
  readonly ended_at: string | null;
  readonly duration: number | null;
  readonly details: Record<string, unknown>;
  readonly logs: unknown[] | null;
}

export const LEASE_OWNER = 'test';

/** The fence of a RunningJob: the conditional lease update of sync-engine.md section 8.5. */
export function leaseFence(
  appDb: AppDb,
  jobId: number,
  owner = LEASE_OWNER,
): (trx: Transaction<AppSchema>) => Promise<void> {
  return async (trx) => {
    const result = await trx
      .updateTable('sync_job')
      .set({ heartbeat_at: appDb.now(), lease_expires_at: '9999-12-31T00:00:00.000Z' })
      .where('id', '=', jobId)
      .where('state', '=', 'running')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new Error(`job ${jobId} lost its lease`);
  };
}

/** A harness on the suite's application database (TEST_APP_DB, SQLite by default) or on the one of that kind. */
export async function createHarness(kind: AppDbKind = testAppDbKind()): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-test-'));
  const testDb = await createTestAppDb(dir, kind);
  const appDb = testDb.open();
  await migrate(appDb);
  // The service's data folder is refused as a warehouse location: a nominal one of its own, apart from the test's files.
  const baseConfig = loadConfig({ MB_DB_FILE: join(dir, 'service', 'app.db'), MB_SYNC_CONNECT_TIMEOUT_SECONDS: '5' });

  const harness: Harness = {
    appDb,
    dir,
    async addDatabase(engine, details, options = {}) {
      const row = await appDb.db
        .insertInto('metabase_database')
        .values({
          name: `test ${engine}`,
          engine,
          details: JSON.stringify(details),
          settings: JSON.stringify(options.settings ?? {}),
          is_full_sync: options.isFullSync ?? true,
          initial_sync_status: options.initialSyncStatus ?? 'incomplete',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async run(databaseId, plan, options = {}) {
      const triggers = options.triggers ?? [{ source: 'notify', at: new Date().toISOString() }];
      const job = await appDb.db
        .insertInto('sync_job')
        .values({
          database_id: databaseId,
          state: 'running',
          plan: JSON.stringify(plan),
          triggers: JSON.stringify(triggers),
          lease_owner: LEASE_OWNER,
          lease_expires_at: '9999-12-31T00:00:00.000Z',
          started_at: appDb.now(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const running: RunningJob = {
        id: job.id,
        databaseId,
        plan,
        triggers,
        signal: options.signal ?? new AbortController().signal,
        fence: leaseFence(appDb, job.id),
      };
      const runner = createJobRunner({
        appDb,
        config: { ...baseConfig, ...options.config },
        logger: silentLogger(),
        ...(options.createDriver ? { createDriver: options.createDriver } : {}),
      });
      try {
        const outcome = await runner(running);
        await appDb.db
          .updateTable('sync_job')
          .set({
            state: outcome.state,
            error: outcome.error,
            result: JSON.stringify(outcome.result),
            finished_at: appDb.now(),
          })
          .where('id', '=', job.id)
          .execute();
        return { jobId: job.id, outcome };
      } catch (error) {
        await appDb.db.updateTable('sync_job').set({ state: 'interrupted' }).where('id', '=', job.id).execute();
        throw error;
      }
    },
    async tables(databaseId) {
      const rows = await appDb.db
        .selectFrom('metabase_table')
        .selectAll()
        .where('db_id', '=', databaseId)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        ...r,
        active: toBool(r.active),
        database_foreign_keys: parseJson<unknown[]>(r.database_foreign_keys, []),
        database_indexes: parseJson<unknown[]>(r.database_indexes, []),
        user_set: parseJson<string[]>(r.user_set, []),
      }));
    },
    async table(databaseId, name) {
      const found = (await harness.tables(databaseId)).find((t) => t.name === name);
      if (!found) throw new Error(`no table ${name}`);
      return found;
    },
    async fields(tableId) {
      const rows = await appDb.db
        .selectFrom('metabase_field')
        .selectAll()
        .where('table_id', '=', tableId)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        ...r,
        active: toBool(r.active),
        database_is_pk: toBool(r.database_is_pk),
        database_is_nullable: toBool(r.database_is_nullable),
        database_required: toBool(r.database_required),
        database_is_auto_increment: toBool(r.database_is_auto_increment),
        database_indexed: toBool(r.database_indexed),
        user_set: parseJson<string[]>(r.user_set, []),
      }));
    },
    async tasks(jobId) {
      const rows = await appDb.db
        .selectFrom('task_history')
        .selectAll()
        .where('job_id', '=', jobId)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        task: r.task,
        parent_id: r.parent_id,
        job_id: r.job_id,
        db_id: r.db_id,
        status: r.status,
        ended_at: r.ended_at,
        duration: r.duration,
        details: parseJson<Record<string, unknown>>(r.task_details, {}),
        logs: parseJson<unknown[] | null>(r.logs, null),
      }));
    },
    async database(databaseId) {
      const query = appDb.db.selectFrom('metabase_database').selectAll().where('id', '=', databaseId);
      return query.executeTakeFirstOrThrow();
    },
    async updateTable(tableId, values) {
      await appDb.db.updateTable('metabase_table').set(values).where('id', '=', tableId).execute();
    },
    async updateField(tableId, name, values) {
      const query = appDb.db.updateTable('metabase_field').set(values).where('table_id', '=', tableId);
      await query.where('name', '=', name).execute();
    },
    async updateDatabase(databaseId, values) {
      await appDb.db.updateTable('metabase_database').set(values).where('id', '=', databaseId).execute();
    },
    async close() {
      await appDb.close();
      await testDb.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Every catalog row's updated_at set to a sentinel, so a test can see which rows a later run wrote. */
export async function stampCatalog(appDb: AppDb): Promise<string> {
  const sentinel = '2000-01-01T00:00:00.000Z';
  await appDb.db.updateTable('metabase_table').set({ updated_at: sentinel }).execute();
  await appDb.db.updateTable('metabase_field').set({ updated_at: sentinel }).execute();
  await appDb.db.updateTable('metabase_database').set({ updated_at: sentinel }).execute();
  await appDb.db.updateTable('metabase_fieldvalues').set({ updated_at: sentinel }).execute();
  return sentinel;
}

/** Catalog rows whose updated_at is no longer the sentinel. */
export async function writtenSince(appDb: AppDb, sentinel: string): Promise<number> {
  let n = 0;
  for (const table of ['metabase_table', 'metabase_field', 'metabase_database', 'metabase_fieldvalues'] as const) {
    const rows = await appDb.db.selectFrom(table).select('id').where('updated_at', '<>', sentinel).execute();
    n += rows.length;
  }
  return n;
}

/** A driver wrapper: overrides some methods of a real driver, delegates the rest. */
export function wrapDriver(driver: WarehouseDriver, overrides: Partial<WarehouseDriver>): WarehouseDriver {
  return {
    get engine() {
      return driver.engine;
    },
    get queryCount() {
      return driver.queryCount;
    },
    capabilities: (s) => driver.capabilities(s),
    testConnection: (s) => driver.testConnection(s),
    dbmsVersion: (s) => driver.dbmsVersion(s),
    timezone: (s) => driver.timezone(s),
    describeTables: (scope, s) => driver.describeTables(scope, s),
    tableExists: (ref, s) => driver.tableExists(ref, s),
    describeFields: (scope, s) => driver.describeFields(scope, s),
    describeForeignKeys: (scope, s) => driver.describeForeignKeys(scope, s),
    describeIndexes: (scope, s) => driver.describeIndexes(scope, s),
    sampleRows: (table, fields, opts, s) => driver.sampleRows(table, fields, opts, s),
    fieldSummary: (table, field, s) => driver.fieldSummary(table, field, s),
    distinctValues: (table, fields, opts, s) => driver.distinctValues(table, fields, opts, s),
    close: () => driver.close(),
    ...overrides,
  };
}
