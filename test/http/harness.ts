// The HTTP contract tests' harness: a fresh application database per test (test/support/app-db.ts) holding the
// fixture rows of notify-api.md section 7.1 (databases 1 and 2, tables 10-21, fields 100 and 200), the app under
// app.inject(), the log lines it wrote, and a worker stand-in: by default nothing runs the jobs; a script may finish
// them instead.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Selectable } from 'kysely';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { AppDb } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { parseJson, type SyncJobRow } from '../../src/db/schema.ts';
import { claimJob, completeJob, type JobView } from '../../src/jobs/queue.ts';
import type { JobResult, Plan } from '../../src/jobs/types.ts';
import { JobEvents } from '../../src/jobs/wait.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestAppDb, resetIdentities } from '../support/app-db.ts';

export const NOTIFY_KEY = 'test-api-key';
export const ADMIN_KEY = 'admin-key';
export const PASSWORD = 's3cret-pw';
export const K: Record<string, string> = { 'X-METABASE-APIKEY': NOTIFY_KEY };
export const A: Record<string, string> = { 'X-API-KEY': ADMIN_KEY };
export const FIXTURE_TIME = '2025-01-01T00:00:00.000Z';
export const DBMS_VERSION = { flavor: 'PostgreSQL', version: '16.4', 'semantic-version': [16, 4] };
/** Field 100 of the fixture (`val` of table 10) as the API returns it. */
export const FIELD_100 = {
  id: 100,
  table_id: 10,
  name: 'val',
  display_name: 'Val',
  description: null,
  database_type: 'int8',
  base_type: 'type/BigInteger',
  effective_type: 'type/BigInteger',
  semantic_type: null,
  database_position: 0,
  position: 0,
  database_required: true,
  database_is_auto_increment: false,
  database_indexed: false,
  active: true,
  visibility_type: 'normal',
  fk_target_field_id: null,
  parent_id: null,
  nfc_path: null,
  fingerprint: null,
  last_analyzed: null,
  has_field_values: null,
  created_at: FIXTURE_TIME,
  updated_at: FIXTURE_TIME,
};

export const KEY_NOT_SET =
  '"MB_API_KEY is not set. See ' +
  'https://www.metabase.com/docs/latest/configuring-metabase/environment-variables#mb_api_key for details"';
export const ADMIN_NOT_SET =
  '"MB_ADMIN_API_KEY is not set. Set the MB_ADMIN_API_KEY environment variable to use the management API."';

/** The plans of the "Kind" column (notify-api.md section 7.2). */
export const KIND = {
  databaseMetadata: { metadata: { database: true } },
  fullDatabase: { metadata: { database: true }, analyze: { database: true }, field_values: { database: true } },
  tableMetadata: (...ids: number[]) => ({ metadata: { tables: ids } }),
  fullTable: (...ids: number[]) => ({
    metadata: { tables: ids },
    analyze: { tables: ids },
    field_values: { tables: ids },
  }),
};

/** How the worker stand-in finishes a claimed job. */
export type JobScript = (
  job: JobView,
  appDb: AppDb,
) => Promise<{ state: 'succeeded' | 'failed'; error?: string; result?: Partial<JobResult> }>;

export interface Harness {
  readonly app: FastifyInstance;
  readonly appDb: AppDb;
  readonly dir: string;
  /** Every log line the app wrote. */
  readonly logs: string[];
  /** How often the app woke the workers. */
  readonly wakes: () => number;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Any request: a method, a path, headers and a raw payload. */
  send(
    method: string,
    url: string,
    headers: Record<string, string>,
    payload?: string | Buffer,
  ): Promise<LightMyRequestResponse>;
  /** POST with a JSON body (objects are serialized; strings are sent as they are) and Content-Type application/json. */
  post(url: string, body?: unknown, headers?: Record<string, string | string[]>): Promise<LightMyRequestResponse>;
  jobPlan(jobId: number): Promise<Plan>;
  jobRow(jobId: number): Promise<Selectable<SyncJobRow>>;
  jobCount(): Promise<number>;
}

