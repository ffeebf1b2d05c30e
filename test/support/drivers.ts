// Helpers of the driver tests: read a listing to the end, expect a DriverError, and a server that accepts connections
// and never answers (a warehouse that hangs before its first byte).
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { DriverError, type DriverOptions } from '../../src/drivers/driver.ts';

/** Driver timeouts for tests against the test servers: generous, so that a slow shared machine does not trip them. */
export const TEST_DRIVER_OPTIONS: DriverOptions = {
  connectTimeoutMs: 10_000,
  catalogQueryTimeoutMs: 30_000,
  sampleQueryTimeoutMs: 30_000,
  fieldValuesQueryTimeoutMs: 30_000,
};

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** The DriverError `work` rejects with; fails when it resolves or rejects with anything else. */
export async function rejection(work: Promise<unknown>): Promise<DriverError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof DriverError, `expected a DriverError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** A TCP server on 127.0.0.1 that accepts connections and never writes; close() drops them and stops it. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    },
  };
}
