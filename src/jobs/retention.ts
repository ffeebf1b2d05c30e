// Retention (sync-engine.md section 2.9): a daily cleanup keeps the newest MB_TASK_HISTORY_MAX_ROWS task_history rows
// and deletes terminal sync_job rows that ended more than 30 days ago. Queued and running jobs are never touched.
import { sql } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import type { JobState } from '../db/schema.ts';
import { sanitize } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { nowPlusSeconds } from './clock.ts';

export const RETENTION_INTERVAL_MS = 24 * 60 * 60 * 1000;
export const JOB_RETENTION_DAYS = 30;

const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'interrupted', 'skipped'];

export interface CleanupResult {
  readonly taskHistoryDeleted: number;
  readonly jobsDeleted: number;
}

/** One cleanup: task_history beyond the newest `maxTaskHistoryRows` (by id), terminal jobs older than 30 days. */
export async function cleanUp(appDb: AppDb, maxTaskHistoryRows: number): Promise<CleanupResult> {
  const tasks = await appDb.db
    .deleteFrom('task_history')
    .where('id', '<=', (eb) =>
      eb.selectFrom('task_history').select('id').orderBy('id', 'desc').limit(1).offset(maxTaskHistoryRows),
    )
    .executeTakeFirst();
  const jobs = await appDb.db
    .deleteFrom('sync_job')
    .where('state', 'in', TERMINAL_STATES)
    .where(sql<string>`coalesce(finished_at, updated_at)`, '<', nowPlusSeconds(appDb, -JOB_RETENTION_DAYS * 86_400))
    .executeTakeFirst();
  return { taskHistoryDeleted: Number(tasks.numDeletedRows), jobsDeleted: Number(jobs.numDeletedRows) };
}

export interface RetentionOptions {
  readonly appDb: AppDb;
  readonly logger: Logger;
  readonly maxTaskHistoryRows: number;
}

/** Runs the cleanup at start and then daily; the timer does not keep the process alive. */
export class RetentionTimer {
  readonly #options: RetentionOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(options: RetentionOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = setInterval(() => void this.#run(), RETENTION_INTERVAL_MS);
    this.#timer.unref();
    void this.#run();
  }

  /** No cleanup starts after this; resolves once the one in progress (if any) has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  #run(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const { appDb, logger, maxTaskHistoryRows } = this.#options;
    this.#running ??= (async () => {
      try {
        const result = await cleanUp(appDb, maxTaskHistoryRows);
        if (result.taskHistoryDeleted > 0 || result.jobsDeleted > 0) logger.info(result, 'retention cleanup');
      } catch (error) {
        const err = sanitize(error instanceof Error ? error.message : String(error));
        logger.error({ err }, 'retention cleanup failed');
      }
    })().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }
}
