// Queueing a request's job and waiting for it on behalf of a request (notify-api.md section 4.1): the wake-up after
// every enqueue, the MB_NOTIFY_WAIT_SECONDS bound (504) and the 500 of a failed job.
import type { FastifyReply } from 'fastify';
import type { AppDeps } from '../app.ts';
import { HttpError, sanitize } from '../errors.ts';
import { batcherOf } from '../jobs/enqueue-batcher.ts';
import type { EnqueueResult, JobView, QueueRequest } from '../jobs/queue.ts';
import { JobGone, waitForJob } from '../jobs/wait.ts';
import { notFound } from './replies.ts';

/** The answer of a request whose job was cancelled because its database was deleted. */
export const SYNC_CANCELLED = 'Sync failed: the database was deleted and its sync cancelled.';

function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/**
 * Concurrent requests for one database share an enqueue transaction (and, for notifies, its lookups); the answer still
 * follows the commit. A notify that names no database or no table of it is the 404 `Not found.`.
 */
export async function queueJob(
  deps: AppDeps,
  request: QueueRequest,
): Promise<Extract<EnqueueResult, { kind: 'enqueued' | 'already-exists' }>> {
  const result = await batcherOf(deps.appDb).enqueue(request).catch((error: unknown) => {
    // The database was deleted between the request's lookup and its enqueue (DELETE /api/database/:id).
    if (isForeignKeyViolation(error)) throw notFound();
    throw error;
  });
  if (result.kind === 'no-database' || result.kind === 'no-table') throw notFound();
  if (result.kind === 'enqueued') deps.workers.wake();
  return result;
}

/** The 500 of a failed sync: a sanitized summary, never a password or key. */
export function syncFailed(deps: AppDeps, summary: string | null, secrets: readonly string[] = []): HttpError {
  const keys = [deps.config.apiKey, deps.config.adminApiKey].filter((k): k is string => k !== null);
  const text = sanitize(summary ?? 'the job did not complete.', [...keys, ...secrets]);
  return new HttpError(500, { message: text.startsWith('Sync failed') ? text : `Sync failed: ${text}` }, 'json');
}

/**
 * Waits for the job until it ends or MB_NOTIFY_WAIT_SECONDS pass (then 504 with its id; the job goes on). Returns
 * the job that ended (the end of its retried_as chain) when it succeeded; a failed job is the 500 answer.
 */
export async function awaitJob(
  deps: AppDeps,
  reply: FastifyReply,
  jobId: number,
  secrets: readonly string[],
): Promise<JobView> {
  // A client that goes away stops the waiting, never the job.
  const gone = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) gone.abort();
  };
  reply.raw.once('close', onClose);
  try {
    const outcome = await waitForJob(deps.appDb, jobId, {
      timeoutMs: deps.config.notifyWaitSeconds * 1000,
      signal: gone.signal,
      ...(deps.events ? { events: deps.events } : {}),
    }).catch((error: unknown) => {
      // Only DELETE /api/database/:id removes a job that a request was given (jobs/cancel.ts).
      if (error instanceof JobGone) throw new HttpError(500, { message: SYNC_CANCELLED }, 'json');
      throw error;
    });
    if (outcome.kind === 'timeout') {
      throw new HttpError(504, { message: 'Sync is still running.', job_id: jobId }, 'json');
    }
    if (outcome.status === 'failed') throw syncFailed(deps, outcome.job.error, secrets);
    return outcome.job;
  } finally {
    reply.raw.off('close', onClose);
  }
}
