// Repository functions for metabase_table rows used by sync (db or transaction first). Reads are bulk (one SELECT per
// batch); writes are multi-row INSERTs and updates by id. `forUpdate` locks the rows on PostgreSQL (2.2).
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AppDbKind } from '../db/connect.ts';
import type { TableRef } from '../drivers/driver.ts';
import { insertRows, updateRowsById } from './bulk-write.ts';
import { parseJson, toBool, type AppSchema } from '../db/schema.ts';
import type { NewTableValues, StoredTable, TableChanges } from './tables.ts';
import { parseUserSet } from './user-set.ts';

type Db = Kysely<AppSchema>;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const STORED_TABLE_COLUMNS = [
  'id',
  'schema',
  'name',
  'display_name',
  'description',
  'database_comment',
  'kind',
  'active',
  'visibility_type',
  'field_order',
  'initial_sync_status',
  'estimated_row_count',
  'database_object_id',
  'user_set',
  'fields_hash',
  'fks_hash',
  'indexes_hash',
] as const;

type StoredTableRow = {
  id: number;
  schema: string | null;
  name: string;
  display_name: string;
  description: string | null;
  database_comment: string | null;
  kind: string;
  active: boolean | number;
  visibility_type: string | null;
  field_order: string;
  initial_sync_status: string;
  estimated_row_count: number | null;
  database_object_id: string | null;
  user_set: string;
  fields_hash: string | null;
  fks_hash: string | null;
  indexes_hash: string | null;
};

function toStoredTable(row: StoredTableRow): StoredTable {
  return {
    ...row,
    estimated_row_count: row.estimated_row_count === null ? null : Number(row.estimated_row_count),
    active: toBool(row.active),
    user_set: parseUserSet(row.user_set),
  };
}

/**
 * Rows whose identity may be one of the refs: `COALESCE(schema, '') IN (…) AND name IN (…)`, the columns of the
 * unique index. SQLite looks each combination up in that index, where a row-value `IN (VALUES …)` scanned every
 * table of the database once per batch (about 1,000,000 index entries for a 10,000-table sync); callers keep the
 * exact pairs.
 */
function identityIn(refs: readonly TableRef[]): RawBuilder<boolean> {
  const schemas = [...new Set(refs.map((r) => r.schema ?? ''))];
  const names = [...new Set(refs.map((r) => r.name))];
  const schema = sql`COALESCE(${sql.ref('schema')}, '')`;
  return sql<boolean>`(${schema} IN (${sql.join(schemas)}) AND ${sql.ref('name')} IN (${sql.join(names)}))`;
}

/** Stored tables (active or not) with one of the given identities; the caller compares schemas exactly. */
export async function selectTablesByIdentity(
  db: Db,
  dbId: number,
  refs: readonly TableRef[],
  forUpdate: boolean,
): Promise<StoredTable[]> {
  if (refs.length === 0) return [];
  const rows = await db
    .selectFrom('metabase_table')
    .select(STORED_TABLE_COLUMNS)
    .where('db_id', '=', dbId)
    .where(identityIn(refs))
    .$if(forUpdate, (qb) => qb.forUpdate())
    .execute();
  return rows.map(toStoredTable);
}

export async function selectTablesByIds(
  db: Db,
  dbId: number,
  ids: readonly number[],
  forUpdate: boolean,
): Promise<StoredTable[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('metabase_table')
    .select(STORED_TABLE_COLUMNS)
    .where('db_id', '=', dbId)
    .where('id', 'in', [...ids])
    .$if(forUpdate, (qb) => qb.forUpdate())
    .execute();
  return rows.map(toStoredTable);
}

export interface TableIdentity {
  readonly id: number;
  readonly schema: string | null;
  readonly name: string;
  readonly active: boolean;
  readonly database_object_id: string | null;
}

/**
 * Every table of the database with the columns of the rename and retire passes, read in pages of `pageSize` by id
 * (keyset), so that a caller that keeps only some of them never holds the whole catalog.
 */
export async function* streamTableIdentities(db: Db, dbId: number, pageSize = 5000): AsyncGenerator<TableIdentity> {
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('metabase_table')
      .select(['id', 'schema', 'name', 'active', 'database_object_id'])
      .where('db_id', '=', dbId)
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    for (const r of rows) yield { ...r, active: toBool(r.active) };
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1].id;
  }
}

