import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { DriverError, type FieldMetadata, type Scope, type WarehouseDriver } from '../../../src/drivers/driver.ts';
import { createDriver } from '../../../src/drivers/registry.ts';
import { createSqliteDriver } from '../../../src/drivers/sqlite/sqlite-driver.ts';
import { collect } from '../../support/drivers.ts';

const OPTIONS = { connectTimeoutMs: 10_000, catalogQueryTimeoutMs: 10_000, sampleQueryTimeoutMs: 30_000, fieldValuesQueryTimeoutMs: 30_000 };
const FIXTURE = `
CREATE TABLE types (
  id INTEGER PRIMARY KEY,
  c_int INT,
  c_bigint BIGINT,
  c_varchar VARCHAR(255),
  c_text TEXT,
  c_clob CLOB,
  c_blob BLOB,
  c_real REAL,
  c_double DOUBLE,
  c_float FLOAT,
  c_numeric NUMERIC,
  c_decimal DECIMAL(10,2) NOT NULL DEFAULT 0,
  c_boolean BOOLEAN,
  c_timestamp TIMESTAMP,
  c_datetime DATETIME,
  c_date DATE,
  c_time TIME,
  c_none,
  c_point POINT,
  c_required TEXT NOT NULL,
  c_virtual INTEGER GENERATED ALWAYS AS (c_int * 2) VIRTUAL,
  c_stored TEXT AS (upper(c_text)) STORED
);
CREATE UNIQUE INDEX types_text_unique ON types (c_text);
CREATE INDEX types_int_partial ON types (c_int) WHERE c_int > 0;
CREATE INDEX types_expression ON types (lower(c_varchar), c_int);
CREATE TABLE parent (a INT, b TEXT, PRIMARY KEY (a, b));
CREATE TABLE parent2 (a INT, b TEXT NOT NULL, PRIMARY KEY (b, a)) WITHOUT ROWID;
CREATE TABLE "Order" ("select" INTEGER PRIMARY KEY, "Note" TEXT UNIQUE DEFAULT 'none');
CREATE TABLE child (
  id INTEGER PRIMARY KEY,
  pa INT,
  pb TEXT,
  qa INT,
  qb TEXT,
  x INT,
  FOREIGN KEY (pb, pa) REFERENCES parent (b, a),
  FOREIGN KEY (qa, qb) REFERENCES parent2,
  FOREIGN KEY (x) REFERENCES "ORDER"
);
CREATE TABLE "B" (v TEXT);
CREATE TABLE a (v TEXT);
CREATE VIEW v_child AS SELECT c.id, p.b, c.x + 1 AS next_x FROM child AS c JOIN parent AS p ON p.a = c.pa;
`;

let dir: string;
let file: string;

function writeDatabase(path: string, sql: string): void {
  const db = new Database(path);
  db.exec(sql);
  db.close();
}

async function withDriver<T>(path: string, use: (driver: WarehouseDriver, signal: AbortSignal) => Promise<T>): Promise<T> {
  const driver = createSqliteDriver({ db: path }, OPTIONS);
  try {
    return await use(driver, new AbortController().signal);
  } finally {
    await driver.close();
  }
}

function field(
  tableName: string,
  position: number,
  name: string,
  databaseType: string,
  baseType: string,
  flags: Partial<Pick<FieldMetadata, 'isNullable' | 'isPk' | 'isAutoIncrement' | 'isGenerated' | 'isRequired' | 'default'>> = {},
): FieldMetadata {
  return {
    tableSchema: null,
    tableName,
    name,
    databaseType,
    baseType,
    semanticHint: null,
    position,
    isNullable: true,
    isPk: false,
    isAutoIncrement: false,
    isGenerated: false,
    isRequired: false,
    default: null,
    comment: null,
    objectId: null,
    ...flags,
  };
}

