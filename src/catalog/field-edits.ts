// Field curation (curation-notes.md 1.2, sync-engine.md 2.2): the vocabularies a PUT accepts, the pure row change of
// an edit (FK clearing, coercion, user_set), and the repository functions that apply it and curate field values.
import { sql, type Selectable } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import type { FieldRow } from '../db/schema.ts';
import { isa } from '../drivers/types.ts';
import { isStorableId } from './databases.ts';
import { lockedIfPostgres, rowEdit, type RowEdit } from './table-edits.ts';

export const FIELD_VISIBILITY_TYPES = ['normal', 'details-only', 'hidden', 'sensitive', 'retired'] as const;
export const HAS_FIELD_VALUES = ['auto-list', 'list', 'none', 'search'] as const;

/** Visibilities that stop field values at once: the values row is deleted with the edit. */
const NO_VALUES: ReadonlySet<string> = new Set(['hidden', 'sensitive', 'retired']);

/** Metabase's descendants of Semantic/* and Relation/* (type/PK, type/FK) that a user may pick. */
export const SEMANTIC_TYPES: ReadonlySet<string> = new Set(
  [
    'PK', 'FK', 'Category', 'Enum', 'Name', 'Title', 'Description', 'Comment', 'SerializedJSON', 'XML', 'URL',
    'ImageURL', 'AvatarURL', 'Email', 'Address', 'City', 'State', 'Country', 'ZipCode', 'Latitude', 'Longitude',
    'Coordinate', 'Quantity', 'Score', 'Share', 'Percentage', 'Duration', 'Currency', 'Price', 'Income', 'Discount',
    'Cost', 'GrossMargin', 'Product', 'Company', 'Subscription', 'Owner', 'Author', 'User', 'Source', 'Number',
    'JoinDate', 'JoinTime', 'JoinTimestamp', 'CreationDate', 'CreationTime', 'CreationTimestamp', 'CancelationDate',
    'CancelationTime', 'CancelationTimestamp', 'DeletionDate', 'DeletionTime', 'DeletionTimestamp', 'UpdatedDate',
    'UpdatedTime', 'UpdatedTimestamp', 'Birthdate',
  ].map((name) => `type/${name}`),
);

/** Coercion strategies: the base types each one reads (⊑ any of `from`) and the effective type it gives. */
export const COERCIONS: ReadonlyMap<string, { readonly from: readonly string[]; readonly to: string }> = new Map([
  ['Coercion/UNIXSeconds->DateTime', { from: ['type/Number'], to: 'type/DateTime' }],
  ['Coercion/UNIXMilliSeconds->DateTime', { from: ['type/Number'], to: 'type/DateTime' }],
  ['Coercion/UNIXMicroSeconds->DateTime', { from: ['type/Number'], to: 'type/DateTime' }],
  ['Coercion/UNIXNanoSeconds->DateTime', { from: ['type/Number'], to: 'type/DateTime' }],
  ['Coercion/ISO8601->DateTime', { from: ['type/Text'], to: 'type/DateTime' }],
  ['Coercion/ISO8601->Date', { from: ['type/Text'], to: 'type/Date' }],
  ['Coercion/ISO8601->Time', { from: ['type/Text'], to: 'type/Time' }],
  ['Coercion/YYYYMMDDHHMMSSString->Temporal', { from: ['type/Text'], to: 'type/DateTime' }],
  ['Coercion/String->Float', { from: ['type/Text'], to: 'type/Float' }],
  ['Coercion/String->Integer', { from: ['type/Text'], to: 'type/Integer' }],
  ['Coercion/Float->Integer', { from: ['type/Float'], to: 'type/Integer' }],
  ['Coercion/DateTime->Date', { from: ['type/DateTime'], to: 'type/Date' }],
]);

/** The user-editable field columns a PUT may carry; a key present with null writes NULL. */
export interface FieldEdit {
  display_name?: string;
  description?: string | null;
  caveats?: string | null;
  points_of_interest?: string | null;
  semantic_type?: string | null;
  visibility_type?: string;
  has_field_values?: string | null;
  fk_target_field_id?: number | null;
  coercion_strategy?: string | null;
  settings?: Readonly<Record<string, unknown>>;
  json_unfolding?: boolean;
}

/** A rule a field edit breaks on this field: Metabase's `{"errors":{<key>:<message>}}` (400). */
export class FieldEditError extends Error {
  override readonly name = 'FieldEditError';
  readonly key: string;

  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}

const isFk = (semanticType: string | null | undefined) => semanticType === 'type/FK';

export interface StoredFieldFacts {
  readonly base_type: string;
  readonly semantic_type: string | null;
  readonly user_set: string;
}

export interface FieldRowEdit extends RowEdit {
  /** The field's values row goes with the edit (hidden, sensitive or retired). */
  readonly deleteValues: boolean;
}

