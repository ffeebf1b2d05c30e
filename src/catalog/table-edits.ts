// Table curation (curation-notes.md 1.1, sync-engine.md 2.2): the pure row change of an API edit with its user_set,
// the field positions of each field_order, and the repository functions that apply them in one locked transaction.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import type { AppSchema, FieldRow, TableRow } from '../db/schema.ts';
import { isa } from '../drivers/types.ts';
import { compareCodePoints } from './api-objects.ts';
import { isStorableId } from './databases.ts';
import { chunks } from './table-rows.ts';
import { parseUserSet, serializeUserSet } from './user-set.ts';

export const TABLE_VISIBILITY_TYPES = ['hidden', 'technical', 'cruft'] as const;
export const FIELD_ORDERS = ['database', 'alphabetical', 'custom', 'smart'] as const;
export type FieldOrder = (typeof FIELD_ORDERS)[number];

/** The user-editable table columns a PUT may carry; a key present with null writes NULL. */
export interface TableEdit {
  display_name?: string;
  entity_type?: string;
  visibility_type?: string | null;
  description?: string | null;
  caveats?: string | null;
  points_of_interest?: string | null;
  field_order?: FieldOrder;
}

export interface RowEdit {
  /** Column → new value, only the columns the edit names. */
  readonly values: Readonly<Record<string, unknown>>;
  /** The row's new user_set: the old one plus every column the edit names, even a NULL one. */
  readonly user_set: string;
}

/** Every key the edit names is written and becomes user-set (2.2). Pure. */
export function rowEdit(storedUserSet: string, edit: object): RowEdit {
  const values = Object.fromEntries(Object.entries(edit).filter(([, value]) => value !== undefined));
  return { values, user_set: serializeUserSet([...parseUserSet(storedUserSet), ...Object.keys(values)]) };
}

/** The facts of a field that decide its place in each field_order. */
export interface OrderableField {
  readonly id: number;
  readonly name: string;
  readonly base_type: string;
  readonly semantic_type: string | null;
  readonly database_position: number;
  readonly custom_position: number;
}

const byName = (a: OrderableField, b: OrderableField) =>
  compareCodePoints(a.name.toLowerCase(), b.name.toLowerCase()) || a.id - b.id;

/** `smart`: the PK, then type/Name fields, then temporal ones, then the rest; alphabetical within each group. */
function smartRank(field: OrderableField): number {
  if (field.semantic_type === 'type/PK') return 0;
  if (field.semantic_type === 'type/Name') return 1;
  if (isa(field.base_type, 'type/Temporal')) return 2;
  return 3;
}

const ORDERINGS: Readonly<Record<FieldOrder, (a: OrderableField, b: OrderableField) => number>> = {
  database: (a, b) => a.database_position - b.database_position || a.id - b.id,
  alphabetical: byName,
  custom: (a, b) => a.custom_position - b.custom_position || a.id - b.id,
  smart: (a, b) => smartRank(a) - smartRank(b) || byName(a, b),
};

/**
 * Each field's display position under `order` (Metabase's update-field-positions!): `database` keeps the warehouse's
 * positions, the others number the fields 0, 1, 2… in their order. Pure.
 */
export function fieldPositions(order: FieldOrder, fields: readonly OrderableField[]): Map<number, number> {
  if (order === 'database') return new Map(fields.map((f) => [f.id, f.database_position]));
  return new Map([...fields].sort(ORDERINGS[order]).map((f, index) => [f.id, index]));
}

/** Whether `ids` is exactly the set of `activeIds`, each once (PUT /api/table/:id/fields/order). Pure. */
export function isFieldOrderOf(ids: readonly number[], activeIds: readonly number[]): boolean {
  const wanted = new Set(activeIds);
  return ids.length === wanted.size && new Set(ids).size === ids.length && ids.every((id) => wanted.has(id));
}

type Trx = Transaction<AppSchema>;
export type TableRecord = Selectable<TableRow>;

/** Rows read inside a write transaction: locked with FOR UPDATE on PostgreSQL (2.2); SQLite writers are serial. */
export function lockedIfPostgres<T extends { forUpdate(): T }>(appDb: AppDb, query: T): T {
  return appDb.kind === 'postgres' ? query.forUpdate() : query;
}

