// Real service processes for the multi-instance tests: `node --import tsx src/cli/index.ts serve` on free ports,
// their HTTP API, PostgreSQL warehouses of many tables, and a proxy that can stall a warehouse's catalog queries.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openAppDb, type AppDb } from '../../src/db/connect.ts';
import { dropTestDatabase } from '../support/app-db.ts';
import { createTestDatabase, execSql, freePort } from '../support/postgres.ts';

export { unfinishedJobs } from '../support/app-db.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NOTIFY_KEY = 'mi-notify-key';
const ADMIN_KEY = 'mi-admin-key';

export interface Cleanup {
  after(fn: () => unknown): void;
}

/** Clean-up in reverse order of set-up (node:test runs a test's after hooks in the order they were added). */
export function lastFirst(t: Cleanup): Cleanup {
  const steps: (() => unknown)[] = [];
  t.after(async () => {
    let failure: unknown = null;
    for (const step of steps.reverse()) {
      try {
        await step();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== null) throw failure;
  });
  return { after: (fn) => void steps.push(fn) };
}

export interface Instance {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Everything the process wrote so far (JSON log lines, stderr). */
  output(): string;
  /** SIGTERM, then the exit code once the process has ended. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown of any kind. */
  kill9(): Promise<void>;
}

/**
 * Starts one service process with the settings `env` on top of the test's defaults (keys set, no sample, no scheduler, a free
 * port) and waits until /api/health answers. The test kills it at its end if it is still running.
 */
export async function startInstance(t: Cleanup, name: string, env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MB_')));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve'], {
    cwd: ROOT,
    env: {
      ...base,
      LOG_LEVEL: 'info',
      MB_JETTY_HOST: '127.0.0.1',
      MB_JETTY_PORT: String(port),
      MB_API_KEY: NOTIFY_KEY,
      MB_ADMIN_API_KEY: ADMIN_KEY,
      MB_LOAD_SAMPLE_CONTENT: 'false',
      // Databases 1, 2, 3… fire their default hourly schedules at minutes 1, 2, 3…: a test that ran then would count
      // scheduled jobs among its own (notify-api.md section 7.1 keeps tests clear of those minutes; this is simpler).
      MB_DISABLE_SCHEDULER: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} at start-up:\n${text}`);
    const ok = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${name} did not answer /api/health within 30 s:\n${text}`);
    await sleep(100);
  }
  return {
    name,
    url,
    pid: child.pid ?? 0,
    output: () => text,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(url: string, headers: Record<string, string>, body: unknown): Promise<Reply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** POST /api/notify/db/:id; the job id of an accepted request. */
export async function notify(
  instance: Instance,
  databaseId: number,
  body: Record<string, unknown> = {},
): Promise<number> {
  const reply = await call(`${instance.url}/api/notify/db/${databaseId}`, { 'X-METABASE-APIKEY': NOTIFY_KEY }, body);
  if (reply.status !== 200) {
    await sleep(200); // the log lines of the failure reach the pipe after the answer
    const reason = `${reply.status} ${JSON.stringify(reply.body)}\n${errorLines(instance).join('\n')}`;
    throw new Error(`notify ${databaseId} on ${instance.name}: ${reason}`);
  }
  return reply.body.job_id as number;
}

/** The last error lines the instance logged, for failure messages. */
function errorLines(instance: Instance): string[] {
  return instance.output().split('\n').filter((line) => /"level":(50|60)/.test(line)).slice(-3);
}

/** POST /api/database for a PostgreSQL warehouse; its id (its initial sync is queued). */
export async function register(
  instance: Instance,
  name: string,
  details: Record<string, unknown>,
  options: { readonly fullSync?: boolean } = {},
): Promise<number> {
  const body = { name, engine: 'postgres', details, is_full_sync: options.fullSync ?? true };
  const reply = await call(`${instance.url}/api/database`, { 'X-API-KEY': ADMIN_KEY }, body);
  if (reply.status !== 200) {
    throw new Error(`POST /api/database ${name}: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
  return reply.body.id as number;
}

export interface Warehouse {
  readonly url: string;
  readonly details: { host: string; port: number; dbname: string; user: string; password: string; ssl: boolean };
}

/** A PostgreSQL warehouse of `tables` tables t0000… with `columns` columns each (c1…), created in batches. */
export async function createWarehouse(t: Cleanup, tables: number, columns: number): Promise<Warehouse> {
  const { url, name, details } = await createTestDatabase('mi_wh');
  t.after(() => dropTestDatabase(name));
  const ddl: string[] = [];
  for (let i = 0; i < tables; i++) {
    const cols = Array.from({ length: columns }, (_, c) => `c${c + 1} ${c === 0 ? 'integer PRIMARY KEY' : 'text'}`);
    ddl.push(`CREATE TABLE ${tableName(i)} (${cols.join(', ')});`);
  }
  for (let i = 0; i < ddl.length; i += 250) await execSql(url, ddl.slice(i, i + 250).join('\n'));
  return { url, details };
}

export function tableName(i: number): string {
  return `t${String(i).padStart(4, '0')}`;
}

/** A fresh PostgreSQL application database (migrated by the first instance that starts on it), and a connection. */
export async function createAppDatabase(t: Cleanup): Promise<{ readonly uri: string; readonly appDb: AppDb }> {
  const { url, name } = await createTestDatabase('mi_app');
  const appDb = openAppDb({ kind: 'postgres', connectionUri: url, max: 2 });
  t.after(async () => {
    await appDb.close();
    await dropTestDatabase(name);
  });
  return { uri: url, appDb };
}

/** Polls `check` every 50 ms until it returns a value other than undefined; fails after `seconds`. */
export async function until<T>(what: string, seconds: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await sleep(50);
  }
}

/** One sync_job row. */
export function jobRow(appDb: AppDb, id: number) {
  return appDb.db.selectFrom('sync_job').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export type GateMode = 'pass' | 'hang' | { readonly delayMs: number };

export interface CatalogGate {
  readonly host: string;
  readonly port: number;
  /**
   * What happens from now on to the statements whose text contains `marker`: their bytes to the server go on as
   * they are, are held until the mode changes again (a warehouse that does not answer), or each wait `delayMs` first
   * (a slow warehouse: every cursor fetch of the statement waits). The order of a connection's bytes is kept.
   */
  set(mode: GateMode): void;
  close(): Promise<void>;
}

/** A TCP proxy to a PostgreSQL server that can stall the statements whose text contains `marker`. */
export async function startCatalogGate(t: Cleanup, target: Warehouse, marker: string): Promise<CatalogGate> {
  let mode: GateMode = 'pass';
  let released = Promise.resolve();
  let release: () => void = () => undefined;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    const upstream = connect({ host: target.details.host, port: target.details.port });
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.pipe(client);
    let stall: GateMode = 'pass';
    let pending = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      // A statement starts with a Parse ('P') or a simple Query ('Q') message; its cursor fetches follow it.
      if (chunk[0] === 0x50 || chunk[0] === 0x51) stall = chunk.includes(marker) ? mode : 'pass';
      const current = stall;
      const held = released;
      pending = pending.then(async () => {
        if (current === 'hang') await held;
        if (typeof current === 'object') await sleep(current.delayMs);
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the gate has no TCP address');
  const close = () => {
    release();
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.after(close);
  return {
    host: '127.0.0.1',
    port: address.port,
    set(next) {
      if (next === 'hang' && mode !== 'hang') released = new Promise((resolve) => (release = resolve));
      if (next !== 'hang' && mode === 'hang') release();
      mode = next;
    },
    close,
  };
}

/** The details of `warehouse` reached through `gate`. */
export function through(gate: CatalogGate, warehouse: Warehouse): Warehouse['details'] {
  return { ...warehouse.details, host: gate.host, port: gate.port };
}
