// A batch is one fenced transaction (sync-engine.md section 3.1); when it fails, it is retried with one item (one
// table) per transaction, so that only the item that fails on its own is recorded as failed.
import type { Transaction } from 'kysely';
import type { AppSchema } from '../db/schema.ts';
import { catalogWrite, type SyncContext } from './context.ts';
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
