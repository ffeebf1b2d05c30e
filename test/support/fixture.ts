// The conformance fixture of notify-api.md section 7.1: real PostgreSQL warehouses (shared by the rows of one test
// file, because a sync only reads its warehouse), an SQLite warehouse for `lite4`, and per row a fresh application
// database holding the fixture rows, served by the real service (startService) with its real worker pool. That
// database is SQLite, or PostgreSQL when TEST_APP_DB=postgres (test/support/app-db.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import SQLite from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../src/config.ts';
import type { AppDb } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { toBool } from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type Service } from '../../src/main.ts';
import { createTestAppDb, resetIdentities, testAppDbKind, type TestAppDb } from './app-db.ts';
import { execSql, freePort, testPg } from './postgres.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export const NOTIFY_KEY = 'test-api-key';
export const ADMIN_KEY = 'admin-key';
export const PASSWORD = 's3cret-pw';
/** The warehouse login of the fixture (section 7.1): a role of the test server, created once and kept. */
export const WAREHOUSE_USER = 'catalog';

export const K: Readonly<Record<string, string>> = { 'X-METABASE-APIKEY': NOTIFY_KEY };
export const A: Readonly<Record<string, string>> = { 'X-API-KEY': ADMIN_KEY };

export const KEY_NOT_SET =
  '"MB_API_KEY is not set. See https://www.metabase.com/docs/latest/configuring-metabase/environment-variables#mb_api_key for details"';
export const ADMIN_NOT_SET =
  '"MB_ADMIN_API_KEY is not set. Set the MB_ADMIN_API_KEY environment variable to use the management API."';

export const FIXTURE_TIME = '2025-01-01T00:00:00.000Z';
export const DBMS_VERSION = { flavor: 'PostgreSQL', version: '16.4', 'semantic-version': [16, 4] } as const;
/**
 * The fixture's schedules have "already fired" until year 9999: the scheduler's claim (sync-engine.md section 8.8)
 * then never enqueues, which keeps every row clear of fire times (section 7.1) whatever minute the suite runs in.
 */
const FIRED_UNTIL = '9999-12-31T23:59:59.999Z';

// ---------------------------------------------------------------------------------------------------------------
// Warehouses

export interface PgWarehouse {
  readonly name: string;
  /** Superuser URL of the database. */
  readonly url: string;
}

export interface Warehouses {
  readonly host: string;
  readonly port: number;
  readonly db1: PgWarehouse;
  readonly db2: PgWarehouse;
  /** Database 2's tables plus public.baz (variant dwh3). */
  readonly db3: PgWarehouse;
  /** The SQLite file of variant lite4: foo(id integer), bar(id integer). */
  readonly liteFile: string;
  close(): Promise<void>;
}

const WAREHOUSE_1_SQL = [
  'CREATE SCHEMA analytics',
  'CREATE SCHEMA data',
  'CREATE TABLE public.foo (val bigint NOT NULL, newly_added integer)',
  'CREATE TABLE public.orders (id integer)',
  'CREATE TABLE analytics.orders (id integer)',
  'CREATE TABLE public.legacy (id integer)',
  'CREATE TABLE data.aapl_stocks (id integer)',
  'CREATE TABLE public."events.v1" (id integer)',
  'CREATE TABLE public.bar (id integer)',
  'CREATE TABLE public.fern (id integer)',
];

const WAREHOUSE_2_SQL = [
  'CREATE TABLE public.foo (val bigint NOT NULL, newly_added integer)',
  'CREATE TABLE public.old (id integer)',
  'CREATE TABLE public.bar (id integer)',
  'CREATE TABLE public.fern (id integer)',
];

let warehouseCounter = 0;

async function ensureRole(adminUrl: string): Promise<void> {
  try {
    await execSql(adminUrl, `CREATE ROLE ${WAREHOUSE_USER} LOGIN PASSWORD '${PASSWORD}'`);
  } catch (error) {
    // 42710: the role exists; 23505: a concurrent test process created it at the same moment.
    const code = (error as { code?: string }).code;
    if (code !== '42710' && code !== '23505') throw error;
  }
}

function withDatabase(url: string, database: string, user?: { name: string; password: string }): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  if (user) {
    parsed.username = user.name;
    parsed.password = user.password;
  }
  return parsed.toString();
}

