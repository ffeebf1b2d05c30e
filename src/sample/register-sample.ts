// The sample database (sync-engine.md section 8.9): a start that finds an empty catalog generates the sample
// warehouse and registers it as `Sample Database`, whose initial full sync is queued like any other.
import { dirname, join, resolve } from 'node:path';
import { sql } from 'kysely';
import { countDatabases, normalizeDetails, registerDatabase } from '../catalog/databases.ts';
import type { Config } from '../config.ts';
import type { AppDb } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import { generateSampleWarehouse } from './sample-warehouse.ts';

export const SAMPLE_DATABASE_NAME = 'Sample Database';

export interface SampleDeps {
  readonly appDb: AppDb;
  readonly config: Config;
  readonly logger: Logger;
}

export interface SampleRegistration {
  readonly databaseId: number;
  readonly jobId: number;
}

/** `<dirname(MB_DB_FILE)>/sample.sqlite`, or `./data/sample.sqlite` when the application database is PostgreSQL. */
export function sampleWarehousePath(config: Config): string {
  return config.dbType === 'sqlite' ? join(dirname(config.dbFile), 'sample.sqlite') : resolve('data', 'sample.sqlite');
}

/**
 * Registers the sample database when MB_LOAD_SAMPLE_CONTENT is true and the catalog has no database at all.
 * Returns the new database's id and its job, or null when nothing was registered.
 */
export async function registerSampleDatabase(deps: SampleDeps): Promise<SampleRegistration | null> {
  if (!deps.config.loadSampleContent) return null;
  if (deps.appDb.kind === 'sqlite') return registerIfEmpty(deps);
  // Several instances may start at once on one PostgreSQL catalog: a session advisory lock makes check and
  // registration one step across them (the registration itself runs on other connections of the pool).
  return deps.appDb.db.connection().execute(async (session) => {
    await sql`SELECT pg_advisory_lock(hashtext('catalog-sync:sample-database'))`.execute(session);
    try {
      return await registerIfEmpty(deps);
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext('catalog-sync:sample-database'))`.execute(session);
    }
  });
}

async function registerIfEmpty({ appDb, config, logger }: SampleDeps): Promise<SampleRegistration | null> {
  if ((await countDatabases(appDb)) > 0) return null;
  const path = sampleWarehousePath(config);
  try {
    generateSampleWarehouse(path);
  } catch (error) {
    logger.warn({ path, err: error }, 'the sample warehouse could not be written; no sample database is registered');
    return null;
  }
  const { database, jobId } = await registerDatabase(
    appDb,
    {
      name: SAMPLE_DATABASE_NAME,
      engine: 'sqlite',
      details: normalizeDetails('sqlite', { db: path }),
      isAttachedDwh: false,
      isFullSync: true,
    },
    { source: 'sample', at: new Date().toISOString() },
  );
  logger.info({ databaseId: database.id, jobId, path }, 'registered the sample database');
  return { databaseId: database.id, jobId };
}