export interface HarnessOptions {
  /** Settings on top of the fixture's; undefined removes one. */
  readonly env?: Record<string, string | undefined>;
  /** Finish every job the app queues this way (through the real claim and completion of src/jobs/queue.ts). */
  readonly script?: JobScript;
  readonly isReady?: () => boolean;
}

const EMPTY_CHANGES = {
  tables: { created: [], reactivated: [], retired: [], renamed: [], 'type-changed': [] },
  fields: { created: [], reactivated: [], retired: [], renamed: [], 'type-changed': [] },
};

async function insertFixture(appDb: AppDb): Promise<void> {
  const details = (host: string, dbname: string) =>
    JSON.stringify({ host, port: 5432, dbname, user: 'catalog', password: PASSWORD, ssl: false });
  const database = (id: number, name: string, attached: boolean, host: string, dbname: string) => ({
    id,
    name,
    engine: 'postgres',
    details: details(host, dbname),
    is_full_sync: true,
    is_on_demand: false,
    is_attached_dwh: attached,
    initial_sync_status: 'complete',
    metadata_sync_schedule: `0 ${id} * * * ? *`,
    cache_field_values_schedule: `0 0 ${id} * * ? *`,
    timezone: 'UTC',
    dbms_version: JSON.stringify(DBMS_VERSION),
    created_at: FIXTURE_TIME,
    updated_at: FIXTURE_TIME,
  });
  await appDb.db
    .insertInto('metabase_database')
    .values([
      database(1, 'Warehouse', false, 'warehouse-1', 'warehouse'),
      database(2, 'Attached DWH', true, 'warehouse-2', 'dwh'),
    ])
    .execute();
  const table = (id: number, dbId: number, schema: string, name: string, active: boolean, status: string) => ({
    id,
    db_id: dbId,
    schema,
    name,
    display_name: name,
    active,
    initial_sync_status: status,
    created_at: FIXTURE_TIME,
    updated_at: FIXTURE_TIME,
  });
  await appDb.db
    .insertInto('metabase_table')
    .values([
      table(10, 1, 'public', 'foo', true, 'incomplete'),
      table(11, 1, 'public', 'orders', true, 'complete'),
      table(12, 1, 'analytics', 'orders', true, 'complete'),
      table(13, 1, 'public', 'legacy', false, 'complete'),
      table(14, 1, 'public', 'gone', true, 'complete'),
      table(15, 1, 'data', 'aapl_stocks', true, 'complete'),
      table(16, 1, 'public', 'events.v1', true, 'complete'),
      table(20, 2, 'public', 'foo', true, 'complete'),
      table(21, 2, 'public', 'old', false, 'complete'),
    ])
    .execute();
  const field = (id: number, tableId: number) => ({
    id,
    table_id: tableId,
    name: 'val',
    display_name: 'Val',
    database_type: 'int8',
    base_type: 'type/BigInteger',
    effective_type: 'type/BigInteger',
    database_required: true,
    created_at: FIXTURE_TIME,
    updated_at: FIXTURE_TIME,
  });
  await appDb.db.insertInto('metabase_field').values([field(100, 10), field(200, 20)]).execute();
}

/** A worker stand-in: each wake-up claims the queued jobs and completes them as the script says. */
function scriptedWorkers(appDb: AppDb, events: JobEvents, script: JobScript | undefined) {
  let wakes = 0;
  let running = Promise.resolve();
  const drain = async () => {
    for (let job = await claimJob(appDb, 'http-test', 60); job; job = await claimJob(appDb, 'http-test', 60)) {
      const outcome = await script!(job, appDb);
      const result: JobResult = {
        phases: {},
        operations: [],
        new_tables: [],
        changes: EMPTY_CHANGES,
        ...outcome.result,
      };
      await completeJob(appDb, job.id, 'http-test', { state: outcome.state, error: outcome.error ?? null, result });
      events.notify(job.id);
    }
  };
  return {
    workers: {
      wake() {
        wakes++;
        if (script) running = running.then(() => new Promise((resolve) => setImmediate(resolve))).then(drain);
      },
    },
    wakes: () => wakes,
    idle: () => running,
  };
}

