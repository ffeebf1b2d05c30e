// The worker pool of one instance (sync-engine.md sections 8.4, 8.5 and 8.9): MB_SYNC_WORKERS loops that claim and run
// jobs, the heartbeat that renews their leases, the sweeper that recovers jobs of dead instances, graceful shutdown.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Transaction } from 'kysely';
import type { Config } from '../config.ts';
import type { AppDb } from '../db/connect.ts';
import type { AppSchema } from '../db/schema.ts';
import { sanitize } from '../errors.ts';
import { JobLog, type Logger } from '../logger.ts';
import {
  claimJob,
  completeJob,
  getJob,
  interruptOwnedJob,
  renewLease,
  sweepExpiredLeases,
  type Completion,
  type JobView,
} from './queue.ts';
import {
  JobCancelled,
  JobDeadlineExceeded,
  JobInterrupted,
  type JobOutcome,
  type JobRunner,
  type RunningJob,
} from './types.ts';
import { JobEvents } from './wait.ts';

const IDLE_POLL_MS = 2000;
/** The sweeper runs every 30 s, or every lease TTL when that is shorter, so an expired lease waits at most one TTL. */
const SWEEP_INTERVAL_MS = 30_000;
/** setTimeout fires at once beyond this; a longer job deadline is capped to it (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

export interface WorkerPoolOptions {
  readonly appDb: AppDb;
  readonly config: Config;
  readonly logger: Logger;
  readonly runner: JobRunner;
  readonly events?: JobEvents;
  readonly instanceId?: string;
  readonly observer?: JobObserver;
}

/** What else follows the pool's jobs: metrics, job summaries, change webhooks. */
export interface JobObserver {
  /** Runs in the transaction that records a job's end (succeeded or failed). */
  completing?(trx: Transaction<AppSchema>, job: JobView, completion: Completion): Promise<void>;
  /** After a job's end was recorded; not awaited, must not throw. */
  ended?(job: JobView, completion: Completion, durationMs: number): void;
  /** Running jobs whose lease expired, handed back to the queue by this instance's sweeper. */
  leasesTakenOver?(count: number): void;
}

interface ActiveJob {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

function messageOf(error: unknown): string {
  return sanitize(error instanceof Error ? error.message : String(error));
}

export class WorkerPool {
  /** `<hostname>:<pid>:<random>`, the lease owner of this instance's jobs. */
  readonly instanceId: string;
  readonly events: JobEvents;
  readonly #appDb: AppDb;
  readonly #config: Config;
  readonly #logger: Logger;
  readonly #runner: JobRunner;
  readonly #observer: JobObserver;
  readonly #active = new Map<number, ActiveJob>();
  readonly #idle = new Set<() => void>();
  #state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  #loops: Promise<void>[] = [];
  #heartbeat: NodeJS.Timeout | undefined;
  #beating = false;
  #sweeper: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | null = null;
  #shutdown: JobInterrupted | null = null;
  #stopped: Promise<void> | null = null;

  constructor(options: WorkerPoolOptions) {
    this.#appDb = options.appDb;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#runner = options.runner;
    this.#observer = options.observer ?? {};
    this.events = options.events ?? new JobEvents();
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  }

