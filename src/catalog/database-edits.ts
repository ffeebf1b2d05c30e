// Curation of database rows (curation-notes.md section 1.3): the update of PUT /api/database/:id, the removal of a
// database's catalog rows, its cached field values, and the schema listings. Details are written through
// encodeDetails (databases.ts), the one codec of metabase_database.details.
import type { Transaction } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import type { AppSchema } from '../db/schema.ts';
import { compareCodePoints } from './api-objects.ts';
import { encodeDetails, getDatabase, type DatabaseRecord } from './databases.ts';

export interface DatabaseUpdate {
  readonly name?: string;
  readonly engine?: string;
  /** Normalized details (normalizeDetails), written through the codec. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** null clears (sync-engine.md 2.2: a deliberate null is a user choice). */
  readonly description?: string | null;
  readonly caveats?: string | null;
  readonly points_of_interest?: string | null;
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly is_full_sync?: boolean;
  readonly is_on_demand?: boolean;
  readonly is_attached_dwh?: boolean;
  /** A changed schedule also sets its *_fired_at to now, so that it fires first after the edit. */
  readonly metadata_sync_schedule?: string | null;
  readonly cache_field_values_schedule?: string | null;
}

/** One UPDATE of the keys present; the row as stored afterwards (details decoded), undefined when it is gone. */
export async function updateDatabase(
  appDb: AppDb,
  id: number,
  update: DatabaseUpdate,
): Promise<DatabaseRecord | undefined> {
  const { details, settings, ...columns } = update;
  const now = appDb.now();
  const result = await appDb.db
    .updateTable('metabase_database')
    .set({
      ...columns,
      updated_at: now,
      ...(details === undefined ? {} : { details: encodeDetails(appDb, details) }),
      ...(settings === undefined ? {} : { settings: JSON.stringify(settings) }),
      ...(update.metadata_sync_schedule === undefined ? {} : { metadata_sync_fired_at: now }),
      ...(update.cache_field_values_schedule === undefined ? {} : { field_values_fired_at: now }),
    })
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return undefined;
  return await getDatabase(appDb, id);
}

export interface RemovedCatalog {
  readonly tables: number;
  readonly fields: number;
  readonly fieldValues: number;
}

const fieldsOf = (trx: Transaction<AppSchema>, databaseId: number) =>
  trx
    .selectFrom('metabase_field')
    .select('metabase_field.id')
    .innerJoin('metabase_table', 'metabase_table.id', 'metabase_field.table_id')
    .where('metabase_table.db_id', '=', databaseId);

/**
 * Removes the database row and every catalog row under it, inside the caller's transaction: field values, fields,
 * tables (explicitly, children first; a reference from another field is set NULL by its foreign key), then the row.
 */
export async function deleteDatabaseCatalog(trx: Transaction<AppSchema>, databaseId: number): Promise<RemovedCatalog> {
  const values = await trx.deleteFrom('metabase_fieldvalues').where('field_id', 'in', fieldsOf(trx, databaseId)).executeTakeFirst();
  const tableIds = trx.selectFrom('metabase_table').select('id').where('db_id', '=', databaseId);
  const fields = await trx.deleteFrom('metabase_field').where('table_id', 'in', tableIds).executeTakeFirst();
  const tables = await trx.deleteFrom('metabase_table').where('db_id', '=', databaseId).executeTakeFirst();
  await trx.deleteFrom('metabase_database').where('id', '=', databaseId).execute();
  return {
    tables: Number(tables.numDeletedRows),
    fields: Number(fields.numDeletedRows),
    fieldValues: Number(values.numDeletedRows),
  };
}

/** POST /api/database/:id/discard_values: every metabase_fieldvalues row of the database's fields. */
export async function discardDatabaseValues(appDb: AppDb, databaseId: number): Promise<number> {
  return await appDb.db.transaction().execute(async (trx) => {
    const result = await trx
      .deleteFrom('metabase_fieldvalues')
      .where('field_id', 'in', fieldsOf(trx, databaseId))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}

/** Active tables, and only visible ones (visibility_type NULL) unless `includeHidden`. */
function activeTables(appDb: AppDb, databaseId: number, includeHidden: boolean) {
  return appDb.db
    .selectFrom('metabase_table')
    .where('db_id', '=', databaseId)
    .where('active', '=', true)
    .$if(!includeHidden, (qb) => qb.where('visibility_type', 'is', null));
}

/** GET /api/database/:id/schemas: distinct schema names of active tables, null as "", sorted by code point. */
export async function listSchemas(appDb: AppDb, databaseId: number, includeHidden: boolean): Promise<string[]> {
  const rows = await activeTables(appDb, databaseId, includeHidden).select('schema').distinct().execute();
  return [...new Set(rows.map((r) => r.schema ?? ''))].sort(compareCodePoints);
}

/**
 * GET /api/database/:id/schema/:schema: the active tables of one schema ("" also matches NULL, as Metabase's
 * `/schema/` does), ordered by display_name then id.
 */
export async function schemaTables(appDb: AppDb, databaseId: number, schema: string, includeHidden: boolean) {
  const rows = await activeTables(appDb, databaseId, includeHidden)
    .selectAll()
    .where((eb) => (schema === '' ? eb.or([eb('schema', 'is', null), eb('schema', '=', '')]) : eb('schema', '=', schema)))
    .execute();
  return rows.sort((a, b) => compareCodePoints(a.display_name, b.display_name) || a.id - b.id);
}
