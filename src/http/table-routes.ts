// The table curation routes (curation-notes.md 1.1), Metabase-shaped, behind the admin key: read, edit (one or many
// in one transaction), query_metadata, fks, field values of the table, a table-scoped sync and the custom field order.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { databaseObject, type DatabaseObject } from '../catalog/api-objects.ts';
import {
  curatedTable,
  databaseWithoutDetails,
  hydratedField,
  isPkField,
  shownInQueryMetadata,
} from '../catalog/curated-objects.ts';
import { discardTableValues, type FieldRecord } from '../catalog/field-edits.ts';
import { getDatabase, listDatabases } from '../catalog/databases.ts';
import {
  activeFieldsOf,
  editTables,
  FIELD_ORDERS,
  setCustomFieldOrder,
  TABLE_VISIBILITY_TYPES,
  type TableEdit,
  type TableRecord,
} from '../catalog/table-edits.ts';
import { activeTablesByName, fieldsByIds, incomingForeignKeys, tablesByIds } from '../catalog/table-reads.ts';
import { HttpError } from '../errors.ts';
import type { Plan } from '../jobs/types.ts';
import { getTable } from './catalog-reads.ts';
import { entityType, readEdit, requiredIds, type EditKey } from './edit-rules.ts';
import { queueJob } from './job-requests.ts';
import { JSON_TYPE, notFound, sendJson } from './replies.ts';
import {
  bodyObject,
  optionalBoolean,
  optionalEnum,
  optionalNonBlank,
  optionalString,
  read,
  ROUTE_ID,
  routeIdOf,
  ValidationErrors,
} from './validation.ts';
import { testWarehouse } from './warehouse-access.ts';

/** PUT /api/table/:id: Metabase's keys; null clears visibility_type and the texts, and is ignored for the others. */
export const TABLE_EDIT: Readonly<Record<string, EditKey>> = {
  display_name: { rule: optionalNonBlank, nullWrites: false },
  entity_type: { rule: entityType, nullWrites: false },
  visibility_type: { rule: optionalEnum(TABLE_VISIBILITY_TYPES), nullWrites: true },
  description: { rule: optionalString, nullWrites: true },
  caveats: { rule: optionalString, nullWrites: true },
  points_of_interest: { rule: optionalString, nullWrites: true },
  show_in_getting_started: { rule: optionalBoolean, nullWrites: false, ignored: true },
  field_order: { rule: optionalEnum(FIELD_ORDERS), nullWrites: false },
};

/**
 * PUT /api/table: the same keys and `ids`. Metabase's bulk route does not declare field_order, but its open map passes
 * it to update-table!* (curation-notes.md 1.1), so it is applied here too, validated.
 */
export const BULK_EDIT: Readonly<Record<string, EditKey>> = TABLE_EDIT;

/** A table-scoped schema sync, then analysis of that table (what Metabase's sync-table! does). */
const tablePlan = (id: number): Plan => ({ metadata: { tables: [id] }, analyze: { tables: [id] } });
const valuesPlan = (id: number): Plan => ({ field_values: { tables: [id] } });

const ORDER_MISMATCH = "The field ids must be exactly the table's active field ids, each once.";

/** Query flags of query_metadata: `true` (any case) is true, anything else false. */
const flag = (query: unknown, key: string): boolean =>
  String((query as Record<string, unknown> | undefined)?.[key] ?? '').toLowerCase() === 'true';

async function tableOr404(deps: AppDeps, params: unknown): Promise<TableRecord> {
  const table = await getTable(deps.appDb, routeIdOf(params));
  if (!table) throw notFound();
  return table;
}

async function databaseOf(deps: AppDeps, table: TableRecord): Promise<DatabaseObject> {
  return databaseObject((await getDatabase(deps.appDb, table.db_id))!);
}

/** The table's active fields that `keep` accepts, each with its FK target, in Metabase's order. */
async function hydratedFields(deps: AppDeps, tableId: number, keep: (field: FieldRecord) => boolean = () => true) {
  const fields = (await activeFieldsOf(deps.appDb.db, tableId)).filter(keep);
  const targetIds = fields.flatMap((f) => (f.fk_target_field_id === null ? [] : [f.fk_target_field_id]));
  const targets = await fieldsByIds(deps.appDb, targetIds);
  const targetOf = (f: FieldRecord) => (f.fk_target_field_id === null ? undefined : targets.get(f.fk_target_field_id));
  return fields.map((f) => hydratedField(f, targetOf(f)));
}

/** An edited Table; with its `fields` when the edit changed its field_order (Metabase's update-table!*). */
async function editedTable(deps: AppDeps, table: TableRecord, reordered: ReadonlySet<number>) {
  return reordered.has(table.id)
    ? { ...curatedTable(table), fields: await hydratedFields(deps, table.id) }
    : curatedTable(table);
}

async function queueTableJob(deps: AppDeps, table: TableRecord, plan: Plan, route: string): Promise<number> {
  const queued = await queueJob(deps, {
    databaseId: table.db_id,
    plan,
    priority: 10,
    trigger: { source: 'admin', at: new Date().toISOString(), detail: { route, table_id: table.id } },
  });
  if (queued.kind !== 'enqueued') throw new Error(`the ${route} request was refused by the queue`);
  return queued.jobId;
}

