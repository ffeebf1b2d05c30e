// The real service for the driver conformance suite: startService with a temporary SQLite application database,
// driven through app.inject() with the keys; warehouses are registered with POST /api/database and synced through
// /api/notify, and the catalog is read back from the application database in the fixtures' expected shape.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../../src/config.ts';
import { parseJson, toBool } from '../../../src/db/schema.ts';
import { silentLogger } from '../../../src/logger.ts';
import { startService, type Service } from '../../../src/main.ts';
import {
  byIdentity,
  type EngineFixture,
  type ExpectedField,
  type ExpectedTable,
  type Warehouse,
} from './engine-fixture.ts';

const NOTIFY_KEY = 'conformance-notify-key';
const ADMIN_KEY = 'conformance-admin-key';
const K = { 'X-METABASE-APIKEY': NOTIFY_KEY };
const A = { 'X-API-KEY': ADMIN_KEY };

export interface JobView {
  readonly id: number;
  readonly state: string;
  readonly error: string | null;
}

export interface CatalogTable extends ExpectedTable {
  readonly id: number;
  readonly active: boolean;
}

export class ConformanceService {
  readonly #service: Service;
  readonly #dir: string;

  private constructor(service: Service, dir: string) {
    this.#service = service;
    this.#dir = dir;
  }

