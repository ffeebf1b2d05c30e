// The driver contract (sync-engine.md section 4): a driver turns a warehouse into plain, frozen facts and never
// touches the catalog.
import { sanitize } from '../errors.ts';
import type { ProtectedPaths } from './protected-paths.ts';

export type Engine = 'postgres' | 'mysql' | 'sqlite' | 'duckdb';
export const ENGINES: readonly Engine[] = ['postgres', 'mysql', 'sqlite', 'duckdb'];

export interface TableRef {
  readonly schema: string | null;
  readonly name: string;
}

/** At most 500 refs per call for a table scope (section 4.3). */
export type Scope = { readonly kind: 'database' } | { readonly kind: 'tables'; readonly tables: readonly TableRef[] };

export const MAX_SCOPE_TABLES = 500;

export type TableKind = 'table' | 'view' | 'materialized_view' | 'foreign_table' | 'partitioned_table';

export interface TableMetadata {
  readonly schema: string | null;
  readonly name: string;
  readonly kind: TableKind;
  readonly comment: string | null;
  readonly estimatedRowCount: number | null;
  readonly objectId: string | null;
}

export interface FieldMetadata {
  readonly tableSchema: string | null;
  readonly tableName: string;
  readonly name: string;
  readonly databaseType: string;
  readonly baseType: string;
  readonly semanticHint: string | null;
  readonly position: number;
  readonly isNullable: boolean;
  readonly isPk: boolean;
  readonly isAutoIncrement: boolean;
  readonly isGenerated: boolean;
  readonly isRequired: boolean;
  readonly default: string | null;
  readonly comment: string | null;
  readonly objectId: string | null;
}

/**
 * A table's field digest (issue 11, README Departures): a string that changes whenever anything describeFields would
 * report for the table changes, and also when it changed and was changed back (it hashes the versions of the catalog
 * rows the listing reads). Equal digests taken at two times mean an equal listing.
 */
export interface FieldDigest {
  readonly tableSchema: string | null;
  readonly tableName: string;
  /** How many fields describeFields reports for the table. */
  readonly fields: number;
  readonly digest: string;
}

export interface ChangedFieldsOptions {
  /** The caller expects most tables of the scope to have changed (no digest recorded yet, say). */
  readonly mostlyChanged: boolean;
}

export interface ForeignKeyMetadata {
  readonly constraintName: string;
  readonly tableSchema: string | null;
  readonly tableName: string;
  readonly columns: readonly string[];
  readonly targetSchema: string | null;
  readonly targetTable: string;
  readonly targetColumns: readonly string[];
}

export interface IndexMetadata {
  readonly tableSchema: string | null;
  readonly tableName: string;
  readonly indexName: string;
  /** Key order; null stands for an expression. */
  readonly columns: readonly (string | null)[];
  readonly isUnique: boolean;
  readonly isPrimary: boolean;
  readonly isPartial: boolean;
}

export interface DriverCapabilities {
  /** false: every table's schema is null (MySQL, SQLite). */
  readonly schemas: boolean;
  readonly foreignKeys: boolean;
  readonly indexes: boolean;
  readonly comments: boolean;
  /** false for MySQL/MariaDB and SQLite. */
  readonly rowCountEstimates: boolean;
  /** Object ids survive renames (PostgreSQL only). */
  readonly stableObjectIds: boolean;
  /** SQLite, DuckDB; MySQL per lower_case_table_names. */
  readonly caseInsensitiveIdentifiers: boolean;
  /** distinctValues answers several fields with one query (section 4.5). */
  readonly batchedDistinctValues: boolean;
}

/** A field to sample; truncateText when its base type ⊑ type/Text (section 4.5). */
export interface SampleField {
  readonly name: string;
  readonly truncateText: boolean;
}

export const SAMPLE_ROW_LIMIT = 10_000;
export const SAMPLE_TEXT_TRUNCATE = 1_234;
export const DISTINCT_VALUES_LIMIT = 1_001;

export interface DbmsVersion {
  readonly flavor: string;
  readonly version: string;
}