async function createPgWarehouse(adminUrl: string, tag: string, statements: readonly string[]): Promise<PgWarehouse> {
  const name = `conf_${tag}_${process.pid}_${Date.now().toString(36)}_${warehouseCounter++}`;
  await execSql(adminUrl, `CREATE DATABASE "${name}" OWNER ${WAREHOUSE_USER}`);
  // Created by the warehouse user, so that it owns (and can read) every table, as a real reader account would.
  await execSql(withDatabase(adminUrl, name, { name: WAREHOUSE_USER, password: PASSWORD }), ...statements);
  return { name, url: withDatabase(adminUrl, name) };
}

/** Creates the warehouses of section 7.1 once per test file; close() drops them. */
export async function createWarehouses(): Promise<Warehouses> {
  const { url } = await testPg();
  await ensureRole(url);
  const created: PgWarehouse[] = [];
  const liteDir = mkdtempSync(join(tmpdir(), 'conformance-lite-'));
  const dropAll = async () => {
    for (const w of created) await execSql(url, `DROP DATABASE IF EXISTS "${w.name}" WITH (FORCE)`);
    rmSync(liteDir, { recursive: true, force: true });
  };
  try {
    const db1 = await createPgWarehouse(url, 'w1', WAREHOUSE_1_SQL);
    created.push(db1);
    const db2 = await createPgWarehouse(url, 'w2', WAREHOUSE_2_SQL);
    created.push(db2);
    const db3 = await createPgWarehouse(url, 'w3', [...WAREHOUSE_2_SQL, 'CREATE TABLE public.baz (id integer)']);
    created.push(db3);
    const liteFile = join(liteDir, 'lite.sqlite');
    const lite = new SQLite(liteFile);
    lite.exec('CREATE TABLE foo (id integer); CREATE TABLE bar (id integer);');
    lite.close();
    const parsed = new URL(url);
    return { host: parsed.hostname, port: Number(parsed.port), db1, db2, db3, liteFile, close: dropAll };
  } catch (error) {
    await dropAll();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Catalog rows of section 7.1

export interface PgDetails {
  readonly host: string;
  readonly port: number;
  readonly dbname: string;
  readonly user: string;
  readonly password: string;
  readonly ssl: boolean;
}

export interface FixtureDatabase {
  readonly id: number;
  readonly name: string;
  readonly engine: 'postgres' | 'sqlite';
  readonly details: PgDetails | { readonly db: string };
  readonly is_attached_dwh: boolean;
  readonly timezone: string | null;
  readonly dbms_version: unknown;
}

export interface FixtureTable {
  readonly id: number;
  readonly db_id: number;
  readonly schema: string | null;
  readonly name: string;
  readonly display_name: string;
  readonly active: boolean;
  readonly initial_sync_status: 'complete' | 'incomplete';
}

export interface FixtureField {
  readonly id: number;
  readonly table_id: number;
  readonly name: string;
  readonly display_name: string;
  readonly database_type: string;
  readonly base_type: string;
  readonly database_required: boolean;
}

function fixtureTable(
  id: number,
  dbId: number,
  schema: string | null,
  name: string,
  displayName: string,
  active: boolean,
  status: 'complete' | 'incomplete',
): FixtureTable {
  return { id, db_id: dbId, schema, name, display_name: displayName, active, initial_sync_status: status };
}

/** The catalog tables of section 7.1 (display names humanized as the sync engine would). */
export const FIXTURE_TABLES: readonly FixtureTable[] = [
  fixtureTable(10, 1, 'public', 'foo', 'Foo', true, 'incomplete'),
  fixtureTable(11, 1, 'public', 'orders', 'Orders', true, 'complete'),
  fixtureTable(12, 1, 'analytics', 'orders', 'Orders', true, 'complete'),
  fixtureTable(13, 1, 'public', 'legacy', 'Legacy', false, 'complete'),
  fixtureTable(14, 1, 'public', 'gone', 'Gone', true, 'complete'),
  fixtureTable(15, 1, 'data', 'aapl_stocks', 'Aapl Stocks', true, 'complete'),
  fixtureTable(16, 1, 'public', 'events.v1', 'Events.v1', true, 'complete'),
  fixtureTable(20, 2, 'public', 'foo', 'Foo', true, 'complete'),
  fixtureTable(21, 2, 'public', 'old', 'Old', false, 'complete'),
];

/** Fields 100 and 200: `val bigint NOT NULL` as a metadata sync stores it (the Field example of section 6.2). */
const VAL = {
  name: 'val', display_name: 'Val', database_type: 'int8', base_type: 'type/BigInteger', database_required: true,
};
export const FIXTURE_FIELDS: readonly FixtureField[] = [
  { id: 100, table_id: 10, ...VAL },
  { id: 200, table_id: 20, ...VAL },
];

const LITE_TABLE = fixtureTable(40, 4, null, 'foo', 'Foo', true, 'complete');
const LITE_FIELD: FixtureField = {
  id: 400, table_id: 40, name: 'id', display_name: 'ID', database_type: 'INTEGER', base_type: 'type/Integer',
  database_required: false,
};

/** The Table object (notify-api.md section 6.2) of a fixture row as written. */
export function tableObject(t: FixtureTable): Record<string, unknown> {
  return {
    id: t.id, db_id: t.db_id, schema: t.schema, name: t.name, display_name: t.display_name, description: null,
    entity_type: null, visibility_type: null, active: t.active, initial_sync_status: t.initial_sync_status,
    field_order: 'database', created_at: FIXTURE_TIME, updated_at: FIXTURE_TIME,
  };
}

/** The Field object (section 6.2) of a fixture field as written. */
export function fieldObject(f: FixtureField): Record<string, unknown> {
  return {
    id: f.id, table_id: f.table_id, name: f.name, display_name: f.display_name, description: null,
    database_type: f.database_type, base_type: f.base_type, effective_type: f.base_type, semantic_type: null,
    database_position: 0, position: 0, database_required: f.database_required, database_is_auto_increment: false,
    database_indexed: false, active: true, visibility_type: 'normal', fk_target_field_id: null, parent_id: null,
    nfc_path: null, fingerprint: null, last_analyzed: null, has_field_values: null,
    created_at: FIXTURE_TIME, updated_at: FIXTURE_TIME,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The service under test

/** The setup variants of section 7.1 (`fresh` and `fresh-nosample` are startFresh()). */
export type Variant =
  | 'unset' | 'blank' | 'admin-unset'
  | 'down1' | 'down2' | 'blocked1' | 'blocked2'
  | 'no-dwh' | 'dwh3' | 'lite4' | 'wait1';

export interface FixtureOptions {
  readonly variants?: readonly Variant[];
  /** Settings on top of the fixture's; undefined removes one. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface Req {
  readonly method?: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string | string[]>>;
  /** Sent as JSON text (`null` included), with `Content-Type: application/json` unless contentType says otherwise. */
  readonly json?: unknown;
  /** Sent as-is, with `Content-Type: application/json` unless contentType says otherwise. */
  readonly payload?: string | Buffer;
  /** null: no Content-Type header. */
  readonly contentType?: string | null;
}

export type Res = LightMyRequestResponse;

export interface JobRecord {
  readonly id: number;
  readonly database_id: number;
  readonly state: string;
  readonly plan: unknown;
  readonly error: string | null;
}

export interface CatalogTableRow {
  readonly id: number;
  readonly schema: string | null;
  readonly name: string;
  readonly active: boolean;
  readonly kind: string;
}

const SECRETS = [PASSWORD, NOTIFY_KEY];

export class Fixture {
  readonly dir: string;
  readonly proxy: TcpProxy | null;
  readonly databases: readonly FixtureDatabase[];
  readonly #env: Record<string, string>;
  readonly #testDb: TestAppDb;
  readonly #logs: string[] = [];
  #service: Service | null = null;
  #closed = false;

  constructor(
    dir: string,
    env: Record<string, string>,
    proxy: TcpProxy | null,
    databases: readonly FixtureDatabase[],
    testDb: TestAppDb,
  ) {
    this.dir = dir;
    this.#env = { ...env, ...testDb.env };
    this.#testDb = testDb;
    this.proxy = proxy;
    this.databases = databases;
  }

  get service(): Service {
    if (!this.#service) throw new Error('the service is not running');
    return this.#service;
  }

  get appDb(): AppDb {
    return this.service.appDb;
  }

  /** Everything the service logged, as text. */
  get logText(): string {
    return this.#logs.join('');
  }

  async start(): Promise<void> {
    const logs = this.#logs;
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(chunk.toString('utf8'));
        callback();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    this.#service = await startService(loadConfig(this.#env), logger, { listen: false });
  }

  /** Stops the service and starts it again on the same application database. */
  async restart(): Promise<void> {
    await this.#stopService();
    await this.start();
  }

  /** Sends one request through app.inject(); no response may carry the password or the notify key. */
  async request(req: Req): Promise<Res> {
    const headers: Record<string, string | string[]> = { ...req.headers };
    let payload: string | Buffer | undefined;
    if ('json' in req) payload = JSON.stringify(req.json);
    else if (req.payload !== undefined) payload = req.payload;
    if (payload !== undefined) {
      const type = req.contentType === undefined ? 'application/json' : req.contentType;
      if (type !== null) headers['content-type'] = type;
      if (payload.length === 0) headers['content-length'] = '0';
    }
    const res = await this.service.app.inject({
      method: (req.method ?? 'POST') as 'POST',
      url: req.url,
      headers,
      ...(payload !== undefined && payload.length > 0 ? { payload } : {}),
    });
    const seen = `${res.statusCode} ${JSON.stringify(res.headers)} ${res.body}`;
    assertNoSecrets(seen, `${req.method ?? 'POST'} ${req.url}`);
    return res;
  }

  /** M(n): GET /api/database/n/metadata with header A. */
  async metadata(n: number): Promise<Metadata> {
    const res = await this.request({ method: 'GET', url: `/api/database/${n}/metadata`, headers: A });
    assert.equal(res.statusCode, 200, `M(${n}) answered ${res.statusCode}: ${res.body}`);
    return JSON.parse(res.body) as Metadata;
  }

  async job(id: number): Promise<JobRecord> {
    const [job] = await this.#readJobs('id', id);
    assert.ok(job, `sync_job ${id} exists`);
    return job;
  }

  /** The jobs of a database, oldest first. */
  async jobsOf(databaseId: number): Promise<readonly JobRecord[]> {
    return this.#readJobs('database_id', databaseId);
  }

  async #readJobs(column: 'id' | 'database_id', value: number): Promise<JobRecord[]> {
    const rows = await this.appDb.db
      .selectFrom('sync_job')
      .select(['id', 'database_id', 'state', 'plan', 'error'])
      .where(column, '=', value)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ ...r, plan: JSON.parse(r.plan) as unknown }));
  }

  async jobCount(): Promise<number> {
    const row = await this.appDb.db
      .selectFrom('sync_job')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Polls sync_job until the job reaches one of the states. */
  async waitForJob(
    id: number,
    states: readonly string[] = ['succeeded', 'failed'],
    timeoutMs = 15_000,
  ): Promise<JobRecord> {
    let job = await this.job(id);
    const deadline = Date.now() + timeoutMs;
    while (!states.includes(job.state)) {
      if (Date.now() > deadline) {
        assert.fail(`job ${id} is ${job.state}, not ${states.join(' or ')}, after ${timeoutMs} ms`);
      }
      await sleep(25);
      job = await this.job(id);
    }
    return job;
  }

  /** Catalog table rows of a database, straight from the application database (inactive rows included). */
  async tableRows(dbId: number): Promise<readonly CatalogTableRow[]> {
    const rows = await this.appDb.db
      .selectFrom('metabase_table')
      .select(['id', 'schema', 'name', 'active', 'kind'])
      .where('db_id', '=', dbId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ id: r.id, schema: r.schema, name: r.name, active: toBool(r.active), kind: r.kind }));
  }

  /** The Database object (section 6.2) of a fixture database as written. */
  databaseObject(id: number): Record<string, unknown> {
    const d = this.databases.find((x) => x.id === id);
    assert.ok(d, `fixture database ${id}`);
    const details = 'password' in d.details ? { ...d.details, password: '**MetabasePass**' } : { ...d.details };
    return {
      id: d.id, name: d.name, engine: d.engine, details, is_attached_dwh: d.is_attached_dwh, is_full_sync: true,
      is_on_demand: false, initial_sync_status: 'complete', metadata_sync_schedule: `0 ${id % 60} * * * ? *`,
      cache_field_values_schedule: `0 0 ${id % 24} * * ? *`, timezone: d.timezone, dbms_version: d.dbms_version,
      created_at: FIXTURE_TIME, updated_at: FIXTURE_TIME,
    };
  }

  /** Releases a held proxy, lets the jobs end, stops the service, removes the temp dir; checks the logs last. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.proxy?.release();
      if (this.#service) await this.#settle();
      await this.#stopService();
    } finally {
      await this.proxy?.close();
      rmSync(this.dir, { recursive: true, force: true });
      await this.#testDb.drop();
    }
    assertNoSecrets(this.logText, 'the service log');
  }

  async #settle(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const row = await this.appDb.db
        .selectFrom('sync_job')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', 'in', ['queued', 'running'])
        .executeTakeFirstOrThrow();
      if (Number(row.n) === 0 || Date.now() > deadline) return;
      await sleep(25);
    }
  }

  async #stopService(): Promise<void> {
    const service = this.#service;
    this.#service = null;
    if (service) await service.stop();
  }
}

function assertNoSecrets(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} contains ${JSON.stringify(secret)}`);
}

function baseEnv(dir: string): Record<string, string> {
  return {
    MB_API_KEY: NOTIFY_KEY,
    MB_ADMIN_API_KEY: ADMIN_KEY,
    MB_DB_FILE: join(dir, 'app.db'),
    MB_LOAD_SAMPLE_CONTENT: 'false',
  };
}

function applyEnv(env: Record<string, string>, overrides: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
}

/** Section 7.1: the fixture rows, written before start-up, then the service; `variants` change it. */
export async function startFixture(warehouses: Warehouses, options: FixtureOptions = {}): Promise<Fixture> {
  const variants = new Set(options.variants ?? []);
  const dir = mkdtempSync(join(tmpdir(), 'conformance-'));
  let proxy: TcpProxy | null = null;
  let fixture: Fixture | null = null;
  let testDb: TestAppDb | null = null;
  try {
    const env = baseEnv(dir);
    if (variants.has('unset')) delete env.MB_API_KEY;
    if (variants.has('blank')) env.MB_API_KEY = '   ';
    if (variants.has('admin-unset')) delete env.MB_ADMIN_API_KEY;
    if (variants.has('wait1')) env.MB_NOTIFY_WAIT_SECONDS = '1';
    applyEnv(env, options.env ?? {});

    const address = async (n: 1 | 2): Promise<{ host: string; port: number }> => {
      if (variants.has(`down${n}`)) return { host: '127.0.0.1', port: await freePort() };
      if (variants.has(`blocked${n}`)) {
        proxy = await startTcpProxy({ host: warehouses.host, port: warehouses.port });
        return { host: proxy.host, port: proxy.port };
      }
      return { host: warehouses.host, port: warehouses.port };
    };
    const pgDetails = (at: { host: string; port: number }, w: PgWarehouse): PgDetails => ({
      host: at.host, port: at.port, dbname: w.name, user: WAREHOUSE_USER, password: PASSWORD, ssl: false,
    });
    const databases: FixtureDatabase[] = [
      {
        id: 1, name: 'Warehouse', engine: 'postgres', details: pgDetails(await address(1), warehouses.db1),
        is_attached_dwh: false, timezone: 'UTC', dbms_version: DBMS_VERSION,
      },
      {
        id: 2, name: 'Attached DWH', engine: 'postgres', details: pgDetails(await address(2), warehouses.db2),
        is_attached_dwh: !variants.has('no-dwh'), timezone: 'UTC', dbms_version: DBMS_VERSION,
      },
    ];
    const tables = [...FIXTURE_TABLES];
    const fields = [...FIXTURE_FIELDS];
    if (variants.has('dwh3')) {
      databases.push({
        id: 3, name: 'Third DWH', engine: 'postgres',
        details: pgDetails({ host: warehouses.host, port: warehouses.port }, warehouses.db3),
        is_attached_dwh: true, timezone: 'UTC', dbms_version: DBMS_VERSION,
      });
    }
    if (variants.has('lite4')) {
      databases.push({
        id: 4, name: 'Lite', engine: 'sqlite', details: { db: warehouses.liteFile }, is_attached_dwh: false,
        timezone: null, dbms_version: null,
      });
      tables.push(LITE_TABLE);
      fields.push(LITE_FIELD);
    }
    testDb = await createTestAppDb(dir);
    await writeFixtureRows(testDb, databases, tables, fields);
    fixture = new Fixture(dir, env, proxy, databases, testDb);
    await fixture.start();
    return fixture;
  } catch (error) {
    if (fixture) await fixture.close().catch(() => undefined);
    else {
      await (proxy as TcpProxy | null)?.close();
      rmSync(dir, { recursive: true, force: true });
      await (testDb as TestAppDb | null)?.drop();
    }
    throw error;
  }
}

/** Variants `fresh` (sample: true) and `fresh-nosample`: nothing is written before start-up. */
export async function startFresh(options: { readonly sample: boolean }): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'conformance-fresh-'));
  const env = baseEnv(dir);
  if (options.sample) delete env.MB_LOAD_SAMPLE_CONTENT;
  // With the sample, SQLite: its file goes next to MB_DB_FILE (test/e2e covers ./data/ on PostgreSQL).
  const testDb = await createTestAppDb(dir, options.sample ? 'sqlite' : testAppDbKind());
  const fixture = new Fixture(dir, env, null, [], testDb);
  try {
    await fixture.start();
  } catch (error) {
    await fixture.close().catch(() => undefined);
    throw error;
  }
  return fixture;
}

