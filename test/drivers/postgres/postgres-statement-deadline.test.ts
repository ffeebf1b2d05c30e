// A PostgreSQL catalog statement's client-side timeout covers the whole streamed statement (issue 10), not each wait
// for rows: behind a proxy that passes the server's answers on as a slow link would, 8 KB every 100 ms, a listing of
// 6,000 fields whose rows keep arriving, no wait anywhere near the 1-second timeout, fails with the client's TIMEOUT
// (before, only the server's statement_timeout ended it, its message arriving late through the same slow link).
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { DriverOptions } from '../../../src/drivers/driver.ts';
import { createPostgresDriver } from '../../../src/drivers/postgres/postgres-driver.ts';
import { rejection } from '../../support/drivers.ts';
import { createTestDatabase, execSql } from '../../support/postgres.ts';
import { listenOnLoopback } from '../../support/tcp-proxy.ts';

const DELAY_MS = 100;
const PIECE_BYTES = 8192;
const OPTIONS: DriverOptions = {
  connectTimeoutMs: 20_000,
  catalogQueryTimeoutMs: 1000,
  sampleQueryTimeoutMs: 1000,
  fieldValuesQueryTimeoutMs: 1000,
};

let details: Record<string, unknown>;
let close: () => Promise<void>;

/** Forwards to the server at once; passes the server's answers on in pieces of PIECE_BYTES, one every DELAY_MS. */
async function delayingProxy(target: { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    let sent = Promise.resolve();
    const later = (action: () => void) => {
      sent = sent.then(() => new Promise<void>((resolve) => setTimeout(resolve, DELAY_MS))).then(action);
    };
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
        const piece = chunk.subarray(at, at + PIECE_BYTES);
        later(() => client.writable && client.write(piece));
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => later(() => client.destroy()));
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
  test('rows that keep arriving within the timeout still fail it together', async () => {
    const driver = createPostgresDriver(details, OPTIONS);
    try {
      await driver.testConnection(AbortSignal.timeout(20_000));
      let rows = 0;
      const error = await rejection((async () => {
        for await (const _ of driver.describeFields({ kind: 'database' }, AbortSignal.timeout(60_000))) rows += 1;
      })());
      assert.equal(error.code, 'TIMEOUT');
      assert.match(error.message, /within 1000 ms/);
      assert.ok(rows >= 100 && rows < 6000, `${rows} rows arrived before the deadline`);
    } finally {
      await driver.close();
    }
  });
});
