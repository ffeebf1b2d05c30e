// Cancelling a database's jobs as its catalog is removed (DELETE /api/database/:id): one application-database
// transaction deletes the database's sync_job rows, its task_history rows and its catalog. A running job, on any
// instance, then holds no lease: its next fenced write or heartbeat finds no row and aborts it (sync-engine.md 8.5),
// so it writes nothing more; requests waiting for it learn that it is gone (wait.ts JobGone).
import { sql } from 'kysely';
import { deleteDatabaseCatalog, type RemovedCatalog } from '../catalog/database-edits.ts';
import { isStorableId } from '../catalog/databases.ts';
import type { AppDb } from '../db/connect.ts';

export interface DeletedDatabase {
  /** The job that was running (on any instance), if any. */
  readonly running: readonly number[];
  /** The queued job, if any. */
  readonly queued: readonly number[];
  /** Every other job row of the database (ended ones), removed with it. */
  readonly ended: number;
  readonly taskRows: number;
  readonly catalog: RemovedCatalog;
}

/**
 * Deletes the database with its jobs, task history and catalog in one transaction; null when there is no such
 * database. The job rows go first: on PostgreSQL that waits for a fenced write in flight (it holds the job row), and
 * every later one finds no row, so no task or catalog row of the job can be written after the deletes that follow.
 */
export async function deleteDatabaseWithJobs(appDb: AppDb, databaseId: number): Promise<DeletedDatabase | null> {
  if (!isStorableId(databaseId)) return null;
  return await appDb.db.transaction().execute(async (trx) => {
    const found = await trx
      .selectFrom('metabase_database')
      .select('id')
      .where('id', '=', databaseId)
      .$if(appDb.kind === 'postgres', (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (!found) return null;
    if (appDb.kind === 'postgres') {
      // The enqueue path's queue slot (queue.ts lockQueuedJob): no request joins a queued job that is being deleted.
      await sql`SELECT pg_advisory_xact_lock(hashtext('catalog-sync:queued-job'), ${databaseId}::integer)`.execute(trx);
    }
    const jobs = await trx.deleteFrom('sync_job').where('database_id', '=', databaseId).returning(['id', 'state']).execute();
    const tasks = await trx.deleteFrom('task_history').where('db_id', '=', databaseId).executeTakeFirst();
    const catalog = await deleteDatabaseCatalog(trx, databaseId);
    const idsIn = (state: string) => jobs.filter((j) => j.state === state).map((j) => j.id);
    return {
      running: idsIn('running'),
      queued: idsIn('queued'),
      ended: jobs.length - idsIn('running').length - idsIn('queued').length,
      taskRows: Number(tasks.numDeletedRows),
      catalog,
    };
  });
}