/**
 * The columns an edit writes, in Metabase's order of rules: a semantic type that leaves type/FK clears the FK target;
 * a coercion strategy sets the effective type it gives (null coerces back to the base type), and one that cannot read
 * the base type is refused. Every column written becomes user-set. Pure; throws FieldEditError.
 */
export function fieldEditChanges(stored: StoredFieldFacts, edit: FieldEdit): FieldRowEdit {
  const columns: Record<string, unknown> = { ...edit };
  for (const key of ['settings'] as const) if (edit[key] !== undefined) columns[key] = JSON.stringify(edit[key]);
  if (edit.semantic_type !== undefined && isFk(stored.semantic_type) && !isFk(edit.semantic_type)) {
    columns.fk_target_field_id ??= null;
  }
  if (edit.coercion_strategy !== undefined) {
    if (edit.coercion_strategy === null) {
      columns.effective_type = stored.base_type;
    } else {
      const coercion = COERCIONS.get(edit.coercion_strategy)!;
      if (!coercion.from.some((type) => isa(stored.base_type, type))) {
        throw new FieldEditError(
          'coercion_strategy',
          `${edit.coercion_strategy} cannot coerce a field of base type ${stored.base_type}.`,
        );
      }
      columns.effective_type = coercion.to;
    }
  }
  const deleteValues = edit.visibility_type !== undefined && NO_VALUES.has(edit.visibility_type);
  return { ...rowEdit(stored.user_set, columns), deleteValues };
}

export type FieldRecord = Selectable<FieldRow>;

export async function getField(appDb: AppDb, id: number): Promise<FieldRecord | undefined> {
  if (!isStorableId(id)) return undefined;
  return await appDb.db.selectFrom('metabase_field').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * PUT /api/field/:id in one transaction, the row read and locked first: undefined when the field does not exist;
 * FieldEditError when the FK target does not exist or the coercion does not apply.
 */
export async function editField(appDb: AppDb, id: number, edit: FieldEdit): Promise<FieldRecord | undefined> {
  if (!isStorableId(id)) return undefined;
  return await appDb.db.transaction().execute(async (trx) => {
    const row = await lockedIfPostgres(
      appDb,
      trx.selectFrom('metabase_field').select(['id', 'base_type', 'semantic_type', 'user_set']).where('id', '=', id),
    ).executeTakeFirst();
    if (!row) return undefined;
    const target = edit.fk_target_field_id;
    if (target !== undefined && target !== null) {
      const found = isStorableId(target)
        ? await trx.selectFrom('metabase_field').select('id').where('id', '=', target).executeTakeFirst()
        : undefined;
      if (!found) throw new FieldEditError('fk_target_field_id', 'Invalid target field');
    }
    const change = fieldEditChanges(row, edit);
    if (change.deleteValues) await trx.deleteFrom('metabase_fieldvalues').where('field_id', '=', id).execute();
    return await trx
      .updateTable('metabase_field')
      .set({ ...change.values, user_set: change.user_set, updated_at: appDb.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** Deletes every values row of the given fields (all types); returns how many went. */
export async function discardFieldValues(appDb: AppDb, fieldIds: readonly number[]): Promise<number> {
  if (fieldIds.length === 0) return 0;
  const result = await appDb.db
    .deleteFrom('metabase_fieldvalues')
    .where('field_id', 'in', [...fieldIds])
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes every values row of the table's fields; returns how many went. */
export async function discardTableValues(appDb: AppDb, tableId: number): Promise<number> {
  const result = await appDb.db
    .deleteFrom('metabase_fieldvalues')
    .where('field_id', 'in', (eb) => eb.selectFrom('metabase_field').select('id').where('table_id', '=', tableId))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Whether a field may hold human-readable values (Metabase's field-should-have-field-values?). Pure. */
export function acceptsHumanReadableValues(field: {
  readonly active: boolean;
  readonly visibility_type: string;
  readonly has_field_values: string | null;
  readonly base_type: string;
}): boolean {
  if (!field.active || NO_VALUES.has(field.visibility_type)) return false;
  const list = field.has_field_values === 'list' || field.has_field_values === 'auto-list';
  return list || isa(field.base_type, 'type/Boolean');
}

/**
 * Upserts the field's `full` values row with the given values and labels (labels `[]` for none), in one statement
 * against the row's unique index, so that a concurrent writer of the same row (another request, a field-values job)
 * is never a duplicate-key error.
 */
export async function storeFieldValues(
  appDb: AppDb,
  fieldId: number,
  values: readonly unknown[],
  labels: readonly unknown[],
): Promise<void> {
  const now = appDb.now();
  const columns = { values: JSON.stringify(values), human_readable_values: JSON.stringify(labels), updated_at: now };
  await appDb.db
    .insertInto('metabase_fieldvalues')
    .values({ ...columns, field_id: fieldId, type: 'full', has_more_values: false, created_at: now })
    .onConflict((oc) => oc.expression(sql`field_id, type, (COALESCE(hash_key, ''))`).doUpdateSet(columns))
    .execute();
}
