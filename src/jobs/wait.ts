// Waiting for a job (sync-engine.md section 8.6, notify-api.md section 4.1) and the status a job reports
// (notify-api.md section 4.5). Both follow retried_as from an interrupted job to the job that carries its plan on.
import type { AppDb } from '../db/connect.ts';
import { getJob, type JobView } from './queue.ts';

/**
 * In-process notifications: the worker pool announces a job of this process that reached a terminal or interrupted
 * state, so a waiter on the same instance returns within milliseconds instead of at its next poll.
 */
export class JobEvents {
  readonly #listeners = new Set<(jobId: number) => void>();

  notify(jobId: number): void {
    for (const listener of [...this.#listeners]) listener(jobId);
  }

  /** Calls `listener` with the id of every job that ends; returns the unsubscribe function. */
  subscribe(listener: (jobId: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** The job (or the job its chain led to) has no row: it never existed, or its database was deleted (cancel.ts). */
export class JobGone extends Error {
  override readonly name = 'JobGone';
  readonly jobId: number;

  constructor(jobId: number) {
    super(`job ${jobId} does not exist`);
    this.jobId = jobId;
  }
}

export type WaitOutcome =
  | { readonly kind: 'finished'; readonly status: 'succeeded' | 'failed'; readonly job: JobView }
  | { readonly kind: 'timeout'; readonly jobId: number };

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Stops the waiting (never the job): the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly events?: JobEvents;
  /** Table polling, for jobs that other instances run: the first interval, doubled up to the last. */
  readonly poll?: { readonly initialMs: number; readonly maxMs: number };
}

const DEFAULT_POLL = { initialMs: 250, maxMs: 1000 };
const MAX_CHAIN = 1000;

/** The end of a job's retried_as chain (ids are added to `seen` before they are read); null when one is missing. */
async function followChain(appDb: AppDb, jobId: number, seen: Set<number>): Promise<JobView | null> {
  seen.add(jobId);
  let job = await getJob(appDb, jobId);
  while (job && job.state === 'interrupted' && job.retriedAs !== null && !seen.has(job.retriedAs)) {
    if (seen.size > MAX_CHAIN) break;
    seen.add(job.retriedAs);
    job = await getJob(appDb, job.retriedAs);
  }
  return job;
}

/** The outcome of the end of a chain, or null while it is queued or running. */
function finishedStatus(end: JobView): 'succeeded' | 'failed' | null {
  switch (end.state) {
    case 'queued':
    case 'running':
      return null;
    case 'succeeded':
      return 'succeeded';
    default:
      // failed, skipped, or interrupted without a successor
      return 'failed';
  }
}

/**
 * Waits until the job (through its retried_as chain) is terminal, or `timeoutMs` passed: the job then goes on.
 * Rejects with JobGone when the job does not exist (any more), and with the signal's reason when the signal aborts.
 */
export async function waitForJob(appDb: AppDb, jobId: number, options: WaitOptions): Promise<WaitOutcome> {
  const { signal, events } = options;
  const poll = options.poll ?? DEFAULT_POLL;
  const deadline = Date.now() + options.timeoutMs;
  const watched = new Set<number>();
  let pending = false;
  let wake: (() => void) | null = null;
  const unsubscribe = events?.subscribe((id) => {
    if (!watched.has(id)) return;
    pending = true;
    wake?.();
  });
  try {
    let intervalMs = poll.initialMs;
    let current = jobId;
    for (;;) {
      signal?.throwIfAborted();
      pending = false;
      const end = await followChain(appDb, current, watched);
      if (!end) throw new JobGone(current);
      current = end.id;
      const status = finishedStatus(end);
      if (status !== null) return { kind: 'finished', status, job: end };
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { kind: 'timeout', jobId };
      if (!pending) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            wake = null;
            resolve();
          };
          const timer = setTimeout(done, Math.min(intervalMs, remaining));
          signal?.addEventListener('abort', done, { once: true });
          wake = done;
        });
      }
      intervalMs = Math.min(intervalMs * 2, poll.maxMs);
    }
  } finally {
    unsubscribe?.();
  }
}

export type ReportedStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobReport {
  /** The job asked for. */
  readonly job: JobView;
  /** The end of its retried_as chain (the job itself unless it was interrupted and carried on). */
  readonly end: JobView;
  readonly status: ReportedStatus;
  /** The sanitized failure summary of the job that failed, null unless status is failed. */
  readonly error: string | null;
}

/**
 * The status of notify-api.md section 4.5: an interrupted job reports the end of its chain, failed when the chain
 * ends without a successor. Null for no such job and for a skipped one (neither is reported).
 */
export async function reportJob(appDb: AppDb, jobId: number): Promise<JobReport | null> {
  const job = await getJob(appDb, jobId);
  if (!job || job.state === 'skipped') return null;
  const end = (await followChain(appDb, jobId, new Set())) ?? job;
  const status = finishedStatus(end) ?? (end.state as 'queued' | 'running');
  return { job, end, status, error: status === 'failed' ? (end.error ?? 'Sync failed.') : null };
}
