// DuckDB catalog introspection (sync-engine.md 4.3, 4.7): one statement per describe method over the duckdb_*() table
// functions of the connected database, the scoped variant being the same statement plus bound (schema, name) lists;
// raw rows and pure mappers. DuckDB's default ordering of VARCHAR compares bytes, as 4.3 requires.
import type {
  FieldMetadata,
  ForeignKeyMetadata,
  IndexMetadata,
  TableKind,
  TableMetadata,
  TableRef,
} from '../driver.ts';
import { mapDuckdbType } from './duckdb-types.ts';
import type { SchemaFilter } from '../schema-filter.ts';

export interface CatalogQuery {
  readonly text: string;
  /** Bound in order to $1, $2, …: name lists as VARCHAR[], numbers as INTEGER, strings as VARCHAR. */
  readonly values: readonly BoundValue[];
}

export type BoundValue = { readonly kind: 'names'; readonly names: readonly string[] } | number | string;

/** A table scope as two aligned name lists; refs with a null schema name nothing DuckDB has and are left out. */
export interface ScopedRefs {
  readonly schemas: readonly string[];
  readonly names: readonly string[];
}

export function scopedRefs(tables: readonly TableRef[]): ScopedRefs {
  const schemas: string[] = [];
  const names: string[] = [];
  for (const ref of tables) {
    if (ref.schema === null) continue;
    schemas.push(ref.schema);
    names.push(ref.name);
  }
  return { schemas, names };
}

class Params {
  readonly values: BoundValue[] = [];

