// The CLI's pure parts: requests built from flags, failure lines, addresses, and the checks made before any request.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CliError, defaultBaseUrl, failureLine, requireKey } from '../../src/cli/client.ts';
import { databaseBody, formatTable } from '../../src/cli/db-commands.ts';
import { notifyCall } from '../../src/cli/notify-command.ts';
import { runCli } from '../../src/cli/program.ts';
import { collector } from './collector.ts';
import { freePort } from '../support/postgres.ts';

describe('notify requests', () => {
  test('a database notification sends only the given flags; --wait sends "synchronous?"', () => {
    assert.deepEqual(notifyCall('1', {}), { path: '/api/notify/db/1', body: {}, waits: false });
    assert.deepEqual(
      notifyCall('7', { tableId: '10', tableName: 'orders', schemaName: 'public', scan: 'schema', wait: true }),
      {
        path: '/api/notify/db/7',
        body: { table_id: 10, table_name: 'orders', schema_name: 'public', scan: 'schema', 'synchronous?': true },
        waits: true,
      },
    );
  });

  test('a table id that is not digits goes to the server as given, which reports it', () => {
    assert.deepEqual(notifyCall('1', { tableId: 'abc' }).body, { table_id: 'abc' });
  });

  test('--new-table posts schema and table name to /new-table and always waits', () => {
    assert.deepEqual(notifyCall('3', { newTable: true, schemaName: 'public', tableName: 'bar', scan: 'full' }), {
      path: '/api/notify/db/3/new-table',
      body: { schema_name: 'public', table_name: 'bar' },
      waits: true,
    });
  });

  test('attached_datawarehouse waits when a table name is given (the new-table path)', () => {
    assert.equal(notifyCall('attached_datawarehouse', {}).waits, false);
    assert.deepEqual(notifyCall('attached_datawarehouse', { schemaName: 'public', tableName: 'foo' }), {
      path: '/api/notify/db/attached_datawarehouse',
      body: { table_name: 'foo', schema_name: 'public' },
      waits: true,
    });
    assert.throws(() => notifyCall('attached_datawarehouse', { newTable: true }), CliError);
  });

  test('the database argument is an id or attached_datawarehouse', () => {
    assert.throws(() => notifyCall('orders', {}), /the database must be an id or attached_datawarehouse/);
    assert.throws(() => notifyCall('-1', {}), CliError);
  });
});

describe('db add body', () => {
  test('server warehouse: given flags go into details; the password may come from CATALOG_SYNC_DB_PASSWORD', () => {
    const options = { name: 'Sales', engine: 'postgres', host: 'db', port: '6432', dbname: 'sales', user: 'reader' };
    const env = { CATALOG_SYNC_DB_PASSWORD: 'from-env' };
    assert.deepEqual(databaseBody({ ...options, ssl: true, fullSync: true }, env), {
      name: 'Sales',
      engine: 'postgres',
      details: { host: 'db', port: 6432, dbname: 'sales', user: 'reader', password: 'from-env', ssl: true },
      is_attached_dwh: false,
      is_full_sync: true,
    });
    const flag = databaseBody({ ...options, password: 'from-flag', fullSync: true }, env);
    assert.equal((flag.details as Record<string, unknown>).password, 'from-flag');
    const blank = databaseBody({ ...options, fullSync: true }, { CATALOG_SYNC_DB_PASSWORD: '  ' });
    assert.ok(!Object.hasOwn(blank.details as object, 'password'));
  });

  test('file warehouse with the attached-dwh flag and metadata-only sync', () => {
    const options = { name: 'Local', engine: 'sqlite', db: 'data/local.sqlite', attachedDwh: true, fullSync: false };
    assert.deepEqual(databaseBody(options, {}), {
      name: 'Local',
      engine: 'sqlite',
      details: { db: 'data/local.sqlite' },
      is_attached_dwh: true,
      is_full_sync: false,
    });
  });
});