async function rewritePositions(appDb: AppDb, trx: Trx, tableId: number, order: FieldOrder): Promise<void> {
  const fields = await lockedIfPostgres(
    appDb,
    trx
      .selectFrom('metabase_field')
      .select(['id', 'name', 'base_type', 'semantic_type', 'database_position', 'custom_position', 'position'])
      .where('table_id', '=', tableId),
  ).execute();
  const positions = fieldPositions(order, fields);
  for (const field of fields) {
    const position = positions.get(field.id)!;
    if (position === field.position) continue;
    await trx
      .updateTable('metabase_field')
      .set({ position, updated_at: appDb.now() })
      .where('id', '=', field.id)
      .execute();
  }
}

export interface TablesEdited {
  readonly tables: readonly TableRecord[];
  /** Tables the edit un-hid (visibility_type from a value to NULL): Metabase syncs them again. */
  readonly unhidden: readonly TableRecord[];
  /** Ids of the tables whose field_order the edit changed (their fields' positions were rewritten). */
  readonly reordered: ReadonlySet<number>;
}

/**
 * Applies one edit to every table of `ids` in one transaction, rows read and locked first; undefined (and nothing
 * written) when any id names no table. A changed field_order rewrites the fields' positions.
 */
export async function editTables(
  appDb: AppDb,
  ids: readonly number[],
  edit: TableEdit,
): Promise<TablesEdited | undefined> {
  const unique = [...new Set(ids)];
  if (!unique.every(isStorableId)) return undefined;
  return await appDb.db.transaction().execute(async (trx) => {
    const rows: TableRecord[] = [];
    for (const ids of chunks(unique.sort((a, b) => a - b), 1000)) {
      const query = trx.selectFrom('metabase_table').selectAll().where('id', 'in', ids).orderBy('id');
      rows.push(...(await lockedIfPostgres(appDb, query).execute()));
    }
    if (rows.length !== unique.length) return undefined;
    const tables: TableRecord[] = [];
    const unhidden: TableRecord[] = [];
    const reordered = new Set<number>();
    for (const row of rows) {
      const { values, user_set } = rowEdit(row.user_set, edit);
      const updated = await trx
        .updateTable('metabase_table')
        .set({ ...values, user_set, updated_at: appDb.now() })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (edit.field_order !== undefined && edit.field_order !== row.field_order) {
        await rewritePositions(appDb, trx, row.id, edit.field_order);
        reordered.add(row.id);
      }
      if (row.visibility_type !== null && edit.visibility_type === null) unhidden.push(updated);
      tables.push(updated);
    }
    return { tables, unhidden, reordered };
  });
}

/**
 * PUT /api/table/:id/fields/order: `ids` must be the table's active fields, each once. Sets field_order `custom`
 * and each field's position and custom_position to its index (both user-set). Returns false when the set differs.
 */
export async function setCustomFieldOrder(appDb: AppDb, tableId: number, ids: readonly number[]): Promise<boolean> {
  return await appDb.db.transaction().execute(async (trx) => {
    const table = await lockedIfPostgres(
      appDb,
      trx.selectFrom('metabase_table').select(['id', 'user_set']).where('id', '=', tableId),
    ).executeTakeFirstOrThrow();
    const fields = await lockedIfPostgres(
      appDb,
      trx
        .selectFrom('metabase_field')
        .select(['id', 'user_set'])
        .where('table_id', '=', tableId)
        .where('active', '=', true),
    ).execute();
    if (!isFieldOrderOf(ids, fields.map((f) => f.id))) return false;
    const userSets = new Map(fields.map((f) => [f.id, f.user_set]));
    const now = appDb.now();
    for (const [index, id] of ids.entries()) {
      const { user_set } = rowEdit(userSets.get(id)!, { custom_position: index });
      await trx
        .updateTable('metabase_field')
        .set({ position: index, custom_position: index, user_set, updated_at: now })
        .where('id', '=', id)
        .execute();
    }
    const { user_set } = rowEdit(table.user_set, { field_order: 'custom' });
    await trx
      .updateTable('metabase_table')
      .set({ field_order: 'custom', user_set, updated_at: now })
      .where('id', '=', tableId)
      .execute();
    return true;
  });
}

/** The active fields of a table, ordered by position then lower-cased name (Metabase's with-fields). */
export async function activeFieldsOf(db: Kysely<AppSchema>, tableId: number): Promise<Selectable<FieldRow>[]> {
  const rows = await db
    .selectFrom('metabase_field')
    .selectAll()
    .where('table_id', '=', tableId)
    .where('active', '=', true)
    .execute();
  return rows.sort(
    (a, b) => a.position - b.position || compareCodePoints(a.name.toLowerCase(), b.name.toLowerCase()) || a.id - b.id,
  );
}