const rowid = { isNullable: false, isPk: true, isAutoIncrement: true } as const;
const EXPECTED_FIELDS: readonly FieldMetadata[] = [
  field('B', 0, 'v', 'TEXT', 'type/Text'),
  field('Order', 0, 'select', 'INTEGER', 'type/Integer', rowid),
  field('Order', 1, 'Note', 'TEXT', 'type/Text', { default: "'none'" }),
  field('a', 0, 'v', 'TEXT', 'type/Text'),
  field('child', 0, 'id', 'INTEGER', 'type/Integer', rowid),
  field('child', 1, 'pa', 'INT', 'type/Integer'),
  field('child', 2, 'pb', 'TEXT', 'type/Text'),
  field('child', 3, 'qa', 'INT', 'type/Integer'),
  field('child', 4, 'qb', 'TEXT', 'type/Text'),
  field('child', 5, 'x', 'INT', 'type/Integer'),
  field('parent', 0, 'a', 'INT', 'type/Integer', { isPk: true }),
  field('parent', 1, 'b', 'TEXT', 'type/Text', { isPk: true }),
  field('parent2', 0, 'a', 'INT', 'type/Integer', { isPk: true, isNullable: false, isRequired: true }),
  field('parent2', 1, 'b', 'TEXT', 'type/Text', { isPk: true, isNullable: false, isRequired: true }),
  field('types', 0, 'id', 'INTEGER', 'type/Integer', rowid),
  field('types', 1, 'c_int', 'INT', 'type/Integer'),
  field('types', 2, 'c_bigint', 'BIGINT', 'type/BigInteger'),
  field('types', 3, 'c_varchar', 'VARCHAR(255)', 'type/Text'),
  field('types', 4, 'c_text', 'TEXT', 'type/Text'),
  field('types', 5, 'c_clob', 'CLOB', 'type/Text'),
  field('types', 6, 'c_blob', 'BLOB', 'type/*'),
  field('types', 7, 'c_real', 'REAL', 'type/Float'),
  field('types', 8, 'c_double', 'DOUBLE', 'type/Float'),
  field('types', 9, 'c_float', 'FLOAT', 'type/Float'),
  field('types', 10, 'c_numeric', 'NUMERIC', 'type/Float'),
  field('types', 11, 'c_decimal', 'DECIMAL(10,2)', 'type/Decimal', { isNullable: false, default: '0' }),
  field('types', 12, 'c_boolean', 'BOOLEAN', 'type/Boolean'),
  field('types', 13, 'c_timestamp', 'TIMESTAMP', 'type/DateTime'),
  field('types', 14, 'c_datetime', 'DATETIME', 'type/DateTime'),
  field('types', 15, 'c_date', 'DATE', 'type/Date'),
  field('types', 16, 'c_time', 'TIME', 'type/Time'),
  field('types', 17, 'c_none', '', 'type/*'),
  field('types', 18, 'c_point', 'POINT', 'type/Integer'),
  field('types', 19, 'c_required', 'TEXT', 'type/Text', { isNullable: false, isRequired: true }),
  field('types', 20, 'c_virtual', 'INTEGER', 'type/Integer', { isGenerated: true }),
  field('types', 21, 'c_stored', 'TEXT', 'type/Text', { isGenerated: true }),
  field('v_child', 0, 'id', 'INTEGER', 'type/Integer'),
  field('v_child', 1, 'b', 'TEXT', 'type/Text'),
  field('v_child', 2, 'next_x', '', 'type/*'),
];

const EXPECTED_FKS = [
  {
    constraintName: 'fk_child_0',
    tableSchema: null,
    tableName: 'child',
    columns: ['x'],
    targetSchema: null,
    targetTable: 'Order',
    targetColumns: ['select'],
  },
  {
    constraintName: 'fk_child_1',
    tableSchema: null,
    tableName: 'child',
    columns: ['qa', 'qb'],
    targetSchema: null,
    targetTable: 'parent2',
    targetColumns: ['b', 'a'],
  },
  {
    constraintName: 'fk_child_2',
    tableSchema: null,
    tableName: 'child',
    columns: ['pb', 'pa'],
    targetSchema: null,
    targetTable: 'parent',
    targetColumns: ['b', 'a'],
  },
];

