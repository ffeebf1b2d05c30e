import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readAhead } from '../../src/sync/read-ahead.ts';

async function* numbers(n: number, failAt = -1, log: string[] = []): AsyncGenerator<number> {
  try {
    for (let i = 0; i < n; i++) {
      if (i === failAt) throw new Error(`failed at ${i}`);
      log.push(`read ${i}`);
      yield i;
    }
  } finally {
    log.push('closed');
  }
}

describe('readAhead', () => {
  test('delivers every item in order', async () => {
    const out: number[] = [];
    for await (const n of readAhead(numbers(5000), 100)) out.push(n);
    assert.deepEqual(out, Array.from({ length: 5000 }, (_, i) => i));
  });

  test('reads ahead while the consumer is busy, never more than the bound', async () => {
    const log: string[] = [];
    const iterator = readAhead(numbers(100, -1, log), 10)[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { value: 0, done: false });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const read = log.filter((l) => l.startsWith('read')).length;
    assert.ok(read >= 10 && read <= 12, `read ${read}`);
    await iterator.return?.();
    assert.equal(log.at(-1), 'closed');
  });

  test('items read before a failure come first, then the error', async () => {
    const out: number[] = [];
    await assert.rejects(async () => {
      for await (const n of readAhead(numbers(10, 3), 100)) out.push(n);
    }, /failed at 3/);
    assert.deepEqual(out, [0, 1, 2]);
  });

  test('breaking out closes the source', async () => {
    const log: string[] = [];
    for await (const n of readAhead(numbers(1000, -1, log), 5)) if (n === 2) break;
    assert.equal(log.at(-1), 'closed');
  });
});
