// MySQL/MariaDB data queries of analysis (sync-engine.md 4.5): the sample statement, the batched distinct-values
// statement and the normalization of values by their result column's type. Pure; the driver runs the statements.
import type { SampleField, TableRef } from '../driver.ts';
import {
  normalizeBigInt,
  normalizeDecimalText,
  normalizeIntegerText,
  normalizeLocalTimestampText,
} from '../value-normalization.ts';
import type { CatalogQuery } from './mysql-introspector.ts';

export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** `SELECT <fields> FROM <table> LIMIT ?`, text fields cut with SUBSTRING(c, 1, ?), no ORDER BY; no schema. */
export function sampleQuery(
  table: TableRef,
  fields: readonly SampleField[],
  opts: { readonly limit: number; readonly textTruncate: number },
): CatalogQuery {
  const values: unknown[] = [];
  const columns = fields.map((field) => {
    const column = quoteIdentifier(field.name);
    if (!field.truncateText) return column;
    values.push(opts.textTruncate);
    return `SUBSTRING(${column}, 1, ?)`;
  });
  values.push(opts.limit);
  return { text: `SELECT ${columns.join(', ')} FROM ${quoteIdentifier(table.name)} LIMIT ?`, values };
}

/**
 * Distinct values of one field: the bounded statement of 4.5, with `GROUP BY c` for `DISTINCT c` (the same values):
 * MariaDB answers `SELECT DISTINCT c … ORDER BY c` on a bit(1) column with an integer column, where GROUP BY keeps
 * the bit type, and with it the boolean. For several fields, one statement: each field's statement is a derived table
 * `d<i>` tagged with the field's index, left-joined to the UNION ALL of the tags, so that each field has its own result
 * column. The values are not put through a UNION themselves: MariaDB's UNION result drops an integer column's display
 * width (tinyint(1) comes back as tinyint(4), even in a UNION of two tinyint(1)), and that width is how a result column
 * reads as a boolean. Joined on the tag, each column keeps its type, width, flags and collation, so values normalize
 * exactly as sampled ones, and ORDER BY k, v0, v1, … sorts each field as its own ORDER BY did (an ENUM by its index).
 * MariaDB joins the tags through keys on the derived tables: 20 fields of 1,001 values cost about what the same values
 * cost in one UNION ALL.
 */
export function distinctValuesQuery(
  table: TableRef,
  fields: readonly string[],
  opts: { readonly limit: number },
): CatalogQuery {
  const from = quoteIdentifier(table.name);
  const columns = fields.map(quoteIdentifier);
  const grouped = (column: string) =>
    `FROM ${from} WHERE ${column} IS NOT NULL GROUP BY ${column} ORDER BY ${column} LIMIT ?`;
  if (columns.length === 1) return { text: `SELECT ${columns[0]} ${grouped(columns[0])}`, values: [opts.limit] };
  const tags = columns.map((_, i) => (i === 0 ? 'SELECT 0 AS k' : `SELECT ${i}`)).join(' UNION ALL ');
  const joins = columns.map(
    (column, i) => `LEFT JOIN (SELECT ${i} AS k, ${column} AS v ${grouped(column)}) d${i} ON d${i}.k = tag.k`,
  );
  const values = columns.map((_, i) => `d${i}.v`).join(', ');
  const text = `SELECT tag.k, ${values}\nFROM (${tags}) tag\n${joins.join('\n')}\nORDER BY tag.k, ${values}`;
  return { text, values: fields.map(() => opts.limit) };
}

/** What normalization needs of a result column (the protocol's column definition). */
export interface ResultColumn {
  readonly columnType: number;
  /** Display width: 1 for tinyint(1) and bit(1). */
  readonly columnLength: number;
  readonly flags: number;
}

/** Protocol column types (MYSQL_TYPE_*) and the UNSIGNED column flag. */
const T = {
  DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, NULL: 6, TIMESTAMP: 7, LONGLONG: 8, INT24: 9, DATE: 10,
  TIME: 11, DATETIME: 12, YEAR: 13, NEWDATE: 14, BIT: 16, NEWDECIMAL: 246, GEOMETRY: 255,
} as const;
const UNSIGNED_FLAG = 32;