function index(tableName: string, indexName: string, columns: (string | null)[], flags: { isUnique?: boolean; isPrimary?: boolean; isPartial?: boolean } = {}) {
  return { tableSchema: null, tableName, indexName, columns, isUnique: false, isPrimary: false, isPartial: false, ...flags };
}

const EXPECTED_INDEXES = [
  index('Order', 'sqlite_autoindex_Order_1', ['Note'], { isUnique: true }),
  index('parent', 'sqlite_autoindex_parent_1', ['a', 'b'], { isUnique: true, isPrimary: true }),
  index('parent2', 'sqlite_autoindex_parent2_1', ['b', 'a'], { isUnique: true, isPrimary: true }),
  index('types', 'types_expression', [null, 'c_int']),
  index('types', 'types_int_partial', ['c_int'], { isPartial: true }),
  index('types', 'types_text_unique', ['c_text'], { isUnique: true }),
];

const table = (name: string, kind: 'table' | 'view' = 'table') => ({
  schema: null,
  name,
  kind,
  comment: null,
  estimatedRowCount: null,
  objectId: null,
});

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'catalog-sync-sqlite-driver-'));
  file = join(dir, 'warehouse.sqlite');
  writeDatabase(file, FIXTURE);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite driver: database scope', () => {
  test('capabilities, version and timezone', async () => {
    await withDriver(file, async (driver, signal) => {
      assert.equal(driver.engine, 'sqlite');
      assert.deepEqual(await driver.capabilities(signal), {
        schemas: false,
        foreignKeys: true,
        indexes: true,
        comments: false,
        rowCountEstimates: false,
        stableObjectIds: false,
        caseInsensitiveIdentifiers: true,
        batchedDistinctValues: true,
      });
      await driver.testConnection(signal);
      const version = await driver.dbmsVersion(signal);
      assert.equal(version.flavor, 'SQLite');
      assert.match(version.version, /^3\.\d+\.\d+$/);
      assert.equal(await driver.timezone(signal), null);
    });
  });

  test('describeTables lists tables and views in byte order', async () => {
    await withDriver(file, async (driver, signal) => {
      assert.deepEqual(await collect(driver.describeTables({ kind: 'database' }, signal)), [
        table('B'),
        table('Order'),
        table('a'),
        table('child'),
        table('parent'),
        table('parent2'),
        table('types'),
        table('v_child', 'view'),
      ]);
    });
  });

  test('describeFields reports every column with its declared type, mapped base type and flags', async () => {
    await withDriver(file, async (driver, signal) => {
      assert.deepEqual(await collect(driver.describeFields({ kind: 'database' }, signal)), EXPECTED_FIELDS);
    });
  });

  test('describeForeignKeys aligns composite keys by ordinal and resolves implicit primary keys', async () => {
    await withDriver(file, async (driver, signal) => {
      assert.deepEqual(await collect(driver.describeForeignKeys({ kind: 'database' }, signal)), EXPECTED_FKS);
    });
  });

  test('describeIndexes reports unique, primary, partial and expression indexes', async () => {
    await withDriver(file, async (driver, signal) => {
      assert.deepEqual(await collect(driver.describeIndexes({ kind: 'database' }, signal)), EXPECTED_INDEXES);
    });
  });

  test('one query per describe call, opening PRAGMAs not counted', async () => {
    await withDriver(file, async (driver, signal) => {
      assert.equal(driver.queryCount, 0);
      await collect(driver.describeTables({ kind: 'database' }, signal));
      assert.equal(driver.queryCount, 1);
      await collect(driver.describeFields({ kind: 'database' }, signal));
      assert.equal(driver.queryCount, 2);
      await collect(driver.describeForeignKeys({ kind: 'database' }, signal));
      assert.equal(driver.queryCount, 3);
      await collect(driver.describeIndexes({ kind: 'database' }, signal));
      assert.equal(driver.queryCount, 4);
    });
  });

  test('the query count does not grow with the number of tables', async () => {
    const counts: number[] = [];
    for (const tables of [10, 200]) {
      const path = join(dir, `wide-${tables}.sqlite`);
      const ddl = Array.from(
        { length: tables },
        (_, i) =>
          `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, ref INT REFERENCES t0 (id), name TEXT);` +
          `CREATE INDEX t${i}_name ON t${i} (name);`,
      );
      writeDatabase(path, ddl.join('\n'));
      await withDriver(path, async (driver, signal) => {
        const [listed, fields, fks, indexes] = [
          await collect(driver.describeTables({ kind: 'database' }, signal)),
          await collect(driver.describeFields({ kind: 'database' }, signal)),
          await collect(driver.describeForeignKeys({ kind: 'database' }, signal)),
          await collect(driver.describeIndexes({ kind: 'database' }, signal)),
        ];
        assert.deepEqual([listed.length, fields.length, fks.length, indexes.length], [tables, tables * 3, tables, tables]);
        counts.push(driver.queryCount);
      });
    }
    assert.deepEqual(counts, [4, 4]);
  });

  test('results are frozen', async () => {
    await withDriver(file, async (driver, signal) => {
      const [fk] = await collect(driver.describeForeignKeys({ kind: 'database' }, signal));
      assert.ok(Object.isFrozen(fk) && Object.isFrozen(fk?.columns) && Object.isFrozen(fk?.targetColumns));
    });
  });
});

