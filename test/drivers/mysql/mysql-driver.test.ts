// The MySQL driver against a fixture warehouse on the test MariaDB (test/support/mariadb.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DriverOptions, FieldMetadata, Scope, WarehouseDriver } from '../../../src/drivers/driver.ts';
import { createMysqlDriver } from '../../../src/drivers/mysql/mysql-driver.ts';
import { createMysqlTestDatabase, dropMysqlDatabase, execMysql } from '../../support/mariadb.ts';
import { collect } from '../../support/drivers.ts';

const OPTIONS: DriverOptions = {
  connectTimeoutMs: 10_000,
  catalogQueryTimeoutMs: 30_000,
  sampleQueryTimeoutMs: 30_000,
  fieldValuesQueryTimeoutMs: 30_000,
};
const DATABASE: Scope = { kind: 'database' };
const signal = new AbortController().signal;

const FIXTURE = [
  `CREATE TABLE all_types (
    c_bigint bigint, c_bigint_unsigned bigint(20) unsigned zerofill, c_int int, c_int_unsigned int(10) unsigned,
    c_integer integer, c_mediumint mediumint, c_smallint smallint, c_tinyint tinyint, c_tinyint1 tinyint(1),
    c_bool bool, c_tinyint1_unsigned tinyint(1) unsigned, c_year year, c_bit bit(1), c_bit8 bit(8),
    c_decimal decimal(10,2), c_numeric numeric(12,4), c_double double, c_float float, c_real real,
    c_char char(3), c_varchar varchar(255), c_text text, c_tinytext tinytext, c_mediumtext mediumtext,
    c_longtext longtext, c_date date, c_datetime datetime(3), c_timestamp timestamp NULL, c_time time,
    c_json json, c_enum enum('new','paid'), c_set set('a','b'), c_binary binary(4), c_varbinary varbinary(8),
    c_blob blob, c_tinyblob tinyblob, c_mediumblob mediumblob, c_longblob longblob, c_geometry geometry,
    c_point point, c_linestring linestring, c_polygon polygon, c_multipoint multipoint,
    c_multilinestring multilinestring, c_multipolygon multipolygon, c_geometrycollection geometrycollection,
    c_uuid uuid, c_inet4 inet4, c_inet6 inet6
  )`,
  `CREATE TABLE customers (
    id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email varchar(255) NOT NULL COMMENT 'Where receipts go',
    name varchar(100) NOT NULL DEFAULT 'anonymous',
    is_active tinyint(1) NOT NULL DEFAULT 1,
    created_at timestamp NULL DEFAULT CURRENT_TIMESTAMP,
    name_upper varchar(100) AS (UPPER(name)) VIRTUAL,
    note text,
    UNIQUE KEY customers_email (email),
    KEY customers_note (note(10))
  ) COMMENT 'People who buy things'`,
  `CREATE TABLE orders (
    region varchar(10) NOT NULL, order_no int NOT NULL, customer_id int unsigned,
    PRIMARY KEY (region, order_no), KEY orders_no_region (order_no, region),
    CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
  )`,
  `CREATE TABLE order_lines (
    ol_region varchar(10) NOT NULL, ol_order_no int NOT NULL, line_no int NOT NULL,
    CONSTRAINT order_lines_order_fk FOREIGN KEY (ol_order_no, ol_region) REFERENCES orders (order_no, region)
  )`,
  'CREATE VIEW customer_emails AS SELECT id, email FROM customers',
  'CREATE TABLE `MixedCase` (`Id` int, `Note` text)',
  'CREATE TABLE `mixedcase` (x int)',
  'CREATE TABLE `select` (`from` int, `order` varchar(5))',
  'CREATE TABLE `B` (x int)',
  'CREATE TABLE `a` (x int)',
  'CREATE TABLE history (x int) WITH SYSTEM VERSIONING',
  'CREATE SEQUENCE order_seq',
];

