// The fuzz run: a real `catalog-sync serve` process on a SQLite application database with a SQLite warehouse and a
// PostgreSQL warehouse (reached through a proxy that counts its statements), fed batches of generated requests by
// fast-check. After each batch of any requests: no 5xx but the contract's own (504 "still running", 500 "Sync failed"
// for a waited-for job), the process alive and /api/health 200. After each batch of quiet requests, sent once no job
// is left: no warehouse statement (proxy count, SQLite file access time) and no application-database write (SQLite
// data_version, sync_job count).
import { statSync, utimesSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { lastFirst, startInstance, type Cleanup, type Instance } from '../multi-instance/support.ts';
import { dropTestDatabase } from '../support/app-db.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { createTestDatabase, execSql } from '../support/postgres.ts';
import { anyCase, FIXED_ROUTES, quietCase, SQL_NAMES, type FuzzCase, type FuzzContext, type Route } from './cases.ts';
import { sendRaw, serialize, type RawAnswer } from './raw-http.ts';

const NOTIFY_KEY = 'mi-notify-key';
const ADMIN_KEY = 'mi-admin-key';
const BATCH = 40;
const QUIET_BATCH = 10;
const PARALLEL = 8;
const REQUEST_TIMEOUT_MS = 30_000;

/** Tables of both warehouses: ordinary, unicode and SQL-looking names. */
const TABLES = ['orders', 'customers', 'Ünïcødé 表', "x'; DROP TABLE orders; --", '🦄', 'ORDERS'];
/** SQLite names are case-insensitive: ORDERS would be orders again. */
const SQLITE_TABLES = TABLES.filter((name) => name !== 'ORDERS');

export interface FuzzOptions {
  /** Requests to send, at least; rounded up to whole rounds of BATCH + QUIET_BATCH. */
  readonly requests: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

export interface FuzzReport {
  readonly requests: number;
  readonly rounds: number;
  readonly fiveXx: number;
  /** 5xx answers the contract names (504 still running, 500 for a failed sync a request waited for). */
  readonly contractFiveXx: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly quietRequests: number;
  readonly seed: number;
  readonly routes: number;
  readonly routesFrom: 'openapi' | 'fixed list';
  readonly atimeTracked: boolean;
  /** The service process's peak resident memory (VmHWM), in MiB, when /proc tells it. */
  readonly servicePeakRssMiB: number | null;
  /** Problems found; empty when every property held. */
  readonly failures: readonly string[];
}

interface Fixture {
  readonly instance: Instance;
  readonly port: number;
  readonly appDbFile: string;
  readonly sqliteWarehouse: string;
  readonly pgProxy: FaultProxy;
  readonly pgUrl: string;
  readonly ctx: FuzzContext;
  readonly routesFrom: 'openapi' | 'fixed list';
}

function createSqliteWarehouse(file: string): void {
  const db = new SQLite(file);
  for (const name of SQLITE_TABLES) {
    const quoted = `"${name.replaceAll('"', '""')}"`;
    db.exec(`CREATE TABLE ${quoted} (id INTEGER PRIMARY KEY, "näme" TEXT, amount REAL, "select" TEXT)`);
    db.exec(`INSERT INTO ${quoted} ("näme", amount, "select") VALUES ('a', 1.5, 'x'), ('b', 2, NULL)`);
  }
  db.close();
}

async function createPgWarehouse(t: Cleanup): Promise<{ url: string; details: Record<string, unknown> }> {
  const { url, name, details } = await createTestDatabase('fuzz_wh');
  t.after(() => dropTestDatabase(name));
  await execSql(url, `CREATE SCHEMA "Ünïcødé"`);
  for (const table of TABLES) {
    const quoted = `"${table.replaceAll('"', '""')}"`;
    await execSql(url, `CREATE TABLE public.${quoted} (id integer PRIMARY KEY, "näme" text, amount numeric)`,
      `CREATE TABLE "Ünïcødé".${quoted} (id integer PRIMARY KEY, ref integer REFERENCES public.${quoted} (id))`);
  }
  return { url, details };
}

async function call(port: number, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** The routes the service publishes in its OpenAPI document, if it has one, with today's fixed list. */
async function enumerateRoutes(port: number): Promise<{ routes: Route[]; from: 'openapi' | 'fixed list' }> {
  for (const path of ['/api/docs/openapi.json', '/api/docs/json', '/openapi.json']) {
    const document = await call(port, 'GET', path, { 'X-API-KEY': ADMIN_KEY }).catch(() => null);
    const paths = document?.paths;
    if (paths === null || typeof paths !== 'object') continue;
    const found: Route[] = [];
    for (const [path, item] of Object.entries(paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) {
        if (!/^(get|post|put|delete|patch)$/.test(method)) continue;
        const template = path
          .replace(/\{id\}|:id(\([^)]*\))?/g, '{id}')
          .replace(/\{(?!id\})[^}]+\}|:[a-z_]+(\([^)]*\))?|\*/gi, '{text}');
        found.push({ method: method.toUpperCase(), path: template });
      }
    }
    const known = new Set(found.map((route) => `${route.method} ${route.path}`));
    const missing = FIXED_ROUTES.filter((route) => !known.has(`${route.method} ${route.path}`));
    return { routes: [...found, ...missing], from: 'openapi' };
  }
  return { routes: [...FIXED_ROUTES], from: 'fixed list' };
}