async function writeFixtureRows(
  testDb: TestAppDb,
  databases: readonly FixtureDatabase[],
  tables: readonly FixtureTable[],
  fields: readonly FixtureField[],
): Promise<void> {
  const appDb = testDb.open();
  try {
    await migrate(appDb);
    const stamps = { created_at: FIXTURE_TIME, updated_at: FIXTURE_TIME };
    for (const d of databases) {
      await appDb.db
        .insertInto('metabase_database')
        .values({
          ...stamps, id: d.id, name: d.name, description: null, engine: d.engine, details: JSON.stringify(d.details),
          is_full_sync: true, is_on_demand: false, is_attached_dwh: d.is_attached_dwh,
          metadata_sync_schedule: `0 ${d.id % 60} * * * ? *`, cache_field_values_schedule: `0 0 ${d.id % 24} * * ? *`,
          timezone: d.timezone, dbms_version: d.dbms_version === null ? null : JSON.stringify(d.dbms_version),
          initial_sync_status: 'complete', caveats: null, points_of_interest: null,
          metadata_sync_fired_at: FIRED_UNTIL, field_values_fired_at: FIRED_UNTIL,
        })
        .execute();
    }
    for (const t of tables) {
      await appDb.db
        .insertInto('metabase_table')
        .values({
          ...stamps, id: t.id, db_id: t.db_id, schema: t.schema, name: t.name, display_name: t.display_name,
          description: null, database_comment: null, entity_type: null, active: t.active,
          deactivated_at: t.active ? null : FIXTURE_TIME, visibility_type: null,
          initial_sync_status: t.initial_sync_status, estimated_row_count: null, database_object_id: null,
          caveats: null, points_of_interest: null,
        })
        .execute();
    }
    for (const f of fields) {
      await appDb.db
        .insertInto('metabase_field')
        .values({
          ...stamps, id: f.id, table_id: f.table_id, parent_id: null, name: f.name, display_name: f.display_name,
          description: null, database_comment: null, database_type: f.database_type, base_type: f.base_type,
          effective_type: f.base_type, coercion_strategy: null, semantic_type: null, active: true, position: 0,
          database_position: 0, nfc_path: null, fk_target_field_id: null, fingerprint: null, last_analyzed: null,
          has_field_values: null, database_is_nullable: !f.database_required, database_required: f.database_required,
          database_default: null, database_object_id: null, settings: null, caveats: null, points_of_interest: null,
        })
        .execute();
    }
    await resetIdentities(appDb);
  } finally {
    await appDb.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Expectations (section 7.2)

export interface MetadataField {
  readonly id: number;
  readonly name: string;
  readonly [key: string]: unknown;
}

export interface MetadataTable {
  readonly id: number;
  readonly schema: string | null;
  readonly name: string;
  readonly initial_sync_status: string;
  readonly active: boolean;
  readonly fields: readonly MetadataField[];
  readonly [key: string]: unknown;
}

export interface Metadata {
  readonly id: number;
  readonly initial_sync_status: string;
  readonly tables: readonly MetadataTable[];
  readonly [key: string]: unknown;
}

/** `schema.name`, or the name alone for a null schema (section 7.2, "M(1) table lists"). */
export function qualified(t: { readonly schema: string | null; readonly name: string }): string {
  return t.schema === null ? t.name : `${t.schema}.${t.name}`;
}

export function tableList(m: Metadata): readonly string[] {
  return m.tables.map(qualified);
}

export function tableIn(m: Metadata, id: number): MetadataTable | undefined {
  return m.tables.find((t) => t.id === id);
}

/** The field names of an active table of M(n), in the order returned; fails when the table is absent. */
export function fieldsOf(m: Metadata, id: number): readonly string[] {
  const t = tableIn(m, id);
  assert.ok(t, `table ${id} is in M(${m.id}): ${tableList(m).join(', ')}`);
  return t.fields.map((f) => f.name);
}

export function tableNamed(m: Metadata, name: string): MetadataTable | undefined {
  return m.tables.find((t) => qualified(t) === name);
}

class Placeholder {
  readonly label: string;
  readonly accepts: (value: unknown) => boolean;
  constructor(label: string, accepts: (value: unknown) => boolean) {
    this.label = label;
    this.accepts = accepts;
  }
}

export const INT = new Placeholder('<int>', (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0);
export const TS = new Placeholder(
  '<ts>',
  (v) =>
    typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) && !Number.isNaN(Date.parse(v)),
);
export const STR = new Placeholder('<str>', (v) => typeof v === 'string' && v.length > 0);
export const OBJECT = new Placeholder('<object>', (v) => typeof v === 'object' && v !== null && !Array.isArray(v));
export const ANY = new Placeholder('<any>', (v) => v !== undefined);
export function oneOf(...values: readonly unknown[]): Placeholder {
  const accepted = values.map((x) => JSON.stringify(x));
  return new Placeholder(`<one of ${accepted.join(', ')}>`, (v) => accepted.includes(JSON.stringify(v)));
}

export const OK_JOB = { success: true, job_id: INT } as const;
export const STILL_RUNNING = { message: 'Sync is still running.', job_id: INT } as const;

/** Replaces every placeholder the actual value satisfies by that value, so that deepEqual shows only real misses. */
function resolve(pattern: unknown, actual: unknown): unknown {
  if (pattern instanceof Placeholder) return pattern.accepts(actual) ? actual : pattern.label;
  if (Array.isArray(pattern)) {
    return pattern.map((p, i) => resolve(p, Array.isArray(actual) ? actual[i] : undefined));
  }
  if (typeof pattern === 'object' && pattern !== null) {
    const source = typeof actual === 'object' && actual !== null ? (actual as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(pattern).map(([k, p]) => [k, resolve(p, source[k])]));
  }
  return pattern;
}

export function assertMatches(actual: unknown, pattern: unknown, message?: string): void {
  assert.deepStrictEqual(actual, resolve(pattern, actual), message);
}

function mediaType(res: Res): string {
  const header = res.headers['content-type'];
  return String(header ?? '').split(';')[0].trim().toLowerCase();
}

function summary(res: Res): string {
  return `${res.statusCode} ${String(res.headers['content-type'])} ${res.body.slice(0, 500)}`;
}

/** Status, `text/plain` and the exact bytes of the body. */
export function assertText(res: Res, status: number, text: string): void {
  assert.equal(res.statusCode, status, summary(res));
  assert.equal(mediaType(res), 'text/plain', summary(res));
  assert.equal(res.rawPayload.toString('hex'), Buffer.from(text, 'utf8').toString('hex'), summary(res));
}

/** Status, `application/json` and the body compared as parsed JSON against a pattern; returns the parsed body. */
export function assertJson<T = Record<string, unknown>>(res: Res, status: number, pattern: unknown): T {
  assert.equal(res.statusCode, status, summary(res));
  assert.equal(mediaType(res), 'application/json', summary(res));
  const body: unknown = JSON.parse(res.body);
  assertMatches(body, pattern, summary(res));
  return body as T;
}

/** Status, `application/json` and the exact raw body (the "not set" JSON string literals). */
export function assertRawJson(res: Res, status: number, raw: string): void {
  assert.equal(res.statusCode, status, summary(res));
  assert.equal(mediaType(res), 'application/json', summary(res));
  assert.equal(res.body, raw);
}

/** A 500 whose body is an object with exactly one key, a non-empty `message` (section 3.10). */
export function assertServerError(res: Res): string {
  const body = assertJson<Record<string, unknown>>(res, 500, { message: STR });
  assert.deepEqual(Object.keys(body), ['message']);
  return body.message as string;
}

/** Parses a body written in the spec's notation, e.g. String.raw`{"errors":{...}}`. */
export function spec(text: string): unknown {
  return JSON.parse(text);
}

/** Row 39's body (new-table without either key), which rows 102 and others reuse. */
export const ROW_39_BODY = spec(
  String.raw`{"errors":{"schema_name":"value must be a non-blank string.","table_name":"value must be a non-blank string."},"specific-errors":{"schema_name":["missing required key, received: null"],"table_name":["missing required key, received: null"]}}`,
);

/** Row 40's body (route id 0), which rows 41, 106 and 135 reuse. */
export const ROW_40_BODY = spec(
  String.raw`{"errors":{"id":"value must be an integer greater than zero."},"specific-errors":{"id":["value must be an integer greater than zero., received: 0"]}}`,
);

export const PLAN = {
  fullDatabase: { metadata: { database: true }, analyze: { database: true }, field_values: { database: true } },
  metadataDatabase: { metadata: { database: true } },
  fullTables: (...ids: number[]) => ({
    metadata: { tables: ids },
    analyze: { tables: ids },
    field_values: { tables: ids },
  }),
  metadataTables: (...ids: number[]) => ({ metadata: { tables: ids } }),
} as const;

/** "Kind" (section 7.2): the plan of the job the response names, read from sync_job. */
export async function assertKind(fx: Fixture, res: Res, plan: unknown, databaseId = 1): Promise<number> {
  const id = (JSON.parse(res.body) as { job_id: number }).job_id;
  const job = await fx.job(id);
  assert.equal(job.database_id, databaseId, `job ${id} database`);
  assert.deepStrictEqual(job.plan, plan, `plan of job ${id}`);
  return id;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * "No wait" (section 7.2) on a blocked variant: the response arrives within a second while the warehouse is held
 * and the effect is not there yet; after the release the effect appears.
 */
export async function assertNoWait(
  fx: Fixture,
  send: () => Promise<Res>,
  effect: () => Promise<boolean>,
): Promise<Res> {
  const proxy = fx.proxy;
  assert.ok(proxy, 'a blocked variant');
  const started = Date.now();
  const res = await send();
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1000, `the response took ${elapsed} ms`);
  assert.equal(proxy.held, true);
  assert.equal(await effect(), false, 'the effect is visible before the release');
  proxy.release();
  await waitFor('the effect after the release', async () => (await effect()) || undefined);
  return res;
}

/** Runs a row against its own fixture, always closing it; the log check runs only when the row passed. */
export async function withFixture(
  warehouses: Warehouses,
  options: FixtureOptions,
  row: (fx: Fixture) => Promise<void>,
): Promise<void> {
  await run(await startFixture(warehouses, options), row);
}

/** withFixture() for the variants `fresh` (sample: true) and `fresh-nosample`. */
export async function withFresh(
  options: { readonly sample: boolean },
  row: (fx: Fixture) => Promise<void>,
): Promise<void> {
  await run(await startFresh(options), row);
}

async function run(fx: Fixture, row: (fx: Fixture) => Promise<void>): Promise<void> {
  let passed = false;
  try {
    await row(fx);
    passed = true;
  } finally {
    if (passed) await fx.close();
    else await fx.close().catch(() => undefined);
  }
}

/** A JSON body padded with spaces to exactly `size` bytes. */
export function padded(json: string, size: number): string {
  assert.ok(Buffer.byteLength(json) <= size);
  return json + ' '.repeat(size - Buffer.byteLength(json));
}
