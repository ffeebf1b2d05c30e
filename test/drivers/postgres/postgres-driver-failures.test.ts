import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DriverError, type DriverOptions, type Scope } from '../../../src/drivers/driver.ts';
import {
  createPostgresDriver,
  postgresClientConfig,
  readPostgresDetails,
  toDriverError,
  type ErrorContext,
} from '../../../src/drivers/postgres/postgres-driver.ts';
import { createTestDatabase, execSql, freePort, testPg } from '../../support/postgres.ts';
import { collect, rejection, startSilentServer } from '../../support/drivers.ts';

const OPTIONS: DriverOptions = { connectTimeoutMs: 10_000, catalogQueryTimeoutMs: 30_000, sampleQueryTimeoutMs: 30_000, fieldValuesQueryTimeoutMs: 30_000 };
const DATABASE: Scope = { kind: 'database' };
const signal = new AbortController().signal;

async function dropDatabase(name: string): Promise<void> {
  const { url } = await testPg();
  await execSql(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

function databaseError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:5432`), { code });
}

describe('error mapping (sync-engine.md 4.6)', () => {
  const context: ErrorContext = { host: 'wh.example', port: 5433, connectTimeoutMs: 15_000, secrets: ['s3cret-pw'] };
  const map = (error: unknown) => toDriverError(error, context);

  test('SQLSTATEs map to their codes', () => {
    const codes: [string, string][] = [
      ['08006', 'CONNECTION_FAILED'],
      ['08001', 'CONNECTION_FAILED'],
      ['57P01', 'CONNECTION_FAILED'],
      ['57P03', 'CONNECTION_FAILED'],
      ['53300', 'CONNECTION_FAILED'],
      ['3D000', 'CONNECTION_FAILED'],
      ['28P01', 'AUTH_FAILED'],
      ['28000', 'AUTH_FAILED'],
      ['57014', 'TIMEOUT'],
      ['42501', 'PERMISSION_DENIED'],
      ['42P01', 'QUERY_FAILED'],
      ['55P03', 'QUERY_FAILED'],
    ];
    for (const [sqlState, code] of codes) {
      const cause = databaseError(sqlState, 'server said no');
      const error = map(cause);
      assert.equal(error.code, code, sqlState);
      assert.equal(error.engine, 'postgres');
      assert.equal(error.message, 'server said no');
      assert.equal(error.cause, cause);
    }
  });

  test('network failures are connection failures with a plain message', () => {
    const messages: [string, string][] = [
      ['ECONNREFUSED', 'connection refused'],
      ['ENOTFOUND', 'host not found'],
      ['EAI_AGAIN', 'temporary failure in name resolution'],
      ['EHOSTUNREACH', 'host unreachable'],
      ['ENETUNREACH', 'network unreachable'],
      ['ECONNRESET', 'connection reset by peer'],
    ];
    for (const [code, text] of messages) {
      const error = map(systemError(code));
      assert.equal(error.code, 'CONNECTION_FAILED', code);
      assert.equal(error.message, `could not connect to wh.example:5433: ${text}`);
    }
    const aggregate = new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')], 'all failed');
    assert.equal(map(aggregate).message, 'could not connect to wh.example:5433: connection refused');
  });

  test('TLS failures, connect timeouts, pool timeouts and lost connections are connection failures', () => {
    const failures = [
      systemError('DEPTH_ZERO_SELF_SIGNED_CERT'),
      systemError('ERR_TLS_CERT_ALTNAME_INVALID'),
      new Error('The server does not support SSL connections'),
      new Error('Connection terminated due to connection timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
    ];
    for (const failure of failures) {
      const error = map(failure);
      assert.equal(error.code, 'CONNECTION_FAILED', failure.message);
      assert.equal(error.abandonsJob, true);
    }
    assert.equal(map(failures[3]).message, 'could not connect to wh.example:5433: timed out after 15000 ms');
  });

  test('anything else is QUERY_FAILED; DriverErrors pass through; secrets never survive', () => {
    assert.equal(map(new Error('boom')).code, 'QUERY_FAILED');
    const driverError = new DriverError('TIMEOUT', 'postgres', 'late');
    assert.equal(map(driverError), driverError);
    const leaky = map(databaseError('28P01', 'password s3cret-pw was rejected\nsecond line'));
    assert.equal(leaky.message.includes('s3cret-pw'), false);
    assert.equal(leaky.message.includes('second line'), false);
  });
});

describe('connection failures', () => {
  let name: string;
  let details: Record<string, unknown>;

  before(async () => {
    ({ name, details } = await createTestDatabase('pgfail'));
  });

  after(async () => {
    if (name) await dropDatabase(name);
  });

  test('nothing listening: CONNECTION_FAILED, connection refused', async () => {
    const port = await freePort();
    const driver = createPostgresDriver({ ...details, port }, OPTIONS);
    try {
      const error = await rejection(driver.testConnection(signal));
      assert.equal(error.code, 'CONNECTION_FAILED');
      assert.equal(error.message, `could not connect to ${details.host}:${port}: connection refused`);
    } finally {
      await driver.close();
    }
  });

  test('a wrong password: AUTH_FAILED, and the password appears nowhere', async () => {
    const password = 'Wr0ng-Secret-Pw';
    const driver = createPostgresDriver({ ...details, password }, OPTIONS);
    try {
      const error = await rejection(driver.dbmsVersion(signal));
      assert.equal(error.code, 'AUTH_FAILED');
      assert.equal(error.message, `password authentication failed for user "${details.user}"`);
      assert.equal(JSON.stringify({ message: error.message, stack: error.stack }).includes(password), false);
    } finally {
      await driver.close();
    }
  });

  test('a missing database: CONNECTION_FAILED', async () => {
    const driver = createPostgresDriver({ ...details, dbname: `${name}_missing` }, OPTIONS);
    try {
      const error = await rejection(collect(driver.describeTables(DATABASE, signal)));
      assert.equal(error.code, 'CONNECTION_FAILED');
      assert.equal(error.message, `database "${name}_missing" does not exist`);
      assert.equal(driver.queryCount, 0);
    } finally {
      await driver.close();
    }
  });

  test('a server that never answers: CONNECTION_FAILED after the connect timeout', async () => {
    const silent = await startSilentServer();
    const port = silent.port;
    const driver = createPostgresDriver({ ...details, host: '127.0.0.1', port }, { ...OPTIONS, connectTimeoutMs: 300 });
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
});

describe('sessions, timeouts and cancellation', () => {
  let name: string;
  let url: string;
  let details: Record<string, unknown>;

  before(async () => {
    ({ name, url, details } = await createTestDatabase('pgtime'));
    await execSql(url, 'CREATE TABLE public.items (id integer PRIMARY KEY, label text)');
  });

  after(async () => {
    if (name) await dropDatabase(name);
  });

  /** Holds an ACCESS EXCLUSIVE lock on pg_description, which every column listing reads, until released. */
  async function lockCatalog(): Promise<{ release(): Promise<void> }> {
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE pg_catalog.pg_description IN ACCESS EXCLUSIVE MODE');
    return {
      async release() {
        await locker.query('ROLLBACK');
        await locker.end();
      },
    };
  }

  async function activeBackends(): Promise<number> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const result = await client.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND application_name = 'catalog-sync' AND state = 'active'`,
        [name],
      );
      return result.rows[0].n;
    } finally {
      await client.end();
    }
  }

  test('the session the driver opens is read-only, with its settings', async () => {
    const client = new pg.Client(postgresClientConfig(readPostgresDetails(details), 4321));
    await client.connect();
    try {
      const setting = async (key: string) => (await client.query(`SELECT current_setting('${key}') AS v`)).rows[0].v;
      assert.equal(await setting('default_transaction_read_only'), 'on');
      assert.equal(await setting('transaction_read_only'), 'on');
      assert.equal(await setting('lock_timeout'), '10s');
      assert.equal(await setting('statement_timeout'), '4321ms');
      assert.equal(await setting('application_name'), 'catalog-sync');
      await assert.rejects(client.query('CREATE TABLE public.nope (id integer)'), { code: '25006' });
    } finally {
      await client.end();
    }
  });

  test('statement_timeout is enforced by the server', async () => {
    const client = new pg.Client(postgresClientConfig(readPostgresDetails(details), 200));
    await client.connect();
    try {
      const started = Date.now();
      const error = await client.query('SELECT pg_sleep(5)').catch((e: unknown) => e);
      assert.equal(toDriverError(error, { host: '', port: 0, connectTimeoutMs: 0, secrets: [] }).code, 'TIMEOUT');
      assert.ok(Date.now() - started < 3_000);
    } finally {
      await client.end();
    }
  });

  test('a catalog query that outlives its timeout fails with TIMEOUT', async () => {
    const lock = await lockCatalog();
    const driver = createPostgresDriver(details, { ...OPTIONS, catalogQueryTimeoutMs: 300 });
    try {
      const started = Date.now();
      const error = await rejection(collect(driver.describeFields(DATABASE, signal)));
      assert.equal(error.code, 'TIMEOUT');
      assert.ok(Date.now() - started < 5_000);
    } finally {
      await lock.release();
      await driver.close();
    }
  });

  test('tableExists runs under the connect timeout', async () => {
    const driver = createPostgresDriver(details, { ...OPTIONS, connectTimeoutMs: 1_000, catalogQueryTimeoutMs: 60_000 });
    await driver.testConnection(signal);
    const lock = await lockCatalog();
    try {
      const error = await rejection(driver.tableExists({ schema: 'public', name: 'items' }, signal));
      assert.equal(error.code, 'TIMEOUT');
    } finally {
      await lock.release();
    }
    try {
      assert.equal((await driver.tableExists({ schema: 'public', name: 'items' }, signal))?.name, 'items');
    } finally {
      await driver.close();
    }
  });

  test('an abort fails the call at once with TIMEOUT and cancels the backend', async () => {
    const driver = createPostgresDriver(details, OPTIONS);
    const lock = await lockCatalog();
    try {
      const controller = new AbortController();
      const reason = new Error('job deadline passed');
      const pending = rejection(collect(driver.describeFields(DATABASE, controller.signal)));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await activeBackends(), 1);
      const aborted = Date.now();
      controller.abort(reason);
      const error = await pending;
      assert.ok(Date.now() - aborted < 200, 'rejects at once');
      assert.equal(error.code, 'TIMEOUT');
      assert.equal(error.cause, reason);
      let backends = await activeBackends();
      for (let i = 0; backends > 0 && i < 40; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        backends = await activeBackends();
      }
      assert.equal(backends, 0, 'the backend was cancelled while the lock is still held');
    } finally {
      await lock.release();
    }
    try {
      const fields = await collect(driver.describeFields(DATABASE, signal));
      assert.deepEqual(fields.map((f) => f.name), ['id', 'label']);
    } finally {
      await driver.close();
    }
  });

  test('an already aborted signal fails every call without a statement', async () => {
    const driver = createPostgresDriver(details, OPTIONS);
    const reason = new Error('shutting down');
    const aborted = AbortSignal.abort(reason);
    try {
      const calls: Promise<unknown>[] = [
        driver.capabilities(aborted),
        driver.testConnection(aborted),
        driver.dbmsVersion(aborted),
        driver.timezone(aborted),
        driver.tableExists({ schema: 'public', name: 'items' }, aborted),
        collect(driver.describeTables(DATABASE, aborted)),
        collect(driver.describeFields(DATABASE, aborted)),
        collect(driver.describeForeignKeys(DATABASE, aborted)),
        collect(driver.describeIndexes(DATABASE, aborted)),
      ];
      for (const call of calls) {
        const error = await rejection(call);
        assert.equal(error.code, 'TIMEOUT');
        assert.equal(error.cause, reason);
      }
      assert.equal(driver.queryCount, 0);
    } finally {
      await driver.close();
    }
  });

  test('close is safe to call twice, and a closed driver refuses work', async () => {
    const driver = createPostgresDriver(details, OPTIONS);
    await driver.testConnection(signal);
    await driver.close();
    await driver.close();
    const error = await rejection(driver.testConnection(signal));
    assert.equal(error.code, 'CONNECTION_FAILED');
  });
});