/** The raw form normalization starts from: BIT columns as bytes, everything else as UTF-8 text (mysql2 typeCast). */
export function rawValue(field: { type: string; string(encoding?: string): string | null; buffer(): Buffer | null }):
  string | Buffer | null {
  return field.type === 'BIT' ? field.buffer() : field.string('utf8');
}

function isZeroDate(text: string): boolean {
  return text.startsWith('0000-00-00');
}

/**
 * A raw value → 4.5's form, by its result column: integers and floats as numbers (BIGINT beyond ±(2^53−1) and inexact
 * decimals as strings), a signed tinyint(1) or a bit(1) as a boolean (unless tinyInt1isBit=false), DATETIME as
 * `2025-11-25T08:30:00`, TIMESTAMP as `…Z` (the session time zone is UTC), zero dates as null, geometry as null, and
 * any other value as its text (BINARY and BLOB values read as UTF-8, as the text of a CAST would).
 */
export function normalizeMysqlValue(
  raw: string | Buffer | null,
  column: ResultColumn,
  tinyInt1isBit: boolean,
): unknown {
  if (raw === null) return null;
  if (Buffer.isBuffer(raw)) {
    if (column.columnType !== T.BIT) return raw.toString('utf8');
    if (column.columnLength === 1) return raw.some((byte) => byte !== 0);
    return normalizeBigInt(BigInt(`0x${raw.toString('hex') || '0'}`));
  }
  switch (column.columnType) {
    case T.TINY:
      if (tinyInt1isBit && column.columnLength === 1 && (column.flags & UNSIGNED_FLAG) === 0) return raw !== '0';
      return Number(raw);
    case T.SHORT:
    case T.LONG:
    case T.INT24:
    case T.YEAR:
    case T.FLOAT:
    case T.DOUBLE:
      return Number(raw);
    case T.LONGLONG:
      return normalizeIntegerText(raw);
    case T.DECIMAL:
    case T.NEWDECIMAL:
      return normalizeDecimalText(raw);
    case T.DATE:
    case T.NEWDATE:
      return isZeroDate(raw) ? null : raw;
    case T.DATETIME:
      return isZeroDate(raw) ? null : normalizeLocalTimestampText(raw);
    case T.TIMESTAMP:
      return isZeroDate(raw) ? null : `${normalizeLocalTimestampText(raw)}Z`;
    case T.NULL:
    case T.GEOMETRY:
      return null;
    default:
      return raw;
  }
}

/** Rows of the batched distinctValuesQuery (k, v0, v1, …) or of the single-field one (v) → one list per field. */
export function groupDistinctRows(
  rows: readonly (readonly (string | Buffer | null)[])[],
  columns: readonly ResultColumn[],
  fieldCount: number,
  tinyInt1isBit: boolean,
): unknown[][] {
  const lists: unknown[][] = Array.from({ length: fieldCount }, () => []);
  for (const row of rows) {
    const i = fieldCount === 1 ? 0 : Number(row[0]);
    const at = fieldCount === 1 ? 0 : 1 + i;
    if (row[at] === null) continue;
    lists[i].push(normalizeMysqlValue(row[at], columns[at], tinyInt1isBit));
  }
  return lists;
}

/** The storage engine's row estimates (information_schema TABLES.TABLE_ROWS) of base tables of the current database. */
export function rowEstimatesQuery(names: readonly string[]): CatalogQuery {
  return {
    text: `SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME IN (${names.map(() => '?').join(', ')})`,
    values: [...names],
  };
}

/** Distinct values over the first `rowBudget` rows the engine reads (no sampling clause), in the single-field shape. */
export function boundedDistinctQuery(
  table: TableRef,
  field: string,
  opts: { readonly limit: number; readonly rowBudget: number },
): CatalogQuery {
  const column = quoteIdentifier(field);
  const read = `SELECT ${column} FROM ${quoteIdentifier(table.name)} LIMIT ?`;
  return {
    text: `SELECT ${column} FROM (${read}) AS s WHERE ${column} IS NOT NULL GROUP BY ${column} ORDER BY ${column} LIMIT ?`,
    values: [opts.rowBudget, opts.limit],
  };
}