async function setUp(t: Cleanup, dir: string): Promise<Fixture> {
  const sqliteWarehouse = join(dir, 'warehouse.sqlite');
  createSqliteWarehouse(sqliteWarehouse);
  const pg = await createPgWarehouse(t);
  const pgTarget = new URL(pg.url);
  const pgProxy = await startFaultProxy({ host: pgTarget.hostname, port: Number(pgTarget.port) });
  t.after(() => pgProxy.close());
  // A warehouse file inside the service's data folder is refused: the application database gets a folder of its own.
  const appDbFile = join(dir, 'app', 'app.db');
  const instance = await startInstance(t, 'fuzz', {
    MB_DB_FILE: appDbFile,
    MB_NOTIFY_WAIT_SECONDS: '3',
    MB_SYNC_WORKERS: '2',
    LOG_LEVEL: 'error',
  });
  const port = Number(new URL(instance.url).port);
  const admin = { 'X-API-KEY': ADMIN_KEY };
  const sqliteDb = await call(port, 'POST', '/api/database', admin, {
    name: 'Fuzz SQLite',
    engine: 'sqlite',
    details: { db: sqliteWarehouse },
  });
  const pgDb = await call(port, 'POST', '/api/database', admin, {
    name: 'Fuzz PostgreSQL',
    engine: 'postgres',
    details: { ...pg.details, host: pgProxy.host, port: pgProxy.port },
  });
  const appDb = new SQLite(appDbFile, { readonly: true });
  t.after(() => appDb.close());
  await waitQuiet(appDb, 60_000);
  const { routes, from } = await enumerateRoutes(port);
  const ids = appDb.prepare('SELECT id FROM metabase_field ORDER BY id LIMIT 3').pluck().all() as number[];
  const tableIds = appDb.prepare('SELECT id FROM metabase_table ORDER BY id LIMIT 3').pluck().all() as number[];
  const jobIds = appDb.prepare('SELECT id FROM sync_job ORDER BY id LIMIT 2').pluck().all() as number[];
  const ctx: FuzzContext = {
    routes,
    notifyKey: NOTIFY_KEY,
    adminKey: ADMIN_KEY,
    tableNames: [...TABLES, ...SQL_NAMES.slice(0, 3)],
    schemaNames: [null, 'main', 'public', 'Ünïcødé', 'PUBLIC'],
    ids: [...new Set([sqliteDb.id as number, pgDb.id as number, ...ids, ...tableIds, ...jobIds, 3, 4])],
    protectedDatabaseIds: [sqliteDb.id as number, pgDb.id as number],
    sqliteFile: sqliteWarehouse,
  };
  appDb.close();
  return { instance, port, appDbFile, sqliteWarehouse, pgProxy, pgUrl: pg.url, ctx, routesFrom: from };
}

function unfinished(appDb: SQLite.Database): number {
  return appDb.prepare("SELECT count(*) FROM sync_job WHERE state IN ('queued', 'running')").pluck().get() as number;
}