describe('output and addresses', () => {
  test('failure lines carry the status and the server message', () => {
    const headers = new Headers();
    assert.equal(failureLine({ status: 404, headers, body: 'Not found.' }), 'HTTP 404: Not found.');
    assert.equal(failureLine({ status: 500, headers, body: { message: 'refused' } }), 'HTTP 500: refused');
    assert.equal(
      failureLine({ status: 504, headers, body: { message: 'Sync is still running.', job_id: 17 } }),
      'HTTP 504: Sync is still running. (job 17)',
    );
    assert.equal(
      failureLine({ status: 400, headers, body: { errors: { scan: 'nullable enum of full, schema' } } }),
      'HTTP 400: scan: nullable enum of full, schema',
    );
    // The "not set" answer is a JSON string literal, parsed to a string.
    assert.equal(failureLine({ status: 403, headers, body: 'Key not set.' }), 'HTTP 403: Key not set.');
  });

  test('tables are aligned on the widest cell', () => {
    assert.equal(
      formatTable(['id', 'name'], [['1', 'Sample Database'], ['12', 'x']]),
      'id  name\n1   Sample Database\n12  x\n',
    );
  });

  test('the default address follows MB_JETTY_HOST and MB_JETTY_PORT; wildcard binds are reached on localhost', () => {
    assert.equal(defaultBaseUrl({}), 'http://localhost:3000');
    assert.equal(defaultBaseUrl({ MB_JETTY_HOST: ' ', MB_JETTY_PORT: '' }), 'http://localhost:3000');
    assert.equal(defaultBaseUrl({ MB_JETTY_HOST: '0.0.0.0', MB_JETTY_PORT: '8080' }), 'http://localhost:8080');
    assert.equal(defaultBaseUrl({ MB_JETTY_HOST: '::1' }), 'http://[::1]:3000');
  });

  test('a missing key names the variable and the header', () => {
    assert.throws(() => requireKey({ MB_API_KEY: '   ' }, 'MB_API_KEY', 'X-METABASE-APIKEY'), {
      message: "MB_API_KEY is not set: set it to the server's key, sent as X-METABASE-APIKEY",
    });
    assert.deepEqual(requireKey({ MB_API_KEY: ' k ' }, 'MB_API_KEY', 'X-METABASE-APIKEY'), {
      header: 'X-METABASE-APIKEY',
      value: ' k ',
    });
  });
});

describe('runCli without a server', () => {
  test('notify without MB_API_KEY fails before any request', async () => {
    const io = collector({});
    assert.equal(await runCli(['notify', '1', '--url', 'http://127.0.0.1:9'], io), 1);
    assert.equal(io.stderr, "MB_API_KEY is not set: set it to the server's key, sent as X-METABASE-APIKEY\n");
    assert.equal(io.stdout, '');
  });

  test('db list without MB_ADMIN_API_KEY fails before any request', async () => {
    const io = collector({});
    assert.equal(await runCli(['db', 'list'], io), 1);
    assert.match(io.stderr, /^MB_ADMIN_API_KEY is not set/);
  });

  test('an unreachable server is one line naming the address, never the key', async () => {
    const port = await freePort();
    const io = collector({ MB_API_KEY: 'secret-notify-key', MB_JETTY_PORT: String(port), MB_JETTY_HOST: '127.0.0.1' });
    assert.equal(await runCli(['notify', '1'], io), 1);
    assert.match(io.stderr, new RegExp(`^cannot reach http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\\n$`));
    assert.ok(!io.stderr.includes('secret-notify-key'));
  });

  test('usage errors exit 2 (bad input) with their message', async () => {
    const io = collector({ MB_API_KEY: 'k' });
    assert.equal(await runCli(['notify', '1', '--scan', 'deep'], io), 2);
    assert.match(io.stderr, /--scan <scan>' argument 'deep' is invalid/);
    const missing = collector({});
    assert.equal(await runCli(['db', 'add', '--engine', 'sqlite'], missing), 2);
    assert.match(missing.stderr, /db add needs --name and --engine, or --config FILE/);
    const timeout = collector({});
    assert.equal(await runCli(['db', 'list', '--timeout', '0'], timeout), 2);
    assert.match(timeout.stderr, /--timeout must be a positive number of seconds/);
  });

  test('--help prints the commands and exits 0', async () => {
    const io = collector({});
    assert.equal(await runCli(['--help'], io), 0);
    for (const command of ['serve', 'db', 'notify']) assert.match(io.stdout, new RegExp(`\\b${command}\\b`));
  });
});
