// PostgreSQL catalog introspection (sync-engine.md 4.3, 4.7): one statement per describe method over pg_catalog, the
// scoped variant being the same statement plus a bound (schema, name) filter; raw rows and pure mappers.
// Requires PostgreSQL 12 or later (pg_attribute.attgenerated, pg_constraint.conparentid).
import type {
  FieldMetadata,
  ForeignKeyMetadata,
  IndexMetadata,
  TableKind,
  TableMetadata,
  TableRef,
} from '../driver.ts';
import { mapPostgresType } from './postgres-types.ts';
import type { SchemaFilter } from '../schema-filter.ts';

export interface CatalogQuery {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** Null-schema refs never match on PostgreSQL; an empty result means "nothing to ask". */
export function scopedRefs(tables: readonly TableRef[]): { schemas: string[]; names: string[] } {
  const schemas: string[] = [];
  const names: string[] = [];
  for (const ref of tables) {
    if (ref.schema === null) continue;
    schemas.push(ref.schema);
    names.push(ref.name);
  }
  return { schemas, names };
}

type Refs = { readonly schemas: readonly string[]; readonly names: readonly string[] } | null;

class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `(n.nspname, c.relname)` is one of the bound refs (name[] so that the pg_class name index serves it). */
function inRefs(params: Params, refs: NonNullable<Refs>): string {
  const schemas = params.add(refs.schemas);
  const names = params.add(refs.names);
  return `(n.nspname, c.relname) IN (SELECT * FROM unnest(${schemas}::name[], ${names}::name[]))`;
}

/** The listing's relation filter (4.7) on pg_class `c` and pg_namespace `n`, plus the schema filter when set. */
function relationConditions(params: Params, schemaFilter: SchemaFilter | null): string[] {
  const conditions = [
    `c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
    `NOT c.relispartition`,
    `n.nspname !~ '^pg_'`,
    `n.nspname <> 'information_schema'`,
    `has_schema_privilege(n.oid, 'USAGE')`,
    `has_any_column_privilege(c.oid, 'SELECT')`,
  ];
  if (schemaFilter) {
    const matches = `n.nspname LIKE ANY (${params.add(schemaFilter.likePatterns)}::text[])`;
    conditions.push(schemaFilter.mode === 'inclusion' ? matches : `NOT ${matches}`);
  }
  return conditions;
}

/**
 * The CTE `rel`: the reported relations, scoped to the refs when given. It is MATERIALIZED so that it is planned on
 * its own: joined inline with the column joins it exceeded join_collapse_limit, and a scoped call then read every
 * column of the database (0.5 s instead of 4 ms on 10,000 tables).
 */
function relationsCte(params: Params, schemaFilter: SchemaFilter | null, refs: Refs): string {
  const conditions = relationConditions(params, schemaFilter);
  if (refs) conditions.push(inRefs(params, refs));
  return `rel AS MATERIALIZED (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE ${conditions.join('\n    AND ')}
)`;
}

export interface PgTableRow {
  readonly nspname: string;
  readonly relname: string;
  readonly relkind: string;
  readonly reltuples: number;
  readonly oid: string;
  readonly description: string | null;
}

export function tablesQuery(refs: Refs, schemaFilter: SchemaFilter | null): CatalogQuery {
  const params = new Params();
  const text = `WITH ${relationsCte(params, schemaFilter, refs)}
SELECT r.nspname, r.relname, r.relkind, r.reltuples, r.oid::text AS oid,
  obj_description(r.oid, 'pg_class') AS description
FROM rel r
ORDER BY r.nspname COLLATE "C", r.relname COLLATE "C"`;
  return { text, values: params.values };
}

export interface PgColumnRow {
  readonly nspname: string;
  readonly relname: string;
  readonly attname: string;
  readonly attnum: number;
  readonly attnotnull: boolean;
  readonly attidentity: string;
  readonly attgenerated: string;
  readonly type_nspname: string;
  readonly typname: string;
  readonly typtype: string;
  readonly typcategory: string;
  readonly default_expr: string | null;
  readonly description: string | null;
  readonly is_pk: boolean;
  /** With rowHashes only: the row's COLUMN_HASH, an int8 as text. */
  readonly row_hash?: string;
}

/**
 * The column listing's FROM clause over the CTE `rel`, after the CTEs that resolve domains, also domains over domains,
 * to their base type (`domain_chain`), shared by the listing and its digests.
 */
function columnsFrom(
  params: Params,
  refs: Refs,
  schemaFilter: SchemaFilter | null,
): { ctes: string; from: string; joins: string } {
  // Every table has a row type and an array type in pg_type, so a scoped call starts the domain chains from the
  // scoped columns' types instead of reading every domain (4 ms less on 10,000 tables, whatever the scope).
  const domains = refs
    ? `t.oid IN (SELECT a.atttypid FROM rel r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid) AND t.typtype = 'd'`
    : `t.typtype = 'd'`;
  const ctes = `WITH RECURSIVE ${relationsCte(params, schemaFilter, refs)}, domain_chain (oid, base_oid) AS (
  SELECT t.oid, t.typbasetype FROM pg_catalog.pg_type t WHERE ${domains}
  UNION ALL
  SELECT dc.oid, t.typbasetype
  FROM domain_chain dc
  JOIN pg_catalog.pg_type t ON t.oid = dc.base_oid AND t.typtype = 'd'
), domain_base AS (
  SELECT dc.oid, dc.base_oid
  FROM domain_chain dc
  JOIN pg_catalog.pg_type t ON t.oid = dc.base_oid AND t.typtype <> 'd'
)`;
  const joins = `LEFT JOIN domain_base db ON db.oid = a.atttypid
JOIN pg_catalog.pg_type t ON t.oid = coalesce(db.base_oid, a.atttypid)
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_index pk ON pk.indrelid = a.attrelid AND pk.indisprimary
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = a.attnum`;
  const from = `FROM rel r
JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
${joins}`;
  return { ctes, from, joins };
}

/**
 * A column's 64-bit hash in its table's digest (columnDigestsQuery): the versions (`xmin`) of the catalog rows its
 * listing row is read from (the column, its default, comment, primary key and resolved type, the type's schema), as
 * any update of such a row writes a new version; beside them its number, its resolved type, and the text of its
 * default, which names other objects (a sequence, say) whose rename touches none of those rows.
 */
const COLUMN_HASH = `hashtextextended(concat_ws(',', a.attnum, a.xmin, t.oid, t.xmin, tn.xmin, ad.xmin,
    pg_get_expr(ad.adbin, ad.adrelid), d.xmin, pk.xmin), 0)`;

/**
 * Columns ordered by (schema, table, attnum); the dense position is counted by the reader (see mapColumn). With
 * `rowHashes`, each row also carries its COLUMN_HASH as text (`row_hash`), whose sum over a table is its digest.
 */
export function columnsQuery(refs: Refs, schemaFilter: SchemaFilter | null, rowHashes = false): CatalogQuery {
  const params = new Params();
  const { ctes, from } = columnsFrom(params, refs, schemaFilter);
  const text = `${ctes}
SELECT r.nspname, r.relname, a.attname, a.attnum, a.attnotnull, a.attidentity, a.attgenerated,
  tn.nspname AS type_nspname, t.typname, t.typtype, t.typcategory,
  pg_get_expr(ad.adbin, ad.adrelid) AS default_expr,
  d.description,
  coalesce(a.attnum = ANY ((pk.indkey::int2[])[0:pk.indnkeyatts - 1]), false) AS is_pk${rowHashes ? `,
  ${COLUMN_HASH}::text AS row_hash` : ''}
${from}
ORDER BY r.nspname COLLATE "C", r.relname COLLATE "C", a.attnum`;
  return { text, values: params.values };
}

export interface PgColumnDigestRow {
  readonly nspname: string;
  readonly relname: string;
  readonly fields: number;
  readonly digest: string;
}

/**
 * One digest per table of what the column listing reports (driver.ts describeChangedFields), over the same relations
 * and joins, without sending a row per column: its column count and the sum of its columns' COLUMN_HASH. Each table
 * is aggregated on its own (LATERAL): one aggregate over every column of the database planned as 846 groups spilled
 * to disk at 100,000 tables (16.7 s against 8.2 s). Ordered by (schema, table); tables without columns have no row.
 */
export function columnDigestsQuery(refs: Refs, schemaFilter: SchemaFilter | null): CatalogQuery {
  const params = new Params();
  const { ctes, joins } = columnsFrom(params, refs, schemaFilter);
  const text = `${ctes}
SELECT r.nspname, r.relname, x.fields, x.digest
FROM rel r
CROSS JOIN LATERAL (
  SELECT count(*)::int AS fields, sum(${COLUMN_HASH})::text AS digest
  FROM pg_catalog.pg_attribute a
  ${joins.replaceAll('\n', '\n  ')}
  WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
) x
WHERE x.fields > 0
ORDER BY r.nspname COLLATE "C", r.relname COLLATE "C"`;
  return { text, values: params.values };
}

export interface PgForeignKeyRow {
  readonly conname: string;
  readonly nspname: string;
  readonly relname: string;
  readonly target_nspname: string;
  readonly target_relname: string;
  /** Source and target columns, aligned by their ordinal in conkey/confkey. */
  readonly attnames: readonly string[];
  readonly target_attnames: readonly string[];
}

/**
 * A table scope matches constraints whose source or target is in scope; the source must be a reported relation. The
 * scoped constraints are matched with `= ANY (ARRAY(...))` so that the planner starts from them and not from every
 * relation (7 ms instead of 50 ms on 10,000 tables). Those whose target is in scope are found through pg_depend, whose
 * index on the referenced object serves them (a foreign key depends on its target's columns); pg_constraint has no
 * index on confrelid, and reading all of it grew with the warehouse (2 ms instead of 10 ms on 10,000 tables).
 */
export function foreignKeysQuery(refs: Refs, schemaFilter: SchemaFilter | null): CatalogQuery {
  const params = new Params();
  const conditions = [`con.contype = 'f'`, `con.conparentid = 0`, ...relationConditions(params, schemaFilter)];
  let scope = '';
  if (refs) {
    scope = `WITH scoped_rel AS MATERIALIZED (
  SELECT c.oid
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE ${inRefs(params, refs)}
), scoped_con AS MATERIALIZED (
  SELECT con.oid
  FROM pg_catalog.pg_constraint con
  WHERE con.conrelid IN (SELECT oid FROM scoped_rel)
  UNION
  SELECT d.objid
  FROM pg_catalog.pg_depend d
  WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid IN (SELECT oid FROM scoped_rel)
    AND d.classid = 'pg_catalog.pg_constraint'::regclass
)
`;
    conditions.push(`con.oid = ANY (ARRAY(SELECT oid FROM scoped_con))`);
  }
  const text = `${scope}SELECT con.conname, n.nspname, c.relname, tn.nspname AS target_nspname,
  tc.relname AS target_relname, cols.attnames, cols.target_attnames
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class tc ON tc.oid = con.confrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
CROSS JOIN LATERAL (
  SELECT array_agg(a.attname::text ORDER BY k.ord) AS attnames,
    array_agg(ta.attname::text ORDER BY k.ord) AS target_attnames
  FROM unnest(con.conkey, con.confkey) WITH ORDINALITY AS k (attnum, target_attnum, ord)
  JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
  JOIN pg_catalog.pg_attribute ta ON ta.attrelid = con.confrelid AND ta.attnum = k.target_attnum
) cols
WHERE ${conditions.join('\n  AND ')}
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", con.conname COLLATE "C"`;
  return { text, values: params.values };
}

export interface PgIndexRow {
  readonly nspname: string;
  readonly relname: string;
  readonly index_name: string;
  readonly indisunique: boolean;
  readonly indisprimary: boolean;
  readonly is_partial: boolean;
  /** Key columns in key order (INCLUDE columns left out); null for an expression (attnum 0). */
  readonly attnames: readonly (string | null)[];
}

export function indexesQuery(refs: Refs, schemaFilter: SchemaFilter | null): CatalogQuery {
  const params = new Params();
  const text = `WITH ${relationsCte(params, schemaFilter, refs)}
SELECT r.nspname, r.relname, ic.relname AS index_name, i.indisunique, i.indisprimary,
  i.indpred IS NOT NULL AS is_partial, cols.attnames
FROM rel r
JOIN pg_catalog.pg_index i ON i.indrelid = r.oid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
CROSS JOIN LATERAL (
  SELECT array_agg(a.attname::text ORDER BY k.ord) AS attnames
  FROM unnest(i.indkey) WITH ORDINALITY AS k (attnum, ord)
  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
  WHERE k.ord <= i.indnkeyatts
) cols
ORDER BY r.nspname COLLATE "C", r.relname COLLATE "C", ic.relname COLLATE "C"`;
  return { text, values: params.values };
}

const TABLE_KINDS: Readonly<Record<string, TableKind>> = {
  r: 'table',
  p: 'partitioned_table',
  v: 'view',
  m: 'materialized_view',
  f: 'foreign_table',
};

function nonEmpty(text: string | null): string | null {
  return text === null || text === '' ? null : text;
}

export function mapTable(row: PgTableRow): TableMetadata {
  const kind = TABLE_KINDS[row.relkind] ?? 'table';
  return Object.freeze({
    schema: row.nspname,
    name: row.relname,
    kind,
    comment: nonEmpty(row.description),
    estimatedRowCount: kind !== 'view' && row.reltuples >= 0 ? Math.round(row.reltuples) : null,
    objectId: row.oid,
  });
}

/** `typname`, written "schema"."name" outside public and pg_catalog, as Metabase does. */
export function databaseTypeOf(row: Pick<PgColumnRow, 'type_nspname' | 'typname'>): string {
  const schema = row.type_nspname;
  return schema === 'pg_catalog' || schema === 'public' ? row.typname : `"${schema}"."${row.typname}"`;
}

/**
 * The dense positions of a column listing read in order: each call takes the next row and returns its 0-based rank
 * within its table (every row must be passed, also those the reader then drops).
 */
export function columnPositions(): (row: Pick<PgColumnRow, 'nspname' | 'relname'>) => number {
  let schema: string | undefined;
  let table: string | undefined;
  let position = 0;
  return (row) => {
    if (row.relname !== table || row.nspname !== schema) {
      schema = row.nspname;
      table = row.relname;
      position = 0;
    }
    return position++;
  };
}

/** `position` is the column's 0-based dense rank within its table, counted by the reader over the ordered rows. */
export function mapColumn(row: PgColumnRow, position: number): FieldMetadata {
  const databaseType = databaseTypeOf(row);
  const type = mapPostgresType(databaseType, { isEnum: row.typtype === 'e', isArray: row.typcategory === 'A' });
  const isGenerated = row.attgenerated !== '';
  const defaultExpr = isGenerated ? null : row.default_expr;
  const isAutoIncrement = row.attidentity !== '' || (defaultExpr !== null && defaultExpr.startsWith('nextval('));
  return Object.freeze({
    tableSchema: row.nspname,
    tableName: row.relname,
    name: row.attname,
    databaseType,
    baseType: type.baseType,
    semanticHint: type.semanticHint,
    position,
    isNullable: !row.attnotnull,
    isPk: row.is_pk,
    isAutoIncrement,
    isGenerated,
    isRequired: row.attnotnull && defaultExpr === null && !isAutoIncrement && !isGenerated,
    default: defaultExpr,
    comment: nonEmpty(row.description),
    objectId: String(row.attnum),
  });
}

export function mapForeignKey(row: PgForeignKeyRow): ForeignKeyMetadata {
  return Object.freeze({
    constraintName: row.conname,
    tableSchema: row.nspname,
    tableName: row.relname,
    columns: Object.freeze([...row.attnames]),
    targetSchema: row.target_nspname,
    targetTable: row.target_relname,
    targetColumns: Object.freeze([...row.target_attnames]),
  });
}

export function mapIndex(row: PgIndexRow): IndexMetadata {
  return Object.freeze({
    tableSchema: row.nspname,
    tableName: row.relname,
    indexName: row.index_name,
    columns: Object.freeze([...row.attnames]),
    isUnique: row.indisunique,
    isPrimary: row.indisprimary,
    isPartial: row.is_partial,
  });
}