describe('MySQL driver against a fixture warehouse on MariaDB', () => {
  let name: string;
  let url: string;
  let details: Record<string, unknown>;
  let archive: string;
  let driver: WarehouseDriver;

  before(async () => {
    ({ name, url, details } = await createMysqlTestDatabase('mydrv'));
    archive = (await createMysqlTestDatabase('myarch')).name;
    await execMysql(url, `CREATE TABLE \`${archive}\`.regions (code varchar(10) PRIMARY KEY)`, ...FIXTURE,
      `CREATE TABLE shipments (id int PRIMARY KEY, region varchar(10),
        CONSTRAINT shipments_region_fk FOREIGN KEY (region) REFERENCES \`${archive}\`.regions (code))`);
    driver = createMysqlDriver(details, OPTIONS);
  });

  after(async () => {
    await driver?.close();
    if (name) await dropMysqlDatabase(name);
    if (archive) await dropMysqlDatabase(archive);
  });

  test('capabilities, version, time zone and the connection test', async () => {
    await driver.testConnection(signal);
    assert.deepEqual(await driver.capabilities(signal), {
      schemas: false,
      foreignKeys: true,
      indexes: true,
      comments: true,
      rowCountEstimates: false,
      stableObjectIds: false,
      caseInsensitiveIdentifiers: false,
      batchedDistinctValues: true,
    });
    const version = await driver.dbmsVersion(signal);
    assert.equal(version.flavor, 'MariaDB');
    assert.match(version.version, /^\d+\.\d+\.\d+-MariaDB/);
    assert.equal(await driver.timezone(signal), 'UTC');
  });

  test('describeTables: tables and views of this database only, in byte order, sequences left out', async () => {
    const tables = await collect(driver.describeTables(DATABASE, signal));
    assert.deepEqual(tables.map((t) => `${t.name}:${t.kind}`), [
      'B:table',
      'MixedCase:table',
      'a:table',
      'all_types:table',
      'customer_emails:view',
      'customers:table',
      'history:table',
      'mixedcase:table',
      'order_lines:table',
      'orders:table',
      'select:table',
      'shipments:table',
    ]);
    assert.deepEqual(tables.find((t) => t.name === 'customers'), {
      schema: null,
      name: 'customers',
      kind: 'table',
      comment: 'People who buy things',
      estimatedRowCount: null,
      objectId: null,
    });
    assert.equal(tables.find((t) => t.name === 'customer_emails')?.comment, null, "a view's 'VIEW' comment is null");
    assert.equal(tables.find((t) => t.name === 'orders')?.comment, null, 'an empty comment is null');
    assert.ok(tables.every((t) => t.schema === null && t.estimatedRowCount === null && t.objectId === null));
  });

  test('describeFields: every type of the MySQL map MariaDB has', async () => {
    const scope: Scope = { kind: 'tables', tables: [{ schema: null, name: 'all_types' }] };
    const fields = await collect(driver.describeFields(scope, signal));
    const types = fields.map((f) => [f.name, f.databaseType, f.baseType, f.semanticHint]);
    assert.deepEqual(types, [
      ['c_bigint', 'BIGINT', 'type/BigInteger', null],
      ['c_bigint_unsigned', 'BIGINT', 'type/BigInteger', null],
      ['c_int', 'INT', 'type/Integer', null],
      ['c_int_unsigned', 'INT', 'type/Integer', null],
      ['c_integer', 'INT', 'type/Integer', null],
      ['c_mediumint', 'MEDIUMINT', 'type/Integer', null],
      ['c_smallint', 'SMALLINT', 'type/Integer', null],
      ['c_tinyint', 'TINYINT', 'type/Integer', null],
      ['c_tinyint1', 'BIT', 'type/Boolean', null],
      ['c_bool', 'BIT', 'type/Boolean', null],
      ['c_tinyint1_unsigned', 'TINYINT', 'type/Integer', null],
      ['c_year', 'YEAR', 'type/Integer', null],
      ['c_bit', 'BIT', 'type/Boolean', null],
      ['c_bit8', 'BIT', 'type/Boolean', null],
      ['c_decimal', 'DECIMAL', 'type/Decimal', null],
      ['c_numeric', 'DECIMAL', 'type/Decimal', null],
      ['c_double', 'DOUBLE', 'type/Float', null],
      ['c_float', 'FLOAT', 'type/Float', null],
      ['c_real', 'DOUBLE', 'type/Float', null],
      ['c_char', 'CHAR', 'type/Text', null],
      ['c_varchar', 'VARCHAR', 'type/Text', null],
      ['c_text', 'TEXT', 'type/Text', null],
      ['c_tinytext', 'TINYTEXT', 'type/Text', null],
      ['c_mediumtext', 'MEDIUMTEXT', 'type/Text', null],
      ['c_longtext', 'LONGTEXT', 'type/Text', null],
      ['c_date', 'DATE', 'type/Date', null],
      ['c_datetime', 'DATETIME', 'type/DateTime', null],
      ['c_timestamp', 'TIMESTAMP', 'type/DateTimeWithLocalTZ', null],
      ['c_time', 'TIME', 'type/Time', null],
      ['c_json', 'LONGTEXT', 'type/Text', null],
      ['c_enum', 'ENUM', 'type/MySQLEnum', null],
      ['c_set', 'SET', 'type/*', null],
      ['c_binary', 'BINARY', 'type/*', null],
      ['c_varbinary', 'VARBINARY', 'type/*', null],
      ['c_blob', 'BLOB', 'type/*', null],
      ['c_tinyblob', 'TINYBLOB', 'type/*', null],
      ['c_mediumblob', 'MEDIUMBLOB', 'type/*', null],
      ['c_longblob', 'LONGBLOB', 'type/*', null],
      ['c_geometry', 'GEOMETRY', 'type/*', null],
      ['c_point', 'POINT', 'type/*', null],
      ['c_linestring', 'LINESTRING', 'type/*', null],
      ['c_polygon', 'POLYGON', 'type/*', null],
      ['c_multipoint', 'MULTIPOINT', 'type/*', null],
      ['c_multilinestring', 'MULTILINESTRING', 'type/*', null],
      ['c_multipolygon', 'MULTIPOLYGON', 'type/*', null],
      ['c_geometrycollection', 'GEOMETRYCOLLECTION', 'type/*', null],
      ['c_uuid', 'UUID', 'type/UUID', null],
      ['c_inet4', 'INET4', 'type/IPAddress', 'type/IPAddress'],
      ['c_inet6', 'INET6', 'type/IPAddress', 'type/IPAddress'],
    ]);
    assert.deepEqual(fields.map((f) => f.position), fields.map((_, i) => i));
  });

  test('describeFields: keys, defaults, generated and auto-increment columns, comments', async () => {
    const scope: Scope = { kind: 'tables', tables: [{ schema: null, name: 'customers' }] };
    const fields = await collect(driver.describeFields(scope, signal));
    const base = {
      tableSchema: null, tableName: 'customers', semanticHint: null, isPk: false, isAutoIncrement: false,
      isGenerated: false, comment: null, objectId: null,
    };
    const expected: FieldMetadata[] = [
      { ...base, name: 'id', databaseType: 'INT', baseType: 'type/Integer', position: 0, isNullable: false, isPk: true,
        isAutoIncrement: true, isRequired: false, default: null },
      { ...base, name: 'email', databaseType: 'VARCHAR', baseType: 'type/Text', position: 1, isNullable: false,
        isRequired: true, default: null, comment: 'Where receipts go' },
      { ...base, name: 'name', databaseType: 'VARCHAR', baseType: 'type/Text', position: 2, isNullable: false,
        isRequired: false, default: "'anonymous'" },
      { ...base, name: 'is_active', databaseType: 'BIT', baseType: 'type/Boolean', position: 3, isNullable: false,
        isRequired: false, default: '1' },
      { ...base, name: 'created_at', databaseType: 'TIMESTAMP', baseType: 'type/DateTimeWithLocalTZ', position: 4,
        isNullable: true, isRequired: false, default: 'current_timestamp()' },
      { ...base, name: 'name_upper', databaseType: 'VARCHAR', baseType: 'type/Text', position: 5, isNullable: true,
        isGenerated: true, isRequired: false, default: null },
      { ...base, name: 'note', databaseType: 'TEXT', baseType: 'type/Text', position: 6, isNullable: true,
        isRequired: false, default: null },
    ];
    assert.deepEqual(fields, expected);
  });

  test('describeFields over the database: grouped by table in byte order, views included, sequences not', async () => {
    const fields = await collect(driver.describeFields(DATABASE, signal));
    const tables = [...new Set(fields.map((f) => f.tableName))];
    assert.deepEqual(tables, [
      'B', 'MixedCase', 'a', 'all_types', 'customer_emails', 'customers', 'history', 'mixedcase', 'order_lines', 'orders',
      'select', 'shipments',
    ]);
    assert.deepEqual(
      fields.filter((f) => ['customer_emails', 'select', 'MixedCase', 'history'].includes(f.tableName))
        .map((f) => `${f.tableName}.${f.name}:${f.position}`),
      ['MixedCase.Id:0', 'MixedCase.Note:1', 'customer_emails.id:0', 'customer_emails.email:1', 'history.x:0',
        'select.from:0', 'select.order:1'],
    );
  });

  test('describeForeignKeys: composite keys aligned by ordinal; cross-database targets keep their schema', async () => {
    const fks = await collect(driver.describeForeignKeys(DATABASE, signal));
    assert.deepEqual(fks, [
      {
        constraintName: 'order_lines_order_fk',
        tableSchema: null,
        tableName: 'order_lines',
        columns: ['ol_order_no', 'ol_region'],
        targetSchema: null,
        targetTable: 'orders',
        targetColumns: ['order_no', 'region'],
      },
      {
        constraintName: 'orders_customer_fk',
        tableSchema: null,
        tableName: 'orders',
        columns: ['customer_id'],
        targetSchema: null,
        targetTable: 'customers',
        targetColumns: ['id'],
      },
      {
        constraintName: 'shipments_region_fk',
        tableSchema: null,
        tableName: 'shipments',
        columns: ['region'],
        targetSchema: archive,
        targetTable: 'regions',
        targetColumns: ['code'],
      },
    ]);
    const orders: Scope = { kind: 'tables', tables: [{ schema: null, name: 'orders' }] };
    const scoped = await collect(driver.describeForeignKeys(orders, signal));
    assert.deepEqual(scoped.map((fk) => fk.constraintName), ['order_lines_order_fk', 'orders_customer_fk'],
      'a table scope matches constraints whose source or target is in scope');
  });

  test('describeIndexes: primary, unique, composite and prefix indexes in byte order', async () => {
    const indexes = await collect(driver.describeIndexes(DATABASE, signal));
    const row = (tableName: string, indexName: string, columns: string[], isUnique: boolean) => ({
      tableSchema: null, tableName, indexName, columns, isUnique, isPrimary: indexName === 'PRIMARY', isPartial: false,
    });
    assert.deepEqual(indexes, [
      row('customers', 'PRIMARY', ['id'], true),
      row('customers', 'customers_email', ['email'], true),
      row('customers', 'customers_note', ['note'], false),
      row('order_lines', 'order_lines_order_fk', ['ol_order_no', 'ol_region'], false),
      row('orders', 'PRIMARY', ['region', 'order_no'], true),
      row('orders', 'orders_customer_fk', ['customer_id'], false),
      row('orders', 'orders_no_region', ['order_no', 'region'], false),
      row('shipments', 'PRIMARY', ['id'], true),
      row('shipments', 'shipments_region_fk', ['region'], false),
    ]);
  });

  test('scoped describes are exact on case and skip refs with a schema', async () => {
    const scope: Scope = {
      kind: 'tables',
      tables: [
        { schema: null, name: 'mixedcase' },
        { schema: null, name: 'SELECT' },
        { schema: name, name: 'customers' },
        { schema: null, name: 'select' },
      ],
    };
    assert.deepEqual((await collect(driver.describeTables(scope, signal))).map((t) => t.name), ['mixedcase', 'select']);
    const fields = await collect(driver.describeFields(scope, signal));
    assert.deepEqual(fields.map((f) => `${f.tableName}.${f.name}`), ['mixedcase.x', 'select.from', 'select.order']);
    const many = Array.from({ length: 499 }, (_, i) => ({ schema: null, name: `missing_${i}` }));
    const largest: Scope = { kind: 'tables', tables: [...many, { schema: null, name: 'customers' }] };
    let sent = driver.queryCount;
    assert.deepEqual((await collect(driver.describeTables(largest, signal))).map((t) => t.name), ['customers']);
    assert.equal((await collect(driver.describeFields(largest, signal))).length, 7);
    assert.equal(driver.queryCount, sent + 2, 'a scope of 500 refs is one statement');
    sent = driver.queryCount;
    const none: Scope = { kind: 'tables', tables: [{ schema: 'other', name: 'customers' }] };
    assert.deepEqual(await collect(driver.describeTables(none, signal)), []);
    assert.equal(driver.queryCount, sent, 'a scope that names no MySQL table sends nothing');
  });

  test('tableExists compares the exact name', async () => {
    assert.equal((await driver.tableExists({ schema: null, name: 'MixedCase' }, signal))?.name, 'MixedCase');
    assert.equal((await driver.tableExists({ schema: null, name: 'mixedcase' }, signal))?.name, 'mixedcase');
    assert.equal(await driver.tableExists({ schema: null, name: 'MIXEDCASE' }, signal), null);
    assert.equal(await driver.tableExists({ schema: null, name: 'Customers' }, signal), null);
    assert.equal((await driver.tableExists({ schema: null, name: 'customer_emails' }, signal))?.kind, 'view');
    assert.equal(await driver.tableExists({ schema: null, name: 'order_seq' }, signal), null, 'a sequence is no table');
    assert.equal(await driver.tableExists({ schema: name, name: 'customers' }, signal), null);
  });

  test('one statement per describe call and per tableExists', async () => {
    const counted = createMysqlDriver(details, OPTIONS);
    try {
      await counted.testConnection(signal);
      assert.equal(counted.queryCount, 3, 'the two session statements and the server-facts query');
      await counted.capabilities(signal);
      await counted.dbmsVersion(signal);
      await counted.timezone(signal);
      assert.equal(counted.queryCount, 3, 'read once per driver');
      const scoped: Scope = { kind: 'tables', tables: [{ schema: null, name: 'orders' }, { schema: null, name: 'a' }] };
      for (const scope of [DATABASE, scoped]) {
        const listings: (() => AsyncIterable<unknown>)[] = [
          () => counted.describeTables(scope, signal),
          () => counted.describeFields(scope, signal),
          () => counted.describeForeignKeys(scope, signal),
          () => counted.describeIndexes(scope, signal),
        ];
        for (const listing of listings) {
          const sent: number = counted.queryCount;
          await collect(listing());
          assert.equal(counted.queryCount, sent + 1);
        }
      }
      const sent = counted.queryCount;
      await counted.tableExists({ schema: null, name: 'orders' }, signal);
      assert.equal(counted.queryCount, sent + 1);
    } finally {
      await counted.close();
    }
  });

  test('a consumer that stops early costs its connection, not the driver', async () => {
    const early = createMysqlDriver(details, OPTIONS);
    try {
      for await (const _ of early.describeFields(DATABASE, signal)) break;
      assert.equal((await collect(early.describeTables(DATABASE, signal))).length, 12);
    } finally {
      await early.close();
      await early.close();
    }
  });
});