export interface WarehouseDriver {
  readonly engine: Engine;
  /** Every SQL statement sent to the warehouse so far (cursor fetches do not count). */
  readonly queryCount: number;
  capabilities(signal: AbortSignal): Promise<DriverCapabilities>;
  /** Connect and run a trivial query. */
  testConnection(signal: AbortSignal): Promise<void>;
  dbmsVersion(signal: AbortSignal): Promise<DbmsVersion>;
  timezone(signal: AbortSignal): Promise<string | null>;
  /** Ordered by (schema, name), byte order. */
  describeTables(scope: Scope, signal: AbortSignal): AsyncIterable<TableMetadata>;
  /** One cheap catalog query on the exact (schema, name); null when positively absent; throws when it cannot tell. */
  tableExists(ref: TableRef, signal: AbortSignal): Promise<TableMetadata | null>;
  /** Ordered by (schema, table, position). */
  describeFields(scope: Scope, signal: AbortSignal): AsyncIterable<FieldMetadata>;
  /**
   * Optional, for engines whose catalog rows have versions to hash: calls `isUnchanged` with one FieldDigest per table
   * with fields of the scope, in (schema, table) order, and yields, as describeFields does, the fields of the tables it
   * answered false for, each table's after its digest; all of it read in one snapshot of the catalog. Digests first
   * and then the changed tables' listing (a table scope: one listing per call), or, when the caller expects most
   * tables to have changed, one listing that also carries each table's digest.
   */
  describeChangedFields?(
    scope: Scope,
    isUnchanged: (digest: FieldDigest) => boolean,
    signal: AbortSignal,
    options: ChangedFieldsOptions,
  ): AsyncIterable<FieldMetadata>;
  /** Ordered by (schema, table, constraint name); a table scope matches source or target tables. */
  describeForeignKeys(scope: Scope, signal: AbortSignal): AsyncIterable<ForeignKeyMetadata>;
  /** Ordered by (schema, table, index name). */
  describeIndexes(scope: Scope, signal: AbortSignal): AsyncIterable<IndexMetadata>;
  /**
   * Exactly one `SELECT <fields> FROM <table> LIMIT 10000` with no ORDER BY, text fields cut to 1,234 characters in
   * SQL; values normalized as section 4.5 says. Yields one array per row, values in the order of `fields`.
   */
  sampleRows(
    table: TableRef,
    fields: readonly SampleField[],
    opts: { readonly limit: number; readonly textTruncate: number },
    signal: AbortSignal,
  ): AsyncIterable<readonly unknown[]>;
  /**
   * Each field's distinct non-null values in ascending order, at most `limit` of them, one list per field in the order
   * given: one UNION ALL query per table where `batchedDistinctValues`, otherwise one query per field (section 4.5).
   */
  distinctValues(
    table: TableRef,
    fields: readonly string[],
    opts: { readonly limit: number },
    signal: AbortSignal,
  ): Promise<readonly (readonly unknown[])[]>;
  /** One field's summary, GET /api/field/:id/summary: one bounded statement under the field-values query timeout. */
  fieldSummary(table: TableRef, field: string, signal: AbortSignal): Promise<FieldSummary>;
  /**
   * Row estimates from the engine's statistics, never a COUNT, one per table in order, null where there is none: for
   * engines whose listing has none (capabilities.rowCountEstimates false). At most MAX_SCOPE_TABLES tables.
   */
  rowEstimates?(tables: readonly TableRef[], signal: AbortSignal): Promise<readonly (number | null)[]>;
  /**
   * One field's distinct values under a row budget (issue 11): an exact loose index scan when an index leads with the
   * column and the engine can do one, otherwise the distinct values of a bounded read of at most `rowBudget` rows.
   */
  budgetedValues?(
    table: TableRef,
    field: BudgetField,
    opts: BudgetOptions,
    signal: AbortSignal,
  ): Promise<BudgetedValues>;
  /** Safe to call twice. */
  close(): Promise<void>;
}

/** At most `limit` values; a bounded read reads at most `rowBudget` of the table's about `estimate` rows. */
export interface BudgetOptions {
  readonly limit: number;
  readonly rowBudget: number;
  readonly estimate: number;
}

/** A field of a budgeted read; `indexed`: a non-partial index leads with it (the catalog's database_indexed). */
export interface BudgetField {
  readonly name: string;
  readonly indexed: boolean;
}

/** Ascending distinct non-null values; `exact` false when they come from a bounded read (there may be more). */
export interface BudgetedValues {
  readonly values: readonly unknown[];
  readonly exact: boolean;
}

/** The table's row count and the field's count of distinct non-null values. */
export interface FieldSummary {
  readonly count: number;
  readonly distincts: number;
}

/** The one row `SELECT COUNT(*), COUNT(DISTINCT c) …` answers, whatever form the engine gives its integers. */
export function fieldSummaryOf(row: readonly unknown[] | undefined): FieldSummary {
  return { count: Number(row?.[0] ?? 0), distincts: Number(row?.[1] ?? 0) };
}

/** Timeouts of sync-engine.md section 8.7, in milliseconds. */
export interface DriverOptions {
  readonly connectTimeoutMs: number;
  readonly catalogQueryTimeoutMs: number;
  /** One sample query (sampleRows). */
  readonly sampleQueryTimeoutMs: number;
  /** One field's distinct-values query; a batched query gets it once per field it covers. */
  readonly fieldValuesQueryTimeoutMs: number;
  /** The service's own files, refused as SQLite and DuckDB warehouses (absent: nothing is refused). */
  readonly protectedPaths?: ProtectedPaths;
}

export type DriverErrorCode = 'CONNECTION_FAILED' | 'AUTH_FAILED' | 'TIMEOUT' | 'PERMISSION_DENIED' | 'QUERY_FAILED';

export class DriverError extends Error {
  readonly code: DriverErrorCode;
  readonly engine: Engine;
  readonly object: string | undefined;

  constructor(code: DriverErrorCode, engine: Engine, message: string, options?: { cause?: unknown; object?: string }) {
    super(sanitize(message), { cause: options?.cause });
    this.name = 'DriverError';
    this.code = code;
    this.engine = engine;
    this.object = options?.object;
  }

  /** Connection and authentication failures abandon a job (sync-engine.md section 9.2). */
  get abandonsJob(): boolean {
    return this.code === 'CONNECTION_FAILED' || this.code === 'AUTH_FAILED';
  }
}
