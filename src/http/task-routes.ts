// GET /api/task (notify-api.md section 6.7): task history in Metabase's shape, {total, data, limit, offset}, newest
// first, filterable by database and status, paged by `limit` and `offset` as Metabase's offset-paging middleware does.
import type { FastifyInstance } from 'fastify';
import { sql, type Selectable } from 'kysely';
import type { AppDeps } from '../app.ts';
import { isStorableId } from '../catalog/databases.ts';
import type { AppDb } from '../db/connect.ts';
import { parseJson, type TaskHistoryRow } from '../db/schema.ts';
import { sendJson, sendJsonStream } from './replies.ts';
import { ValidationErrors, optionalEnum, optionalId, read, type JsonObject, type Rule } from './validation.ts';

/** A task_history row under its column names (sync-engine.md section 2.7), task_details and logs parsed. */
export interface TaskObject {
  readonly id: number;
  readonly task: string;
  readonly db_id: number | null;
  readonly job_id: number | null;
  readonly parent_id: number | null;
  readonly started_at: string;
  readonly ended_at: string | null;
  readonly duration: number | null;
  readonly status: string;
  readonly task_details: unknown;
  readonly logs: unknown;
}

export function taskObject(row: Selectable<TaskHistoryRow>): TaskObject {
  return {
    id: row.id,
    task: row.task,
    db_id: row.db_id,
    job_id: row.job_id,
    parent_id: row.parent_id,
    started_at: row.started_at,
    ended_at: row.ended_at,
    duration: row.duration,
    status: row.status,
    task_details: parseJson<unknown>(row.task_details, null),
    logs: parseJson<unknown>(row.logs, null),
  };
}

/** The task_history rows of one job (operation and step rows), ordered by id. */
export async function jobTasks(appDb: AppDb, jobId: number): Promise<TaskObject[]> {
  const rows = await appDb.db
    .selectFrom('task_history')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('id')
    .execute();
  return rows.map(taskObject);
}

export const TASK_STATUSES = ['started', 'success', 'failed', 'unknown'] as const;

/** Metabase's page size when a request pages (gives `limit` or `offset`) without a `limit`. */
export const DEFAULT_PAGE_LIMIT = 50;

/** A query value of ASCII digits; values past 2^53 − 1 count as that (no table has so many rows). */
export const nonNegative: Rule<number> = {
  description: 'nullable value must be an integer greater than or equal to zero.',
  required: false,
  schema: { anyOf: [{ type: 'string', pattern: '^[0-9]+$' }, { type: 'null' }] },
  parse: (value) =>
    typeof value === 'string' && /^[0-9]+$/.test(value)
      ? { ok: true, value: Math.min(Number(value), Number.MAX_SAFE_INTEGER) }
      : { ok: false, received: value },
};

interface TaskQuery {
  readonly dbId: number | undefined;
  readonly status: (typeof TASK_STATUSES)[number] | undefined;
  /** Both null when the request does not page: every row is returned, as Metabase does. */
  readonly limit: number | null;
  readonly offset: number | null;
}

/** The query parameters (the last of repeated ones counts), validated as one stage. */
export function taskQueryOf(url: string): TaskQuery {
  const mark = url.indexOf('?');
  const params = new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1));
  const source: JsonObject = Object.fromEntries(params.entries());
  const errors = new ValidationErrors();
  const limit = read(errors, source, 'limit', nonNegative);
  const offset = read(errors, source, 'offset', nonNegative);
  const dbId = read(errors, source, 'db_id', optionalId);
  const status = read(errors, source, 'status', optionalEnum(TASK_STATUSES));
  errors.check();
  const paged = limit !== undefined || offset !== undefined;
  return {
    dbId,
    status,
    limit: paged ? (limit ?? DEFAULT_PAGE_LIMIT) : null,
    offset: paged ? (offset ?? 0) : null,
  };
}

export function registerTaskRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/api/task', async (request, reply) => {
    const query = taskQueryOf(request.url);
    const page = { limit: query.limit, offset: query.offset };
    // A db_id beyond the id column names no row and never reaches the database.
    if (query.dbId !== undefined && !isStorableId(query.dbId)) {
      return sendJson(reply, 200, { total: 0, data: [], ...page });
    }
    const { total } = await filtered(deps.appDb, query)
      .select((eb) => eb.fn.countAll<number | string>().as('total'))
      .executeTakeFirstOrThrow();
    async function* rows(): AsyncGenerator<string> {
      for await (const row of taskRows(deps.appDb, query)) yield JSON.stringify(taskObject(row));
    }
    return sendJsonStream(reply, 200, { total: Number(total) }, 'data', rows(), page);
  });
}

/** Rows read per statement of GET /api/task, so that an unpaged request holds at most this many in memory. */
export const TASK_BATCH = 500;

function filtered(appDb: AppDb, query: TaskQuery) {
  return appDb.db
    .selectFrom('task_history')
    .$if(query.dbId !== undefined, (qb) => qb.where('db_id', '=', query.dbId!))
    .$if(query.status !== undefined, (qb) => qb.where('status', '=', query.status!));
}

/**
 * The page's rows newest first, TASK_BATCH per statement: the first batch skips `offset`, each next one starts after
 * the last row read (keyset on started_at, id, compared at full precision through started_at's text form).
 */
async function* taskRows(appDb: AppDb, query: TaskQuery): AsyncGenerator<Selectable<TaskHistoryRow>> {
  let remaining = query.limit ?? Number.POSITIVE_INFINITY;
  type After = { key: string; id: number };
  let after: After | null = null;
  const startedText = sql<string>`CAST(started_at AS TEXT)`;
  const started = appDb.kind === 'postgres' ? (key: string) => sql`CAST(${key} AS timestamptz)` : (key: string) => sql`${key}`;
  while (remaining > 0) {
    const size = Math.min(TASK_BATCH, remaining);
    const last: After | null = after;
    const rows: (Selectable<TaskHistoryRow> & { started_key: string })[] = await filtered(appDb, query)
      .selectAll()
      .select(startedText.as('started_key'))
      .$if(last !== null, (qb) =>
        qb.where((eb) =>
          eb.or([
            eb(sql`started_at`, '<', started(last!.key)),
            eb.and([eb(sql`started_at`, '=', started(last!.key)), eb('id', '<', last!.id)]),
          ]),
        ),
      )
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(size)
      .$if(last === null && (query.offset ?? 0) > 0, (qb) => qb.offset(query.offset!))
      .execute();
    for (const { started_key: _key, ...row } of rows) yield row;
    if (rows.length < size) return;
    remaining -= rows.length;
    const tail = rows[rows.length - 1]!;
    after = { key: tail.started_key, id: tail.id };
  }
}
