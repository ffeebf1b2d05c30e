// What every step of a job shares: the application database, the job (signal, fence), the driver and its
// capabilities, the database's cruft settings and the changeset being built.
import type { Transaction } from 'kysely';
import type { Config } from '../config.ts';
import type { AppDb } from '../db/connect.ts';
import type { AppSchema } from '../db/schema.ts';
import type { DriverCapabilities, WarehouseDriver } from '../drivers/driver.ts';
import { JobInterrupted, type RunningJob } from '../jobs/types.ts';
import type { Logger } from '../logger.ts';
import type { ChangesetBuilder } from './changeset.ts';
import type { JobProgress } from './progress.ts';
import { throwIfAborted } from './errors.ts';

export interface SyncContext {
  readonly appDb: AppDb;
  readonly config: Config;
  readonly logger: Logger;
  readonly job: RunningJob;
  readonly driver: WarehouseDriver;
  readonly capabilities: DriverCapabilities;
  readonly databaseId: number;
  /** `auto-cruft-tables` of the database settings. */
  readonly cruftTablePatterns: readonly RegExp[];
  /** `auto-cruft-columns` of the database settings. */
  readonly cruftColumnPatterns: readonly RegExp[];
  readonly changes: ChangesetBuilder;
  /** The job's progress (phase, step, tables done), written to sync_job.progress at most once per second. */
  readonly progress?: JobProgress;
}

/**
 * One application-database transaction that begins with the job's lease check (8.5). A failed check means the
 * lease is gone: it surfaces as the signal's JobInterrupted (or a new one), never as an object-level failure.
 */
export async function fencedWrite<T>(
  appDb: AppDb,
  job: RunningJob,
  fn: (trx: Transaction<AppSchema>) => Promise<T>,
): Promise<T> {
  return appDb.db.transaction().execute(async (trx) => {
    try {
      await job.fence(trx);
    } catch (error) {
      const reason: unknown = job.signal.reason;
      throw reason instanceof JobInterrupted ? reason : new JobInterrupted('the job lost its lease', { cause: error });
    }
    return fn(trx);
  });
}

/** A catalog write batch: first the batch boundary check of the job's signal, then a fenced transaction. */
export async function catalogWrite<T>(ctx: SyncContext, fn: (trx: Transaction<AppSchema>) => Promise<T>): Promise<T> {
  throwIfAborted(ctx.job.signal);
  return fencedWrite(ctx.appDb, ctx.job, fn);
}

/** Row locks for the rows a batch reads before it writes them: FOR UPDATE on PostgreSQL (2.2). */
export function lockRows(ctx: SyncContext): boolean {
  return ctx.appDb.kind === 'postgres';
}
