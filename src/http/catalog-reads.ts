// The catalog reads behind the notify lookups (notify-api.md sections 4.2 to 4.4) and GET /api/database/:id/metadata
// (6.6). Ids beyond the id column's range name no row and are never sent to the application database.
import type { Selectable } from 'kysely';
import {
  compareFields,
  compareTables,
  fieldObject,
  tableObject,
  type FieldObject,
  type TableObject,
} from '../catalog/api-objects.ts';
import { isStorableId } from '../catalog/databases.ts';
import type { AppDb } from '../db/connect.ts';
import type { TableRow } from '../db/schema.ts';

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

export type TableWithFields = TableObject & { readonly fields: readonly FieldObject[] };

/** The database's active tables, each with its active fields, in the API's order (sorted here, not in SQL). */
export async function activeTablesWithFields(appDb: AppDb, dbId: number): Promise<TableWithFields[]> {
  const tables = await appDb.db
    .selectFrom('metabase_table')
    .selectAll()
    .where('db_id', '=', dbId)
    .where('active', '=', true)
    .execute();
  const fields = await appDb.db
    .selectFrom('metabase_field')
    .innerJoin('metabase_table', 'metabase_table.id', 'metabase_field.table_id')
    .selectAll('metabase_field')
    .where('metabase_table.db_id', '=', dbId)
    .where('metabase_table.active', '=', true)
    .where('metabase_field.active', '=', true)
    .execute();
  const byTable = new Map<number, FieldObject[]>();
  for (const field of fields) {
    const list = byTable.get(field.table_id) ?? [];
    list.push(fieldObject(field));
    byTable.set(field.table_id, list);
  }
  return tables
    .sort(compareTables)
    .map((table) => ({ ...tableObject(table), fields: (byTable.get(table.id) ?? []).sort(compareFields) }));
}