async function waitQuiet(appDb: SQLite.Database, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (unfinished(appDb) > 0) {
    if (Date.now() > deadline) throw new Error(`jobs still unfinished after ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** VmHWM of a Linux process in MiB; null elsewhere. */
function peakRssMiB(pid: number): number | null {
  const status = (() => {
    try {
      return readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return '';
    }
  })();
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? null : Math.round(Number(kb) / 1024);
}

/** Arms the file's access time: with relatime, the next read sets it again when it is not after the change time. */
function armAccessTime(file: string): number {
  const { mtime } = statSync(file);
  const past = new Date(mtime.getTime() - 60_000);
  utimesSync(file, past, mtime);
  return statSync(file).atimeMs;
}

function describe(c: FuzzCase): string {
  if (c.raw) return `raw ${JSON.stringify(c.raw.subarray(0, 160).toString('latin1'))}`;
  const r = c.request!;
  const headers = r.headers.slice(0, 6).map(([n, v]) => `${n}: ${String(v).slice(0, 40)}`).join(' | ');
  const more = r.headers.length > 6 ? ` …+${r.headers.length - 6}` : '';
  const start = r.body === null ? '' : JSON.stringify(r.body.subarray(0, 120).toString('latin1'));
  const body = r.body === null ? 'no body' : `${r.body.length} bytes ${start}${r.chunked ? ` chunked/${r.chunked}` : ''}`;
  return `${r.method} ${r.target.slice(0, 160)} [${headers}${more}] ${body}`;
}

function send(port: number, c: FuzzCase): Promise<RawAnswer> {
  const options = { timeoutMs: REQUEST_TIMEOUT_MS, halfClose: c.halfClose, leaveAfterMs: c.leaveAfterMs };
  return sendRaw(port, c.raw ?? serialize(c.request!), options);
}

async function sendAll(port: number, cases: readonly FuzzCase[]): Promise<RawAnswer[]> {
  const answers: RawAnswer[] = new Array(cases.length);
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const at = next++;
      answers[at] = await send(port, cases[at]!);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, lane));
  return answers;
}

/** A 5xx the contract names: 504 while a waited-for sync still runs, 500 when a waited-for sync failed. */
function contractFiveXx(answer: RawAnswer): boolean {
  if (answer.status === 504) return answer.body.startsWith('{"message":"Sync is still running."');
  if (answer.status === 500) return /^\{"message":"Sync failed/.test(answer.body);
  return false;
}

export async function runFuzz(t: Cleanup, options: FuzzOptions): Promise<FuzzReport> {
  const cleanup = lastFirst(t);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-fuzz-'));
  cleanup.after(() => rmSync(dir, { recursive: true, force: true }));
  const fixture = await setUp(cleanup, dir);
  const { port, ctx, instance } = fixture;
  const appDb = new SQLite(fixture.appDbFile, { readonly: true });
  cleanup.after(() => appDb.close());
  // relatime, noatime or a file system without access times: the check is used only where a read shows.
  const before = armAccessTime(fixture.sqliteWarehouse);
  readFileSync(fixture.sqliteWarehouse);
  const atimeTracked = statSync(fixture.sqliteWarehouse).atimeMs !== before;

  const failures: string[] = [];
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let fiveXx = 0;
  let contract = 0;
  let quietRequests = 0;
  let rounds = 0;
  const rounds_ = Math.ceil(options.requests / (BATCH + QUIET_BATCH));
  const fail = (text: string) => {
    failures.push(text);
    options.log?.(`FAIL ${text}`);
  };
  const record = (c: FuzzCase, answer: RawAnswer) => {
    requests += 1;
    const key = answer.timedOut ? 'timeout' : String(answer.status ?? 'closed');
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    if (answer.status !== null && answer.status >= 500) {
      if (contractFiveXx(answer)) contract += 1;
      else {
        fiveXx += 1;
        fail(`${answer.status} ${answer.body.slice(0, 200)} for ${describe(c)}`);
      }
    }
    if (answer.timedOut) fail(`no answer within ${REQUEST_TIMEOUT_MS} ms for ${describe(c)}`);
    if (answer.status === null && c.raw === null && c.leaveAfterMs === undefined) {
      fail(`connection closed without an answer for ${describe(c)}`);
    }
  };
  const alive = async (after: string) => {
    const health = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(10_000) }).then(
      (r) => r.status,
      (error: unknown) => String(error),
    );
    if (health !== 200) fail(`/api/health answered ${health} after ${after}\n${instance.output().slice(-2000)}`);
    return health === 200;
  };

  const property = fc.asyncProperty(
    fc.array(anyCase(ctx), { minLength: BATCH, maxLength: BATCH }),
    fc.array(quietCase(ctx), { minLength: QUIET_BATCH, maxLength: QUIET_BATCH }),
    async (batch, quiet) => {
      rounds += 1;
      const answers = await sendAll(port, batch);
      batch.forEach((c, i) => record(c, answers[i]!));
      if (!(await alive(`round ${rounds}`))) return false;

      await waitQuiet(appDb, 60_000);
      const statements = fixture.pgProxy.statements;
      const version = appDb.pragma('data_version', { simple: true });
      const jobs = appDb.prepare('SELECT count(*) FROM sync_job').pluck().get();
      const atime = armAccessTime(fixture.sqliteWarehouse);
      const quietAnswers = await sendAll(port, quiet);
      quietRequests += quiet.length;
      quiet.forEach((c, i) => record(c, quietAnswers[i]!));
      quiet.forEach((c, i) => {
        const status = quietAnswers[i]!.status ?? 0;
        const isGet = c.request?.method === 'GET';
        if (!isGet && !(status >= 400 && status < 500)) fail(`a quiet request got ${status}: ${describe(c)}`);
      });
      const changed: string[] = [];
      const ran = fixture.pgProxy.statements - statements;
      if (ran !== 0) changed.push(`${ran} PostgreSQL warehouse statements`);
      if (appDb.pragma('data_version', { simple: true }) !== version) changed.push('an application-database write');
      if (appDb.prepare('SELECT count(*) FROM sync_job').pluck().get() !== jobs) changed.push('a new job');
      if (atimeTracked && statSync(fixture.sqliteWarehouse).atimeMs !== atime) changed.push('a SQLite warehouse read');
      if (changed.length > 0) {
        fail(`quiet batch of round ${rounds} caused ${changed.join(', ')}:\n${quiet.map(describe).join('\n')}`);
      }
      if (!(await alive(`quiet round ${rounds}`))) return false;
      if (rounds % 20 === 0) options.log?.(`# ${requests} requests, ${fiveXx} unexpected 5xx`);
      return failures.length === 0;
    },
  );
  const result = await fc.check(property, { numRuns: rounds_, seed: options.seed, endOnFailure: true });
  if (result.failed && failures.length === 0) failures.push(String(result.errorInstance ?? 'the property failed'));
  // SQL in names reached nothing: every warehouse table is still there.
  const left = new SQLite(fixture.sqliteWarehouse, { readonly: true });
  const count = left.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get();
  left.close();
  if (count !== SQLITE_TABLES.length) fail(`the SQLite warehouse has ${String(count)} tables, not ${SQLITE_TABLES.length}`);
  const integrity = appDb.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') fail(`application database integrity_check: ${String(integrity)}`);
  const servicePeakRssMiB = peakRssMiB(instance.pid);
  if ((await instance.stop()) !== 0) fail(`the service did not exit 0 on SIGTERM:\n${instance.output().slice(-2000)}`);
  return {
    requests,
    rounds,
    fiveXx,
    contractFiveXx: contract,
    byStatus,
    quietRequests,
    seed: options.seed,
    routes: ctx.routes.length,
    routesFrom: fixture.routesFrom,
    atimeTracked,
    servicePeakRssMiB,
    failures,
  };
}

/** The last line of a run: the count and the 5xx count. */
export function summaryLine(report: FuzzReport): string {
  const contract = `${report.contractFiveXx} contract 504/500 answers to waiting notifies not counted`;
  return `fuzz: ${report.requests} requests, ${report.fiveXx} 5xx (seed ${report.seed}; ${contract})`;
}
