// Catalog reads of the table curation routes: every active table in name order, batch after batch (keyset paging, so
// a 100,000-table catalog is never held at once), fields by id, and the fields whose FK points into a table.
import { sql, type Selectable } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import type { FieldRow, TableRow } from '../db/schema.ts';
import { CURATED_TABLE_COLUMNS, type CuratedTableRow } from './curated-objects.ts';
import { isStorableId } from './databases.ts';

export const TABLE_BATCH = 1000;

/** `term` as a case-insensitive name prefix, `*` a wildcard (Metabase's newest GET /api/table), LIKE's escaped. */
export function namePrefixPattern(term: string): string {
  return `${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%')}%`;
}

/**
 * Active tables ordered by name (byte order on both application databases: COLLATE "C" on PostgreSQL, SQLite's
 * binary default), then id, `TABLE_BATCH` rows at a time. Only the ordered ids are read at once (one sort, about 8
 * bytes a table); the rows follow batch by batch through the primary key, only the columns of the Table object, so
 * a 100,000-table catalog is never held whole and no query sorts it more than once. A table deleted meanwhile is left
 * out.
 */
export async function* activeTablesByName(
  appDb: AppDb,
  options: { readonly term?: string } = {},
): AsyncGenerator<CuratedTableRow[]> {
  const name = appDb.kind === 'postgres' ? sql`${sql.ref('name')} COLLATE "C"` : sql`${sql.ref('name')}`;
  const ordered = await appDb.db
    .selectFrom('metabase_table')
    .select('id')
    .where('active', '=', true)
    .$if(options.term !== undefined, (qb) =>
      qb.where(sql<boolean>`lower(${sql.ref('name')}) LIKE ${namePrefixPattern(options.term!)} ESCAPE '\\'`),
    )
    .orderBy(name)
    .orderBy('id')
    .execute();
  for (let i = 0; i < ordered.length; i += TABLE_BATCH) {
    const ids = ordered.slice(i, i + TABLE_BATCH).map((row) => row.id);
    const rows = await appDb.db
      .selectFrom('metabase_table')
      .select(CURATED_TABLE_COLUMNS)
      .where('id', 'in', ids)
      .execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    const batch = ids.flatMap((id) => byId.get(id) ?? []);
    if (batch.length > 0) yield batch;
  }
}

export async function fieldsByIds(appDb: AppDb, ids: readonly number[]): Promise<Map<number, Selectable<FieldRow>>> {
  const wanted = [...new Set(ids)].filter(isStorableId);
  if (wanted.length === 0) return new Map();
  const rows = await appDb.db.selectFrom('metabase_field').selectAll().where('id', 'in', wanted).execute();
  return new Map(rows.map((row) => [row.id, row]));
}

/** Active fields of other tables (or this one) whose FK target is an active, non-retired field of this table. */
export async function incomingForeignKeys(
  appDb: AppDb,
  tableId: number,
): Promise<{ origin: Selectable<FieldRow>; destination: Selectable<FieldRow> }[]> {
  const destinations = await appDb.db
    .selectFrom('metabase_field')
    .selectAll()
    .where('table_id', '=', tableId)
    .where('active', '=', true)
    .where('visibility_type', '!=', 'retired')
    .execute();
  if (destinations.length === 0) return [];
  const byId = new Map(destinations.map((f) => [f.id, f]));
  const origins = await appDb.db
    .selectFrom('metabase_field')
    .selectAll()
    .where('active', '=', true)
    .where('fk_target_field_id', 'in', [...byId.keys()])
    .orderBy('id')
    .execute();
  return origins.map((origin) => ({ origin, destination: byId.get(origin.fk_target_field_id!)! }));
}

export async function tablesByIds(appDb: AppDb, ids: readonly number[]): Promise<Map<number, Selectable<TableRow>>> {
  const wanted = [...new Set(ids)].filter(isStorableId);
  if (wanted.length === 0) return new Map();
  const rows = await appDb.db.selectFrom('metabase_table').selectAll().where('id', 'in', wanted).execute();
  return new Map(rows.map((row) => [row.id, row]));
}