  static async start(env: Readonly<Record<string, string>> = {}): Promise<ConformanceService> {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-conformance-'));
    try {
      const config = loadConfig({
        MB_API_KEY: NOTIFY_KEY,
        MB_ADMIN_API_KEY: ADMIN_KEY,
        MB_DB_FILE: join(dir, 'app.db'),
        MB_LOAD_SAMPLE_CONTENT: 'false',
        ...env,
      });
      return new ConformanceService(await startService(config, silentLogger(), { listen: false }), dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get appDb() {
    return this.#service.appDb;
  }

  async stop(): Promise<void> {
    try {
      await this.#service.stop();
    } finally {
      rmSync(this.#dir, { recursive: true, force: true });
    }
  }

  post(url: string, body: unknown, headers: Record<string, string> = K): Promise<LightMyRequestResponse> {
    return this.#service.app.inject({ method: 'POST', url, headers, payload: body as object });
  }

  /** POST /api/database with the admin key; the answer as it came. */
  addDatabase(engine: string, details: Readonly<Record<string, unknown>>, name = `${engine} warehouse`) {
    return this.post('/api/database', { name, engine, details }, A);
  }

  /**
   * Registers the warehouse, waits for its initial full sync, and switches its schedules off so that no scheduled sync
   * runs while a test changes the warehouse.
   */
  async register(fixture: EngineFixture, warehouse: Warehouse): Promise<number> {
    const res = await this.addDatabase(fixture.engine, warehouse.details);
    assert.equal(res.statusCode, 200, `POST /api/database answered ${res.statusCode}: ${res.body}`);
    const id = (JSON.parse(res.body) as { id: number }).id;
    await this.appDb.db
      .updateTable('metabase_database')
      .set({ metadata_sync_schedule: null, cache_field_values_schedule: null })
      .where('id', '=', id)
      .execute();
    const [job] = await this.jobs(id);
    assert.ok(job, 'the registration queued the initial sync');
    const done = await this.waitForJob(job.id);
    assert.equal(done.state, 'succeeded', `the initial sync of ${fixture.engine} failed: ${done.error}`);
    return id;
  }

  /** POST /api/notify/db/:id with "synchronous?": true; the job it answered with, once ended. */
  async notify(dbId: number, body: Record<string, unknown> = {}): Promise<JobView> {
    const res = await this.post(`/api/notify/db/${dbId}`, { scan: 'schema', ...body, 'synchronous?': true });
    assert.equal(res.statusCode, 200, `notify answered ${res.statusCode}: ${res.body}`);
    const { job_id: jobId } = JSON.parse(res.body) as { job_id: number };
    return this.job(jobId);
  }

  async jobs(dbId: number): Promise<JobView[]> {
    return this.appDb.db
      .selectFrom('sync_job')
      .select(['id', 'state', 'error'])
      .where('database_id', '=', dbId)
      .orderBy('id')
      .execute();
  }

  async job(id: number): Promise<JobView> {
    return this.appDb.db
      .selectFrom('sync_job')
      .select(['id', 'state', 'error'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  async waitForJob(id: number, timeoutMs = 25_000): Promise<JobView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.job(id);
      if (job.state !== 'queued' && job.state !== 'running') return job;
      if (Date.now() > deadline) assert.fail(`job ${id} is still ${job.state} after ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** `warehouse-queries` of the job's metadata operation (the `sync` task row). */
  async metadataQueries(jobId: number): Promise<number> {
    const row = await this.appDb.db
      .selectFrom('task_history')
      .select('task_details')
      .where('job_id', '=', jobId)
      .where('task', '=', 'sync')
      .where('parent_id', 'is', null)
      .executeTakeFirstOrThrow();
    const details = parseJson<{ 'warehouse-queries'?: number }>(row.task_details, {});
    return details['warehouse-queries'] ?? -1;
  }

  /** The job's task-history rows: task, status and details. */
  async taskRows(jobId: number): Promise<{ task: string; status: string; details: Record<string, unknown> }[]> {
    const rows = await this.appDb.db
      .selectFrom('task_history')
      .select(['task', 'status', 'task_details'])
      .where('job_id', '=', jobId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ task: r.task, status: r.status, details: parseJson(r.task_details, {}) }));
  }

  async database(dbId: number) {
    return this.appDb.db.selectFrom('metabase_database').selectAll().where('id', '=', dbId).executeTakeFirstOrThrow();
  }

  /** Every table of the database (inactive too) with its active fields, in the expected catalog's shape. */
  async catalog(dbId: number): Promise<CatalogTable[]> {
    const tables = await this.appDb.db
      .selectFrom('metabase_table')
      .select(['id', 'schema', 'name', 'kind', 'description', 'active'])
      .where('db_id', '=', dbId)
      .execute();
    const fields = await this.appDb.db
      .selectFrom('metabase_field')
      .selectAll()
      .where('table_id', 'in', tables.length === 0 ? [-1] : tables.map((t) => t.id))
      .where('active', '=', true)
      .orderBy('table_id')
      .orderBy('database_position')
      .execute();
    const tableName = new Map(tables.map((t) => [t.id, t.name]));
    const fieldName = new Map(fields.map((f) => [f.id, `${tableName.get(f.table_id)}.${f.name}`]));
    return tables
      .map((t) => ({
        id: t.id,
        active: toBool(t.active),
        schema: t.schema,
        name: t.name,
        kind: t.kind as 'table' | 'view',
        description: t.description,
        fields: fields
          .filter((f) => f.table_id === t.id)
          .map(
            (f): ExpectedField => ({
              name: f.name,
              database_type: f.database_type,
              base_type: f.base_type,
              database_position: f.database_position,
              database_required: toBool(f.database_required),
              database_is_auto_increment: toBool(f.database_is_auto_increment),
              database_is_pk: toBool(f.database_is_pk),
              semantic_type: f.semantic_type,
              fk_target: f.fk_target_field_id === null ? null : (fieldName.get(f.fk_target_field_id) ?? '?'),
              database_indexed: toBool(f.database_indexed),
              description: f.description,
            }),
          ),
      }))
      .sort(byIdentity);
  }

  /** The active tables without ids, comparable with a fixture's expected catalog. */
  async activeCatalog(dbId: number): Promise<ExpectedTable[]> {
    return (await this.catalog(dbId))
      .filter((t) => t.active)
      .map(({ schema, name, kind, description, fields }) => ({ schema, name, kind, description, fields }));
  }
}
