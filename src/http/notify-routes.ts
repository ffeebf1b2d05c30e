// The notify endpoints of notify-api.md sections 4.2 to 4.4, with the waiting rules of section 5. Authentication,
// routing and body reading happened before a handler runs (app.ts); each handler validates, looks up, queues.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../app.ts';
import type { Engine } from '../drivers/driver.ts';
import { ENGINE_HAS_SCHEMAS } from '../drivers/registry.ts';
import { tableObject } from '../catalog/api-objects.ts';
import { getAttachedDatabase, getDatabase, type DatabaseRecord } from '../catalog/databases.ts';
import { parseJson } from '../db/schema.ts';
import { HttpError } from '../errors.ts';
import { PHASES, type PhaseName, type PhaseScope, type Plan, type Trigger } from '../jobs/types.ts';
import { findTablesByName, getTable, type TableRecord } from './catalog-reads.ts';
import { awaitJob, queueJob, syncFailed } from './job-requests.ts';
import { notFound, sendJson } from './replies.ts';
import {
  ValidationErrors,
  bodyObject,
  optionalEnum,
  optionalId,
  optionalNonBlank,
  optionalString,
  read,
  requiredNonBlank,
  ROUTE_ID,
  routeIdOf,
  type JsonObject,
} from './validation.ts';

// On engines whose tables all have a NULL schema (notify-api.md section 4.3, X20) new-table identities use schema NULL.
const hasSchemas = (engine: string): boolean => ENGINE_HAS_SCHEMAS[engine as Engine] ?? true;

const WAIT_VALUES: readonly unknown[] = [true, 'true'];

/** Section 5: any of `synchronous?`, `synchronous` (body: true or "true") or query `synchronous=true` says "wait". */
export function wantsWait(body: JsonObject, url: string): boolean {
  if (WAIT_VALUES.includes(body['synchronous?']) || WAIT_VALUES.includes(body.synchronous)) return true;
  const query = url.indexOf('?');
  return query !== -1 && new URLSearchParams(url.slice(query + 1)).getAll('synchronous').includes('true');
}

function planOf(phases: readonly PhaseName[], scope: PhaseScope): Plan {
  return Object.fromEntries(phases.map((phase) => [phase, scope])) as Plan;
}

function notifyTrigger(detail: Record<string, unknown>): Trigger {
  const present = Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== undefined && v !== null));
  return { source: 'notify', at: new Date().toISOString(), detail: present };
}

function passwordOf(database: DatabaseRecord): string[] {
  const password = parseJson<Record<string, unknown>>(database.details, {}).password;
  return typeof password === 'string' && password !== '' ? [password] : [];
}

function okJob(reply: FastifyReply, jobId: number): FastifyReply {
  return sendJson(reply, 200, { success: true, job_id: jobId });
}

/** Section 4.2, scope selection (resolved in the enqueue transaction, jobs/queue.ts): table_id wins, then the name. */
function selectionOf(tableId: number | undefined, tableName: string | undefined, schemaName: string | undefined) {
  if (tableId !== undefined) return { by: 'id', id: tableId } as const;
  if (tableName === undefined) return { by: 'database' } as const;
  return schemaName === undefined
    ? ({ by: 'name', name: tableName } as const)
    : ({ by: 'name', name: tableName, schema: schemaName } as const);
}

interface NewTableRequest {
  readonly database: DatabaseRecord;
  /** As received: echoed in every message (null when absent). */
  readonly schemaName: string | null;
  readonly tableName: string;
}

function tableMessage(kind: 'exists' | 'unknown', req: NewTableRequest): JsonObject {
  const qualified = `${req.schemaName ?? 'null'}.${req.tableName}`;
  const message = kind === 'exists' ? `Table '${qualified}' already exists` : `Unable to identify table '${qualified}'`;
  return { message, schema_name: req.schemaName, table_name: req.tableName };
}

/**
 * Steps 3 to 6 of section 4.3: queue a full sync of the new table (the "already exists" check runs inside the
 * enqueue transaction), always wait, and answer from the job's outcome for this table.
 */
