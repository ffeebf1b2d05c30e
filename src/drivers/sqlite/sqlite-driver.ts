// The SQLite warehouse driver (sync-engine.md section 4.7): one read-only file, opened at the first call and held
// until close(); every statement runs in the connection's worker process with the timeouts of section 8.7.
import { resolve } from 'node:path';
import {
  DriverError,
  type DbmsVersion,
  type DriverCapabilities,
  type DriverOptions,
  type FieldMetadata,
  type ForeignKeyMetadata,
  type IndexMetadata,
  type SampleField,
  type Scope,
  type TableMetadata,
  type TableRef,
  type WarehouseDriver,
  fieldSummaryOf,
  type FieldSummary,
} from '../driver.ts';
import { fieldSummaryQuery } from './sqlite-summary.ts';
import { refuseServicePath } from '../protected-paths.ts';
import { consecutive } from '../row-groups.ts';
import { SqliteConnection, type QueryOptions } from './sqlite-connection.ts';
import {
  columnBaseTypes,
  distinctValuesQuery,
  groupDistinctRows,
  normalizeSqliteValue,
  sampleQuery,
} from './sqlite-sampling.ts';
import {
  fieldsQuery,
  foreignKeysQuery,
  indexesQuery,
  tablesQuery,
  toFieldMetadata,
  toForeignKeyMetadata,
  toIndexMetadata,
  toTableMetadata,
  type CatalogQuery,
  type SqliteFieldRow,
  type SqliteForeignKeyRow,
  type SqliteIndexRow,
  type SqliteTableRow,
} from './sqlite-introspector.ts';

const CAPABILITIES: DriverCapabilities = Object.freeze({
  schemas: false,
  foreignKeys: true,
  indexes: true,
  comments: false,
  rowCountEstimates: false,
  stableObjectIds: false,
  caseInsensitiveIdentifiers: true,
  batchedDistinctValues: true,
});

class SqliteDriver implements WarehouseDriver {
  readonly engine = 'sqlite';
  readonly #connection: SqliteConnection;
  readonly #options: DriverOptions;

  constructor(connection: SqliteConnection, options: DriverOptions) {
    this.#connection = connection;
    this.#options = options;
  }

  get queryCount(): number {
    return this.#connection.queryCount;
  }

  async capabilities(_signal: AbortSignal): Promise<DriverCapabilities> {
    return CAPABILITIES;
  }

  async testConnection(signal: AbortSignal): Promise<void> {
    await this.#connection.all('SELECT 1', [], this.#connect(signal));
  }

  async dbmsVersion(signal: AbortSignal): Promise<DbmsVersion> {
    const sql = 'SELECT sqlite_version() AS version';
    const [row] = await this.#connection.all<{ version: string }>(sql, [], this.#connect(signal));
    return Object.freeze({ flavor: 'SQLite', version: String(row?.version) });
  }

  async timezone(_signal: AbortSignal): Promise<string | null> {
    return null;
  }