/** GET /api/table as a stream: `[`, the tables batch after batch, `]`; the databases (few) are read once. */
function tableStream(deps: AppDeps, term: string | undefined): Readable {
  async function* chunks() {
    const databases = new Map((await listDatabases(deps.appDb)).map((d) => [d.id, databaseObject(d)]));
    yield '[';
    let first = true;
    for await (const batch of activeTablesByName(deps.appDb, term === undefined ? {} : { term })) {
      const objects = batch.map((row) =>
        JSON.stringify({ ...curatedTable(row), db: databases.get(row.db_id) ?? null }),
      );
      yield `${first ? '' : ','}${objects.join(',')}`;
      first = false;
    }
    yield ']';
  }
  return Readable.from(chunks(), { objectMode: false });
}

export function registerTableRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/api/table', async (request, reply) => {
    const term = (request.query as Record<string, unknown> | undefined)?.term;
    const stream = tableStream(deps, typeof term === 'string' && term.trim() !== '' ? term : undefined);
    stream.on('error', (error) => request.log.error({ err: error }, 'GET /api/table stopped mid-stream'));
    return reply.code(200).type(JSON_TYPE).send(stream);
  });

  app.put('/api/table', async (request, reply) => {
    const body = bodyObject(request.body);
    const errors = new ValidationErrors();
    const ids = read(errors, body, 'ids', requiredIds);
    const edit = readEdit<TableEdit>(body, BULK_EDIT, errors);
    const edited = await editTables(deps.appDb, ids!, edit);
    if (!edited) throw notFound();
    for (const table of edited.unhidden) await queueTableJob(deps, table, tablePlan(table.id), 'table unhide');
    const tables = [];
    for (const table of edited.tables) tables.push(await editedTable(deps, table, edited.reordered));
    return sendJson(reply, 200, tables);
  });

  app.get(`/api/table/${ROUTE_ID}`, async (request, reply) => {
    const table = await tableOr404(deps, request.params);
    const pk = (await activeFieldsOf(deps.appDb.db, table.id)).find(isPkField);
    const db = await databaseOf(deps, table);
    return sendJson(reply, 200, { ...curatedTable(table), db, pk_field: pk?.id ?? null });
  });

  app.put(`/api/table/${ROUTE_ID}`, async (request, reply) => {
    const id = routeIdOf(request.params);
    const edit = readEdit<TableEdit>(bodyObject(request.body), TABLE_EDIT);
    const edited = await editTables(deps.appDb, [id], edit);
    if (!edited) throw notFound();
    const [table] = edited.tables;
    if (edited.unhidden.length > 0) await queueTableJob(deps, table, tablePlan(table.id), 'table unhide');
    return sendJson(reply, 200, await editedTable(deps, table, edited.reordered));
  });

  app.get(`/api/table/${ROUTE_ID}/query_metadata`, async (request, reply) => {
    const table = await tableOr404(deps, request.params);
    const include = {
      hidden: flag(request.query, 'include_hidden_fields'),
      sensitive: flag(request.query, 'include_sensitive_fields'),
    };
    return sendJson(reply, 200, {
      ...curatedTable(table),
      db: databaseWithoutDetails(await databaseOf(deps, table)),
      fields: await hydratedFields(deps, table.id, (f) => shownInQueryMetadata(f, include)),
      segments: [],
      metrics: [],
    });
  });

  app.get(`/api/table/${ROUTE_ID}/fks`, async (request, reply) => {
    const table = await tableOr404(deps, request.params);
    const links = await incomingForeignKeys(deps.appDb, table.id);
    const tables = await tablesByIds(deps.appDb, links.map((l) => l.origin.table_id));
    const databases = new Map((await listDatabases(deps.appDb)).map((d) => [d.id, databaseObject(d)]));
    const destinationTable = curatedTable(table);
    return sendJson(
      reply,
      200,
      links.map(({ origin, destination }) => {
        const originTable = tables.get(origin.table_id)!;
        return {
          relationship: 'Mt1',
          origin_id: origin.id,
          origin: {
            ...hydratedField(origin, destination),
            table: { ...curatedTable(originTable), db: databases.get(originTable.db_id) ?? null },
          },
          destination_id: destination.id,
          destination: { ...hydratedField(destination, undefined), table: destinationTable },
        };
      }),
    );
  });

  app.post(`/api/table/${ROUTE_ID}/rescan_values`, async (request, reply) => {
    const table = await tableOr404(deps, request.params);
    const jobId = await queueTableJob(deps, table, valuesPlan(table.id), 'table rescan_values');
    return sendJson(reply.header('X-Job-Id', String(jobId)), 200, { status: 'success' });
  });

  app.post(`/api/table/${ROUTE_ID}/discard_values`, async (request, reply) => {
    const table = await tableOr404(deps, request.params);
    await discardTableValues(deps.appDb, table.id);
    return sendJson(reply, 200, { status: 'success' });
  });

  app.post(`/api/table/${ROUTE_ID}/sync_schema`, async (request, reply) => {
    const table = await tableOr404(deps, request.params);
    const database = (await getDatabase(deps.appDb, table.db_id))!;
    await testWarehouse(deps, database);
    const jobId = await queueTableJob(deps, table, tablePlan(table.id), 'table sync_schema');
    return sendJson(reply.header('X-Job-Id', String(jobId)), 200, { status: 'ok' });
  });

  app.put(`/api/table/${ROUTE_ID}/fields/order`, async (request, reply) => {
    const id = routeIdOf(request.params);
    const body = request.body ?? null;
    const errors = new ValidationErrors();
    const ids = read(errors, { body }, 'body', { ...requiredIds, description: 'value must be an array of field ids.' });
    errors.check();
    const table = await getTable(deps.appDb, id);
    if (!table) throw notFound();
    if (!(await setCustomFieldOrder(deps.appDb, table.id, ids!))) throw new HttpError(400, ORDER_MISMATCH, 'text');
    return sendJson(reply, 200, { success: true });
  });
}
