// The DuckDB warehouse driver (sync-engine.md 4.7): one file opened read-only at the first call and held until
// close(), one streamed catalog statement per describe call, every statement under its timeout of section 8.7.
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
import { fieldSummaryQuery } from './duckdb-summary.ts';
import { refuseServicePath } from '../protected-paths.ts';
import { DuckdbConnection } from './duckdb-connection.ts';
import {
  columnsQuery,
  foreignKeysQuery,
  indexesQuery,
  mapColumn,
  mapForeignKey,
  mapIndex,
  mapTable,
  scopedRefs,
  tablesQuery,
  type CatalogQuery,
  type DuckdbColumnRow,
  type DuckdbForeignKeyRow,
  type DuckdbIndexRow,
  type DuckdbTableRow,
  type ScopedRefs,
} from './duckdb-introspector.ts';
import { distinctValuesQuery, groupDistinctRows, normalizeDuckdbValue, sampleQuery } from './duckdb-sampling.ts';
import { parseSchemaFilter, type SchemaFilter } from '../schema-filter.ts';

const CAPABILITIES: DriverCapabilities = Object.freeze({
  schemas: true,
  foreignKeys: true,
  indexes: true,
  comments: true,
  rowCountEstimates: true,
  stableObjectIds: false,
  caseInsensitiveIdentifiers: true,
  batchedDistinctValues: true,
});

export interface DuckdbDetails {
  /** The path as given, for messages. */
  readonly db: string;
  /** The path resolved against the working directory. */
  readonly path: string;
  readonly schemaFilter: SchemaFilter | null;
  /** `enable-external-access: true`: statements may read other files and URLs (off unless asked for). */
  readonly externalAccess: boolean;
}

/** Reads details already validated by the API (notify-api 6.3). */
export function readDuckdbDetails(details: Readonly<Record<string, unknown>>): DuckdbDetails {
  const db = details.db;
  if (typeof db !== 'string' || db.trim() === '') {
    throw new DriverError('CONNECTION_FAILED', 'duckdb', 'DuckDB details need "db", the path of the database file.');
  }
  return Object.freeze({
    db,
    path: resolve(process.cwd(), db),
    schemaFilter: parseSchemaFilter(details['schema-filters-type'], details['schema-filters-patterns']),
    externalAccess: details['enable-external-access'] === true,
  });
}

class DuckdbDriver implements WarehouseDriver {
  readonly engine = 'duckdb' as const;
  readonly #details: DuckdbDetails;
  readonly #options: DriverOptions;
  readonly #connection: DuckdbConnection;

  constructor(details: DuckdbDetails, options: DriverOptions) {
    this.#details = details;
    this.#options = options;
    this.#connection = new DuckdbConnection(details.path, details.db, options.connectTimeoutMs, details.externalAccess);
  }

  get queryCount(): number {
    return this.#connection.queryCount;
  }

  async capabilities(_signal: AbortSignal): Promise<DriverCapabilities> {
    return CAPABILITIES;
  }

  async testConnection(signal: AbortSignal): Promise<void> {
    await this.#probe('SELECT 1 AS ok', signal);
  }

  /** The version as DuckDB reports it (`v1.5.6`); semantic-version takes its leading numbers. */
  async dbmsVersion(signal: AbortSignal): Promise<DbmsVersion> {
    const [row] = await this.#probe<{ version: string }>('SELECT version() AS version', signal);
    return Object.freeze({ flavor: 'DuckDB', version: String(row?.version) });
  }

