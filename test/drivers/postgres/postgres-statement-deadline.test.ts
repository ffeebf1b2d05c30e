// A PostgreSQL catalog statement's client-side timeout covers the whole streamed statement (issue 10), not each fetch:
// behind a proxy that holds every answer of the server for 250 ms, a listing of 6,000 fields (7 fetches) that no single
// fetch keeps past the 1-second timeout fails with the client's TIMEOUT (before, only the server's statement_timeout
// ended it, its message arriving late through the same slow link).
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { DriverOptions } from '../../../src/drivers/driver.ts';
import { createPostgresDriver } from '../../../src/drivers/postgres/postgres-driver.ts';
import { rejection } from '../../support/drivers.ts';
import { createTestDatabase, execSql } from '../../support/postgres.ts';
import { listenOnLoopback } from '../../support/tcp-proxy.ts';

const DELAY_MS = 250;
const OPTIONS: DriverOptions = {
  connectTimeoutMs: 20_000,
  catalogQueryTimeoutMs: 1000,
  sampleQueryTimeoutMs: 1000,
  fieldValuesQueryTimeoutMs: 1000,
};

let details: Record<string, unknown>;
let close: () => Promise<void>;

/** Forwards to the server at once, and each chunk of the server's answers DELAY_MS later, in order. */
async function delayingProxy(target: { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => setTimeout(() => client.writable && client.write(chunk), DELAY_MS));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => setTimeout(() => client.destroy(), DELAY_MS));
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

before(async () => {
  const wh = await createTestDatabase('deadline');
  const columns = Array.from({ length: 20 }, (_, i) => `c${i} int`).join(', ');
  await execSql(wh.url, `DO $$ BEGIN FOR i IN 1..300 LOOP
    EXECUTE format('CREATE TABLE t%s (${columns})', i); END LOOP; END $$`);
  const proxy = await delayingProxy({ host: String(wh.details.host), port: Number(wh.details.port) });
  details = { ...wh.details, host: '127.0.0.1', port: proxy.port };
  close = proxy.close;
});

after(async () => {
  await close?.();
});

describe('PostgreSQL catalog statement deadline', () => {
  test('fetches that each answer within the timeout still fail it together', async () => {
    const driver = createPostgresDriver(details, OPTIONS);
    try {
      await driver.testConnection(AbortSignal.timeout(20_000));
      let rows = 0;
      const error = await rejection((async () => {
        for await (const _ of driver.describeFields({ kind: 'database' }, AbortSignal.timeout(60_000))) rows += 1;
      })());
      assert.equal(error.code, 'TIMEOUT');
      assert.match(error.message, /within 1000 ms/);
      assert.ok(rows >= 1000 && rows < 6000, `${rows} rows arrived before the deadline`);
    } finally {
      await driver.close();
    }
  });
});
