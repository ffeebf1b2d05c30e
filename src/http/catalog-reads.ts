// The catalog reads behind the notify lookups (notify-api.md sections 4.2 to 4.4) and GET /api/database/:id/metadata
// (6.6). Ids beyond the id column's range name no row and are never sent to the application database.
import type { Selectable } from 'kysely';
import {
  compareFields,
  compareTables,
  fieldObject,
  tableObject,
  type FieldObject,
} from '../catalog/api-objects.ts';
import { isStorableId } from '../catalog/databases.ts';
import type { AppDb } from '../db/connect.ts';
import { toBool, type TableRow } from '../db/schema.ts';

export type TableRecord = Selectable<TableRow>;

/** The table with this id in this database, active or inactive. */
export async function findTableById(appDb: AppDb, dbId: number, tableId: number): Promise<TableRecord | undefined> {
  if (!isStorableId(tableId)) return undefined;
  return await appDb.db
    .selectFrom('metabase_table')
    .selectAll()
    .where('id', '=', tableId)
    .where('db_id', '=', dbId)
    .executeTakeFirst();
}

/**
 * Tables of this database with exactly this name, active or inactive: in `schema` when it is a string, with a NULL
 * schema when it is null, in any schema when it is undefined. Ordered by id.
 */
export async function findTablesByName(
  appDb: AppDb,
  dbId: number,
  name: string,
  schema: string | null | undefined,
): Promise<TableRecord[]> {
  return await appDb.db
    .selectFrom('metabase_table')
    .selectAll()
    .where('db_id', '=', dbId)
    .where('name', '=', name)
    .$if(schema === null, (qb) => qb.where('schema', 'is', null))
    .$if(typeof schema === 'string', (qb) => qb.where('schema', '=', schema!))
    .orderBy('id')
    .execute();
}

export async function getTable(appDb: AppDb, id: number): Promise<TableRecord | undefined> {
  if (!isStorableId(id)) return undefined;
  return await appDb.db.selectFrom('metabase_table').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Tables per statement pair of the metadata answer: at most this many tables and their fields are held at once. */
export const METADATA_BATCH = 500;

/** The sort keys (id, schema, name) of a database's active tables: all a paged or streamed table read holds at once. */
export async function activeTableKeys(appDb: AppDb, dbId: number) {
  return await appDb.db
    .selectFrom('metabase_table')
    .select(['id', 'schema', 'name'])
    .where('db_id', '=', dbId)
    .where('active', '=', true)
    .execute();
}

/**
 * The database's active tables, each with its active fields, in the API's order (sorted here, not in SQL), as the JSON
 * text of each table, METADATA_BATCH tables at a time: only the sorted ids of all tables are held, never every field.
 */
export async function* activeTablesJson(appDb: AppDb, dbId: number): AsyncGenerator<string> {
  const keys = await activeTableKeys(appDb, dbId);
  const ids = keys.sort(compareTables).map((key) => key.id);
  keys.length = 0;
  for (let i = 0; i < ids.length; i += METADATA_BATCH) {
    const batch = ids.slice(i, i + METADATA_BATCH);
    const tables = await appDb.db.selectFrom('metabase_table').selectAll().where('id', 'in', batch).execute();
    const fields = await appDb.db
      .selectFrom('metabase_field')
      .selectAll()
      .where('table_id', 'in', batch)
      .where('active', '=', true)
      .execute();
    const byTable = new Map<number, FieldObject[]>();
    for (const field of fields) {
      const list = byTable.get(field.table_id) ?? [];
      list.push(fieldObject(field));
      byTable.set(field.table_id, list);
    }
    const byId = new Map(tables.map((table) => [table.id, table]));
    for (const id of batch) {
      const table = byId.get(id);
      // A table deactivated or removed since the ids were read is left out, as a later read would.
      if (table === undefined || !toBool(table.active)) continue;
      yield JSON.stringify({ ...tableObject(table), fields: (byTable.get(id) ?? []).sort(compareFields) });
    }
  }
}