  add(value: BoundValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `(schema, name)` is one of the refs: the two lists are unnested side by side, pairing them by position. */
function inRefs(params: Params, refs: ScopedRefs): (schema: string, name: string) => string {
  const schemas = params.add({ kind: 'names', names: refs.schemas });
  const names = params.add({ kind: 'names', names: refs.names });
  return (schema, name) => `(${schema}, ${name}) IN (SELECT unnest(${schemas}), unnest(${names}))`;
}

/** The bound schema filter: its LIKE patterns as one list parameter. */
interface BoundSchemaFilter {
  readonly mode: SchemaFilter['mode'];
  readonly patterns: string;
}

/** User objects of the connected database, outside the system schemas, and within the schema filter when set. */
function objectConditions(alias: string, schemaFilter: BoundSchemaFilter | null): string[] {
  const conditions = [
    `${alias}.database_name = current_database()`,
    `NOT ${alias}.internal`,
    `NOT ${alias}.temporary`,
    `${alias}.schema_name NOT IN ('information_schema', 'pg_catalog')`,
  ];
  if (schemaFilter) {
    const pattern = `SELECT 1 FROM unnest(${schemaFilter.patterns}) AS p (pattern)`;
    const matches = `EXISTS (${pattern} WHERE ${alias}.schema_name LIKE p.pattern ESCAPE '\\')`;
    conditions.push(schemaFilter.mode === 'inclusion' ? matches : `NOT ${matches}`);
  }
  return conditions;
}

/** The CTE `relation`: the reported tables and views, scoped to the refs when given. */
function relationCte(params: Params, schemaFilter: SchemaFilter | null, refs: ScopedRefs | null): string {
  const bound = schemaFilter
    ? { mode: schemaFilter.mode, patterns: params.add({ kind: 'names', names: schemaFilter.likePatterns }) }
    : null;
  const tables = objectConditions('t', bound);
  const views = objectConditions('v', bound);
  if (refs) {
    const inScope = inRefs(params, refs);
    tables.push(inScope('t.schema_name', 't.table_name'));
    views.push(inScope('v.schema_name', 'v.view_name'));
  }
  return `relation AS (
  SELECT t.schema_name, t.table_name, 'table' AS kind, t.comment, t.estimated_size
  FROM duckdb_tables() t
  WHERE ${tables.join('\n    AND ')}
  UNION ALL
  SELECT v.schema_name, v.view_name, 'view', v.comment, NULL
  FROM duckdb_views() v
  WHERE ${views.join('\n    AND ')}
)`;
}

export interface DuckdbTableRow {
  readonly schema_name: string;
  readonly table_name: string;
  readonly kind: 'table' | 'view';
  readonly comment: string | null;
  readonly estimated_size: bigint | null;
}

export function tablesQuery(refs: ScopedRefs | null, schemaFilter: SchemaFilter | null): CatalogQuery {
  const params = new Params();
  const text = `WITH ${relationCte(params, schemaFilter, refs)}
SELECT r.schema_name, r.table_name, r.kind, r.comment, r.estimated_size
FROM relation r
ORDER BY r.schema_name, r.table_name`;
  return { text, values: params.values };
}

export interface DuckdbColumnRow {
  readonly schema_name: string;
  readonly table_name: string;
  readonly column_name: string;
  /** 0-based dense position within the table. */
  readonly position: bigint;
  readonly data_type: string;
  /** The logical type of a user-defined type named by data_type, else null. */
  readonly logical_type: string | null;
  readonly is_nullable: boolean;
  readonly column_default: string | null;
  readonly comment: string | null;
  readonly is_pk: boolean;
}

/**
 * Columns of the reported relations with the PK flag from the PRIMARY KEY constraint (its column indexes are 0-based,
 * column_index is 1-based) and user-defined type names resolved through duckdb_types().
 */
export function columnsQuery(refs: ScopedRefs | null, schemaFilter: SchemaFilter | null): CatalogQuery {
  const params = new Params();
  const text = `WITH ${relationCte(params, schemaFilter, refs)}, primary_key AS (
  SELECT k.schema_name, k.table_name, unnest(k.constraint_column_indexes) AS column_offset
  FROM duckdb_constraints() k
  WHERE k.database_name = current_database() AND k.constraint_type = 'PRIMARY KEY'
), user_type AS (
  SELECT ty.schema_name, ty.type_name, ty.logical_type
  FROM duckdb_types() ty
  WHERE ty.database_name = current_database() AND NOT ty.internal
)
SELECT c.schema_name, c.table_name, c.column_name,
  row_number() OVER (PARTITION BY c.schema_name, c.table_name ORDER BY c.column_index) - 1 AS position,
  c.data_type, ut.logical_type, c.is_nullable, c.column_default, c.comment,
  pk.column_offset IS NOT NULL AS is_pk
FROM duckdb_columns() c
JOIN relation r ON r.schema_name = c.schema_name AND r.table_name = c.table_name
LEFT JOIN primary_key pk
  ON pk.schema_name = c.schema_name AND pk.table_name = c.table_name AND pk.column_offset = c.column_index - 1
LEFT JOIN user_type ut ON ut.schema_name = c.schema_name AND ut.type_name = c.data_type
WHERE c.database_name = current_database()
ORDER BY c.schema_name, c.table_name, c.column_index`;
  return { text, values: params.values };
}

export interface DuckdbForeignKeyRow {
  readonly schema_name: string;
  readonly table_name: string;
  readonly constraint_name: string;
  /** The referenced table as the catalog spells it, in the source table's schema. */
  readonly target_table: string;
  readonly column_names: readonly string[];
  readonly target_column_names: readonly string[];
}

/**
 * FOREIGN KEY constraints of reported tables. DuckDB names a constraint after its columns, so two constraints of one
 * table on the same columns share a name: the second and later ones get `_2`, `_3`, … in constraint order. The target
 * table is resolved in the source table's schema (DuckDB has no cross-schema FKs), by name without regard to case as
 * DuckDB resolves it. A table scope matches constraints whose source or target is in scope.
 */
export function foreignKeysQuery(refs: ScopedRefs | null, schemaFilter: SchemaFilter | null): CatalogQuery {
  const params = new Params();
  const scope = refs ? inRefs(params, refs) : null;
  const where = scope
    ? `\nWHERE ${scope('f.schema_name', 'f.table_name')}\n  OR ${scope('f.schema_name', 'f.target_table')}`
    : '';
  const text = `WITH ${relationCte(params, schemaFilter, null)}, foreign_key AS (
  SELECT k.schema_name, k.table_name,
    k.constraint_name || CASE
      WHEN row_number() OVER same_name > 1 THEN '_' || row_number() OVER same_name
      ELSE ''
    END AS constraint_name,
    coalesce(t.table_name, k.referenced_table) AS target_table,
    k.constraint_column_names AS column_names,
    k.referenced_column_names AS target_column_names
  FROM duckdb_constraints() k
  JOIN relation r ON r.schema_name = k.schema_name AND r.table_name = k.table_name
  LEFT JOIN duckdb_tables() t
    ON t.database_name = k.database_name AND t.schema_name = k.schema_name
    AND lower(t.table_name) = lower(k.referenced_table)
  WHERE k.database_name = current_database() AND k.constraint_type = 'FOREIGN KEY'
  WINDOW same_name AS (PARTITION BY k.schema_name, k.table_name, k.constraint_name ORDER BY k.constraint_index)
)
SELECT f.schema_name, f.table_name, f.constraint_name, f.target_table, f.column_names, f.target_column_names
FROM foreign_key f${where}
ORDER BY f.schema_name, f.table_name, f.constraint_name`;
  return { text, values: params.values };
}

export interface DuckdbIndexRow {
  readonly schema_name: string;
  readonly table_name: string;
  readonly index_name: string;
  /** CREATE INDEX key expressions as SQL text, or a PRIMARY KEY / UNIQUE constraint's column names. */
  readonly expressions: readonly string[];
  readonly from_constraint: boolean;
  readonly is_unique: boolean;
  readonly is_primary: boolean;
  /** The table's column names, to resolve plain-column expressions to their catalog spelling. */
  readonly table_columns: readonly string[];
}

/**
 * duckdb_indexes() (its `expressions` is the text of a list, cast back to a list) plus the PRIMARY KEY and UNIQUE
 * constraints as unique indexes. DuckDB has no partial indexes.
 */
export function indexesQuery(refs: ScopedRefs | null, schemaFilter: SchemaFilter | null): CatalogQuery {
  const params = new Params();
  const text = `WITH ${relationCte(params, schemaFilter, refs)}, index_entry AS (
  SELECT i.schema_name, i.table_name, i.index_name, CAST(i.expressions AS VARCHAR[]) AS expressions,
    false AS from_constraint, i.is_unique, false AS is_primary
  FROM duckdb_indexes() i
  WHERE i.database_name = current_database()
  UNION ALL
  SELECT k.schema_name, k.table_name, k.constraint_name, k.constraint_column_names,
    true, true, k.constraint_type = 'PRIMARY KEY'
  FROM duckdb_constraints() k
  WHERE k.database_name = current_database() AND k.constraint_type IN ('PRIMARY KEY', 'UNIQUE')
), table_column AS (
  SELECT c.schema_name, c.table_name, list(c.column_name ORDER BY c.column_index) AS table_columns
  FROM duckdb_columns() c
  JOIN relation r ON r.schema_name = c.schema_name AND r.table_name = c.table_name
  WHERE c.database_name = current_database()
  GROUP BY c.schema_name, c.table_name
)
SELECT e.schema_name, e.table_name, e.index_name, e.expressions, e.from_constraint, e.is_unique, e.is_primary,
  tc.table_columns
FROM index_entry e
JOIN relation r ON r.schema_name = e.schema_name AND r.table_name = e.table_name
JOIN table_column tc ON tc.schema_name = e.schema_name AND tc.table_name = e.table_name
ORDER BY e.schema_name, e.table_name, e.index_name`;
  return { text, values: params.values };
}

function nonEmpty(text: string | null): string | null {
  return text === null || text === '' ? null : text;
}

export function mapTable(row: DuckdbTableRow): TableMetadata {
  const kind: TableKind = row.kind === 'view' ? 'view' : 'table';
  return Object.freeze({
    schema: row.schema_name,
    name: row.table_name,
    kind,
    comment: nonEmpty(row.comment),
    estimatedRowCount: kind === 'table' && row.estimated_size !== null ? Number(row.estimated_size) : null,
    objectId: null,
  });
}

/**
 * DuckDB has no auto-increment or identity columns: a default drawing from a sequence (`nextval('seq')`) is the
 * equivalent, as a PostgreSQL serial is. DuckDB's catalog does not tell generated columns apart (duckdb_columns()
 * reports their expression as the default), so isGenerated is false.
 */
export function mapColumn(row: DuckdbColumnRow): FieldMetadata {
  const type = mapDuckdbType(row.data_type, row.logical_type);
  const defaultExpr = row.column_default;
  const isAutoIncrement = defaultExpr !== null && /^nextval\(/i.test(defaultExpr);
  return Object.freeze({
    tableSchema: row.schema_name,
    tableName: row.table_name,
    name: row.column_name,
    databaseType: row.data_type,
    baseType: type.baseType,
    semanticHint: type.semanticHint,
    position: Number(row.position),
    isNullable: row.is_nullable,
    isPk: row.is_pk,
    isAutoIncrement,
    isGenerated: false,
    isRequired: !row.is_nullable && defaultExpr === null && !isAutoIncrement,
    default: defaultExpr,
    comment: nonEmpty(row.comment),
    objectId: null,
  });
}

export function mapForeignKey(row: DuckdbForeignKeyRow): ForeignKeyMetadata {
  return Object.freeze({
    constraintName: row.constraint_name,
    tableSchema: row.schema_name,
    tableName: row.table_name,
    columns: Object.freeze([...row.column_names]),
    targetSchema: row.schema_name,
    targetTable: row.target_table,
    targetColumns: Object.freeze([...row.target_column_names]),
  });
}

const QUOTED_IDENTIFIER = /^"((?:[^"]|"")*)"$/s;
const BARE_IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_$]*$/u;

/**
 * An index key expression as DuckDB prints it → the column it names, in the table's spelling (identifiers match
 * without regard to case in DuckDB), or null for any other expression: `pb`, `"Order"` and `ORDER_ID` name columns,
 * `(lower(pb))` does not.
 */
export function indexExpressionColumn(expression: string, tableColumns: readonly string[]): string | null {
  const text = expression.trim();
  const quoted = QUOTED_IDENTIFIER.exec(text);
  const name = quoted ? quoted[1].replaceAll('""', '"') : BARE_IDENTIFIER.test(text) ? text : null;
  if (name === null) return null;
  if (tableColumns.includes(name)) return name;
  const folded = tableColumns.filter((column) => column.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : null;
}

export function mapIndex(row: DuckdbIndexRow): IndexMetadata {
  const columns = row.from_constraint
    ? row.expressions
    : row.expressions.map((expression) => indexExpressionColumn(expression, row.table_columns));
  return Object.freeze({
    tableSchema: row.schema_name,
    tableName: row.table_name,
    indexName: row.index_name,
    columns: Object.freeze([...columns]),
    isUnique: row.is_unique,
    isPrimary: row.is_primary,
    isPartial: false,
  });
}