/** Synced tables (active, visibility_type NULL): the database-level set of sync-fields, sync-fks, sync-indexes. */
export async function selectSyncedTables(db: Db, dbId: number): Promise<StoredTable[]> {
  const rows = await db
    .selectFrom('metabase_table')
    .select(STORED_TABLE_COLUMNS)
    .where('db_id', '=', dbId)
    .where('active', '=', true)
    .where('visibility_type', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map(toStoredTable);
}

/**
 * Active tables whose identity equals one of the refs, exactly (through the identity index), or also ignoring case
 * when `folded` (SQL lower() may be ASCII-only, so exact identities are always matched separately).
 */
export async function selectActiveTables(
  db: Db,
  dbId: number,
  refs: readonly TableRef[],
  folded: boolean,
  forUpdate: boolean,
): Promise<{ id: number; schema: string | null; name: string; database_foreign_keys: string }[]> {
  if (refs.length === 0) return [];
  const lowered = refs.map(
    (r) => sql`(CAST(${(r.schema ?? '').toLowerCase()} AS text), CAST(${r.name.toLowerCase()} AS text))`,
  );
  const identity = sql`(lower(COALESCE(${sql.ref('schema')}, '')), lower(${sql.ref('name')}))`;
  const foldedIn = sql<boolean>`${identity} IN (VALUES ${sql.join(lowered)})`;
  // `active` is filtered here, not in SQL: with it in the WHERE clause SQLite searches the (db_id, active) index,
  // every active table of the database for each batch, instead of the identity index.
  const rows = await db
    .selectFrom('metabase_table')
    .select(['id', 'schema', 'name', 'database_foreign_keys', 'active'])
    .where('db_id', '=', dbId)
    .where((eb) => (folded ? eb.or([identityIn(refs), foldedIn]) : identityIn(refs)))
    .$if(forUpdate, (qb) => qb.forUpdate())
    .execute();
  return rows.filter((r) => Boolean(r.active)).map(({ active: _active, ...rest }) => rest);
}

/** Multi-row inserts of at most 500 rows; returns the new ids with their identities, in insertion order. */
export async function insertTables(
  db: Db,
  kind: AppDbKind,
  rows: readonly NewTableValues[],
): Promise<{ id: number; schema: string | null; name: string }[]> {
  return insertRows(db, kind, 'metabase_table', rows, ['id', 'schema', 'name']);
}

export async function updateTable(db: Db, id: number, changes: TableChanges, now: RawBuilder<string>): Promise<void> {
  await db
    .updateTable('metabase_table')
    .set({ ...changes, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** The stored index (or foreign-key) JSON of the given tables. */
export async function selectTablesJson(
  db: Db,
  ids: readonly number[],
  forUpdate: boolean,
  column: 'database_indexes' | 'database_foreign_keys' = 'database_indexes',
): Promise<{ id: number; json: string }[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('metabase_table')
    .select(['id', sql.ref<string>(column).as('json')])
    .where('id', 'in', [...ids])
    .$if(forUpdate, (qb) => qb.forUpdate())
    .execute();
}

/** Rewrites `database_foreign_keys` or `database_indexes` of the given tables, one statement per 500. */
export async function setTablesJson(
  db: Db,
  kind: AppDbKind,
  column: 'database_foreign_keys' | 'database_indexes',
  rows: readonly { readonly id: number; readonly json: string }[],
): Promise<void> {
  await updateRowsById(db, kind, 'metabase_table', rows.map((r) => ({ id: r.id, changes: { [column]: r.json } })));
}

/** Records the listing hashes of tables a step has just reconciled (migration 004). */
export async function setListingHashes(
  db: Db,
  kind: AppDbKind,
  column: 'fields_hash' | 'fks_hash' | 'indexes_hash',
  rows: readonly { readonly id: number; readonly hash: string }[],
): Promise<void> {
  await updateRowsById(db, kind, 'metabase_table', rows.map((r) => ({ id: r.id, changes: { [column]: r.hash } })));
}

/** Sets `database_foreign_keys` to `[]` on the listed tables where it is not empty yet; returns how many changed. */
export async function emptyForeignKeyJson(db: Db, ids: readonly number[], now: RawBuilder<string>): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('metabase_table')
    .set({ database_foreign_keys: '[]', updated_at: now })
    .where('id', 'in', [...ids])
    .where('database_foreign_keys', '<>', '[]')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Retires the still-active tables among `ids`; returns the ones it changed. */
export async function retireTables(
  db: Db,
  dbId: number,
  ids: readonly number[],
  now: RawBuilder<string>,
): Promise<{ id: number; schema: string | null; name: string }[]> {
  if (ids.length === 0) return [];
  return db
    .updateTable('metabase_table')
    .set({ active: false, deactivated_at: now, updated_at: now })
    .where('db_id', '=', dbId)
    .where('id', 'in', [...ids])
    .where('active', '=', true)
    .returning(['id', 'schema', 'name'])
    .execute();
}

/** Sets initial_sync_status = 'complete' on the listed tables that are not complete yet. */
export async function completeTables(
  db: Db,
  dbId: number,
  ids: readonly number[],
  now: RawBuilder<string>,
  activeOnly: boolean,
): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('metabase_table')
    .set({ initial_sync_status: 'complete', updated_at: now })
    .where('db_id', '=', dbId)
    .where('id', 'in', [...ids])
    .where('initial_sync_status', '<>', 'complete')
    .$if(activeOnly, (qb) => qb.where('active', '=', true))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The stored JSON of `database_foreign_keys` or `database_indexes`, re-serialized for comparison. */
export function canonicalJson(text: string | null | undefined): string {
  return JSON.stringify(parseJson<unknown>(text, []));
}
