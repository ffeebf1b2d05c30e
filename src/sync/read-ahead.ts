// Reads a driver stream ahead of its consumer, up to a bound. Catalog writes on SQLite are synchronous, so without
// read-ahead the warehouse idles while a batch is written; with it, the next cursor fetch is already under way.
// Memory stays bounded by `limit` items. Items read before a failure are delivered first, then the error.

export function readAhead<T>(source: AsyncIterable<T>, limit: number): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const iterator = source[Symbol.asyncIterator]();
      let items: T[] = [];
      let head = 0;
      let finished = false;
      let stopped = false;
      let failure: { readonly error: unknown } | null = null;
      let wakeConsumer: (() => void) | null = null;
      let wakePump: (() => void) | null = null;
      const size = () => items.length - head;
      const notify = () => {
        wakeConsumer?.();
        wakeConsumer = null;
      };

      const pump = (async () => {
        try {
          while (!stopped) {
            if (size() >= limit) {
              await new Promise<void>((resolve) => (wakePump = resolve));
              continue;
            }
            const next = await iterator.next();
            if (next.done) break;
            items.push(next.value);
            notify();
          }
        } catch (error) {
          failure = { error };
        }
        finished = true;
        notify();
      })();

      return {
        async next(): Promise<IteratorResult<T>> {
          while (size() === 0 && !finished) await new Promise<void>((resolve) => (wakeConsumer = resolve));
          if (size() > 0) {
            const value = items[head++];
            if (head >= 1024 && head * 2 >= items.length) {
              items = items.slice(head);
              head = 0;
            }
            wakePump?.();
            wakePump = null;
            return { value, done: false };
          }
          if (failure !== null) {
            const { error } = failure;
            failure = null;
            throw error;
          }
          return { value: undefined, done: true };
        },
        async return(): Promise<IteratorResult<T>> {
          stopped = true;
          wakePump?.();
          wakePump = null;
          await pump;
          await iterator.return?.();
          items = [];
          head = 0;
          return { value: undefined, done: true };
        },
      };
    },
  };
}