  async *describeTables(scope: Scope, signal: AbortSignal): AsyncGenerator<TableMetadata> {
    for await (const row of this.#catalog<SqliteTableRow>(tablesQuery(scope), signal)) yield toTableMetadata(row);
  }

  /** Every SQLite table's schema is null: a ref with a schema names nothing and is answered without a query. */
  async tableExists(ref: TableRef, signal: AbortSignal): Promise<TableMetadata | null> {
    if (ref.schema !== null) return null;
    const { sql, params } = tablesQuery({ kind: 'tables', tables: [ref] });
    const [row] = await this.#connection.all<SqliteTableRow>(sql, params, this.#connect(signal));
    return row ? toTableMetadata(row) : null;
  }

  async *describeFields(scope: Scope, signal: AbortSignal): AsyncGenerator<FieldMetadata> {
    for await (const row of this.#catalog<SqliteFieldRow>(fieldsQuery(scope), signal)) yield toFieldMetadata(row);
  }

  async *describeForeignKeys(scope: Scope, signal: AbortSignal): AsyncGenerator<ForeignKeyMetadata> {
    const rows = this.#catalog<SqliteForeignKeyRow>(foreignKeysQuery(scope), signal);
    for await (const group of consecutive(rows, (row) => `${row.table_name}\u0000${row.constraint_name}`)) {
      const constraint = toForeignKeyMetadata(group);
      if (constraint) yield constraint;
    }
  }

  async *describeIndexes(scope: Scope, signal: AbortSignal): AsyncGenerator<IndexMetadata> {
    const rows = this.#catalog<SqliteIndexRow>(indexesQuery(scope), signal);
    for await (const group of consecutive(rows, (row) => row.index_name)) yield toIndexMetadata(group);
  }

  /** The one sample statement (4.5), normalized by each column's declared type. */
  async *sampleRows(
    table: TableRef,
    fields: readonly SampleField[],
    opts: { readonly limit: number; readonly textTruncate: number },
    signal: AbortSignal,
  ): AsyncGenerator<readonly unknown[]> {
    if (fields.length === 0) return;
    const { sql, params } = sampleQuery(table, fields, opts);
    let baseTypes: string[] = [];
    const data = { onColumns: (declared: readonly (string | null)[]) => (baseTypes = columnBaseTypes(declared)) };
    const options = { timeoutMs: this.#options.sampleQueryTimeoutMs, signal };
    for await (const row of this.#connection.query<unknown[]>(sql, params, options, data)) {
      for (let i = 0; i < row.length; i++) row[i] = normalizeSqliteValue(row[i], baseTypes[i] ?? 'type/*');
      yield row;
    }
  }

  /** Row count and distinct count of one field (GET /api/field/:id/summary), under the field-values timeout. */
  async fieldSummary(table: TableRef, field: string, signal: AbortSignal): Promise<FieldSummary> {
    const { sql, params } = fieldSummaryQuery(table, field);
    const options = { timeoutMs: this.#options.fieldValuesQueryTimeoutMs, signal };
    const rows: unknown[][] = [];
    const data = { onColumns: () => {} };
    for await (const row of this.#connection.query<unknown[]>(sql, params, options, data)) rows.push(row);
    return fieldSummaryOf(rows[0]);
  }

  /** One statement for all fields (batchedDistinctValues), under the per-field timeout once per field (4.5, 8.7). */
  async distinctValues(
    table: TableRef,
    fields: readonly string[],
    opts: { readonly limit: number },
    signal: AbortSignal,
  ): Promise<readonly (readonly unknown[])[]> {
    if (fields.length === 0) return [];
    const { sql, params } = distinctValuesQuery(table, fields, opts);
    let baseTypes: string[] = [];
    const data = { onColumns: (declared: readonly (string | null)[]) => (baseTypes = columnBaseTypes(declared)) };
    const options = { timeoutMs: this.#options.fieldValuesQueryTimeoutMs * fields.length, signal };
    const rows: unknown[][] = [];
    for await (const row of this.#connection.query<unknown[]>(sql, params, options, data)) rows.push(row);
    return groupDistinctRows(rows, baseTypes, fields.length);
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }

  #catalog<Row>(query: CatalogQuery, signal: AbortSignal): AsyncGenerator<Row, void> {
    const options = { timeoutMs: this.#options.catalogQueryTimeoutMs, signal };
    return this.#connection.query<Row>(query.sql, query.params, options);
  }

  #connect(signal: AbortSignal): QueryOptions {
    return { timeoutMs: this.#options.connectTimeoutMs, signal };
  }
}

/** details = {db}: the file's path, relative to the working directory unless absolute. Nothing opens until a call. */
export function createSqliteDriver(
  details: Readonly<Record<string, unknown>>,
  options: DriverOptions,
): WarehouseDriver {
  const db = details.db;
  if (typeof db !== 'string' || db.trim() === '') {
    throw new DriverError('CONNECTION_FAILED', 'sqlite', 'SQLite details need "db", the path of the database file.');
  }
  refuseServicePath('sqlite', db, options.protectedPaths);
  return new SqliteDriver(new SqliteConnection(resolve(process.cwd(), db), db), options);
}