describe('what the connected user may see', () => {
  const role = `cs_reader_${process.pid}_${Date.now().toString(36)}`;
  const password = 'reader-pw-7';
  let name: string;
  let details: Record<string, unknown>;

  before(async () => {
    let url: string;
    ({ name, url, details } = await createTestDatabase('pgpriv'));
    await execSql(
      url,
      `CREATE ROLE ${role} LOGIN PASSWORD '${password}'`,
      'CREATE SCHEMA hidden',
      'CREATE TABLE hidden.visible_but_no_usage (id integer)',
      `GRANT SELECT ON hidden.visible_but_no_usage TO ${role}`,
      'CREATE TABLE public.open (id integer PRIMARY KEY)',
      `GRANT SELECT ON public.open TO ${role}`,
      'CREATE TABLE public.secret (id integer PRIMARY KEY, open_id integer REFERENCES public.open (id))',
      'CREATE TABLE public.partly (id integer, ssn text)',
      `GRANT SELECT (id) ON public.partly TO ${role}`,
    );
  });

  after(async () => {
    if (name) await dropDatabase(name);
    const { url } = await testPg();
    await execSql(url, `DROP ROLE IF EXISTS ${role}`);
  });

  test('relations without SELECT or without schema USAGE are not reported', async () => {
    const driver = createPostgresDriver({ ...details, user: role, password }, OPTIONS);
    try {
      const tables = await collect(driver.describeTables(DATABASE, signal));
      assert.deepEqual(tables.map((t) => `${t.schema}.${t.name}`), ['public.open', 'public.partly']);
      const fields = await collect(driver.describeFields(DATABASE, signal));
      assert.deepEqual([...new Set(fields.map((f) => f.tableName))], ['open', 'partly']);
      assert.deepEqual(await collect(driver.describeForeignKeys(DATABASE, signal)), []);
      const scoped: Scope = { kind: 'tables', tables: [{ schema: 'public', name: 'open' }] };
      assert.deepEqual(await collect(driver.describeForeignKeys(scoped, signal)), []);
      assert.equal(await driver.tableExists({ schema: 'public', name: 'secret' }, signal), null);
      assert.equal(await driver.tableExists({ schema: 'hidden', name: 'visible_but_no_usage' }, signal), null);
      assert.equal((await driver.tableExists({ schema: 'public', name: 'open' }, signal))?.name, 'open');
    } finally {
      await driver.close();
    }
  });
});

