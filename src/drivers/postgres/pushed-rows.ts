// A catalog listing read as PostgreSQL sends it, without a cursor. Through a cursor the server works only while a
// fetch is in flight, and the sync's catalog writes hold the thread between fetches, so listing and writes took
// turns (BENCHMARKS.md, "Catalog write path"). Here the server produces rows while the consumer compares and writes;
// memory stays bounded because the socket is paused once `highWater` rows wait unread (TCP flow control then holds
// the server back) and resumed when the consumer has taken them.
import pg from 'pg';

/** The part of pg's client this reader needs: the connection's socket (plain or TLS) to pause and resume. */
interface SocketHolder {
  readonly connection?: { readonly stream?: { pause(): unknown; resume(): unknown } };
}

export interface PushedRowsOptions {
  /** Rows that may wait unread before the socket is paused. */
  readonly highWater: number;
  /** Waits for the next rows; the caller's deadline and abort signal apply (the lease's wait). */
  readonly wait: (next: Promise<void>) => Promise<void>;
}

/**
 * Runs `text` on `client` and yields its rows in the order received, in arrays of at most what has arrived. The
 * statement is still running when the consumer stops early: the caller must then discard the connection.
 */
export async function* pushedRows<R>(
  client: pg.ClientBase,
  text: string,
  values: readonly unknown[],
  options: PushedRowsOptions,
): AsyncGenerator<R[]> {
  const socket = (client as unknown as SocketHolder).connection?.stream;
  if (socket === undefined) throw new Error('pg client without a connection socket: cannot read a listing');
  let rows: R[] = [];
  let ended = false;
  let failure: { readonly error: unknown } | null = null;
  let paused = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const query = new pg.Query(text, [...values]);
  query.on('row', (row: unknown) => {
    rows.push(row as R);
    if (!paused && rows.length >= options.highWater) {
      paused = true;
      socket.pause();
    }
    if (rows.length === 1 || paused) notify();
  });
  query.on('end', () => {
    ended = true;
    notify();
  });
  query.on('error', (error: unknown) => {
    failure = { error };
    notify();
  });
  client.query(query);
  try {
    for (;;) {
      if (rows.length > 0) {
        const taken = rows;
        rows = [];
        if (paused) {
          paused = false;
          socket.resume();
        }
        yield taken;
        continue;
      }
      if (failure !== null) throw (failure as { readonly error: unknown }).error;
      if (ended) return;
      await options.wait(new Promise<void>((resolve) => (wake = resolve)));
    }
  } finally {
    if (paused) socket.resume();
  }
}