describe('catalog query count does not depend on the number of tables', () => {
  async function countFor(tables: number): Promise<number> {
    const warehouse = await createMysqlTestDatabase('mycount');
    try {
      const ddl = Array.from({ length: tables }, (_, i) => {
        const table = `t${String(i).padStart(4, '0')}`;
        const parent = i === 0 ? '' : `, parent_id int, KEY ${table}_parent (parent_id),
          CONSTRAINT ${table}_fk FOREIGN KEY (parent_id) REFERENCES t${String(i - 1).padStart(4, '0')} (id)`;
        return `CREATE TABLE ${table} (id int PRIMARY KEY, label varchar(20), flag tinyint(1)${parent})`;
      });
      await execMysql(warehouse.url, ...ddl);
      const driver = createMysqlDriver(warehouse.details, OPTIONS);
      try {
        await driver.testConnection(signal);
        await driver.capabilities(signal);
        assert.equal((await collect(driver.describeTables(DATABASE, signal))).length, tables);
        assert.equal((await collect(driver.describeFields(DATABASE, signal))).length, tables * 4 - 1);
        assert.equal((await collect(driver.describeForeignKeys(DATABASE, signal))).length, tables - 1);
        assert.equal((await collect(driver.describeIndexes(DATABASE, signal))).length, tables * 2 - 1);
        return driver.queryCount;
      } finally {
        await driver.close();
      }
    } finally {
      await dropMysqlDatabase(warehouse.name);
    }
  }

  test('10 and 200 tables take the same statements', async () => {
    const small = await countFor(10);
    const large = await countFor(200);
    assert.equal(small, 7, 'two session statements, the server facts, four listings');
    assert.equal(large, small);
  });
});

