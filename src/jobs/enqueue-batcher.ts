// Group commit of enqueues (sync-engine.md 8.3): the requests for one database that arrive in the same turn of the event
// loop, or while its previous enqueue transaction is in flight, go together into one transaction (enqueueBatch). Each
// caller gets the result it would have had alone, in arrival order, and its answer still follows the commit; a burst
// of notifications costs a few transactions instead of one each. The first request of a database waits one turn of
// the event loop (setImmediate) so that the requests read from the other sockets in that turn can join it: on SQLite,
// whose queries never yield to the event loop, that turn is the only chance to batch at all.
import type { AppDb } from '../db/connect.ts';
import { enqueueBatch, type EnqueueResult, type QueueRequest } from './queue.ts';

/** Requests of one database in one transaction at most (the trigger list keeps 20 of them anyway). */
export const MAX_BATCH = 500;

interface Waiting {
  readonly request: QueueRequest;
  readonly resolve: (result: EnqueueResult) => void;
  readonly reject: (error: unknown) => void;
}

export class EnqueueBatcher {
  readonly #appDb: AppDb;
  /** Per database, the requests for its next transaction, oldest first. */
  readonly #waiting = new Map<number, Waiting[]>();
  /** Databases with an enqueue transaction in flight or about to start. */
  readonly #busy = new Set<number>();

  constructor(appDb: AppDb) {
    this.#appDb = appDb;
  }

  enqueue(request: QueueRequest): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      const id = request.databaseId;
      const waiting = this.#waiting.get(id);
      if (waiting) waiting.push({ request, resolve, reject });
      else this.#waiting.set(id, [{ request, resolve, reject }]);
      if (!this.#busy.has(id)) {
        this.#busy.add(id);
        setImmediate(() => void this.#drain(id));
      }
    });
  }

  /** Runs the database's waiting requests, a batch per transaction, until none is left. Never throws. */
  async #drain(id: number): Promise<void> {
    try {
      for (let waiting = this.#waiting.get(id); waiting; waiting = this.#waiting.get(id)) {
        const batch = waiting.splice(0, MAX_BATCH);
        if (waiting.length === 0) this.#waiting.delete(id);
        try {
          const results = await enqueueBatch(this.#appDb, batch.map((w) => w.request));
          batch.forEach((w, i) => w.resolve(results[i]));
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.#busy.delete(id);
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
