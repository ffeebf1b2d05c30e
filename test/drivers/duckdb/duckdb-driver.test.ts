// The DuckDB driver against real DuckDB files: exact metadata of a fixture covering the whole 4.10 map, scoped
// describes, query counts, the exists-check, sampling and distinct values, schema filters, and its failures.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import {
  DriverError,
  type DriverOptions,
  type Scope,
  type TableKind,
  type WarehouseDriver,
} from '../../../src/drivers/driver.ts';
import { createDuckdbDriver } from '../../../src/drivers/duckdb/duckdb-driver.ts';
import { DUCKDB_TYPE_COLUMNS, duckdbWarehouse, holdForWriting, writeDuckdb } from '../conformance/fixtures/duckdb.ts';
import { collect } from '../../support/drivers.ts';

const OPTIONS: DriverOptions = {
  connectTimeoutMs: 5_000,
  catalogQueryTimeoutMs: 5_000,
  sampleQueryTimeoutMs: 5_000,
  fieldValuesQueryTimeoutMs: 5_000,
};
const signal = new AbortController().signal;

const DDL = [
  `CREATE SCHEMA sales`,
  `CREATE SCHEMA scratch`,
  `CREATE SEQUENCE orders_seq`,
  `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
  `CREATE TYPE amount AS DECIMAL(10, 2)`,
  `CREATE TABLE all_types (${DUCKDB_TYPE_COLUMNS.map(([column, declared]) => `${column} ${declared}`).join(', ')})`,
  `CREATE TABLE sales."Orders" (
    id INTEGER PRIMARY KEY DEFAULT nextval('orders_seq'),
    rev INTEGER NOT NULL,
    "select" VARCHAR NOT NULL,
    total amount DEFAULT 0,
    note VARCHAR,
    UNIQUE (id, rev))`,
  `COMMENT ON TABLE sales."Orders" IS 'One row per order'`,
  `COMMENT ON COLUMN sales."Orders".total IS 'Gross total'`,
  `CREATE TABLE sales.customers (id INTEGER PRIMARY KEY)`,
  `CREATE TABLE sales.lines (
    order_id INTEGER,
    order_rev INTEGER,
    other_id INTEGER,
    FOREIGN KEY (order_id, order_rev) REFERENCES sales."Orders" (id, rev),
    FOREIGN KEY (other_id) REFERENCES sales.ORDERS (ID),
    FOREIGN KEY (other_id) REFERENCES sales.customers (id))`,
  `CREATE INDEX lines_mixed ON sales.lines (order_rev, (order_id + 1))`,
  `CREATE UNIQUE INDEX orders_select ON sales."Orders" ("select")`,
  `CREATE VIEW sales.big_orders AS SELECT id, total FROM sales."Orders" WHERE total > 100`,
  `COMMENT ON VIEW sales.big_orders IS 'Orders above 100'`,
  `CREATE TABLE scratch.tmp (x INTEGER)`,
  `INSERT INTO sales."Orders" (rev, "select", total, note) VALUES
    (1, 'a', 150.5, 'first'), (1, 'b', 20, NULL), (2, 'c', 99.99, repeat('x', 2000))`,
];

let warehouse: ReturnType<typeof duckdbWarehouse>;
let driver: WarehouseDriver;
before(async () => {
  warehouse = duckdbWarehouse();
  await writeDuckdb(warehouse.file, ...DDL);
  driver = createDuckdbDriver(warehouse.details, OPTIONS);
});
after(async () => {
  await driver.close();
  await warehouse.cleanup();
});

/** A table scope of (schema, name) pairs. */
function tables(...refs: [string, string][]): Scope {
  return { kind: 'tables', tables: refs.map(([schema, name]) => ({ schema, name })) };
}

function table(schema: string, name: string, kind: TableKind, comment: string | null, rows: number | null) {
  return { schema, name, kind, comment, estimatedRowCount: rows, objectId: null };
}

/** Runs `work` and returns it with the number of warehouse statements it sent. */
async function counted<T>(work: () => Promise<T>): Promise<[T, number]> {
  const before = driver.queryCount;
  const result = await work();
  return [result, driver.queryCount - before];
}

describe('DuckDB driver: facts', () => {
  test('capabilities, version and time zone', async () => {
    assert.deepEqual(await driver.capabilities(signal), {
      schemas: true,
      foreignKeys: true,
      indexes: true,
      comments: true,
      rowCountEstimates: true,
      stableObjectIds: false,
      caseInsensitiveIdentifiers: true,
      batchedDistinctValues: true,
    });
    const version = await driver.dbmsVersion(signal);
    assert.equal(version.flavor, 'DuckDB');
    assert.match(version.version, /^v1\.\d+\.\d+$/);
    assert.equal(typeof (await driver.timezone(signal)), 'string');
  });

  test('describeTables: tables and views of every user schema, in byte order, one statement', async () => {
    const [listed, queries] = await counted(() => collect(driver.describeTables({ kind: 'database' }, signal)));
    assert.equal(queries, 1);
    assert.deepEqual(listed, [
      table('main', 'all_types', 'table', null, 0),
      table('sales', 'Orders', 'table', 'One row per order', 3),
      table('sales', 'big_orders', 'view', 'Orders above 100', null),
      table('sales', 'customers', 'table', null, 0),
      table('sales', 'lines', 'table', null, 0),
      table('scratch', 'tmp', 'table', null, 0),
    ]);
  });

  test('describeFields: every type of the 4.10 map as DuckDB reports it', async () => {
    const [fields, queries] = await counted(() => collect(driver.describeFields({ kind: 'database' }, signal)));
    assert.equal(queries, 1);
    const types = fields.filter((f) => f.tableName === 'all_types');
    assert.deepEqual(
      types.map((f) => [f.name, f.databaseType, f.baseType, f.position]),
      DUCKDB_TYPE_COLUMNS.map(([column, , reported, base], i) => [column, reported, base, i]),
    );
    assert.deepEqual(
      types.filter((f) => f.semanticHint !== null).map((f) => [f.name, f.semanticHint]),
      [['c_json', 'type/SerializedJSON']],
    );
    assert.deepEqual(
      fields.map((f) => `${f.tableSchema}.${f.tableName}`).filter((t, i, all) => all.indexOf(t) === i),
      ['main.all_types', 'sales.Orders', 'sales.big_orders', 'sales.customers', 'sales.lines', 'scratch.tmp'],
    );
  });

  test('describeFields: PK, auto-increment, required, defaults, comments, user-defined types', async () => {
    const fields = await collect(driver.describeFields(tables(['sales', 'Orders']), signal));
    assert.deepEqual(
      fields.map((f) => [
        f.name, f.databaseType, f.baseType, f.position, f.isPk, f.isAutoIncrement, f.isNullable, f.isRequired,
        f.default, f.comment,
      ]),
      [
        ['id', 'INTEGER', 'type/Integer', 0, true, true, false, false, `nextval('orders_seq')`, null],
        ['rev', 'INTEGER', 'type/Integer', 1, false, false, false, true, null, null],
        ['select', 'VARCHAR', 'type/Text', 2, false, false, false, true, null, null],
        ['total', 'DECIMAL(10,2)', 'type/Decimal', 3, false, false, true, false, '0', 'Gross total'],
        ['note', 'VARCHAR', 'type/Text', 4, false, false, true, false, null, null],
      ],
    );
    for (const f of fields) {
      assert.deepEqual([f.tableSchema, f.tableName, f.objectId, f.isGenerated], ['sales', 'Orders', null, false]);
    }
  });

  test('describeForeignKeys: composite pairs in order, same-named constraints apart, targets resolved', async () => {
    const [fks, queries] = await counted(() => collect(driver.describeForeignKeys({ kind: 'database' }, signal)));
    assert.equal(queries, 1);
    assert.deepEqual(fks, [
      {
        constraintName: 'lines_order_id_order_rev_id_rev_fkey',
        tableSchema: 'sales',
        tableName: 'lines',
        columns: ['order_id', 'order_rev'],
        targetSchema: 'sales',
        targetTable: 'Orders',
        targetColumns: ['id', 'rev'],
      },
      {
        constraintName: 'lines_other_id_id_fkey',
        tableSchema: 'sales',
        tableName: 'lines',
        columns: ['other_id'],
        targetSchema: 'sales',
        targetTable: 'Orders',
        targetColumns: ['ID'],
      },
      {
        constraintName: 'lines_other_id_id_fkey_2',
        tableSchema: 'sales',
        tableName: 'lines',
        columns: ['other_id'],
        targetSchema: 'sales',
        targetTable: 'customers',
        targetColumns: ['id'],
      },
    ]);
  });

  test('describeIndexes: CREATE INDEX expressions parsed, PRIMARY KEY and UNIQUE as unique indexes', async () => {
    const [indexes, queries] = await counted(() => collect(driver.describeIndexes({ kind: 'database' }, signal)));
    assert.equal(queries, 1);
    assert.deepEqual(
      indexes.map((i) => [i.tableSchema, i.tableName, i.indexName, i.columns, i.isUnique, i.isPrimary, i.isPartial]),
      [
        ['sales', 'Orders', 'Orders_id_pkey', ['id'], true, true, false],
        ['sales', 'Orders', 'Orders_id_rev_key', ['id', 'rev'], true, false, false],
        ['sales', 'Orders', 'orders_select', ['select'], true, false, false],
        ['sales', 'customers', 'customers_id_pkey', ['id'], true, true, false],
        ['sales', 'lines', 'lines_mixed', ['order_rev', null], false, false, false],
      ],
    );
  });
});

describe('DuckDB driver: scoped describes and the exists-check', () => {
  const scope = tables(['sales', 'lines'], ['scratch', 'tmp']);

  test('a table scope sends one statement and reports only its tables', async () => {
    const [tables, q1] = await counted(() => collect(driver.describeTables(scope, signal)));
    assert.deepEqual([tables.map((t) => t.name), q1], [['lines', 'tmp'], 1]);
    const [fields, q2] = await counted(() => collect(driver.describeFields(scope, signal)));
    assert.deepEqual([fields.map((f) => `${f.tableName}.${f.name}`), q2], [
      ['lines.order_id', 'lines.order_rev', 'lines.other_id', 'tmp.x'],
      1,
    ]);
    const [indexes, q3] = await counted(() => collect(driver.describeIndexes(scope, signal)));
    assert.deepEqual([indexes.map((i) => i.indexName), q3], [['lines_mixed'], 1]);
  });

  test('a scoped FK listing matches by source or by target', async () => {
    const names = async (scope: Scope) =>
      (await collect(driver.describeForeignKeys(scope, signal))).map((fk) => fk.constraintName);
    assert.deepEqual(await names(tables(['sales', 'Orders'])), [
      'lines_order_id_order_rev_id_rev_fkey',
      'lines_other_id_id_fkey',
    ]);
    assert.deepEqual(await names(tables(['sales', 'customers'])), ['lines_other_id_id_fkey_2'], 'names are stable');
    const unrelated = await names(tables(['scratch', 'tmp']));
    assert.deepEqual(unrelated, []);
  });

  test('refs without a schema name nothing and send nothing', async () => {
    const [tables, queries] = await counted(() =>
      collect(driver.describeTables({ kind: 'tables', tables: [{ schema: null, name: 'lines' }] }, signal)),
    );
    assert.deepEqual([tables, queries], [[], 0]);
  });

  test('tableExists: one query, exact and case-sensitive', async () => {
    const [orders, queries] = await counted(() => driver.tableExists({ schema: 'sales', name: 'Orders' }, signal));
    assert.equal(queries, 1);
    assert.deepEqual(orders, table('sales', 'Orders', 'table', 'One row per order', 3));
    assert.equal((await driver.tableExists({ schema: 'sales', name: 'big_orders' }, signal))?.kind, 'view');
    assert.equal(await driver.tableExists({ schema: 'sales', name: 'orders' }, signal), null);
    assert.equal(await driver.tableExists({ schema: 'SALES', name: 'Orders' }, signal), null);
    assert.equal(await driver.tableExists({ schema: 'main', name: 'Orders' }, signal), null);
    assert.equal(await driver.tableExists({ schema: null, name: 'Orders' }, signal), null);
  });

  test('schema filters apply to every describe call', async () => {
    const filtered = (type: string, patterns: string) =>
      createDuckdbDriver(
        { ...warehouse.details, 'schema-filters-type': type, 'schema-filters-patterns': patterns },
        OPTIONS,
      );
    const only = filtered('inclusion', 'sal*');
    const without = filtered('exclusion', 'sales, scratch');
    try {
      const names = async (d: WarehouseDriver) =>
        (await collect(d.describeTables({ kind: 'database' }, signal))).map((t) => `${t.schema}.${t.name}`);
      assert.deepEqual(await names(only), ['sales.Orders', 'sales.big_orders', 'sales.customers', 'sales.lines']);
      assert.deepEqual(await names(without), ['main.all_types']);
      assert.deepEqual(await collect(without.describeForeignKeys({ kind: 'database' }, signal)), []);
      assert.equal(await without.tableExists({ schema: 'sales', name: 'Orders' }, signal), null);
      const onlyFields = await collect(only.describeFields({ kind: 'database' }, signal));
      assert.equal(onlyFields.some((f) => f.tableName === 'all_types'), false);
    } finally {
      await only.close();
      await without.close();
    }
  });
});

describe('DuckDB driver: sampling and distinct values', () => {
  const orders = { schema: 'sales', name: 'Orders' };

  test('sampleRows: one statement, values normalized, text cut in SQL, the limit applied', async () => {
    const fields = [
      { name: 'id', truncateText: false },
      { name: 'select', truncateText: true },
      { name: 'total', truncateText: false },
      { name: 'note', truncateText: true },
    ];
    const [rows, queries] = await counted(() =>
      collect(driver.sampleRows(orders, fields, { limit: 10_000, textTruncate: 1234 }, signal)),
    );
    assert.equal(queries, 1);
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[2], typeof r[3] === 'string' ? r[3].length : r[3]]), [
      [1, 'a', 150.5, 5],
      [2, 'b', 20, null],
      [3, 'c', 99.99, 1234],
    ]);
    const limited = await collect(driver.sampleRows(orders, fields.slice(0, 1), { limit: 2, textTruncate: 9 }, signal));
    assert.equal(limited.length, 2);
  });

  test('distinctValues: one batched statement, ascending, non-null, limited, converted back to each type', async () => {
    const [lists, queries] = await counted(() =>
      driver.distinctValues(orders, ['total', 'select', 'note', 'rev'], { limit: 1001 }, signal),
    );
    assert.equal(queries, 1);
    assert.deepEqual(lists.map((l) => l.map((v) => (typeof v === 'string' && v.length > 10 ? v.length : v))), [
      [20, 99.99, 150.5],
      ['a', 'b', 'c'],
      ['first', 2000],
      [1, 2],
    ]);
    const [single, singleQueries] = await counted(() => driver.distinctValues(orders, ['rev'], { limit: 1 }, signal));
    assert.deepEqual([single, singleQueries], [[[1]], 1]);
    assert.deepEqual(await driver.distinctValues(orders, [], { limit: 1001 }, signal), []);
  });

  test('sampling the fixture of every type yields only normalized forms', async () => {
    const file = join(warehouse.dir, 'values.duckdb');
    await writeDuckdb(
      file,
      `CREATE TABLE v (h HUGEINT, big BIGINT, d DECIMAL(38, 10), ts TIMESTAMP, tz TIMESTAMPTZ, dt DATE, u UUID,
        l INTEGER[], s STRUCT(a INTEGER), m MAP(VARCHAR, INTEGER), iv INTERVAL, e mood)`.replace('mood', `ENUM('x')`),
      `INSERT INTO v VALUES (170141183460469231731687303715884105727, 42, 12345678901234567890.0123456789,
        TIMESTAMP '2025-11-25 08:30:00', TIMESTAMPTZ '2025-11-25 08:30:00+02', DATE '2025-11-25',
        '123e4567-e89b-12d3-a456-426614174000', [1, 2], {'a': 1}, MAP {'k': 1}, INTERVAL 3 DAY, 'x')`,
    );
    const values = createDuckdbDriver({ db: file }, OPTIONS);
    try {
      const names = ['h', 'big', 'd', 'ts', 'tz', 'dt', 'u', 'l', 's', 'm', 'iv', 'e'];
      const fields = names.map((name) => ({ name, truncateText: false }));
      const sample = values.sampleRows({ schema: 'main', name: 'v' }, fields, { limit: 10, textTruncate: 10 }, signal);
      const [row] = await collect(sample);
      assert.deepEqual(row, [
        '170141183460469231731687303715884105727',
        42,
        '12345678901234567890.0123456789',
        '2025-11-25T08:30:00',
        '2025-11-25T06:30:00Z',
        '2025-11-25',
        '123e4567-e89b-12d3-a456-426614174000',
        '[1, 2]',
        `{'a': 1}`,
        `{'k': 1}`,
        '3 days',
        'x',
      ]);
    } finally {
      await values.close();
    }
  });
});

describe('DuckDB driver: files and failures', () => {
  async function failure(details: Record<string, unknown>): Promise<DriverError> {
    const d = createDuckdbDriver(details, OPTIONS);
    try {
      await d.testConnection(signal);
    } catch (error) {
      assert.ok(error instanceof DriverError, String(error));
      return error;
    } finally {
      await d.close();
    }
    assert.fail('the connection test succeeded');
  }

  test('a missing file is a connection failure that names it, and it is not created', async () => {
    const missing = join(warehouse.dir, 'missing.duckdb');
    const error = await failure({ db: missing });
    assert.equal(error.code, 'CONNECTION_FAILED');
    assert.equal(error.engine, 'duckdb');
    assert.equal(error.message, `The DuckDB file "${missing}" does not exist.`);
    assert.equal(existsSync(missing), false);
    assert.equal(existsSync(`${missing}.wal`), false);
  });

  test('files that are not DuckDB databases are connection failures', async () => {
    const text = join(warehouse.dir, 'notes.txt');
    writeFileSync(text, 'not a database at all, but long enough to have a header');
    const empty = join(warehouse.dir, 'empty.duckdb');
    writeFileSync(empty, '');
    const sqlite = join(warehouse.dir, 'other.sqlite');
    new SQLite(sqlite).exec('CREATE TABLE t (x)');
    for (const file of [text, empty, sqlite]) {
      const error = await failure({ db: file });
      assert.equal(error.code, 'CONNECTION_FAILED');
      assert.equal(error.message, `The file "${file}" is not a DuckDB database file.`);
    }
    const folder = join(warehouse.dir, 'folder.duckdb');
    mkdirSync(folder);
    assert.equal((await failure({ db: folder })).message, `The DuckDB path "${folder}" is not a file.`);
  });

  test('details without a path are refused at creation', () => {
    assert.throws(() => createDuckdbDriver({ db: ' ' }, OPTIONS), (error: unknown) => {
      assert.ok(error instanceof DriverError);
      assert.equal(error.code, 'CONNECTION_FAILED');
      return true;
    });
  });

  test('a file held for writing elsewhere is a connection failure; the driver holds it until close', async () => {
    const file = join(warehouse.dir, 'locked.duckdb');
    await writeDuckdb(file, 'CREATE TABLE t (x INTEGER)');
    const writer = await holdForWriting(file);
    try {
      const error = await failure({ db: file });
      assert.equal(error.code, 'CONNECTION_FAILED');
      assert.match(error.message, /^The DuckDB file ".*locked\.duckdb" is held open for writing by another process: /);
      assert.match(error.message, /lock/i);
    } finally {
      assert.equal(await writer.release(), 0);
    }
    const reader = createDuckdbDriver({ db: file }, OPTIONS);
    await reader.testConnection(signal);
    await assert.rejects(holdForWriting(file), /the writer exited with 1: .*lock/is, 'an open driver keeps writers out');
    await reader.close();
    assert.equal(await (await holdForWriting(file)).release(), 0, 'a closed driver does not');
  });

  test('a query beyond its timeout is interrupted and fails with TIMEOUT; the driver goes on', async () => {
    const file = join(warehouse.dir, 'slow.duckdb');
    await writeDuckdb(file, 'CREATE VIEW slow AS SELECT count(*) AS n FROM range(1000000000000) t (x) WHERE x % 7 = 3');
    const slow = createDuckdbDriver({ db: file }, { ...OPTIONS, sampleQueryTimeoutMs: 300 });
    const view = { schema: 'main', name: 'slow' };
    try {
      const started = Date.now();
      await assert.rejects(
        collect(slow.sampleRows(view, [{ name: 'n', truncateText: false }], { limit: 1, textTruncate: 1 }, signal)),
        (error: unknown) => error instanceof DriverError && error.code === 'TIMEOUT' && /300 ms/.test(error.message),
      );
      assert.ok(Date.now() - started < 3_000, 'it did not wait for the query');
      const aborted = new AbortController();
      setTimeout(() => aborted.abort(new Error('job cancelled')), 200);
      await assert.rejects(
        slow.distinctValues(view, ['n'], { limit: 1 }, aborted.signal),
        (error: unknown) => error instanceof DriverError && error.code === 'TIMEOUT',
      );
      const before = slow.queryCount;
      await assert.rejects(
        slow.distinctValues(view, ['n'], { limit: 1 }, AbortSignal.abort()),
        (error: unknown) => error instanceof DriverError && error.code === 'TIMEOUT',
      );
      assert.equal(slow.queryCount, before, 'an aborted signal sends nothing');
      assert.deepEqual((await collect(slow.describeTables({ kind: 'database' }, signal))).map((t) => t.name), ['slow']);
    } finally {
      await slow.close();
    }
  });

  test('close is safe twice; a closed driver refuses calls', async () => {
    const d = createDuckdbDriver(warehouse.details, OPTIONS);
    await d.testConnection(signal);
    await d.close();
    await d.close();
    await assert.rejects(
      d.testConnection(signal),
      (error: unknown) => error instanceof DriverError && error.code === 'CONNECTION_FAILED',
    );
  });
});