  /** Sweeps once, then starts the worker loops; the heartbeat and the sweeper run on their intervals. */
  start(): void {
    if (this.#state !== 'new') return;
    this.#state = 'started';
    this.#heartbeat = setInterval(() => void this.#beat(), (this.#config.leaseTtlSeconds * 1000) / 4);
    const sweepMs = Math.min(SWEEP_INTERVAL_MS, this.#config.leaseTtlSeconds * 1000);
    this.#sweeper = setInterval(() => void this.#sweep(), sweepMs);
    const firstSweep = this.#sweep();
    for (let i = 0; i < this.#config.syncWorkers; i++) this.#loops.push(firstSweep.then(() => this.#loop()));
  }

  /** Idle workers claim at once (an enqueue on this instance). */
  wake(): void {
    for (const wake of [...this.#idle]) wake();
  }

  /** Stops this instance's runs of these jobs at once, without handing them on (their rows were deleted). */
  cancel(jobIds: readonly number[], reason: JobCancelled): void {
    for (const id of jobIds) this.#active.get(id)?.controller.abort(reason);
  }

  /**
   * Graceful shutdown of 8.9: stop claiming; running jobs get MB_SYNC_SHUTDOWN_GRACE_SECONDS; the rest are aborted with
   * JobInterrupted('service shutdown') and handed on. Resolves when every loop has ended.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopping';
    clearInterval(this.#sweeper);
    this.wake();
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, this.#config.shutdownGraceSeconds * 1000);
    });
    await Promise.race([this.#drained(), grace]);
    clearTimeout(graceTimer);
    this.#shutdown = new JobInterrupted('service shutdown');
    for (const active of this.#active.values()) active.controller.abort(this.#shutdown);
    await Promise.all(this.#loops);
    clearInterval(this.#heartbeat);
    await this.#sweeping;
    this.#state = 'stopped';
  }

  async #drained(): Promise<void> {
    while (this.#active.size > 0) await Promise.race([...this.#active.values()].map((active) => active.done));
  }

  async #loop(): Promise<void> {
    while (this.#state === 'started') {
      let job: JobView | null = null;
      try {
        job = await claimJob(this.#appDb, this.instanceId, this.#config.leaseTtlSeconds);
      } catch (error) {
        this.#logger.error({ err: messageOf(error) }, 'claiming a job failed');
      }
      if (job) await this.#run(job);
      else if (this.#state === 'started') await this.#idleWait();
    }
  }

  #idleWait(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#idle.delete(done);
        resolve();
      };
      const timer = setTimeout(done, IDLE_POLL_MS);
      this.#idle.add(done);
    });
  }

  /** Runs one claimed job to its recorded end, its log lines tagged with its ids; never throws. */
  #run(job: JobView): Promise<void> {
    return this.#runTagged(job, new JobLog(this.#logger, { job_id: job.id, database_id: job.databaseId }));
  }

  async #runTagged(job: JobView, jobLog: JobLog): Promise<void> {
    const startedMs = performance.now();
    const appDb = this.#appDb;
    const owner = this.instanceId;
    const ttl = this.#config.leaseTtlSeconds;
    // job_id, database_id and the phase come from the job's logger, which changes with the phase.
    const log = {
      info: (fields: object, message: string) => jobLog.logger.info(fields, message),
      warn: (fields: object, message: string) => jobLog.logger.warn(fields, message),
      error: (fields: object, message: string) => jobLog.logger.error(fields, message),
    };
    const controller = new AbortController();
    let finish!: () => void;
    this.#active.set(job.id, { controller, done: new Promise<void>((resolve) => (finish = resolve)) });
    const deadlineSeconds = this.#config.jobTimeoutSeconds;
    const deadline = setTimeout(
      () => controller.abort(new JobDeadlineExceeded(`job deadline of ${deadlineSeconds} s passed`)),
      Math.min(deadlineSeconds * 1000, MAX_TIMER_MS),
    );
    if (this.#shutdown) controller.abort(this.#shutdown);
    const running: RunningJob = {
      id: job.id,
      databaseId: job.databaseId,
      plan: job.plan,
      triggers: job.triggers,
      signal: controller.signal,
      log: jobLog,
      async fence(trx: Transaction<AppSchema>): Promise<void> {
        if (await renewLease(appDb, trx, job.id, owner, ttl)) return;
        const lost = new JobInterrupted('lease lost');
        controller.abort(lost);
        throw lost;
      },
    };
    log.info({ attempt: job.attempt, plan: job.plan }, 'job started');
    let outcome: JobOutcome | null = null;
    let thrown: unknown = null;
    try {
      outcome = await this.#runner(running);
    } catch (error) {
      thrown = error;
    }
    clearTimeout(deadline);
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : null;
    const interruption =
      reason instanceof JobInterrupted ? reason : thrown instanceof JobInterrupted ? thrown : null;
    try {
      if (interruption) {
        const handedOn = await interruptOwnedJob(appDb, job.id, owner, interruption.message, outcome?.result ?? null);
        if (handedOn) log.warn({ retried_as: handedOn.retriedAs, reason: interruption.message }, 'job interrupted');
        // No row at all: the database was deleted with its jobs (DELETE /api/database/:id), on this or another instance.
        else if (interruption instanceof JobCancelled || (await getJob(appDb, job.id)) === null) {
          log.info({ reason: interruption.message }, 'job cancelled: its database was deleted');
        } else log.warn({ reason: interruption.message }, 'job lost its lease; another instance carries it on');
      } else {
        const completion = outcome
          ? {
              state: outcome.state,
              error: outcome.error === null ? null : sanitize(outcome.error),
              result: outcome.result,
            }
          : {
              state: 'failed' as const,
              error: reason instanceof JobDeadlineExceeded ? reason.message : messageOf(thrown),
              result: null,
              failStartedTasks: true,
            };
        const completing = this.#observer.completing?.bind(this.#observer);
        const alsoWrite = completing && ((trx: Transaction<AppSchema>) => completing(trx, job, completion));
        if (await completeJob(appDb, job.id, owner, completion, alsoWrite)) {
          log.info({ state: completion.state, error: completion.error }, 'job finished');
          this.#observer.ended?.(job, completion, performance.now() - startedMs);
        } else {
          log.warn({ state: completion.state }, 'job lost its lease before its end was recorded');
        }
      }
    } catch (error) {
      // The lease then expires and a sweeper hands the job on.
      log.error({ err: messageOf(error) }, 'recording the end of the job failed');
    } finally {
      this.#active.delete(job.id);
      finish();
      this.events.notify(job.id);
    }
  }

  async #beat(): Promise<void> {
    if (this.#beating) return;
    this.#beating = true;
    try {
      for (const [jobId, active] of this.#active) {
        try {
          const ttl = this.#config.leaseTtlSeconds;
          const held = await renewLease(this.#appDb, this.#appDb.db, jobId, this.instanceId, ttl);
          if (!held && this.#active.get(jobId) === active) active.controller.abort(new JobInterrupted('lease lost'));
        } catch (error) {
          this.#logger.warn({ job_id: jobId, err: messageOf(error) }, 'heartbeat failed');
        }
      }
    } finally {
      this.#beating = false;
    }
  }

  #sweep(): Promise<void> {
    this.#sweeping ??= (async () => {
      try {
        const swept = await sweepExpiredLeases(this.#appDb);
        for (const { jobId, retriedAs } of swept) {
          this.#logger.warn({ job_id: jobId, retried_as: retriedAs }, 'job interrupted: lease expired');
          this.events.notify(jobId);
        }
        if (swept.length > 0) this.#observer.leasesTakenOver?.(swept.length);
        if (swept.some((s) => s.retriedAs !== null)) this.wake();
      } catch (error) {
        this.#logger.error({ err: messageOf(error) }, 'sweeping expired leases failed');
      }
    })().finally(() => {
      this.#sweeping = null;
    });
    return this.#sweeping;
  }
}
