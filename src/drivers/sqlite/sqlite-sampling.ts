// SQLite data queries of analysis (sync-engine.md 4.5): the sample statement, the batched distinct-values statement
// and the normalization of values by their declared column type. Pure; the driver runs the statements.
import type { SampleField, TableRef } from '../driver.ts';
import { quoteIdentifier } from '../identifiers.ts';
import { normalizeBigInt, normalizeLocalTimestampText } from '../value-normalization.ts';
import type { CatalogQuery } from './sqlite-introspector.ts';
import { sqliteBaseType } from './sqlite-types.ts';

/** `SELECT <fields> FROM <table> LIMIT ?`, text fields cut to `?` characters with substr, no ORDER BY. */
export function sampleQuery(
  table: TableRef,
  fields: readonly SampleField[],
  opts: { readonly limit: number; readonly textTruncate: number },
): CatalogQuery {
  const params: unknown[] = [];
  const columns = fields.map((field) => {
    const column = quoteIdentifier(field.name);
    if (!field.truncateText) return column;
    params.push(opts.textTruncate);
    return `substr(${column}, 1, ?)`;
  });
  params.push(opts.limit);
  return { sql: `SELECT ${columns.join(', ')} FROM ${quoteIdentifier(table.name)} LIMIT ?`, params };
}

/**
 * One statement for the distinct values of several fields: a UNION ALL of the per-field selects, each a subquery
 * tagged with the field's index `i` and giving its values in its own column `v<i>` (NULL in the other branches).
 * SQLite needs no common type across a UNION, so nothing is cast. The leading `WHERE 0` branch reads no row: it names
 * every column directly, so the compound's declared types (taken from its leftmost select) and collations are the
 * fields' own, which normalization needs (booleans). ORDER BY i, v0, v1, … keeps each branch ascending.
 */
export function distinctValuesQuery(
  table: TableRef,
  fields: readonly string[],
  opts: { readonly limit: number },
): CatalogQuery {
  const from = quoteIdentifier(table.name);
  const columns = fields.map(quoteIdentifier);
  const typed = `SELECT NULL AS i, ${columns.map((c, j) => `${c} AS v${j}`).join(', ')} FROM ${from} WHERE 0`;
  const branches = columns.map((column, i) => {
    const values = columns.map((_, j) => (j === i ? `d.${column}` : 'NULL'));
    const select = `SELECT DISTINCT ${column} FROM ${from} WHERE ${column} IS NOT NULL ORDER BY ${column} LIMIT ?`;
    return `SELECT ${i}, ${values.join(', ')} FROM (${select}) AS d`;
  });
  const order = ['i', ...fields.map((_, j) => `v${j}`)].join(', ');
  const sql = `${[typed, ...branches].join('\nUNION ALL\n')}\nORDER BY ${order}`;
  return { sql, params: fields.map(() => opts.limit) };
}

const decoder = new TextDecoder();

/**
 * A value as the worker returns it (integers as BigInts) → 4.5's form, by the column's declared type: 0 and 1 of a
 * boolean column become booleans, `YYYY-MM-DD HH:MM:SS` of a datetime column takes the ISO `T`, a blob becomes its
 * text (as SQLite's CAST to TEXT reads it).
 */
export function normalizeSqliteValue(value: unknown, baseType: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    if (baseType === 'type/Boolean' && (value === 0n || value === 1n)) return value === 1n;
    return normalizeBigInt(value);
  }
  if (typeof value === 'number') {
    if (baseType === 'type/Boolean' && (value === 0 || value === 1)) return value === 1;
    return value;
  }
  if (typeof value === 'string') return baseType === 'type/DateTime' ? normalizeLocalTimestampText(value) : value;
  if (value instanceof Uint8Array) return decoder.decode(value);
  return String(value);
}

/** The base type of each result column from its declared type; an expression (null) reads as type/*. */
export function columnBaseTypes(declaredTypes: readonly (string | null)[]): string[] {
  return declaredTypes.map((declared) => (declared === null ? 'type/*' : sqliteBaseType(declared)));
}

/** Rows of distinctValuesQuery (arrays: i, v0, v1, …) → one ascending list per field, normalized. */
export function groupDistinctRows(
  rows: readonly (readonly unknown[])[],
  baseTypes: readonly string[],
  fieldCount: number,
): unknown[][] {
  const lists: unknown[][] = Array.from({ length: fieldCount }, () => []);
  for (const row of rows) {
    const i = Number(row[0]);
    lists[i].push(normalizeSqliteValue(row[1 + i], baseTypes[1 + i] ?? 'type/*'));
  }
  return lists;
}
