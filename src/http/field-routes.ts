// The management API's field routes (notify-api.md sections 6.2 and 6.7): GET /api/field/:id answers the Field object,
// GET /api/field/:id/values the field's cached values in Metabase's shape.
import type { FastifyInstance } from 'fastify';
import type { Selectable } from 'kysely';
import type { AppDeps } from '../app.ts';
import { fieldObject } from '../catalog/api-objects.ts';
import { isStorableId } from '../catalog/databases.ts';
import type { AppDb } from '../db/connect.ts';
import { parseJson, toBool, type FieldRow } from '../db/schema.ts';
import { notFound, sendJson } from './replies.ts';
import { ROUTE_ID, routeIdOf } from './validation.ts';

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

async function getField(appDb: AppDb, id: number): Promise<Selectable<FieldRow> | undefined> {
  if (!isStorableId(id)) return undefined;
  return await appDb.db.selectFrom('metabase_field').selectAll().where('id', '=', id).executeTakeFirst();
}

export function registerFieldRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(`/api/field/${ROUTE_ID}`, async (request, reply) => {
    const field = await getField(deps.appDb, routeIdOf(request.params));
    if (!field) throw notFound();
    return sendJson(reply, 200, fieldObject(field));
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
}
