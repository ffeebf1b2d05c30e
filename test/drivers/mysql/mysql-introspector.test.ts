import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverError } from '../../../src/drivers/driver.ts';
import {
  mysqlConnectionConfig,
  readMysqlDetails,
  sessionStatements,
  toDriverError,
  type ErrorContext,
} from '../../../src/drivers/mysql/mysql-driver.ts';
import {
  columnsQuery,
  foreignKeysQuery,
  indexesQuery,
  mapColumn,
  mapForeignKey,
  mapIndex,
  mapServerFacts,
  mapTable,
  scopedNames,
  tablesQuery,
  withTimeout,
  type MysqlColumnRow,
} from '../../../src/drivers/mysql/mysql-introspector.ts';
import { consecutive } from '../../../src/drivers/row-groups.ts';

describe('catalog statements (sync-engine.md 4.3, 4.7)', () => {
  const builders = { tablesQuery, columnsQuery, foreignKeysQuery, indexesQuery };

  test('a table scope is the database statement plus a bound, exact name filter', () => {
    const filter = /(\n {2}| )AND [a-z]\.table_name IN \(\?, \?\) AND BINARY [a-z]\.table_name IN \(\?, \?\)/g;
    for (const [name, build] of Object.entries({ tablesQuery, columnsQuery, indexesQuery })) {
      const whole = build('shop', null);
      const scoped = build('shop', ['Orders', 'o\'x']);
      assert.notEqual(scoped.text, whole.text, name);
      assert.equal(scoped.text.replace(filter, ''), whole.text, name);
      assert.equal(scoped.text.includes("o'x"), false, `${name}: names are bound, never inlined`);
      assert.ok(scoped.values.includes('Orders') && scoped.values.includes("o'x"), name);
      assert.ok(whole.values.every((value) => value === 'shop'), name);
    }
  });

  test('columns of relations that are not listed (sequences) are left out without a join', () => {
    const { text, values } = columnsQuery('shop', ['t']);
    assert.match(text, /BINARY c\.table_name NOT IN \(\s+SELECT BINARY u\.table_name FROM information_schema\.tables u\s+/);
    assert.match(text, /WHERE u\.table_schema = \? AND u\.table_type NOT IN \('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW'\)/);
    assert.doesNotMatch(text, /JOIN/);
    assert.deepEqual(values, ['shop', 't', 't', 'shop', 't', 't']);
  });

  test('every ORDER BY compares names as bytes, and no statistics column is read', () => {
    for (const [name, build] of Object.entries(builders)) {
      const { text } = build('shop', null);
      const order = text.split('\nORDER BY ')[1];
      for (const key of order.split(', ').filter((k) => /_name$/.test(k))) assert.match(key, /^BINARY /, name);
      const statistics = /table_rows|data_length|index_length|avg_row_length|auto_increment|cardinality|_time\b/i;
      assert.doesNotMatch(text, statistics, name);
    }
    assert.match(tablesQuery('shop', null).text, /table_type IN \('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW'\)/);
    assert.match(tablesQuery('shop', null).text, /NULLIF\(t\.table_comment, ''\)/);
  });

  test('a foreign-key scope matches the source or a target in the connection\'s database', () => {
    const { text, values } = foreignKeysQuery('shop', ['orders']);
    const source = 'k.table_name IN (?) AND BINARY k.table_name IN (?)';
    const target = 'k.referenced_table_schema = ? AND k.referenced_table_name IN (?)'
      + ' AND BINARY k.referenced_table_name IN (?)';
    assert.ok(text.includes(`AND ((${source}) OR (${target}))`), text);
    assert.deepEqual(values, ['shop', 'orders', 'orders', 'shop', 'orders', 'orders']);
  });

  test('a ref with a schema names no MySQL table', () => {
    assert.deepEqual(scopedNames([{ schema: null, name: 'a' }, { schema: 'x', name: 'b' }]), ['a']);
  });

  test('server-side timeouts: MariaDB SET STATEMENT, MySQL optimizer hint', () => {
    assert.equal(withTimeout('SELECT 1', 'MariaDB', 1500), 'SET STATEMENT max_statement_time=1.5 FOR SELECT 1');
    assert.equal(withTimeout('SELECT 1', 'MySQL', 1500), 'SELECT /*+ MAX_EXECUTION_TIME(1500) */ 1');
    assert.equal(withTimeout('SELECT 1', 'MySQL', 0.2), 'SELECT /*+ MAX_EXECUTION_TIME(1) */ 1');
  });
});

describe('mappers', () => {
  test('server facts: flavor, case rule, time zone', () => {
    const row = { version: '10.11.6-MariaDB-0+deb12u1', lower_case_table_names: 0, global_time_zone: 'SYSTEM',
      system_time_zone: 'CET' };
    assert.deepEqual(mapServerFacts(row), { flavor: 'MariaDB', version: '10.11.6-MariaDB-0+deb12u1',
      caseInsensitiveIdentifiers: false, timezone: 'CET' });
    const mysql = mapServerFacts({ version: '8.0.36', lower_case_table_names: '1', global_time_zone: '+02:00',
      system_time_zone: 'UTC' });
    assert.equal(mysql.flavor, 'MySQL');
    assert.equal(mysql.caseInsensitiveIdentifiers, true);
    assert.equal(mysql.timezone, '+02:00');
    assert.equal(mapServerFacts({ ...row, system_time_zone: '' }).timezone, null);
  });

  test('tables: schema null, no row estimate, a view has no comment', () => {
    assert.deepEqual(mapTable({ table_name: 'Orders', table_type: 'BASE TABLE', table_comment: 'All orders' }), {
      schema: null, name: 'Orders', kind: 'table', comment: 'All orders', estimatedRowCount: null, objectId: null,
    });
    assert.equal(mapTable({ table_name: 'h', table_type: 'SYSTEM VERSIONED', table_comment: null }).kind, 'table');
    const view = mapTable({ table_name: 'v', table_type: 'VIEW', table_comment: 'VIEW' });
    assert.equal(view.kind, 'view');
    assert.equal(view.comment, null);
    const invalid = "View 'db.v' references invalid table(s)";
    const broken = mapTable({ table_name: 'v', table_type: 'VIEW', table_comment: invalid });
    assert.equal(broken.comment, null);
  });

  const column: MysqlColumnRow = {
    table_name: 't',
    column_name: 'c',
    data_type: 'varchar',
    column_type: 'varchar(10)',
    is_nullable: 'YES',
    column_default: null,
    column_key: '',
    extra: '',
    generation_expression: null,
    column_comment: null,
  };
  const mariadb = { flavor: 'MariaDB', tinyInt1isBit: true } as const;
  const mysql = { flavor: 'MySQL', tinyInt1isBit: true } as const;

  test('columns: MariaDB\'s bare NULL default is no default; quoted literals stay as reported', () => {
    assert.equal(mapColumn({ ...column, column_default: 'NULL' }, 0, mariadb).default, null);
    assert.equal(mapColumn({ ...column, column_default: "'NULL'" }, 0, mariadb).default, "'NULL'");
    assert.equal(mapColumn({ ...column, column_default: "'x'" }, 0, mariadb).default, "'x'");
    assert.equal(mapColumn({ ...column, column_default: 'NULL' }, 0, mysql).default, 'NULL');
    const now = mapColumn({ ...column, column_default: 'current_timestamp()' }, 0, mariadb);
    assert.equal(now.default, 'current_timestamp()');
  });

  test('columns: flags, required, generated, comment, BIT', () => {
    const id = mapColumn(
      { ...column, column_name: 'id', data_type: 'int', column_type: 'int(10) unsigned', is_nullable: 'NO',
        column_key: 'PRI', extra: 'auto_increment' },
      0,
      mariadb,
    );
    assert.deepEqual(id, {
      tableSchema: null, tableName: 't', name: 'id', databaseType: 'INT', baseType: 'type/Integer', semanticHint: null,
      position: 0, isNullable: false, isPk: true, isAutoIncrement: true, isGenerated: false, isRequired: false,
      default: null, comment: null, objectId: null,
    });
    const required = mapColumn({ ...column, is_nullable: 'NO', column_comment: 'Where' }, 3, mysql);
    assert.equal(required.isRequired, true);
    assert.equal(required.comment, 'Where');
    assert.equal(required.position, 3);
    const generated = mapColumn(
      { ...column, is_nullable: 'NO', column_default: 'NULL', extra: 'VIRTUAL GENERATED',
        generation_expression: 'upper(`c`)' },
      0,
      mariadb,
    );
    assert.equal(generated.isGenerated, true);
    assert.equal(generated.default, null);
    assert.equal(generated.isRequired, false);
    assert.equal(mapColumn({ ...column, generation_expression: '' }, 0, mysql).isGenerated, false);
    const flag = mapColumn({ ...column, data_type: 'tinyint', column_type: 'tinyint(1)' }, 0, mariadb);
    assert.deepEqual([flag.databaseType, flag.baseType], ['BIT', 'type/Boolean']);
    const json = mapColumn({ ...column, data_type: 'json', column_type: 'json' }, 0, mysql);
    assert.deepEqual([json.baseType, json.semanticHint], ['type/JSON', 'type/SerializedJSON']);
  });

  test('foreign keys: aligned pairs in key order; a target in another database keeps its schema', () => {
    const pair = (column: string, target: string, schema = 'shop') => ({
      constraint_name: 'lines_fk', table_name: 'lines', column_name: column, referenced_table_schema: schema,
      referenced_table_name: 'orders', referenced_column_name: target,
    });
    assert.deepEqual(mapForeignKey([pair('o_no', 'no'), pair('o_region', 'region')], 'shop'), {
      constraintName: 'lines_fk', tableSchema: null, tableName: 'lines', columns: ['o_no', 'o_region'],
      targetSchema: null, targetTable: 'orders', targetColumns: ['no', 'region'],
    });
    assert.equal(mapForeignKey([pair('a', 'b', 'archive')], 'shop').targetSchema, 'archive');
  });

  test('indexes: PRIMARY, uniqueness, a functional key part is null', () => {
    const part = (index: string, nonUnique: number | string, column: string | null) => ({
      table_name: 't', index_name: index, non_unique: nonUnique, column_name: column,
    });
    assert.deepEqual(mapIndex([part('PRIMARY', 0, 'a'), part('PRIMARY', 0, 'b')]), {
      tableSchema: null, tableName: 't', indexName: 'PRIMARY', columns: ['a', 'b'], isUnique: true, isPrimary: true,
      isPartial: false,
    });
    const functional = mapIndex([part('by_lower', '1', null), part('by_lower', '1', 'id')]);
    assert.deepEqual([functional.columns, functional.isUnique, functional.isPrimary], [[null, 'id'], false, false]);
  });

  test('consecutive rows with one key form one group', async () => {
    async function* rows() {
      yield* [{ k: 'a', i: 1 }, { k: 'a', i: 2 }, { k: 'B', i: 3 }, { k: 'a', i: 4 }];
    }
    const groups = [];
    for await (const group of consecutive(rows(), (row) => row.k)) groups.push(group.map((row) => row.i));
    assert.deepEqual(groups, [[1, 2], [3], [4]]);
  });
});

describe('details, sessions and errors', () => {
  test('details get their defaults; additional-options are parsed', () => {
    assert.deepEqual(readMysqlDetails({ host: 'db', dbname: 'w', user: 'u' }), {
      host: 'db', port: 3306, dbname: 'w', user: 'u', password: undefined, tls: { level: 'off', ca: undefined },
      options: { tinyInt1isBit: true },
    });
    const details = readMysqlDetails({ host: 'db', port: '3307', dbname: 'w', user: 'u', password: 'p', ssl: true,
      'additional-options': 'tinyInt1isBit=false' });
    assert.equal(details.port, 3307);
    assert.equal(details.options.tinyInt1isBit, false);
    const config = mysqlConnectionConfig(details, 1234);
    assert.equal(config.connectTimeout, 1234);
    assert.deepEqual(config.ssl, { rejectUnauthorized: true, verifyIdentity: true });
    assert.deepEqual(config.flags, ['-LOCAL_FILES']);
    assert.equal(config.multipleStatements, false);
    assert.equal(mysqlConnectionConfig(readMysqlDetails({ host: 'db', dbname: 'w', user: 'u' }), 1).password, '');
  });

  test('every session is read-only and in UTC', () => {
    assert.deepEqual(sessionStatements(300_000), [
      { text: 'SET SESSION TRANSACTION READ ONLY', values: [] },
      { text: `SET SESSION time_zone = '+00:00', SESSION net_write_timeout = ?`, values: [300] },
    ]);
    assert.deepEqual(sessionStatements(5_000)[1].values, [60]);
  });

  const context: ErrorContext = { host: 'wh.example', port: 3307, connectTimeoutMs: 15_000, secrets: ['s3cret-pw'] };
  const map = (error: unknown) => toDriverError(error, context);
  const serverError = (errno: number, message: string) => Object.assign(new Error(message), { errno, code: 'ER_X' });
  const systemError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:3307`), { code, errno: -1 });

  test('server error numbers map to their codes (4.6)', () => {
    const codes: [number, string][] = [
      [1040, 'CONNECTION_FAILED'], [1049, 'CONNECTION_FAILED'], [2002, 'CONNECTION_FAILED'], [2003, 'CONNECTION_FAILED'],
      [2005, 'CONNECTION_FAILED'], [2006, 'CONNECTION_FAILED'], [2013, 'CONNECTION_FAILED'], [1130, 'CONNECTION_FAILED'],
      [1044, 'AUTH_FAILED'], [1045, 'AUTH_FAILED'], [1698, 'AUTH_FAILED'],
      [1142, 'PERMISSION_DENIED'], [1143, 'PERMISSION_DENIED'],
      [1969, 'TIMEOUT'], [3024, 'TIMEOUT'],
      [1146, 'QUERY_FAILED'], [1064, 'QUERY_FAILED'],
    ];
    for (const [errno, code] of codes) assert.equal(map(serverError(errno, `error ${errno}`)).code, code, String(errno));
    assert.equal(map(serverError(1049, "Unknown database 'nope'")).message, "Unknown database 'nope'");
    const denied = (using: string) =>
      map(serverError(1045, `Access denied for user 'u'@'10.0.0.2' (using password: ${using})`));
    assert.equal(denied('YES').message, "Access denied for user 'u'@'10.0.0.2' (using a password)");
    assert.equal(denied('NO').message, "Access denied for user 'u'@'10.0.0.2' (without a password)");
  });

  test('network, timeout, lost-connection and TLS failures are CONNECTION_FAILED with a clear message', () => {
    assert.equal(map(systemError('ECONNREFUSED')).message, 'could not connect to wh.example:3307: connection refused');
    assert.equal(map(systemError('ENOTFOUND')).message, 'could not connect to wh.example:3307: host not found');
    assert.equal(map(new AggregateError([systemError('ECONNREFUSED')])).code, 'CONNECTION_FAILED');
    assert.equal(map(systemError('ETIMEDOUT')).message, 'could not connect to wh.example:3307: timed out after 15000 ms');
    const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST',
    });
    assert.equal(map(lost).message, 'connection to wh.example:3307 closed unexpectedly');
    const tls = Object.assign(new Error('Server does not support secure connection'), { code: 'HANDSHAKE_NO_SSL_SUPPORT' });
    assert.equal(map(tls).code, 'CONNECTION_FAILED');
    assert.match(map(tls).message, /TLS/);
    const closed = Object.assign(new Error("Can't add new command when connection is in closed state"), { fatal: true });
    assert.equal(map(closed).message, 'connection to wh.example:3307 closed unexpectedly');
    for (const failure of [lost, tls, closed, systemError('EHOSTUNREACH'), systemError('ECONNRESET')]) {
      assert.equal(map(failure).abandonsJob, true);
    }
  });

  test('anything else is QUERY_FAILED; DriverErrors pass through; secrets never survive', () => {
    assert.equal(map(new Error('boom')).code, 'QUERY_FAILED');
    const driverError = new DriverError('TIMEOUT', 'mysql', 'late');
    assert.equal(map(driverError), driverError);
    const leaky = map(serverError(1045, "Access denied: password 's3cret-pw'\nsecond line"));
    assert.equal(leaky.code, 'AUTH_FAILED');
    assert.equal(leaky.message.includes('s3cret-pw'), false);
    assert.equal(leaky.message.includes('second line'), false);
    assert.equal(leaky.engine, 'mysql');
  });
});