export async function harness(t: TestContext, options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-http-'));
  const testDb = await createTestAppDb(dir);
  const env: Record<string, string | undefined> = {
    MB_API_KEY: NOTIFY_KEY,
    MB_ADMIN_API_KEY: ADMIN_KEY,
    MB_LOAD_SAMPLE_CONTENT: 'false',
    ...testDb.env,
    ...options.env,
  };
  const config = loadConfig(env);
  const appDb = testDb.open();
  await migrate(appDb);
  await insertFixture(appDb);
  await resetIdentities(appDb);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const events = new JobEvents();
  const stand = scriptedWorkers(appDb, events, options.script);
  const jobRow = (jobId: number) =>
    appDb.db.selectFrom('sync_job').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
  const app = buildApp({
    config,
    appDb,
    logger: createLogger({ level: 'debug', destination: sink }),
    workers: stand.workers,
    events,
    ...(options.isReady ? { isReady: options.isReady } : {}),
  });
  t.after(async () => {
    await app.close();
    await stand.idle();
    await appDb.close();
    await testDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    app,
    appDb,
    dir,
    logs,
    wakes: stand.wakes,
    inject: (opts) => app.inject(opts),
    send: (method, url, headers, payload) =>
      app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) }),
    post: (url, body, headers = K) =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
    async jobPlan(jobId) {
      return parseJson<Plan>((await jobRow(jobId)).plan, {});
    },
    jobRow,
    async jobCount() {
      const rows = await appDb.db.selectFrom('sync_job').select('id').execute();
      return rows.length;
    },
  };
}

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

export function assertText(res: LightMyRequestResponse, status: number, text: string): void {
  assert.equal(res.statusCode, status, `status (body ${res.body})`);
  assert.equal(res.headers['content-type'], TEXT_TYPE);
  assert.equal(res.body, text);
}

export function assertJson(res: LightMyRequestResponse, status: number, body: unknown): void {
  assert.equal(res.statusCode, status, `status (body ${res.body})`);
  assert.equal(res.headers['content-type'], JSON_TYPE);
  assert.deepEqual(JSON.parse(res.body), body);
}

/** OK_JOB: `{"success":true,"job_id":<int>}`; returns the job id. */
export function assertOkJob(res: LightMyRequestResponse): number {
  assert.equal(res.statusCode, 200, `status (body ${res.body})`);
  assert.equal(res.headers['content-type'], JSON_TYPE);
  const body = JSON.parse(res.body) as { success: unknown; job_id: unknown };
  assert.deepEqual(Object.keys(body).sort(), ['job_id', 'success']);
  assert.equal(body.success, true);
  assert.ok(Number.isInteger(body.job_id) && (body.job_id as number) > 0, 'job_id is a positive integer');
  return body.job_id as number;
}

const MISSING = 'missing required key, received: null';

/** The raw body of a 400 validation error, with `specific-errors` built from the descriptions and received values. */
export function validationBody(entries: Record<string, [description: string, received: string | null]>): unknown {
  const errors: Record<string, string> = {};
  const specific: Record<string, string[]> = {};
  for (const [key, [description, received]] of Object.entries(entries)) {
    errors[key] = description;
    specific[key] = [received === null ? MISSING : `${description}, received: ${received}`];
  }
  return { errors, 'specific-errors': specific };
}

/** A JSON body padded with spaces to exactly `size` bytes. */
export function padded(json: string, size: number): string {
  return json + ' '.repeat(size - Buffer.byteLength(json));
}
