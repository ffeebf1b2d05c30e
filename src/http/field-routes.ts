// The management API's field routes (notify-api.md sections 6.2 and 6.7, curation-notes.md 1.2): GET /api/field/:id
// answers the Field object, GET /api/field/:id/values the field's cached values in Metabase's shape; PUT edits the
// field (user-set, never overwritten by a sync), the values routes curate its values, summary counts in the warehouse.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { curatedField, hydratedField } from '../catalog/curated-objects.ts';
import { getDatabase } from '../catalog/databases.ts';
import {
  acceptsHumanReadableValues,
  discardFieldValues,
  editField,
  FIELD_VISIBILITY_TYPES,
  FieldEditError,
  getField,
  HAS_FIELD_VALUES,
  storeFieldValues,
  type FieldEdit,
  type FieldRecord,
} from '../catalog/field-edits.ts';
import { fieldsByIds } from '../catalog/table-reads.ts';
import { parseJson, toBool } from '../db/schema.ts';
import { HttpError } from '../errors.ts';
import { rescanFieldValues } from '../sync/field-values/rescan-field.ts';
import { fullSyncEnabled } from '../sync/field-values/values-rows.ts';
import { getTable } from './catalog-reads.ts';
import { coercionStrategy, nfcPath, optionalMap, readEdit, semanticType, type EditKey } from './edit-rules.ts';
import { notFound, sendJson } from './replies.ts';
import {
  bodyObject,
  optionalBoolean,
  optionalEnum,
  optionalId,
  optionalNonBlank,
  read,
  ROUTE_ID,
  routeIdOf,
  ValidationErrors,
  type Rule,
} from './validation.ts';
import { withWarehouse } from './warehouse-access.ts';

/** Metabase's answer: each value as a one-element array, or a `[value, label]` pair where it has a label. */
export interface FieldValuesBody {
  readonly field_id: number;
  readonly values: readonly (readonly unknown[])[];
  readonly has_more_values: boolean;
}

/** The `full` values row as stored; a field without one (not a list, or not scanned yet) has no values. */
export function fieldValuesBody(
  fieldId: number,
  row: { values: string; human_readable_values: string; has_more_values: boolean | number } | undefined,
): FieldValuesBody {
  if (row === undefined) return { field_id: fieldId, values: [], has_more_values: false };
  const values = parseJson<unknown[]>(row.values, []);
  const labels = parseJson<unknown[]>(row.human_readable_values, []);
  return {
    field_id: fieldId,
    values: values.map((value, i) => (i < labels.length ? [value, labels[i]] : [value])),
    has_more_values: toBool(row.has_more_values),
  };
}

/** PUT /api/field/:id: Metabase's keys; null clears the texts, semantic_type, has_field_values, FK target, coercion. */
export const FIELD_EDIT: Readonly<Record<string, EditKey>> = {
  display_name: { rule: optionalNonBlank, nullWrites: false },
  description: { rule: optionalNonBlank, nullWrites: true },
  caveats: { rule: optionalNonBlank, nullWrites: true },
  points_of_interest: { rule: optionalNonBlank, nullWrites: true },
  semantic_type: { rule: semanticType, nullWrites: true },
  visibility_type: { rule: optionalEnum(FIELD_VISIBILITY_TYPES), nullWrites: false },
  has_field_values: { rule: optionalEnum(HAS_FIELD_VALUES), nullWrites: true },
  fk_target_field_id: { rule: optionalId, nullWrites: true },
  coercion_strategy: { rule: coercionStrategy, nullWrites: true },
  settings: { rule: optionalMap, nullWrites: false },
  nfc_path: { rule: nfcPath, nullWrites: false, ignored: true },
  json_unfolding: { rule: optionalBoolean, nullWrites: false },
};

/** `values`: `[[v], …]` or `[[v, label], …]`, labels non-blank strings. */
export const remappedValues: Rule<unknown[][]> = {
  description: 'value must be an array of [value] or [value, label] pairs, each label a non-blank string.',
  required: true,
  parse(value) {
    const ok =
      Array.isArray(value) &&
      value.every(
        (pair) =>
          Array.isArray(pair) &&
          (pair.length === 1 || (pair.length === 2 && typeof pair[1] === 'string' && pair[1].trim() !== '')),
      );
    return ok ? { ok: true, value: value as unknown[][] } : { ok: false, received: value };
  },
};

const LABELS_ALL_OR_NONE = 'If remapped values are specified, they must be specified for all field values';
const NOT_A_LIST =
  'You can only update the human readable values of a mapped values of a Field whose value of `has_field_values` ' +
  "is `list` or whose 'base_type' is 'type/Boolean'.";
