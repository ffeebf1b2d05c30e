// Fresh, migrated application databases for the job tests: a temporary SQLite file, or a fresh PostgreSQL database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { loadConfig, type Config } from '../../src/config.ts';
import { openAppDb, type AppDb, type AppDbKind } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { JobOutcome, JobResult, Trigger } from '../../src/jobs/types.ts';
import { createTestDatabase, execSql, testPg } from '../support/postgres.ts';

export const APP_DB_KINDS: readonly AppDbKind[] = ['sqlite', 'postgres'];

interface Cleanup {
  after(fn: () => unknown): void;
}

/** A migrated application database owned by the test `t`; closed and removed after it. */
export async function freshAppDb(t: Cleanup, kind: AppDbKind): Promise<AppDb> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-jobs-'));
    const appDb = openAppDb({ kind: 'sqlite', file: join(dir, 'app.db') });
    t.after(async () => {
      await appDb.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await migrate(appDb);
    return appDb;
  }
  const { url, name } = await createTestDatabase('jobs');
  const appDb = openAppDb({ kind: 'postgres', connectionUri: url });
  t.after(async () => {
    await appDb.close();
    await dropDatabase(name);
  });
  await migrate(appDb);
  return appDb;
}

/**
 * pg's pool.end() resolves before its sockets are closed, and WITH (FORCE) would then kill sessions that are still
 * ending (an uncaught 'terminating connection' error): wait for them to go instead.
 */
async function dropDatabase(name: string): Promise<void> {
  const { url } = await testPg();
  for (let tries = 0; ; tries++) {
    try {
      await execSql(url, `DROP DATABASE "${name}"`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || tries >= 100) throw error;
      await sleep(50);
    }
  }
}

/** Opens `n` pooled connections on PostgreSQL, so that concurrent calls really overlap (no-op on SQLite). */
export async function warmPool(appDb: AppDb, n: number): Promise<void> {
  if (appDb.kind !== 'postgres') return;
  await Promise.all(Array.from({ length: n }, () => sql`select pg_sleep(0.05)`.execute(appDb.db)));
}

export async function addDatabase(appDb: AppDb, name = 'warehouse'): Promise<number> {
  const row = await appDb.db
    .insertInto('metabase_database')
    .values({ name, engine: 'sqlite', details: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export function trigger(source: Trigger['source'] = 'notify', detail?: unknown): Trigger {
  return { source, at: new Date().toISOString(), ...(detail === undefined ? {} : { detail }) };
}

export function emptyResult(): JobResult {
  const group = { created: [], reactivated: [], retired: [], renamed: [], 'type-changed': [] };
  return { phases: {}, operations: [], new_tables: [], changes: { tables: group, fields: group } };
}

export function succeeded(): JobOutcome {
  return { state: 'succeeded', error: null, result: emptyResult() };
}

/** Defaults of appendix A with test-sized overrides (fractions of seconds are fine for the pool's timers). */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), ...overrides };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
