// Verified warehouse TLS (issue 10) against a real PostgreSQL server with TLS on, whose certificate (for `localhost`)
// is signed by a CA made here with openssl: a wrong CA is refused, the right one accepted; verify-full also checks the
// host name; `require` encrypts without verifying only when asked for; `ssl: true` alone verifies everything.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { DriverError, type DriverOptions } from '../../../src/drivers/driver.ts';
import { createPostgresDriver } from '../../../src/drivers/postgres/postgres-driver.ts';
import { pushedRows } from '../../../src/drivers/postgres/pushed-rows.ts';
import { startPostgres, type PgServer } from '../../support/postgres.ts';
import * as tls from '../../support/tls-certs.ts';

const OPTIONS: DriverOptions = {
  connectTimeoutMs: 10_000,
  catalogQueryTimeoutMs: 10_000,
  sampleQueryTimeoutMs: 10_000,
  fieldValuesQueryTimeoutMs: 10_000,
};

let certs: tls.TestCertificates;
let server: PgServer;
let rightCa: string;
let wrongCa: string;

before(async () => {
  certs = tls.makeCertificates('postgres', ['localhost']);
  ({ rightCa, wrongCa } = certs);
  const { cert, key } = certs.server('localhost');
  server = await startPostgres(`-c ssl=on -c ssl_cert_file=${cert} -c ssl_key_file=${key}`);
});

after(() => {
  server?.stop();
  certs?.remove();
});

function details(host: string, settings: Record<string, unknown>): Record<string, unknown> {
  return { host, port: server.port, dbname: 'postgres', user: 'postgres', password: 'postgres', ...settings };
}

const connects = (host: string, settings: Record<string, unknown>) =>
  tls.connects(createPostgresDriver(details(host, settings), OPTIONS));
const refused = (host: string, settings: Record<string, unknown>, reason: RegExp) =>
  tls.refused(createPostgresDriver(details(host, settings), OPTIONS), reason);

const UNTRUSTED = /certificate|self[- ]signed/i;

describe('PostgreSQL warehouse TLS', () => {
  test('the server has TLS on, and a session through it is encrypted', async () => {
    const client = new pg.Client({ ...details('127.0.0.1', {}), database: 'postgres', ssl: { ca: rightCa, checkServerIdentity: () => undefined } });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      assert.equal(rows[0].ssl, true);
    } finally {
      await client.end();
    }
  });

  test('a pushed listing pauses and resumes the TLS socket: every row arrives, few wait unread', async () => {
    const client = new pg.Client({ ...details('127.0.0.1', {}), database: 'postgres', ssl: { ca: rightCa, checkServerIdentity: () => undefined } });
    await client.connect();
    try {
      const text = `SELECT n, repeat('x', 100) AS pad FROM generate_series(1, 100000) n`;
      let total = 0;
      let largest = 0;
      const wait = (next: Promise<void>) => next;
      for await (const rows of pushedRows<{ n: number }>(client, text, [], { highWater: 1000, wait })) {
        for (const row of rows) assert.equal(row.n, ++total);
        largest = Math.max(largest, rows.length);
        if (total <= 1000) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(total, 100_000);
      assert.ok(largest <= 2000, `${largest} rows waited unread`);
      assert.equal((await client.query('SELECT 3 AS three')).rows[0].three, 3);
    } finally {
      await client.end();
    }
  });

  test('ssl: true alone verifies chain and host name (system CAs do not know this one)', async () => {
    await refused('localhost', { ssl: true }, UNTRUSTED);
    await refused('localhost', { ssl: true, 'ssl-root-cert': wrongCa }, UNTRUSTED);
    await refused('127.0.0.1', { ssl: true, 'ssl-root-cert': rightCa }, /IP: 127\.0\.0\.1 is not in the cert's list|altnames|Hostname/i);
    await connects('localhost', { ssl: true, 'ssl-root-cert': rightCa });
  });

  test('verify-ca: the right CA is accepted, a wrong one refused; the host name is not checked', async () => {
    await refused('127.0.0.1', { 'ssl-mode': 'verify-ca', 'ssl-root-cert': wrongCa }, UNTRUSTED);
    await connects('127.0.0.1', { 'ssl-mode': 'verify-ca', 'ssl-root-cert': rightCa });
  });

  test('verify-full: a host name mismatch is refused even with the right CA', async () => {
    await refused('127.0.0.1', { 'ssl-mode': 'verify-full', 'ssl-root-cert': rightCa }, /127\.0\.0\.1|altnames|Hostname/i);
    await connects('localhost', { 'ssl-mode': 'verify-full', 'ssl-root-cert': rightCa });
  });

  test('require (asked for explicitly) encrypts without verifying; disable does not encrypt', async () => {
    await connects('127.0.0.1', { ssl: true, 'ssl-mode': 'require', 'ssl-root-cert': wrongCa });
    await connects('127.0.0.1', { 'ssl-mode': 'disable' });
  });

  test('an unknown mode or a certificate that is not PEM text is refused before connecting', () => {
    for (const settings of [{ 'ssl-mode': 'verify-everything' }, { 'ssl-mode': 'verify-full', 'ssl-root-cert': '/etc/ssl/ca.pem' }]) {
      assert.throws(() => createPostgresDriver(details('localhost', settings), OPTIONS), (error: unknown) => {
        assert.ok(error instanceof DriverError);
        assert.equal(error.code, 'CONNECTION_FAILED');
        assert.match(error.message, /ssl-mode|ssl-root-cert/);
        return true;
      });
    }
  });
});
