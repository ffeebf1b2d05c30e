// A running job's progress (issue 9: CLI progress line, admin page): the phase, the step and, where a step works
// table by table, tables done of total. Kept in memory and written to sync_job.progress at most once per second,
// the first time one second after the job started, so a short job never writes it at all.
import type { AppDb } from '../db/connect.ts';

export interface ProgressSnapshot {
  readonly phase: string;
  readonly step: string;
  readonly tables_done: number | null;
  readonly tables_total: number | null;
}

const WRITE_INTERVAL_MS = 1000;

export class JobProgress {
  readonly #appDb: AppDb;
  readonly #jobId: number;
  #snapshot: ProgressSnapshot | null = null;
  #written: ProgressSnapshot | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  readonly #onPhase: (phase: string) => void;

  constructor(appDb: AppDb, jobId: number, onPhase: (phase: string) => void = () => undefined) {
    this.#appDb = appDb;
    this.#jobId = jobId;
    this.#onPhase = onPhase;
    this.#schedule();
  }

  /** A step began; the job's log lines carry its phase from now on. */
  step(phase: string, step: string): void {
    this.#onPhase(phase);
    this.#snapshot = { phase, step, tables_done: null, tables_total: null };
  }

  /** Tables done of total in the current step. */
  tables(done: number, total: number): void {
    if (this.#snapshot) this.#snapshot = { ...this.#snapshot, tables_done: done, tables_total: total };
  }

  /** Stops writing (the job ended; the route reports progress only while a job runs). */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #schedule(): void {
    this.#timer = setTimeout(() => void this.#write(), WRITE_INTERVAL_MS);
    this.#timer.unref();
  }

  async #write(): Promise<void> {
    const snapshot = this.#snapshot;
    if (snapshot !== null && snapshot !== this.#written) {
      this.#written = snapshot;
      await this.#appDb.db
        .updateTable('sync_job')
        .set({ progress: JSON.stringify(snapshot) })
        .where('id', '=', this.#jobId)
        .where('state', '=', 'running')
        .execute()
        .catch(() => undefined);
    }
    if (!this.#closed) this.#schedule();
  }
}
