// PostgreSQL data queries of analysis (sync-engine.md 4.5): the sample statement, the batched distinct-values statement
// and the result-type parsers that normalize values. Pure; the driver runs the statements.
import type { SampleField, TableRef } from '../driver.ts';
import { quoteIdentifier, quoteTable } from '../identifiers.ts';
import {
  normalizeDecimalText,
  normalizeIntegerText,
  normalizeLocalTimestampText,
  normalizeUtcTimestampText,
} from '../value-normalization.ts';
import type { CatalogQuery } from './postgres-introspector.ts';

/** `SELECT <fields> FROM <table> LIMIT $1`, text fields cut to `$2` characters in SQL, no ORDER BY. */
export function sampleQuery(
  table: TableRef,
  fields: readonly SampleField[],
  opts: { readonly limit: number; readonly textTruncate: number },
): CatalogQuery {
  const columns = fields.map((field) => {
    const column = quoteIdentifier(field.name);
    return field.truncateText ? `substring(CAST(${column} AS text), 1, $2)` : column;
  });
  const truncates = fields.some((field) => field.truncateText);
  return {
    text: `SELECT ${columns.join(', ')} FROM ${quoteTable(table)} LIMIT $1`,
    values: truncates ? [opts.limit, opts.textTruncate] : [opts.limit],
  };
}

/**
 * One statement for the distinct values of several fields: a UNION ALL of the per-field selects, each a subquery
 * tagged with the field's index `i`. Instead of casting every branch to text, each field gets its own result column
 * (`v<i>`, NULL in the other branches), so its values keep their type and are normalized exactly as sampled ones, with
 * no text round trip. The leading `WHERE false` branch reads no row (the plan is a one-time false filter): it names
 * every column, so each result column takes its field's type and collation, where two bare NULLs would otherwise
 * resolve to text. The final ORDER BY i, v0, v1, … keeps each branch ascending whatever order the Append yields.
 */
export function distinctValuesQuery(
  table: TableRef,
  fields: readonly string[],
  opts: { readonly limit: number },
): CatalogQuery {
  const from = quoteTable(table);
  const columns = fields.map(quoteIdentifier);
  const typed = `SELECT NULL::integer AS i, ${columns.map((c, j) => `${c} AS v${j}`).join(', ')} FROM ${from} WHERE false`;
  const branches = columns.map((column, i) => {
    const values = columns.map((_, j) => (j === i ? `d.${column}` : 'NULL'));
    const select = `SELECT DISTINCT ${column} FROM ${from} WHERE ${column} IS NOT NULL ORDER BY ${column} LIMIT $1`;
    return `SELECT ${i}, ${values.join(', ')} FROM (${select}) AS d`;
  });
  const order = ['i', ...fields.map((_, j) => `v${j}`)].join(', ');
  return { text: `${[typed, ...branches].join('\nUNION ALL\n')}\nORDER BY ${order}`, values: [opts.limit] };
}

/** Rows of distinctValuesQuery (arrays: i, v0, v1, …) → one ascending list per field. */
export function groupDistinctRows(rows: readonly (readonly unknown[])[], fieldCount: number): unknown[][] {
  const lists: unknown[][] = Array.from({ length: fieldCount }, () => []);
  for (const row of rows) {
    const i = Number(row[0]);
    lists[i].push(row[1 + i]);
  }
  return lists;
}

const identity = (text: string): string => text;

/**
 * Text-format parsers by type oid for the data sessions (TimeZone UTC, DateStyle ISO): 4.5's normalization. Types not
 * listed here (text, enums, uuid, inet, money, intervals, …) keep PostgreSQL's text form.
 */
const PARSERS: ReadonlyMap<number, (text: string) => unknown> = new Map<number, (text: string) => unknown>([
  [16, (text) => text === 't'],
  [20, normalizeIntegerText],
  [21, Number],
  [23, Number],
  [26, Number],
  [700, Number],
  [701, Number],
  [1700, normalizeDecimalText],
  [1082, identity],
  [1083, identity],
  [1114, normalizeLocalTimestampText],
  [1184, normalizeUtcTimestampText],
]);

/** The pg `types` option of the data queries. */
export const SAMPLE_TYPES = Object.freeze({
  getTypeParser: (oid: number): ((text: string) => unknown) => PARSERS.get(oid) ?? identity,
});

/** Session settings of the data connections, so that temporal values arrive in the forms normalization expects. */
export const DATA_SESSION_OPTIONS = '-c TimeZone=UTC -c DateStyle=ISO,MDY -c extra_float_digits=1';

/**
 * An exact loose index scan over an index that leads with the column: a recursive CTE whose every step asks the index
 * for the next larger value, at most `limit` probes whatever the table's size.
 */
export function looseScanQuery(table: TableRef, field: string, opts: { readonly limit: number }): CatalogQuery {
  const from = quoteTable(table);
  const column = quoteIdentifier(field);
  const text = `WITH RECURSIVE r(v, n) AS (
      (SELECT ${column}, 1 FROM ${from} WHERE ${column} IS NOT NULL ORDER BY ${column} LIMIT 1)
      UNION ALL
      SELECT (SELECT ${column} FROM ${from} WHERE ${column} > r.v ORDER BY ${column} LIMIT 1), r.n + 1
      FROM r WHERE r.v IS NOT NULL AND r.n < $1)
    SELECT v FROM r WHERE v IS NOT NULL`;
  return { text, values: [opts.limit] };
}

/** Distinct values over a block sample of about `rowBudget` rows spread over the table, never more than that. */
export function boundedDistinctQuery(
  table: TableRef,
  field: string,
  opts: { readonly limit: number; readonly rowBudget: number; readonly estimate: number },
): CatalogQuery {
  const column = quoteIdentifier(field);
  const percent = Math.min(100, (opts.rowBudget / Math.max(1, opts.estimate)) * 100);
  const sampled = `SELECT ${column} FROM ${quoteTable(table)} TABLESAMPLE SYSTEM ($1) LIMIT $2`;
  return {
    text: `SELECT DISTINCT ${column} FROM (${sampled}) AS s WHERE ${column} IS NOT NULL ORDER BY ${column} LIMIT $3`,
    values: [percent, opts.rowBudget, opts.limit],
  };
}
