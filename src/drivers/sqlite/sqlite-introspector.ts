// SQLite catalog queries (sync-engine.md sections 4.3 and 4.7): one statement per describe call over `sqlite_schema`
// and the table-valued pragmas, the raw rows they return, and pure mappers from those rows to driver metadata.
// Names are ordered under SQLite's default BINARY collation, which compares bytes.
import type {
  FieldMetadata,
  ForeignKeyMetadata,
  IndexMetadata,
  Scope,
  TableKind,
  TableMetadata,
  TableRef,
} from '../driver.ts';
import { sqliteBaseType } from './sqlite-types.ts';

export interface CatalogQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export interface SqliteTableRow {
  readonly name: string;
  readonly type: 'table' | 'view';
}

export interface SqliteFieldRow {
  readonly table_name: string;
  readonly name: string;
  readonly type: string;
  readonly notnull: number;
  readonly dflt_value: string | null;
  readonly pk: number;
  readonly hidden: number;
  readonly position: number;
  readonly is_rowid_alias: number;
}

export interface SqliteForeignKeyRow {
  readonly table_name: string;
  readonly constraint_name: string;
  readonly seq: number;
  readonly column_name: string;
  readonly target_table: string;
  /** Null when the target column cannot be resolved (an implicit primary key of a missing table). */
  readonly target_column: string | null;
}

export interface SqliteIndexRow {
  readonly table_name: string;
  readonly index_name: string;
  readonly is_unique: number;
  readonly origin: string;
  readonly partial: number;
  readonly seqno: number;
  readonly cid: number;
  readonly column_name: string | null;
}

const USER_OBJECTS = `s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`;
const IN_SCOPE = 'IN (SELECT value FROM json_each(?))';

/** Names of a table scope as one JSON array parameter; SQLite tables have no schema, so refs with one match nothing. */
export function scopeNames(tables: readonly TableRef[]): string {
  return JSON.stringify(tables.filter((ref) => ref.schema === null).map((ref) => ref.name));
}

function scoped(scope: Scope, filter: string, parameterCount = 1): { filter: string; params: readonly unknown[] } {
  if (scope.kind === 'database') return { filter: '', params: [] };
  const names = scopeNames(scope.tables);
  return { filter: `\n  AND ${filter}`, params: Array.from({ length: parameterCount }, () => names) };
}

export function tablesQuery(scope: Scope): CatalogQuery {
  const { filter, params } = scoped(scope, `s.name ${IN_SCOPE}`);
  const sql = `SELECT s.name, s.type
FROM sqlite_schema AS s
WHERE s.type IN ('table', 'view')
  AND ${USER_OBJECTS}${filter}
ORDER BY s.name`;
  return { sql, params };
}

/**
 * Hidden 1 (a virtual table's hidden column) is left out before numbering, so positions stay dense. An INTEGER column
 * that is the table's sole PK is a rowid alias unless a 'pk' index exists (WITHOUT ROWID, or `INTEGER PRIMARY KEY
 * DESC`, which SQLite does not treat as an alias).
 */
export function fieldsQuery(scope: Scope): CatalogQuery {
  const { filter, params } = scoped(scope, `s.name ${IN_SCOPE}`);
  const sql = `SELECT s.name AS table_name,
  c.name,
  c.type,
  c."notnull",
  c.dflt_value,
  c.pk,
  c.hidden,
  row_number() OVER (PARTITION BY s.name ORDER BY c.cid) - 1 AS position,
  c.pk = 1 AND upper(c.type) = 'INTEGER'
    AND sum(c.pk > 0) OVER (PARTITION BY s.name) = 1
    AND NOT EXISTS (SELECT 1 FROM pragma_index_list(s.name) AS i WHERE i.origin = 'pk') AS is_rowid_alias
FROM sqlite_schema AS s
JOIN pragma_table_xinfo(s.name) AS c
WHERE s.type IN ('table', 'view')
  AND ${USER_OBJECTS}
  AND c.hidden IN (0, 2, 3)${filter}
ORDER BY s.name, c.cid`;
  return { sql, params };
}

/**
 * The target table and columns are reported with their declared spelling (a REFERENCES clause may spell them in
 * another case); a NULL target column means the target's primary key, matched by key order.
 */