const SCANNING_DISABLED = 'Data scanning is disabled for this database (is_full_sync is false).';

async function fieldOr404(deps: AppDeps, params: unknown): Promise<FieldRecord> {
  const field = await getField(deps.appDb, routeIdOf(params));
  if (!field) throw notFound();
  return field;
}

/** The field's database, refusing data queries while its is_full_sync is false (sync-engine.md 6.5). */
async function scannableDatabase(deps: AppDeps, field: FieldRecord) {
  const table = (await getTable(deps.appDb, field.table_id))!;
  if (!(await fullSyncEnabled(deps.appDb.db, table.db_id))) throw new HttpError(400, SCANNING_DISABLED, 'text');
  return { table, database: (await getDatabase(deps.appDb, table.db_id))! };
}

export function registerFieldRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(`/api/field/${ROUTE_ID}`, async (request, reply) => {
    const field = await getField(deps.appDb, routeIdOf(request.params));
    if (!field) throw notFound();
    return sendJson(reply, 200, curatedField(field));
  });

  app.get(`/api/field/${ROUTE_ID}/values`, async (request, reply) => {
    const field = await getField(deps.appDb, routeIdOf(request.params));
    if (!field) throw notFound();
    const row = await deps.appDb.db
      .selectFrom('metabase_fieldvalues')
      .select(['values', 'human_readable_values', 'has_more_values'])
      .where('field_id', '=', field.id)
      .where('type', '=', 'full')
      .where('hash_key', 'is', null)
      .executeTakeFirst();
    return sendJson(reply, 200, fieldValuesBody(field.id, row));
  });

  app.put(`/api/field/${ROUTE_ID}`, async (request, reply) => {
    const id = routeIdOf(request.params);
    const edit = readEdit<FieldEdit>(bodyObject(request.body), FIELD_EDIT);
    let field: FieldRecord | undefined;
    try {
      field = await editField(deps.appDb, id, edit);
    } catch (error) {
      if (error instanceof FieldEditError) throw new HttpError(400, { errors: { [error.key]: error.message } }, 'json');
      throw error;
    }
    if (!field) throw notFound();
    const targetId = field.fk_target_field_id;
    const target = targetId === null ? undefined : (await fieldsByIds(deps.appDb, [targetId])).get(targetId);
    return sendJson(reply, 200, hydratedField(field, target));
  });

  app.post(`/api/field/${ROUTE_ID}/values`, async (request, reply) => {
    const id = routeIdOf(request.params);
    const errors = new ValidationErrors();
    const pairs = read(errors, bodyObject(request.body), 'values', remappedValues);
    errors.check();
    const field = await getField(deps.appDb, id);
    if (!field) throw notFound();
    const labelled = pairs!.filter((pair) => pair.length === 2).length;
    if (labelled !== 0 && labelled !== pairs!.length) throw new HttpError(400, LABELS_ALL_OR_NONE, 'text');
    const accepts = acceptsHumanReadableValues({ ...field, active: toBool(field.active) });
    if (!accepts) throw new HttpError(400, NOT_A_LIST, 'text');
    const labels = labelled === 0 ? [] : pairs!.map((pair) => pair[1]);
    await storeFieldValues(deps.appDb, field.id, pairs!.map((pair) => pair[0]), labels);
    return sendJson(reply, 200, { status: 'success' });
  });

  app.post(`/api/field/${ROUTE_ID}/rescan_values`, async (request, reply) => {
    const field = await fieldOr404(deps, request.params);
    const { database } = await scannableDatabase(deps, field);
    await withWarehouse(deps, database, (driver, signal) =>
      rescanFieldValues(deps.appDb, driver, database.id, field.id, signal),
    );
    return sendJson(reply, 200, { status: 'success' });
  });

  app.post(`/api/field/${ROUTE_ID}/discard_values`, async (request, reply) => {
    const field = await fieldOr404(deps, request.params);
    await discardFieldValues(deps.appDb, [field.id]);
    return sendJson(reply, 200, { status: 'success' });
  });

  app.get(`/api/field/${ROUTE_ID}/summary`, async (request, reply) => {
    const field = await fieldOr404(deps, request.params);
    const { table, database } = await scannableDatabase(deps, field);
    const ref = { schema: table.schema, name: table.name };
    const summary = await withWarehouse(deps, database, (driver, signal) =>
      driver.fieldSummary(ref, field.name, signal),
    );
    return sendJson(reply, 200, [
      ['count', summary.count],
      ['distincts', summary.distincts],
    ]);
  });
}
