// Group commit of enqueues (sync-engine.md 8.3): the requests that arrive in the same turn of the event loop, or while
// the previous enqueue transaction of their lane is in flight, go together into one transaction (enqueueBatches),
// grouped by database. Each caller gets the result it would have had alone, in arrival order, and its answer still
// follows the commit; a burst of notifications costs a few transactions instead of one each. The first request of a
// lane waits one turn of the event loop (setImmediate) so that the requests read from the other sockets in that turn
// can join it: on SQLite, whose queries never yield to the event loop, that turn is the only chance to batch at all.
//
// Lanes: on SQLite one for every database (its one connection runs one transaction at a time anyway, so one
// transaction for all costs one commit instead of one per database); on PostgreSQL one per database, their
// transactions running side by side on the pool's connections (one transaction for all measured no faster there,
// BENCHMARKS.md P5).
import type { AppDb } from '../db/connect.ts';
import { enqueueBatches, type EnqueueResult, type QueueRequest } from './queue.ts';

/** Requests in one transaction at most (a database's trigger list keeps 20 of them anyway). */
export const MAX_BATCH = 500;

interface Waiting {
  readonly request: QueueRequest;
  readonly resolve: (result: EnqueueResult) => void;
  readonly reject: (error: unknown) => void;
}

/** The waiting requests by database, each group in arrival order. */
function byDatabase(batch: readonly Waiting[]): Waiting[][] {
  const groups = new Map<number, Waiting[]>();
  for (const waiting of batch) {
    const group = groups.get(waiting.request.databaseId);
    if (group) group.push(waiting);
    else groups.set(waiting.request.databaseId, [waiting]);
  }
  return [...groups.values()];
}

export class EnqueueBatcher {
  readonly #appDb: AppDb;
  /** Per lane, the requests for its next transaction, oldest first. */
  readonly #waiting = new Map<number, Waiting[]>();
  /** Lanes with an enqueue transaction in flight or about to start. */
  readonly #busy = new Set<number>();

  constructor(appDb: AppDb) {
    this.#appDb = appDb;
  }

  enqueue(request: QueueRequest): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      const lane = this.#appDb.kind === 'sqlite' ? 0 : request.databaseId;
      const waiting = this.#waiting.get(lane);
      if (waiting) waiting.push({ request, resolve, reject });
      else this.#waiting.set(lane, [{ request, resolve, reject }]);
      if (!this.#busy.has(lane)) {
        this.#busy.add(lane);
        setImmediate(() => void this.#drain(lane));
      }
    });
  }

  /** Runs the lane's waiting requests, a batch per transaction, until none is left. Never throws. */
  async #drain(lane: number): Promise<void> {
    try {
      for (let waiting = this.#waiting.get(lane); waiting; waiting = this.#waiting.get(lane)) {
        const batch = waiting.splice(0, MAX_BATCH);
        if (waiting.length === 0) this.#waiting.delete(lane);
        const groups = byDatabase(batch);
        try {
          await this.#run(groups);
        } catch {
          // A transaction of several databases failed and wrote nothing: each database again on its own, so that
          // one database's failure (deleted meanwhile, say) answers its own requests only.
          for (const group of groups) await this.#run([group]);
        }
      }
    } finally {
      this.#busy.delete(lane);
    }
  }

  /** One transaction for the groups; rejects the requests itself when it is one group's. */
  async #run(groups: readonly Waiting[][]): Promise<void> {
    try {
      const results = await enqueueBatches(this.#appDb, groups.map((group) => group.map((w) => w.request)));
      groups.forEach((group, g) => group.forEach((w, i) => w.resolve(results[g][i])));
    } catch (error) {
      if (groups.length > 1) throw error;
      for (const w of groups[0]) w.reject(error);
    }
  }
}

const batchers = new WeakMap<AppDb, EnqueueBatcher>();

/** The one batcher of an application database handle (so that every route of a process shares it). */
export function batcherOf(appDb: AppDb): EnqueueBatcher {
  let batcher = batchers.get(appDb);
  if (!batcher) {
    batcher = new EnqueueBatcher(appDb);
    batchers.set(appDb, batcher);
  }
  return batcher;
}