describe('SQLite driver: table scope', () => {
  const scope: Scope = {
    kind: 'tables',
    tables: [
      { schema: null, name: 'child' },
      { schema: null, name: 'Order' },
      { schema: 'main', name: 'types' },
      { schema: null, name: 'PARENT' },
    ],
  };

  test('each describe returns only the scope, with one query each', async () => {
    await withDriver(file, async (driver, signal) => {
      assert.deepEqual(await collect(driver.describeTables(scope, signal)), [table('Order'), table('child')]);
      assert.deepEqual(
        await collect(driver.describeFields(scope, signal)),
        EXPECTED_FIELDS.filter((f) => f.tableName === 'Order' || f.tableName === 'child'),
      );
      assert.deepEqual(await collect(driver.describeForeignKeys(scope, signal)), EXPECTED_FKS);
      assert.deepEqual(await collect(driver.describeIndexes(scope, signal)), [EXPECTED_INDEXES[0]]);
      assert.equal(driver.queryCount, 4);
    });
  });

  test('a scoped FK listing also returns constraints whose target is in scope', async () => {
    await withDriver(file, async (driver, signal) => {
      const targets: Scope = { kind: 'tables', tables: [{ schema: null, name: 'parent2' }] };
      assert.deepEqual(await collect(driver.describeForeignKeys(targets, signal)), [EXPECTED_FKS[1]]);
      const source: Scope = { kind: 'tables', tables: [{ schema: null, name: 'types' }] };
      assert.deepEqual(await collect(driver.describeForeignKeys(source, signal)), []);
    });
  });

  test('a scope of views describes the view', async () => {
    await withDriver(file, async (driver, signal) => {
      const views: Scope = { kind: 'tables', tables: [{ schema: null, name: 'v_child' }] };
      assert.deepEqual(await collect(driver.describeTables(views, signal)), [table('v_child', 'view')]);
      assert.deepEqual(await collect(driver.describeFields(views, signal)), EXPECTED_FIELDS.slice(-3));
      assert.deepEqual(await collect(driver.describeIndexes(views, signal)), []);
    });
  });
});

describe('SQLite driver: tableExists', () => {
  test('is exact and case-sensitive, one query per call', async () => {
    await withDriver(file, async (driver, signal) => {
      assert.deepEqual(await driver.tableExists({ schema: null, name: 'Order' }, signal), table('Order'));
      assert.deepEqual(await driver.tableExists({ schema: null, name: 'v_child' }, signal), table('v_child', 'view'));
      assert.equal(await driver.tableExists({ schema: null, name: 'order' }, signal), null);
      assert.equal(await driver.tableExists({ schema: null, name: 'ORDER' }, signal), null);
      assert.equal(await driver.tableExists({ schema: null, name: 'b' }, signal), null);
      assert.equal(await driver.tableExists({ schema: null, name: 'missing' }, signal), null);
      assert.equal(await driver.tableExists({ schema: null, name: 'sqlite_schema' }, signal), null);
      assert.equal(driver.queryCount, 7);
    });
  });

  test('a non-null schema matches nothing, without a query', async () => {
    await withDriver(file, async (driver, signal) => {
      assert.equal(await driver.tableExists({ schema: 'main', name: 'Order' }, signal), null);
      assert.equal(driver.queryCount, 0);
    });
  });
});

