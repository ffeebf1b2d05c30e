// A batch is one fenced transaction (sync-engine.md section 3.1); when it fails, it is retried with one item (one
// table) per transaction, so that only the item that fails on its own is recorded as failed.
import type { Kysely, Transaction } from 'kysely';
import type { AppSchema } from '../db/schema.ts';
import { catalogWrite, lockRows, type SyncContext } from './context.ts';
import { rethrowIfFatal } from './errors.ts';

export async function writeBatch<I, R>(
  ctx: SyncContext,
  items: readonly I[],
  apply: (trx: Transaction<AppSchema>, items: readonly I[]) => Promise<R[]>,
  onFailure: (item: I, error: unknown) => void,
): Promise<R[]> {
  if (items.length === 0) return [];
  try {
    return await catalogWrite(ctx, (trx) => apply(trx, items));
  } catch (error) {
    rethrowIfFatal(error, ctx.job.signal);
    if (items.length === 1) {
      onFailure(items[0], error);
      return [];
    }
  }
  const results: R[] = [];
  for (const item of items) {
    try {
      results.push(...(await catalogWrite(ctx, (trx) => apply(trx, [item]))));
    } catch (error) {
      rethrowIfFatal(error, ctx.job.signal);
      onFailure(item, error);
    }
  }
  return results;
}

/** A read ahead of a write batch; null when it fails, so that the write batch runs and reports the failure. */
export async function readOrNull<T>(ctx: SyncContext, read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    rethrowIfFatal(error, ctx.job.signal);
    return null;
  }
}

/** The results of a batch compared with its stored rows, and its writes (null: it has nothing to write). */
export interface BatchPlan<R> {
  readonly results: R[];
  readonly write: ((trx: Transaction<AppSchema>) => Promise<void>) | null;
}

/**
 * A batch planned first against rows read without locks and outside any transaction: when it has nothing to
 * write, its results stand and no transaction is opened (a no-change sync only reads and compares). Otherwise it
 * runs as a write batch that reads its rows again (FOR UPDATE on PostgreSQL, sync-engine.md 2.2) and plans again.
 */
export async function writeBatchIfChanged<I, R>(
  ctx: SyncContext,
  items: readonly I[],
  plan: (db: Kysely<AppSchema>, items: readonly I[], lock: boolean) => Promise<BatchPlan<R>>,
  onFailure: (item: I, error: unknown) => void,
  /** The batch is known to write (it holds a table created in this phase): no comparing read first. */
  writes = false,
): Promise<R[]> {
  if (items.length === 0) return [];
  const unlocked = writes ? null : await readOrNull(ctx, () => plan(ctx.appDb.db, items, false));
  if (unlocked !== null && unlocked.write === null) return unlocked.results;
  return writeBatch(
    ctx,
    items,
    async (trx, batch) => {
      const locked = await plan(trx, batch, lockRows(ctx));
      await locked.write?.(trx);
      return locked.results;
    },
    onFailure,
  );
}