describe('sampling and distinct values', () => {
  let name: string;
  let url: string;
  let details: Record<string, unknown>;
  let driver: WarehouseDriver;
  const table = { schema: null, name: 'samples' };
  const long = 'é'.repeat(2000);

  before(async () => {
    ({ name, url, details } = await createMysqlTestDatabase('mysample'));
    await execMysql(
      url,
      `CREATE TABLE samples (
        id int PRIMARY KEY, flag tinyint(1), small tinyint, amount decimal(30,2), big bigint unsigned, ratio double,
        day date, at datetime(3), stamp timestamp(3) NULL, t time, y year, status enum('paid','new','shipped'),
        note text, bits bit(4), b1 bit(1), u uuid, ip inet4, j json, raw blob
      )`,
      // Inserted at UTC+2: the stored instant is 08:30 UTC.
      "SET time_zone = '+02:00'",
      `INSERT INTO samples VALUES
        (1, 1, -3, 12.50, 18446744073709551615, 1.5, '2025-11-25', '2025-11-25 08:30:00.125', '2025-11-25 10:30:00',
          '08:30:00', 2025, 'paid', '${long}', b'1010', b'1', '123e4567-e89b-12d3-a456-426614174000', '10.0.0.1',
          '{"a": 1}', 'raw'),
        (2, 0, 7, 0.10, 5, -2.25, '2024-01-01', '2024-01-01 00:00:00', NULL, '23:59:59', 1999, 'new', 'B', b'0', b'0',
          NULL, '10.0.0.2', '[]', NULL),
        (3, NULL, 7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'shipped', 'a', NULL, NULL, NULL, NULL, NULL, NULL),
        (4, 1, -3, 12.50, 5, 1.5, '2025-11-25', NULL, '2025-11-25 10:30:00', NULL, NULL, 'paid', 'a', NULL, b'1', NULL,
          NULL, NULL, NULL)`,
    );
    driver = createMysqlDriver(details, OPTIONS);
  });

  after(async () => {
    await driver?.close();
    if (name) await dropMysqlDatabase(name);
  });

  const TEXT = new Set(['status', 'note', 'u', 'j']);
  const NAMES = ['id', 'flag', 'small', 'amount', 'big', 'ratio', 'day', 'at', 'stamp', 't', 'y', 'status', 'note', 'bits',
    'b1', 'u', 'ip', 'j', 'raw'];

  test('sampleRows: one statement, values normalized, text cut to 1,234 characters in SQL', async () => {
    const fields = NAMES.map((field) => ({ name: field, truncateText: TEXT.has(field) }));
    const sent = driver.queryCount;
    const rows = await collect(driver.sampleRows(table, fields, { limit: 10_000, textTruncate: 1_234 }, signal));
    assert.equal(driver.queryCount - sent, 4, 'two session statements, the server facts, the sample');
    rows.sort((a, b) => Number(a[0]) - Number(b[0]));
    assert.deepEqual(rows, [
      [1, true, -3, 12.5, '18446744073709551615', 1.5, '2025-11-25', '2025-11-25T08:30:00.125',
        '2025-11-25T08:30:00.000Z', '08:30:00', 2025, 'paid', 'é'.repeat(1234), 10, true,
        '123e4567-e89b-12d3-a456-426614174000', '10.0.0.1', '{"a": 1}', 'raw'],
      [2, false, 7, 0.1, 5, -2.25, '2024-01-01', '2024-01-01T00:00:00.000', null, '23:59:59', 1999, 'new', 'B', 0, false,
        null, '10.0.0.2', '[]', null],
      [3, null, 7, null, null, null, null, null, null, null, null, 'shipped', 'a', null, null, null, null, null, null],
      [4, true, -3, 12.5, 5, 1.5, '2025-11-25', null, '2025-11-25T08:30:00.000Z', null, null, 'paid', 'a', null, true,
        null, null, null, null],
    ]);
    const limited = await collect(driver.sampleRows(table, [{ name: 'id', truncateText: false }],
      { limit: 2, textTruncate: 1_234 }, signal));
    assert.equal(limited.length, 2);
  });

  test('distinctValues: one statement for all fields, each list ascending as its own query sorts it', async () => {
    const fields = ['flag', 'small', 'amount', 'status', 'note', 'day', 'stamp', 'b1', 'u', 'big'];
    const sent = driver.queryCount;
    const lists = await driver.distinctValues(table, fields, { limit: 1001 }, signal);
    assert.equal(driver.queryCount - sent, 1);
    assert.deepEqual(lists, [
      [false, true],
      [-3, 7],
      [0.1, 12.5],
      ['paid', 'new', 'shipped'],
      ['a', 'B', long],
      ['2024-01-01', '2025-11-25'],
      ['2025-11-25T08:30:00.000Z'],
      [false, true],
      ['123e4567-e89b-12d3-a456-426614174000'],
      [5, '18446744073709551615'],
    ]);
    for (const [i, field] of fields.entries()) {
      assert.deepEqual(await driver.distinctValues(table, [field], { limit: 1001 }, signal), [lists[i]], field);
    }
    const capped = await driver.distinctValues(table, ['status', 'note'], { limit: 2 }, signal);
    assert.deepEqual(capped, [['paid', 'new'], ['a', 'B']]);
    assert.deepEqual(await driver.distinctValues(table, [], { limit: 1001 }, signal), []);
  });

  test('additional-options tinyInt1isBit=false: tinyint(1) is an integer in the catalog and in values', async () => {
    const plain = createMysqlDriver({ ...details, 'additional-options': 'tinyInt1isBit=false' }, OPTIONS);
    try {
      const scope: Scope = { kind: 'tables', tables: [table] };
      const flag = (await collect(plain.describeFields(scope, signal))).find((f) => f.name === 'flag');
      assert.deepEqual([flag?.databaseType, flag?.baseType], ['TINYINT', 'type/Integer']);
      assert.deepEqual(await plain.distinctValues(table, ['flag', 'b1'], { limit: 1001 }, signal), [[0, 1], [false, true]]);
    } finally {
      await plain.close();
    }
  });
});
