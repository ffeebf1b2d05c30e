// The application database of a test: SQLite (the default) or PostgreSQL, chosen by TEST_APP_DB, so that the suites
// that depend on it run on both (`npm test` runs them a second time with TEST_APP_DB=postgres). On PostgreSQL each
// test gets a fresh database on the test server, dropped when it is done.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openAppDb, type AppDb, type AppDbKind, type AppDbOptions } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createTestDatabase, execSql, testPg } from './postgres.ts';

/** The application database the suites run on: TEST_APP_DB, `sqlite` when unset. */
export function testAppDbKind(): AppDbKind {
  const value = process.env.TEST_APP_DB?.trim() || 'sqlite';
  if (value === 'sqlite' || value === 'postgres') return value;
  throw new Error(`TEST_APP_DB must be sqlite or postgres, not ${value}`);
}

export interface TestAppDb {
  readonly kind: AppDbKind;
  /** The settings that point the service at it: MB_DB_FILE, or MB_DB_TYPE and MB_DB_CONNECTION_URI. */
  readonly env: Readonly<Record<string, string>>;
  readonly options: AppDbOptions;
  /** A new connection (pool) to it; the caller closes it. */
  open(): AppDb;
  /** Drops the PostgreSQL database once its sessions have ended; the SQLite file stays for its folder's owner. */
  drop(): Promise<void>;
}

/**
 * A new application database: `<dir>/app.db` on SQLite (created on first open), a fresh database of the test server
 * on PostgreSQL, already migrated (a copy of a template migrated once per test process).
 */
export async function createTestAppDb(dir: string, kind: AppDbKind = testAppDbKind()): Promise<TestAppDb> {
  if (kind === 'sqlite') {
    const file = join(dir, 'app.db');
    const options: AppDbOptions = { kind: 'sqlite', file };
    return { kind, env: { MB_DB_FILE: file }, options, open: () => openAppDb(options), drop: async () => undefined };
  }
  const name = await takeCopy();
  const url = new URL((await testPg()).url);
  url.pathname = `/${name}`;
  const options: AppDbOptions = { kind: 'postgres', connectionUri: url.toString(), max: 4 };
  return {
    kind,
    env: { MB_DB_TYPE: 'postgres', MB_DB_CONNECTION_URI: url.toString() },
    options,
    open: () => openAppDb(options),
    drop: () => dropTestDatabase(name),
  };
}

let counter = 0;
let templateName: Promise<string> | undefined;
let spare: Promise<string> | null = null;

/**
 * A copy of the template for the caller, while the next one is made in the background: CREATE DATABASE takes about
 * 150 ms, which the test then does not wait for. The spare left at the end is dropped with the template.
 */
async function takeCopy(): Promise<string> {
  const copy = spare ?? copyTemplate();
  spare = copyTemplate();
  spare.catch(() => undefined);
  return copy;
}

async function copyTemplate(): Promise<string> {
  const { url } = await testPg();
  const source = await template();
  const name = `app_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  await retryWhileInUse(() => execSql(url, `CREATE DATABASE "${name}" TEMPLATE "${source}"`));
  return name;
}

/** Copying a migrated database costs half of creating and migrating one; it is dropped when the process ends. */
function template(): Promise<string> {
  templateName ??= (async () => {
    const { url, name } = await createTestDatabase('app_template');
    const appDb = openAppDb({ kind: 'postgres', connectionUri: url, max: 1 });
    try {
      await migrate(appDb);
    } finally {
      await appDb.close();
    }
    process.once('beforeExit', () => {
      const left = spare;
      spare = null;
      void (async () => {
        if (left) await dropTestDatabase(await left);
        await dropTestDatabase(name);
      })().catch(() => undefined);
    });
    return name;
  })();
  return templateName;
}

/**
 * After rows were inserted with explicit ids: PostgreSQL's identity sequences go on after the highest id, as SQLite's
 * AUTOINCREMENT does by itself. A no-op on SQLite.
 */
export async function resetIdentities(appDb: AppDb): Promise<void> {
  if (appDb.kind !== 'postgres') return;
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND is_identity = 'YES'`.execute(appDb.db);
  for (const { table_name: table, column_name: column } of rows) {
    const next = sql`coalesce(max(${sql.ref(column)}), 0) + 1`;
    const sequence = sql`pg_get_serial_sequence(${table}, ${column})`;
    await sql`SELECT setval(${sequence}, ${next}, false) FROM ${sql.table(table)}`.execute(appDb.db);
  }
}

/** Drops a database of the test server once the sessions that are still ending have gone. */
export async function dropTestDatabase(name: string): Promise<void> {
  const { url } = await testPg();
  await retryWhileInUse(() => execSql(url, `DROP DATABASE IF EXISTS "${name}"`));
}

/**
 * pg's pool.end() resolves before its sockets are closed, so a database just used may still count as accessed by
 * other users (55006) for a moment: retry for up to 5 s rather than kill those sessions.
 */
async function retryWhileInUse(statement: () => Promise<void>): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      await statement();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || tries >= 100) throw error;
      await sleep(50);
    }
  }
}

/** Jobs of the application database that are not finished yet (queued or running). */
export async function unfinishedJobs(appDb: AppDb): Promise<number> {
  const row = await appDb.db
    .selectFrom('sync_job')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', 'in', ['queued', 'running'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