describe('SQLite driver: files and errors', () => {
  test('is registered for the sqlite engine and resolves relative paths against the working directory', async () => {
    const driver = createDriver('sqlite', { db: relative(process.cwd(), file) }, OPTIONS);
    try {
      assert.deepEqual(await driver.tableExists({ schema: null, name: 'a' }, new AbortController().signal), table('a'));
    } finally {
      await driver.close();
    }
  });

  test('a missing file fails with CONNECTION_FAILED naming it, and is not created', async () => {
    const missing = join(dir, 'does', 'not', 'exist.sqlite');
    const given = relative(process.cwd(), missing);
    await withDriver(given, async (driver, signal) => {
      await assert.rejects(driver.testConnection(signal), (error: unknown) => {
        assert.ok(error instanceof DriverError);
        assert.equal(error.code, 'CONNECTION_FAILED');
        assert.equal(error.engine, 'sqlite');
        assert.equal(error.message, `SQLite database file does not exist: ${given}`);
        return true;
      });
    });
    assert.equal(existsSync(missing), false);
    assert.equal(existsSync(join(dir, 'does')), false);

    const alsoMissing = join(dir, 'missing.sqlite');
    await withDriver(alsoMissing, async (driver, signal) => {
      await assert.rejects(collect(driver.describeTables({ kind: 'database' }, signal)), { code: 'CONNECTION_FAILED' });
    });
    assert.equal(existsSync(alsoMissing), false);
  });

  test('a file that is not a database fails with CONNECTION_FAILED and is left unchanged', async () => {
    const text = join(dir, 'notes.sqlite');
    const content = 'These are notes, not an SQLite database. '.repeat(50);
    writeFileSync(text, content);
    await withDriver(text, async (driver, signal) => {
      await assert.rejects(driver.testConnection(signal), (error: unknown) => {
        assert.ok(error instanceof DriverError);
        assert.equal(error.code, 'CONNECTION_FAILED');
        assert.equal(error.message, `file is not a database: ${text}`);
        assert.equal(error.abandonsJob, true);
        return true;
      });
    });
    assert.equal(readFileSync(text, 'utf8'), content);
  });

  test('a directory fails with CONNECTION_FAILED', async () => {
    const folder = join(dir, 'a-folder.sqlite');
    mkdirSync(folder);
    await withDriver(folder, async (driver, signal) => {
      await assert.rejects(driver.testConnection(signal), { code: 'CONNECTION_FAILED' });
    });
  });

  test('details without a db path are rejected', () => {
    assert.throws(() => createSqliteDriver({ db: ' ' }, OPTIONS), { code: 'CONNECTION_FAILED' });
    assert.throws(() => createSqliteDriver({}, OPTIONS), { code: 'CONNECTION_FAILED' });
  });

  test('an aborted signal fails the call with TIMEOUT', async () => {
    await withDriver(file, async (driver) => {
      const controller = new AbortController();
      controller.abort(new Error('job deadline'));
      await assert.rejects(driver.testConnection(controller.signal), { code: 'TIMEOUT' });
      await assert.rejects(collect(driver.describeFields({ kind: 'database' }, controller.signal)), { code: 'TIMEOUT' });
    });
  });

  test('close is safe to call twice, and a closed driver opens the file again on the next call', async () => {
    const driver = createSqliteDriver({ db: file }, OPTIONS);
    const signal = new AbortController().signal;
    await driver.close();
    await driver.testConnection(signal);
    await driver.close();
    await driver.close();
    assert.deepEqual(await driver.tableExists({ schema: null, name: 'B' }, signal), table('B'));
    await driver.close();
  });
});
