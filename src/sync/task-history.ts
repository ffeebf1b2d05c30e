// task_history rows of a job (sync-engine.md section 7): inserted `started` when the work begins, then completed with
// ended_at, duration, status, task_details and logs. Every write is fenced like a catalog write.
import type { AppDb } from '../db/connect.ts';
import type { RunningJob } from '../jobs/types.ts';
import { fencedWrite } from './context.ts';
import type { LogEntry } from './step-report.ts';

export type TaskStatus = 'success' | 'failed';

export class TaskRow {
  readonly id: number;
  readonly #startedMs: number;

  constructor(id: number, startedMs: number) {
    this.id = id;
    this.#startedMs = startedMs;
  }

  /** Milliseconds since the work began (a duration, so the host's monotonic clock is fine). */
  elapsed(): number {
    return Math.max(0, Math.round(performance.now() - this.#startedMs));
  }
}

export class TaskHistory {
  readonly #appDb: AppDb;
  readonly #job: RunningJob;

  constructor(appDb: AppDb, job: RunningJob) {
    this.#appDb = appDb;
    this.#job = job;
  }

  async start(task: string, parentId: number | null): Promise<TaskRow> {
    const startedMs = performance.now();
    const row = await fencedWrite(this.#appDb, this.#job, (trx) =>
      trx
        .insertInto('task_history')
        .values({
          task,
          db_id: this.#job.databaseId,
          job_id: this.#job.id,
          parent_id: parentId,
          started_at: this.#appDb.now(),
          status: 'started',
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    return new TaskRow(row.id, startedMs);
  }

  async finish(
    row: TaskRow,
    status: TaskStatus,
    details: Readonly<Record<string, unknown>>,
    logs: readonly LogEntry[] | null,
  ): Promise<void> {
    const duration = row.elapsed();
    await fencedWrite(this.#appDb, this.#job, (trx) =>
      trx
        .updateTable('task_history')
        .set({
          ended_at: this.#appDb.now(),
          duration,
          status,
          task_details: JSON.stringify(details),
          logs: logs === null ? null : JSON.stringify(logs),
        })
        .where('id', '=', row.id)
        .execute(),
    );
  }
}
