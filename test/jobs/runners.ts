// A recording JobRunner for the pool tests: our own component standing in for the sync engine. Each run records its
// start and end; a run can be held until the test opens its gate, and gives up when its signal aborts.
import type { JobOutcome, JobRunner, RunningJob } from '../../src/jobs/types.ts';
import { succeeded } from './app-dbs.ts';

export class Gate {
  #open!: () => void;
  readonly #opened = new Promise<void>((resolve) => (this.#open = resolve));
  isOpen = false;

  open(): void {
    this.isOpen = true;
    this.#open();
  }

  /** Resolves when the gate opens; rejects with the signal's reason when it aborts first. */
  pass(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void this.#opened.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}

export interface Run {
  readonly job: RunningJob;
  readonly startedAt: number;
  endedAt: number | null;
  error: unknown;
}

export class RecordingRunner {
  readonly runs: Run[] = [];
  readonly #gates = new Map<number, Gate>();
  #body: (job: RunningJob) => Promise<JobOutcome>;

  constructor(body?: (job: RunningJob, runner: RecordingRunner) => Promise<JobOutcome>) {
    this.#body = body ? (job) => body(job, this) : async (job) => {
      await this.gate(job.databaseId).pass(job.signal);
      return succeeded();
    };
  }

  /** The gate that holds runs of a database; open unless a test called hold() for it. */
  gate(databaseId: number): Gate {
    let gate = this.#gates.get(databaseId);
    if (!gate) {
      gate = new Gate();
      gate.open();
      this.#gates.set(databaseId, gate);
    }
    return gate;
  }

  /** Holds every later run of the database until the returned gate opens. */
  hold(databaseId: number): Gate {
    const gate = new Gate();
    this.#gates.set(databaseId, gate);
    return gate;
  }

  readonly runner: JobRunner = async (job) => {
    const run: Run = { job, startedAt: performance.now(), endedAt: null, error: null };
    this.runs.push(run);
    try {
      return await this.#body(job);
    } catch (error) {
      run.error = error;
      throw error;
    } finally {
      run.endedAt = performance.now();
    }
  };

  active(): Run[] {
    return this.runs.filter((r) => r.endedAt === null);
  }

  runsOf(databaseId: number): Run[] {
    return this.runs.filter((r) => r.job.databaseId === databaseId);
  }

  /** The largest number of runs that were active at one moment. */
  maxConcurrency(): number {
    const points = this.runs.flatMap((r) => [
      { at: r.startedAt, delta: 1 },
      { at: r.endedAt ?? Infinity, delta: -1 },
    ]);
    points.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let current = 0;
    let max = 0;
    for (const p of points) max = Math.max(max, (current += p.delta));
    return max;
  }
}
