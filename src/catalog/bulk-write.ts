// Multi-row catalog writes as one prepared SQL text per batch shape (sync-engine.md 3.1): multi-row INSERTs, and
// updates by id of many rows in one statement joined to a VALUES list. The text is built from column names only
// and every value is bound, so a whole-database sync prepares a handful of statements instead of building one
// Kysely query per row; on SQLite the statement cache of connect.ts reuses each text.
import { CompiledQuery, type Kysely } from 'kysely';
import type { AppDbKind } from '../db/connect.ts';
import type { AppSchema } from '../db/schema.ts';

type Db = Kysely<AppSchema>;
type BulkTable = 'metabase_table' | 'metabase_field';

/** PostgreSQL types of the columns sync writes in bulk (VALUES lists need them; text is the default). */
const PG_TYPES: Readonly<Record<string, string>> = {
  id: 'integer',
  db_id: 'integer',
  table_id: 'integer',
  position: 'integer',
  database_position: 'integer',
  fingerprint_version: 'integer',
  fk_target_field_id: 'integer',
  estimated_row_count: 'bigint',
  last_analyzed: 'timestamptz',
  deactivated_at: 'timestamptz',
  active: 'boolean',
  preview_display: 'boolean',
  database_is_pk: 'boolean',
  database_is_nullable: 'boolean',
  database_required: 'boolean',
  database_is_auto_increment: 'boolean',
  database_is_generated: 'boolean',
  database_indexed: 'boolean',
};

/** SQLite binds at most 32,766 parameters per statement; PostgreSQL 65,535. */
const MAX_PARAMETERS = 32_000;

const NOW: Record<AppDbKind, string> = {
  sqlite: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
  postgres: 'clock_timestamp()',
};

function bind(kind: AppDbKind, value: unknown): unknown {
  if (kind === 'sqlite' && typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}

/** `(?, ?, …), …` or `($1::integer, $2, …), …` for `rows` rows of `columns` columns, numbered from 1. */
function valuesList(kind: AppDbKind, columns: readonly string[], rows: number, cast: boolean): string {
  const tuples: string[] = [];
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const slots = columns.map((column) => {
      if (kind === 'sqlite') return '?';
      n++;
      return cast ? `$${n}::${PG_TYPES[column] ?? 'text'}` : `$${n}`;
    });
    tuples.push(`(${slots.join(', ')})`);
  }
  return tuples.join(', ');
}

/** Rows per statement for `columns` bound values each: at most `cap` and within the parameter bound. */
function rowsPerStatement(columns: number, cap: number): number {
  return Math.max(1, Math.min(cap, Math.floor(MAX_PARAMETERS / Math.max(1, columns))));
}

/**
 * Inserts `rows` (all with the keys of the first): on SQLite multi-row INSERTs of at most 500 rows, on PostgreSQL
 * `INSERT … SELECT * FROM unnest(<one array per column>)` of at most 5,000; with `returning`, returns those columns
 * of the new rows.
 */
export async function insertRows<R = never>(
  db: Db,
  kind: AppDbKind,
  table: BulkTable,
  rows: readonly object[],
  returning: readonly string[] = [],
): Promise<R[]> {
  const out: R[] = [];
  if (rows.length === 0) return out;
  const columns = Object.keys(rows[0]);
  const tail = returning.length ? ` RETURNING ${returning.map((c) => `"${c}"`).join(', ')}` : '';
  const head = `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) `;
  const value = (row: object, column: string) => bind(kind, (row as Readonly<Record<string, unknown>>)[column]);
  if (kind === 'postgres') {
    // One array per column, unnested: the statement has one parameter per column whatever the row count, so the
    // server parses and plans it once per batch instead of a VALUES list of thousands of parameters.
    const arrays = columns.map((c, n) => `$${n + 1}::${PG_TYPES[c] ?? 'text'}[]`).join(', ');
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      const params = columns.map((column) => chunk.map((row) => value(row, column)));
      const text = `${head}SELECT * FROM unnest(${arrays})${tail}`;
      const result = await db.executeQuery<R>(CompiledQuery.raw(text, params));
      out.push(...result.rows);
    }
    return out;
  }
  const size = rowsPerStatement(columns.length, 500);
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size);
    const params: unknown[] = [];
    for (const row of chunk) for (const column of columns) params.push(value(row, column));
    const text = `${head}VALUES ${valuesList(kind, columns, chunk.length, false)}${tail}`;
    const result = await db.executeQuery<R>(CompiledQuery.raw(text, params));
    out.push(...result.rows);
  }
  return out;
}

export interface RowUpdate {
  readonly id: number;
  /** Column → new value; every key is a column of the table. */
  readonly changes: object;
}

/**
 * Updates rows by id, each with its own values, and sets updated_at to the database's clock: one statement per
 * group of rows that change the same columns (at most 500 rows each), joined to a VALUES list of (id, values…).
 */
export async function updateRowsById(db: Db, kind: AppDbKind, table: BulkTable, updates: readonly RowUpdate[]): Promise<void> {
  const groups = new Map<string, RowUpdate[]>();
  for (const update of updates) {
    const key = Object.keys(update.changes).sort().join(',');
    if (key === '') continue;
    const group = groups.get(key);
    if (group) group.push(update);
    else groups.set(key, [update]);
  }
  for (const [key, group] of groups) {
    const changed = key.split(',');
    const columns = ['id', ...changed];
    const size = rowsPerStatement(columns.length, 500);
    const set = [...changed.map((c) => `"${c}" = v."${c}"`), `updated_at = ${NOW[kind]}`].join(', ');
    const names = columns.map((c) => `"${c}"`).join(', ');
    for (let i = 0; i < group.length; i += size) {
      const chunk = group.slice(i, i + size);
      const params: unknown[] = [];
      for (const update of chunk) {
        params.push(update.id);
        const changes = update.changes as Readonly<Record<string, unknown>>;
        for (const column of changed) params.push(bind(kind, changes[column]));
      }
      const values = valuesList(kind, columns, chunk.length, true);
      const text =
        kind === 'sqlite'
          ? `WITH v(${names}) AS (VALUES ${values}) UPDATE ${table} SET ${set} FROM v WHERE ${table}.id = v.id`
          : `UPDATE ${table} SET ${set} FROM (VALUES ${values}) AS v(${names}) WHERE ${table}.id = v.id`;
      await db.executeQuery(CompiledQuery.raw(text, params));
    }
  }
}