describe('schema filters are applied inside the query', () => {
  let name: string;
  let details: Record<string, unknown>;

  before(async () => {
    let url: string;
    ({ name, url, details } = await createTestDatabase('pgfilter'));
    await execSql(
      url,
      'CREATE SCHEMA sales',
      'CREATE SCHEMA sales_eu',
      'CREATE SCHEMA a_b',
      'CREATE SCHEMA axb',
      'CREATE TABLE public.p (id integer)',
      'CREATE TABLE sales.s (id integer)',
      'CREATE TABLE sales_eu.e (id integer)',
      'CREATE TABLE a_b.u (id integer)',
      'CREATE TABLE axb.x (id integer)',
    );
  });

  after(async () => {
    if (name) await dropDatabase(name);
  });

  async function listed(type: string, patterns: string): Promise<string[]> {
    const driver = createPostgresDriver(
      { ...details, 'schema-filters-type': type, 'schema-filters-patterns': patterns },
      OPTIONS,
    );
    try {
      const tables = (await collect(driver.describeTables(DATABASE, signal))).map((t) => `${t.schema}.${t.name}`);
      const fields = await collect(driver.describeFields(DATABASE, signal));
      assert.deepEqual([...new Set(fields.map((f) => `${f.tableSchema}.${f.tableName}`))], tables);
      assert.equal(driver.queryCount, 2);
      return tables;
    } finally {
      await driver.close();
    }
  }

  test('inclusion, with a wildcard', async () => {
    assert.deepEqual(await listed('inclusion', 'sales*'), ['sales.s', 'sales_eu.e']);
    assert.deepEqual(await listed('inclusion', 'public, sales'), ['public.p', 'sales.s']);
  });

  test('exclusion, with a wildcard', async () => {
    assert.deepEqual(await listed('exclusion', 'sales*, a*'), ['public.p']);
  });

  test('only * is special, and matching is exact and case-sensitive', async () => {
    assert.deepEqual(await listed('inclusion', 'a_b'), ['a_b.u']);
    assert.deepEqual(await listed('inclusion', 'SALES'), []);
    assert.deepEqual(await listed('inclusion', 'sale'), []);
  });

  test('all, or blank patterns, filter nothing', async () => {
    const everything = ['a_b.u', 'axb.x', 'public.p', 'sales.s', 'sales_eu.e'];
    assert.deepEqual(await listed('all', 'sales'), everything);
    assert.deepEqual(await listed('inclusion', ' '), everything);
  });

  test('tableExists honours the filter', async () => {
    const driver = createPostgresDriver(
      { ...details, 'schema-filters-type': 'exclusion', 'schema-filters-patterns': 'sales*' },
      OPTIONS,
    );
    try {
      assert.equal(await driver.tableExists({ schema: 'sales', name: 's' }, signal), null);
      assert.equal((await driver.tableExists({ schema: 'public', name: 'p' }, signal))?.name, 'p');
    } finally {
      await driver.close();
    }
  });
});
