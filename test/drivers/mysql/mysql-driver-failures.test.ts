// Failures, sessions, timeouts and the connection pool of the MySQL driver, against the test MariaDB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import type { DriverOptions, Scope, TableRef } from '../../../src/drivers/driver.ts';
import { createMysqlDriver } from '../../../src/drivers/mysql/mysql-driver.ts';
import {
  createMysqlTestDatabase,
  createMysqlUser,
  dropMysqlDatabase,
  execMysql,
  testMysql,
} from '../../support/mariadb.ts';
import { freePort } from '../../support/postgres.ts';
import { collect, rejection, startSilentServer } from '../../support/drivers.ts';

const OPTIONS: DriverOptions = {
  connectTimeoutMs: 10_000,
  catalogQueryTimeoutMs: 30_000,
  sampleQueryTimeoutMs: 30_000,
  fieldValuesQueryTimeoutMs: 30_000,
};
const DATABASE: Scope = { kind: 'database' };
const signal = new AbortController().signal;

/** Rows the server sees for one user. */
async function sessionsOf(user: string): Promise<number> {
  const { url } = await testMysql();
  const connection = await mysql.createConnection(url);
  try {
    const sql = 'SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user = ?';
    const [rows] = await connection.query(sql, [user]);
    return Number((rows as { n: number }[])[0].n);
  } finally {
    await connection.end();
  }
}

async function killSessionsOn(database: string): Promise<void> {
  const { url } = await testMysql();
  const connection = await mysql.createConnection(url);
  try {
    const [rows] = await connection.query('SELECT id FROM information_schema.processlist WHERE db = ?', [database]);
    for (const { id } of rows as { id: number }[]) await connection.query('KILL ?', [id]).catch(() => undefined);
  } finally {
    await connection.end();
  }
}

describe('connection failures', () => {
  let name: string;
  let details: Record<string, unknown>;

  before(async () => {
    ({ name, details } = await createMysqlTestDatabase('myfail'));
  });

  after(async () => {
    if (name) await dropMysqlDatabase(name);
  });

  test('nothing listening: CONNECTION_FAILED, connection refused', async () => {
    const port = await freePort();
    const driver = createMysqlDriver({ ...details, port }, OPTIONS);
    try {
      const error = await rejection(driver.testConnection(signal));
      assert.equal(error.code, 'CONNECTION_FAILED');
      assert.equal(error.message, `could not connect to ${details.host}:${port}: connection refused`);
      assert.equal(error.abandonsJob, true);
    } finally {
      await driver.close();
    }
  });

  test('an unknown host: CONNECTION_FAILED', async () => {
    const driver = createMysqlDriver({ ...details, host: 'no-such-host.invalid' }, OPTIONS);
    try {
      const error = await rejection(driver.testConnection(signal));
      assert.equal(error.code, 'CONNECTION_FAILED');
      assert.match(error.message, /^could not connect to no-such-host\.invalid:\d+: (host not found|temporary failure)/);
    } finally {
      await driver.close();
    }
  });

  test('a wrong password: AUTH_FAILED, and the password appears nowhere', async () => {
    const password = 'Wr0ng-Secret-Pw';
    const driver = createMysqlDriver({ ...details, password }, OPTIONS);
    try {
      const error = await rejection(driver.dbmsVersion(signal));
      assert.equal(error.code, 'AUTH_FAILED');
      assert.equal(error.message, `Access denied for user '${details.user}'@'127.0.0.1' (using a password)`);
      assert.equal(JSON.stringify({ message: error.message, stack: error.stack }).includes(password), false);
      assert.equal(driver.queryCount, 0);
    } finally {
      await driver.close();
    }
  });

  test('a missing database: CONNECTION_FAILED', async () => {
    const driver = createMysqlDriver({ ...details, dbname: `${name}_missing` }, OPTIONS);
    try {
      const error = await rejection(collect(driver.describeTables(DATABASE, signal)));
      assert.equal(error.code, 'CONNECTION_FAILED');
      assert.equal(error.message, `Unknown database '${name}_missing'`);
      assert.equal(driver.queryCount, 0);
    } finally {
      await driver.close();
    }
  });

  test('a user without access to the database: AUTH_FAILED', async () => {
    const stranger = await createMysqlUser(name, '');
    const driver = createMysqlDriver({ ...details, user: stranger.user, password: stranger.password }, OPTIONS);
    try {
      const error = await rejection(driver.testConnection(signal));
      assert.equal(error.code, 'AUTH_FAILED');
      assert.equal(error.message, `Access denied for user '${stranger.user}'@'%' to database '${name}'`);
    } finally {
      await driver.close();
      await stranger.drop();
    }
  });

  test('a server that never answers: CONNECTION_FAILED after the connect timeout', async () => {
    const silent = await startSilentServer();
    const port = silent.port;
    const driver = createMysqlDriver({ ...details, host: '127.0.0.1', port }, { ...OPTIONS, connectTimeoutMs: 300 });
    try {
      const started = Date.now();
      const error = await rejection(driver.timezone(signal));
      assert.equal(error.code, 'CONNECTION_FAILED');
      assert.equal(error.message, `could not connect to 127.0.0.1:${port}: timed out after 300 ms`);
      assert.ok(Date.now() - started < 5_000);
    } finally {
      await driver.close();
      await silent.close();
    }
  });

  test('TLS against a server without it: CONNECTION_FAILED', async () => {
    // By name: a verified identity is refused for an IP address before connecting (mysql-tls.test.ts).
    const driver = createMysqlDriver({ ...details, host: 'localhost', ssl: true }, OPTIONS);
    try {
      const error = await rejection(driver.testConnection(signal));
      assert.equal(error.code, 'CONNECTION_FAILED');
      assert.match(error.message, /TLS/);
    } finally {
      await driver.close();
    }
  });
});