  async timezone(signal: AbortSignal): Promise<string | null> {
    const [row] = await this.#probe<{ timezone: string | null }>(
      `SELECT current_setting('TimeZone') AS timezone`,
      signal,
    );
    return row?.timezone || null;
  }

  describeTables(scope: Scope, signal: AbortSignal): AsyncIterable<TableMetadata> {
    return this.#catalog(scope, tablesQuery, signal, (row: DuckdbTableRow) => mapTable(row));
  }

  /** The scoped describeTables statement for one ref, under the probe timeout; a null schema names nothing. */
  async tableExists(ref: TableRef, signal: AbortSignal): Promise<TableMetadata | null> {
    if (ref.schema === null) return null;
    const query = tablesQuery({ schemas: [ref.schema], names: [ref.name] }, this.#details.schemaFilter);
    const [row] = await this.#probe<DuckdbTableRow>(query, signal);
    return row === undefined ? null : mapTable(row);
  }

  describeFields(scope: Scope, signal: AbortSignal): AsyncIterable<FieldMetadata> {
    return this.#catalog(scope, columnsQuery, signal, (row: DuckdbColumnRow) => mapColumn(row));
  }

  describeForeignKeys(scope: Scope, signal: AbortSignal): AsyncIterable<ForeignKeyMetadata> {
    return this.#catalog(scope, foreignKeysQuery, signal, (row: DuckdbForeignKeyRow) => mapForeignKey(row));
  }

  describeIndexes(scope: Scope, signal: AbortSignal): AsyncIterable<IndexMetadata> {
    return this.#catalog(scope, indexesQuery, signal, (row: DuckdbIndexRow) => mapIndex(row));
  }

  async *sampleRows(
    table: TableRef,
    fields: readonly SampleField[],
    opts: { readonly limit: number; readonly textTruncate: number },
    signal: AbortSignal,
  ): AsyncGenerator<readonly unknown[]> {
    if (fields.length === 0) return;
    const options = { timeoutMs: this.#options.sampleQueryTimeoutMs, signal };
    for await (const row of this.#connection.values(sampleQuery(table, fields, opts), options)) {
      yield row.map(normalizeDuckdbValue);
    }
  }

  /** Row count and distinct count of one field (GET /api/field/:id/summary), under the field-values timeout. */
  async fieldSummary(table: TableRef, field: string, signal: AbortSignal): Promise<FieldSummary> {
    const options = { timeoutMs: this.#options.fieldValuesQueryTimeoutMs, signal };
    const rows: unknown[][] = [];
    for await (const row of this.#connection.values(fieldSummaryQuery(table, field), options)) rows.push(row);
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
    const query = distinctValuesQuery(table, fields, opts);
    const options = { timeoutMs: this.#options.fieldValuesQueryTimeoutMs * fields.length, signal };
    if (fields.length === 1) {
      const values: unknown[] = [];
      for await (const [value] of this.#connection.values(query, options)) values.push(normalizeDuckdbValue(value));
      return [values];
    }
    const rows: [number, string, string][] = [];
    for await (const [index, type, text] of this.#connection.values(query, options)) {
      rows.push([Number(index), String(type), String(text)]);
    }
    return groupDistinctRows(rows, fields.length);
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }

  async #probe<Row>(query: string | CatalogQuery, signal: AbortSignal): Promise<Row[]> {
    const statement = typeof query === 'string' ? { text: query, values: [] } : query;
    return this.#connection.allObjects<Row>(statement, { timeoutMs: this.#options.connectTimeoutMs, signal });
  }

  /** One streamed statement; a table scope whose refs all lack a schema names nothing and sends no statement. */
  async *#catalog<Row, T>(
    scope: Scope,
    build: (refs: ScopedRefs | null, filter: SchemaFilter | null) => CatalogQuery,
    signal: AbortSignal,
    map: (row: Row) => T,
  ): AsyncGenerator<T> {
    const refs = scope.kind === 'database' ? null : scopedRefs(scope.tables);
    if (refs !== null && refs.schemas.length === 0) return;
    const options = { timeoutMs: this.#options.catalogQueryTimeoutMs, signal };
    for await (const row of this.#connection.objects<Row>(build(refs, this.#details.schemaFilter), options)) {
      yield map(row);
    }
  }
}

/** details = {db, schema-filters-*}: `db` is relative to the working directory unless absolute; opens lazily. */
export function createDuckdbDriver(
  details: Readonly<Record<string, unknown>>,
  options: DriverOptions,
): WarehouseDriver {
  const read = readDuckdbDetails(details);
  refuseServicePath('duckdb', read.db, options.protectedPaths);
  return new DuckdbDriver(read, options);
}