export function foreignKeysQuery(scope: Scope): CatalogQuery {
  const target = `coalesce(ts.name, f."table")`;
  const { filter, params } = scoped(scope, `(s.name ${IN_SCOPE} OR ${target} ${IN_SCOPE})`, 2);
  const sql = `SELECT s.name AS table_name,
  'fk_' || s.name || '_' || f.id AS constraint_name,
  f.seq,
  f."from" AS column_name,
  ${target} AS target_table,
  coalesce(tc.name, f."to") AS target_column
FROM sqlite_schema AS s
JOIN pragma_foreign_key_list(s.name) AS f
LEFT JOIN sqlite_schema AS ts ON ts.type = 'table' AND ts.name = f."table" COLLATE NOCASE
LEFT JOIN pragma_table_info(f."table") AS tc
  ON CASE WHEN f."to" IS NULL THEN tc.pk = f.seq + 1 ELSE tc.name = f."to" COLLATE NOCASE END
WHERE s.type = 'table'
  AND ${USER_OBJECTS}${filter}
ORDER BY s.name, constraint_name, f.seq`;
  return { sql, params };
}

export function indexesQuery(scope: Scope): CatalogQuery {
  const { filter, params } = scoped(scope, `s.name ${IN_SCOPE}`);
  const sql = `SELECT s.name AS table_name,
  il.name AS index_name,
  il."unique" AS is_unique,
  il.origin,
  il.partial,
  ii.seqno,
  ii.cid,
  ii.name AS column_name
FROM sqlite_schema AS s
JOIN pragma_index_list(s.name) AS il
JOIN pragma_index_info(il.name) AS ii
WHERE s.type = 'table'
  AND ${USER_OBJECTS}${filter}
ORDER BY s.name, il.name, ii.seqno`;
  return { sql, params };
}

export function toTableMetadata(row: SqliteTableRow): TableMetadata {
  const kind: TableKind = row.type === 'view' ? 'view' : 'table';
  return Object.freeze({ schema: null, name: row.name, kind, comment: null, estimatedRowCount: null, objectId: null });
}

export function toFieldMetadata(row: SqliteFieldRow): FieldMetadata {
  const isAutoIncrement = row.is_rowid_alias === 1;
  const isGenerated = row.hidden === 2 || row.hidden === 3;
  const notNull = row.notnull === 1 || isAutoIncrement;
  return Object.freeze({
    tableSchema: null,
    tableName: row.table_name,
    name: row.name,
    databaseType: row.type,
    baseType: sqliteBaseType(row.type),
    semanticHint: null,
    position: row.position,
    isNullable: !notNull,
    isPk: row.pk > 0,
    isAutoIncrement,
    isGenerated,
    isRequired: notNull && row.dflt_value === null && !isAutoIncrement && !isGenerated,
    default: row.dflt_value,
    comment: null,
    objectId: null,
  });
}

/**
 * One constraint from its rows (one per column, in key order). A constraint whose target column cannot be resolved
 * (it names the implicit primary key of a table that does not exist) is dropped: there is nothing to point at.
 */
export function toForeignKeyMetadata(rows: readonly SqliteForeignKeyRow[]): ForeignKeyMetadata | null {
  const first = rows[0];
  if (!first || rows.some((row) => row.target_column === null)) return null;
  return Object.freeze({
    constraintName: first.constraint_name,
    tableSchema: null,
    tableName: first.table_name,
    columns: Object.freeze(rows.map((row) => row.column_name)),
    targetSchema: null,
    targetTable: first.target_table,
    targetColumns: Object.freeze(rows.map((row) => row.target_column as string)),
  });
}

/** One index from its rows (one per key column, in key order); cid -2 is an expression, reported as null. */
export function toIndexMetadata(rows: readonly SqliteIndexRow[]): IndexMetadata {
  const first = rows[0];
  if (!first) throw new TypeError('An index needs at least one key column row.');
  return Object.freeze({
    tableSchema: null,
    tableName: first.table_name,
    indexName: first.index_name,
    columns: Object.freeze(rows.map((row) => (row.cid === -2 ? null : row.column_name))),
    isUnique: first.is_unique === 1,
    isPrimary: first.origin === 'pk',
    isPartial: first.partial === 1,
  });
}