async function syncNewTable(
  deps: AppDeps,
  reply: FastifyReply,
  req: NewTableRequest,
): Promise<{ jobId: number; table: TableRecord }> {
  const identity = {
    schema: !hasSchemas(req.database.engine) ? null : req.schemaName,
    name: req.tableName,
  };
  const queued = await queueJob(deps, {
    databaseId: req.database.id,
    plan: planOf(PHASES, { new_tables: [identity] }),
    priority: 10,
    trigger: notifyTrigger({ schema_name: req.schemaName, table_name: req.tableName }),
    newTable: identity,
  });
  if (queued.kind === 'already-exists') throw new HttpError(400, tableMessage('exists', req), 'json');
  const secrets = passwordOf(req.database);
  const job = await awaitJob(deps, reply, queued.jobId, secrets);
  const outcome = job.result?.new_tables.find(
    (o) => (o.schema ?? '') === (identity.schema ?? '') && o.name === identity.name,
  );
  if (outcome?.status === 'absent') throw new HttpError(404, tableMessage('unknown', req), 'json');
  if ((outcome?.status === 'created' || outcome?.status === 'existing') && outcome.table_id !== null) {
    const table = await getTable(deps.appDb, outcome.table_id);
    if (table) return { jobId: queued.jobId, table };
  }
  throw syncFailed(deps, `the table '${req.schemaName ?? 'null'}.${req.tableName}' could not be added.`, secrets);
}

export function registerNotifyRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post(`/api/notify/db/${ROUTE_ID}`, async (request, reply) => {
    const id = routeIdOf(request.params);
    const body = bodyObject(request.body);
    const errors = new ValidationErrors();
    const tableId = read(errors, body, 'table_id', optionalId);
    const tableName = read(errors, body, 'table_name', optionalNonBlank);
    const schemaName = read(errors, body, 'schema_name', optionalNonBlank);
    const scan = read(errors, body, 'scan', optionalEnum(['full', 'schema']));
    errors.check();

    // The database and the tables are looked up in the enqueue transaction, shared with the requests of the same
    // database that arrive together (one lookup and one commit for a burst); each gets its own 404 or job.
    const queued = await queueJob(deps, {
      databaseId: id,
      selection: selectionOf(tableId, tableName, schemaName),
      phases: scan === 'schema' ? ['metadata'] : PHASES,
      priority: 10,
      trigger: notifyTrigger({ table_id: tableId, table_name: tableName, schema_name: schemaName, scan }),
    });
    if (queued.kind !== 'enqueued') throw new Error('a sync request was refused by the queue');
    if (wantsWait(body, request.url)) {
      const database = await getDatabase(deps.appDb, id);
      await awaitJob(deps, reply, queued.jobId, database ? passwordOf(database) : []);
    }
    return okJob(reply, queued.jobId);
  });

  app.post(`/api/notify/db/${ROUTE_ID}/new-table`, async (request, reply) => {
    const id = routeIdOf(request.params);
    const body = bodyObject(request.body);
    const errors = new ValidationErrors();
    const schemaName = read(errors, body, 'schema_name', requiredNonBlank);
    const tableName = read(errors, body, 'table_name', requiredNonBlank);
    errors.check();

    const database = await getDatabase(deps.appDb, id);
    if (!database) throw notFound();
    const wanted = { database, schemaName: schemaName!, tableName: tableName! };
    const { jobId, table } = await syncNewTable(deps, reply, wanted);
    reply.header('X-Job-Id', String(jobId));
    return sendJson(reply, 200, tableObject(table));
  });

  app.post('/api/notify/db/attached_datawarehouse', async (request, reply) => {
    const body = bodyObject(request.body);
    const errors = new ValidationErrors();
    const tableName = read(errors, body, 'table_name', optionalNonBlank);
    const schemaName = read(errors, body, 'schema_name', optionalString) ?? null;
    errors.check();

    const database = await getAttachedDatabase(deps.appDb);
    if (!database) throw notFound();
    const wait = wantsWait(body, request.url);
    let scope: PhaseScope = { database: true };
    if (tableName !== undefined) {
      const lookupSchema = !hasSchemas(database.engine) ? null : schemaName;
      const [table] = await findTablesByName(deps.appDb, database.id, tableName, lookupSchema);
      if (!table) {
        const { jobId } = await syncNewTable(deps, reply, { database, schemaName, tableName });
        return okJob(reply, jobId);
      }
      scope = { tables: [table.id] };
    }
    const queued = await queueJob(deps, {
      databaseId: database.id,
      plan: { metadata: scope },
      priority: 10,
      trigger: notifyTrigger({ table_name: tableName, schema_name: schemaName }),
    });
    if (queued.kind !== 'enqueued') throw new Error('a sync request was refused by the queue');
    if (wait) await awaitJob(deps, reply, queued.jobId, passwordOf(database));
    return okJob(reply, queued.jobId);
  });
}