describe('sessions, permissions, timeouts and cancellation', () => {
  let name: string;
  let url: string;
  let details: Record<string, unknown>;
  const slow: TableRef = { schema: null, name: 'slow' };

  before(async () => {
    ({ name, url, details } = await createMysqlTestDatabase('mytime'));
    await execMysql(
      url,
      'CREATE TABLE visible (id int PRIMARY KEY)',
      'CREATE TABLE hidden (id int PRIMARY KEY, secret varchar(10))',
      'CREATE TABLE log (x int)',
      'CREATE FUNCTION session_read_only() RETURNS int RETURN @@session.tx_read_only',
      'CREATE FUNCTION session_time_zone() RETURNS varchar(64) RETURN @@session.time_zone',
      'CREATE FUNCTION write_log() RETURNS int MODIFIES SQL DATA BEGIN INSERT INTO log VALUES (1); RETURN 1; END',
      'CREATE VIEW session_settings AS SELECT session_read_only() AS read_only, session_time_zone() AS time_zone',
      'CREATE VIEW writes AS SELECT write_log() AS w',
      'CREATE VIEW slow AS SELECT SLEEP(5) AS s, 1 AS one',
      'CREATE TABLE one_row (id int PRIMARY KEY)',
      'INSERT INTO one_row VALUES (1)',
      'CREATE ALGORITHM=MERGE VIEW half_second AS SELECT SLEEP(0.5) AS s, id AS a, id + 1 AS b FROM one_row',
    );
  });

  after(async () => {
    // Interrupted statements go on sleeping on the server until they end; they would hold up the DROP DATABASE.
    if (name) await killSessionsOn(name);
    if (name) await dropMysqlDatabase(name);
  });

  test('every session is read-only and in UTC', async () => {
    const driver = createMysqlDriver(details, OPTIONS);
    try {
      const fields = [{ name: 'read_only', truncateText: false }, { name: 'time_zone', truncateText: true }];
      const rows = await collect(driver.sampleRows({ schema: null, name: 'session_settings' }, fields,
        { limit: 10, textTruncate: 1234 }, signal));
      assert.deepEqual(rows, [[1, '+00:00']]);
      const write = [{ name: 'w', truncateText: false }];
      const error = await rejection(collect(driver.sampleRows({ schema: null, name: 'writes' }, write,
        { limit: 10, textTruncate: 1234 }, signal)));
      assert.equal(error.code, 'QUERY_FAILED');
      assert.match(error.message, /READ ONLY transaction/);
      const connection = await mysql.createConnection(url);
      const [logged] = await connection.query('SELECT COUNT(*) AS n FROM log');
      await connection.end();
      assert.equal(Number((logged as { n: number }[])[0].n), 0);
    } finally {
      await driver.close();
    }
  });

  test('only readable tables are listed; reading another one is PERMISSION_DENIED', async () => {
    const reader = await createMysqlUser(name, 'SELECT ON $db.visible');
    const driver = createMysqlDriver({ ...details, user: reader.user, password: reader.password }, OPTIONS);
    try {
      assert.deepEqual((await collect(driver.describeTables(DATABASE, signal))).map((t) => t.name), ['visible']);
      assert.deepEqual((await collect(driver.describeFields(DATABASE, signal))).map((f) => f.name), ['id']);
      const error = await rejection(collect(driver.sampleRows({ schema: null, name: 'hidden' },
        [{ name: 'secret', truncateText: true }], { limit: 10, textTruncate: 1234 }, signal)));
      assert.equal(error.code, 'PERMISSION_DENIED');
      assert.match(error.message, /SELECT command denied/);
      assert.equal(error.abandonsJob, false);
    } finally {
      await driver.close();
      await reader.drop();
    }
  });

  test('the server times a statement out: TIMEOUT, and the session goes on', async () => {
    const driver = createMysqlDriver(details, { ...OPTIONS, sampleQueryTimeoutMs: 300 });
    try {
      await driver.testConnection(signal);
      const started = Date.now();
      const error = await rejection(collect(driver.sampleRows(slow, [{ name: 's', truncateText: false }],
        { limit: 10, textTruncate: 1234 }, signal)));
      assert.equal(error.code, 'TIMEOUT');
      assert.match(error.message, /max_statement_time/);
      assert.ok(Date.now() - started < 3_000);
      const sent = driver.queryCount;
      const oneRow = { schema: null, name: 'one_row' };
      assert.deepEqual(await driver.distinctValues(oneRow, ['id'], { limit: 1001 }, signal), [[1]]);
      assert.equal(driver.queryCount, sent + 1, 'the same session answered');
    } finally {
      await driver.close();
    }
  });

  test('a batched distinct-values statement gets the per-field timeout once per field', async () => {
    const driver = createMysqlDriver(details, { ...OPTIONS, fieldValuesQueryTimeoutMs: 400 });
    try {
      const table = { schema: null, name: 'half_second' };
      assert.equal((await rejection(driver.distinctValues(table, ['s'], { limit: 1001 }, signal))).code, 'TIMEOUT');
      assert.deepEqual(await driver.distinctValues(table, ['s', 'a', 'b'], { limit: 1001 }, signal), [[0], [1], [2]],
        'one sleep, within three fields\' time');
    } finally {
      await driver.close();
    }
  });

  test('an aborted call fails at once with TIMEOUT and destroys its connection', async () => {
    const driver = createMysqlDriver(details, OPTIONS);
    try {
      await driver.testConnection(signal);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const started = Date.now();
      const error = await rejection(driver.distinctValues(slow, ['s'], { limit: 1001 }, controller.signal));
      assert.equal(error.code, 'TIMEOUT');
      assert.equal(error.message, 'the warehouse call was cancelled');
      assert.ok(Date.now() - started < 2_000);
      const sent = driver.queryCount;
      assert.equal((await driver.tableExists({ schema: null, name: 'visible' }, signal))?.name, 'visible');
      assert.equal(driver.queryCount, sent + 3, 'a new session (two statements) and the probe');
      const aborted = new AbortController();
      aborted.abort();
      assert.equal((await rejection(driver.timezone(aborted.signal))).code, 'TIMEOUT');
    } finally {
      await driver.close();
    }
  });

  test('a stream cut by the client-side timer fails with TIMEOUT', async () => {
    const driver = createMysqlDriver(details, OPTIONS);
    try {
      const controller = new AbortController();
      const rows = driver.sampleRows(slow, [{ name: 's', truncateText: false }], { limit: 10, textTruncate: 1234 },
        controller.signal);
      setTimeout(() => controller.abort(), 200);
      const error = await rejection(collect(rows));
      assert.equal(error.code, 'TIMEOUT');
    } finally {
      await driver.close();
    }
  });

  test('at most two sessions per driver; a third call waits for one', async () => {
    const pooled = await createMysqlUser(name, 'SELECT ON $db.*');
    const driver = createMysqlDriver({ ...details, user: pooled.user, password: pooled.password }, OPTIONS);
    try {
      const table = { schema: null, name: 'half_second' };
      const calls = [1, 2, 3].map(() => driver.distinctValues(table, ['s'], { limit: 1001 }, signal));
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.equal(await sessionsOf(pooled.user), 2, 'the third call waits while two sleep');
      assert.deepEqual(await Promise.all(calls), [[[0]], [[0]], [[0]]]);
      assert.equal(await sessionsOf(pooled.user), 2, 'idle sessions stay open for reuse');
      await driver.close();
      const deadline = Date.now() + 2_000;
      while ((await sessionsOf(pooled.user)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await sessionsOf(pooled.user), 0, 'close() ends them');
    } finally {
      await driver.close();
      await pooled.drop();
    }
  });
});
