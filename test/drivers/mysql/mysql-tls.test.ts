// Verified warehouse TLS against a real MariaDB server with TLS on (as postgres-tls.test.ts does for PostgreSQL), whose
// certificate (for `localhost`) is signed by a CA made here with openssl: a wrong CA is refused, the right one
// accepted; VERIFY_IDENTITY also checks the host name, and is refused for an IP address (mysql2 would check
// "localhost" instead); REQUIRED encrypts without verifying; `ssl: true` alone verifies everything; and a listing read
// through TLS is complete.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import { DriverError } from '../../../src/drivers/driver.ts';
import { createMysqlDriver } from '../../../src/drivers/mysql/mysql-driver.ts';
import { startMariaDb, type MariaDbServer } from '../../support/mariadb.ts';
import { collect, TEST_DRIVER_OPTIONS } from '../../support/drivers.ts';
import * as tls from '../../support/tls-certs.ts';

let certs: tls.TestCertificates;
let server: MariaDbServer;
/** A second server, whose certificate (signed by the same CA) names `elsewhere.invalid` only. */
let elsewhere: MariaDbServer;
let rightCa: string;
let wrongCa: string;

before(async () => {
  certs = tls.makeCertificates('mysql', ['localhost', 'elsewhere.invalid']);
  ({ rightCa, wrongCa } = certs);
  const tlsArgs = (name: string) => [`--ssl-cert=${certs.server(name).cert}`, `--ssl-key=${certs.server(name).key}`];
  [server, elsewhere] = await Promise.all([startMariaDb(tlsArgs('localhost')), startMariaDb(tlsArgs('elsewhere.invalid'))]);
  const admin = await mysql.createConnection({ uri: server.url, multipleStatements: true });
  try {
    const tables = Array.from({ length: 200 }, (_, i) => `CREATE TABLE wh.t${String(i).padStart(3, '0')} (id int, note text, amount decimal(10, 2));`);
    await admin.query(`CREATE DATABASE wh; ${tables.join(' ')}`);
  } finally {
    await admin.end();
  }
});

after(() => {
  server?.stop();
  elsewhere?.stop();
  certs?.remove();
});

function details(host: string, settings: Record<string, unknown>): Record<string, unknown> {
  const url = new URL(server.url);
  return {
    host,
    port: server.port,
    dbname: 'mysql',
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    ...settings,
  };
}

const connects = (host: string, settings: Record<string, unknown>) =>
  tls.connects(createMysqlDriver(details(host, settings), TEST_DRIVER_OPTIONS));

async function refused(host: string, settings: Record<string, unknown>, reason: RegExp): Promise<void> {
  const error = await tls.refused(createMysqlDriver(details(host, settings), TEST_DRIVER_OPTIONS), reason);
  assert.equal(error.code, 'CONNECTION_FAILED');
}

const UNTRUSTED = /certificate|self[- ]signed/i;

describe('MariaDB warehouse TLS', () => {
  test('the server has TLS on, and a session through it is encrypted', async () => {
    const connection = await mysql.createConnection({
      ...details('127.0.0.1', {}),
      database: 'mysql',
      ssl: { ca: rightCa, rejectUnauthorized: true },
    });
    try {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(`SHOW SESSION STATUS LIKE 'Ssl_cipher'`);
      assert.notEqual(rows[0]?.Value ?? '', '', 'a cipher is in use');
    } finally {
      await connection.end();
    }
  });

  test('ssl: true alone verifies chain and host name (system CAs do not know this one)', async () => {
    await refused('localhost', { ssl: true }, UNTRUSTED);
    await refused('localhost', { ssl: true, 'ssl-ca': wrongCa }, UNTRUSTED);
    await connects('localhost', { ssl: true, 'ssl-ca': rightCa });
  });

  test('a verified identity needs a host name: an IP address is refused before connecting', async () => {
    // mysql2 would check the certificate against "localhost" for an IP host, and this one is for localhost: the
    // session below is accepted, which is why the driver refuses such details instead.
    const connection = await mysql.createConnection({
      ...details('127.0.0.1', {}),
      ssl: { ca: rightCa, rejectUnauthorized: true, verifyIdentity: true },
    });
    await connection.end();
    for (const settings of [{ ssl: true, 'ssl-ca': rightCa }, { 'ssl-mode': 'VERIFY_IDENTITY', 'ssl-ca': rightCa }]) {
      assert.throws(() => createMysqlDriver(details('127.0.0.1', settings), TEST_DRIVER_OPTIONS), (error: unknown) => {
        assert.ok(error instanceof DriverError);
        assert.equal(error.code, 'CONNECTION_FAILED');
        assert.match(error.message, /IP address.*VERIFY_CA/);
        return true;
      });
    }
  });

  test('VERIFY_CA: the right CA is accepted, a wrong one refused; the host name is not checked', async () => {
    await refused('127.0.0.1', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': wrongCa }, UNTRUSTED);
    await connects('127.0.0.1', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': rightCa });
  });

  test('VERIFY_IDENTITY: a certificate for another name is refused even with the right CA (VERIFY_CA takes it)', async () => {
    const other = { 'ssl-ca': rightCa, port: elsewhere.port };
    await refused('localhost', { 'ssl-mode': 'VERIFY_IDENTITY', ...other }, /altnames/);
    await connects('localhost', { 'ssl-mode': 'VERIFY_CA', ...other });
    await connects('localhost', { 'ssl-mode': 'VERIFY_IDENTITY', 'ssl-ca': rightCa });
  });

  test('REQUIRED encrypts without verifying; DISABLED does not encrypt', async () => {
    await connects('127.0.0.1', { ssl: true, 'ssl-mode': 'REQUIRED', 'ssl-ca': wrongCa });
    await connects('127.0.0.1', { 'ssl-mode': 'DISABLED' });
  });

  test('a whole column listing read through a verified session is complete', async () => {
    const driver = createMysqlDriver(
      { ...details('localhost', { ssl: true, 'ssl-ca': rightCa }), dbname: 'wh' },
      TEST_DRIVER_OPTIONS,
    );
    try {
      const fields = await collect(driver.describeFields({ kind: 'database' }, AbortSignal.timeout(30_000)));
      assert.equal(fields.length, 200 * 3);
      assert.deepEqual(fields.slice(0, 3).map((f) => `${f.tableName}.${f.name}`), ['t000.id', 't000.note', 't000.amount']);
    } finally {
      await driver.close();
    }
  });
});
