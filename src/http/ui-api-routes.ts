// Read-only admin routes for the admin page (/api/ui/…, admin key): the databases with their last, current and next
// syncs, one page of a database's tables, a table with its fields, recent jobs and one job under the admin key. They
// reuse the contract's objects and add keys only to their own envelopes.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import {
  compareDatabases,
  compareFields,
  compareTables,
  databaseObject,
  fieldObject,
  tableObject,
  tableOrder,
} from '../catalog/api-objects.ts';
import { getDatabase, isStorableId, listDatabases, type DatabaseRecord } from '../catalog/databases.ts';
import { FIELD_VISIBILITY_TYPES, SEMANTIC_TYPES } from '../catalog/field-edits.ts';
import { TABLE_VISIBILITY_TYPES } from '../catalog/table-edits.ts';
import { parseJson, toBool } from '../db/schema.ts';
import { sanitize } from '../errors.ts';
import { QuartzError, QuartzSchedule } from '../jobs/quartz.ts';
import { toJobView, type JobView } from '../jobs/queue.ts';
import { reportJob } from '../jobs/wait.ts';
import { activeTableKeys, getTable } from './catalog-reads.ts';
import { jobObject } from './job-routes.ts';
import { notFound, sendJson } from './replies.ts';
import { jobTasks } from './task-routes.ts';
import { ValidationErrors, optionalId, read, ROUTE_ID, routeIdOf, type JsonObject, type Rule } from './validation.ts';

/** Tables per page when the request names no `limit`; the page never asks for more than MAX_PAGE. */
export const DEFAULT_TABLE_PAGE = 50;
export const MAX_PAGE = 500;
const MAX_SEARCH_LENGTH = 200;
const RECENT_JOBS = 50;

/** The values the page's edit controls offer, all accepted by the curation routes. */
const EDIT_CHOICES = {
  semantic_types: [...SEMANTIC_TYPES].sort(),
  table_visibility_types: TABLE_VISIBILITY_TYPES,
  // `retired` is the sync's to set: a retired field is no longer listed here.
  field_visibility_types: FIELD_VISIBILITY_TYPES.filter((v) => v !== 'retired'),
};

/** A job as the databases list and the jobs list show it. */
export interface JobSummary {
  readonly id: number;
  readonly database_id: number;
  readonly state: string;
  readonly enqueued_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  /** Milliseconds from start to end; null until both exist. */
  readonly duration: number | null;
  readonly triggers: readonly string[];
  readonly error: string | null;
}

export function jobSummary(job: JobView, secrets: readonly string[]): JobSummary {
  const duration =
    job.startedAt !== null && job.finishedAt !== null ? Date.parse(job.finishedAt) - Date.parse(job.startedAt) : null;
  return {
    id: job.id,
    database_id: job.databaseId,
    state: job.state,
    enqueued_at: job.enqueuedAt,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    duration,
    triggers: [...new Set(job.triggers.map((t) => t.source))],
    error: job.error === null ? null : sanitize(job.error, secrets),
  };
}

/** The next fire of a Quartz schedule after `now`, as an ISO string; null for no schedule or one that cannot run. */
export function nextFireOf(expression: string | null, now: Date): string | null {
  if (expression === null) return null;
  try {
    return new QuartzSchedule(expression).nextFire(now)?.toISOString() ?? null;
  } catch (error) {
    if (error instanceof QuartzError) return null;
    throw error;
  }
}

/** The keys and the database's password: never shown, even inside an error message. */
function secretsOf(deps: AppDeps, database: DatabaseRecord | undefined): string[] {
  const secrets = [deps.config.apiKey, deps.config.adminApiKey].filter((k): k is string => k !== null);
  const password = parseJson<Record<string, unknown>>(database?.details, {}).password;
  if (typeof password === 'string' && password !== '') secrets.push(password);
  return secrets;
}

const pageNumber = (description: string, max: number): Rule<number> => ({
  description,
  required: false,
  parse: (value) =>
    typeof value === 'string' && /^[0-9]{1,9}$/.test(value) && Number(value) <= max
      ? { ok: true, value: Number(value) }
      : { ok: false, received: value },
});
const limitRule = pageNumber(`nullable value must be an integer from 0 to ${MAX_PAGE}.`, MAX_PAGE);
const offsetRule = pageNumber('nullable value must be an integer greater than or equal to zero.', 999_999_999);
const searchRule: Rule<string> = {
  description: `nullable value must be a string of at most ${MAX_SEARCH_LENGTH} characters.`,
  required: false,
  parse: (value) =>
    typeof value === 'string' && value.length <= MAX_SEARCH_LENGTH
      ? { ok: true, value: value.trim().toLowerCase() }
      : { ok: false, received: value },
};

type TableKey = { readonly id: number; readonly schema: string | null; readonly name: string };

const SURROGATE = /[\uD800-\uDFFF]/;
const byCodeUnit = tableOrder((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * compareTables' order, sorted with plain string comparison where no string holds a surrogate: there code units are
 * code points (2 to 4 times faster on 10,000 tables).
 */
export function sortTables<T extends TableKey>(tables: T[]): T[] {
  const surrogates = tables.some((t) => SURROGATE.test(t.name) || (t.schema !== null && SURROGATE.test(t.schema)));
  return tables.sort(surrogates ? compareTables : byCodeUnit);
}

function queryOf(url: string): JsonObject {
  const mark = url.indexOf('?');
  return Object.fromEntries(new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1)).entries());
}

export function registerUiApiRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { appDb } = deps;

  app.get('/api/ui/databases', async (_request, reply) => {
    const databases = (await listDatabases(appDb)).sort(compareDatabases);
    const now = new Date();
    // Two queries for all databases: a database's jobs run one at a time, so its highest ended id ended last.
    const lastIds = appDb.db
      .selectFrom('sync_job')
      .select((eb) => eb.fn.max('id').as('id'))
      .where('state', 'in', ['succeeded', 'failed'])
      .groupBy('database_id');
    const rows = await appDb.db
      .selectFrom('sync_job')
      .selectAll()
      .where((eb) => eb.or([eb('state', 'in', ['queued', 'running']), eb('id', 'in', lastIds)]))
      .orderBy('id')
      .execute();
    const jobsOf = new Map<number, JobView[]>();
    for (const row of rows) jobsOf.set(row.database_id, [...(jobsOf.get(row.database_id) ?? []), toJobView(row)]);
    const data = databases.map((database) => {
      const secrets = secretsOf(deps, database);
      const jobs = jobsOf.get(database.id) ?? [];
      const last = jobs.find((job) => job.state === 'succeeded' || job.state === 'failed');
      const fieldValuesScheduled = toBool(database.is_full_sync) && !toBool(database.is_on_demand);
      return {
        ...databaseObject(database),
        last_sync: last ? jobSummary(last, secrets) : null,
        current_jobs: jobs.filter((job) => job !== last).map((job) => jobSummary(job, secrets)),
        next_metadata_sync: nextFireOf(database.metadata_sync_schedule, now),
        next_field_values_sync: fieldValuesScheduled ? nextFireOf(database.cache_field_values_schedule, now) : null,
      };
    });
    return sendJson(reply, 200, { data, total: data.length, scheduler_enabled: !deps.config.disableScheduler });
  });

  // One page of the database's active tables in the metadata order (sorted here: the same on both app databases),
  // filtered by a case-insensitive substring of the name, each with its count of active fields.
  app.get(`/api/ui/database/${ROUTE_ID}/tables`, async (request, reply) => {
    const id = routeIdOf(request.params);
    const errors = new ValidationErrors();
    const query = queryOf(request.url);
    const limit = read(errors, query, 'limit', limitRule) ?? DEFAULT_TABLE_PAGE;
    const offset = read(errors, query, 'offset', offsetRule) ?? 0;
    const search = read(errors, query, 'q', searchRule) ?? '';
    errors.check();
    const database = await getDatabase(appDb, id);
    if (!database) throw notFound();
    const keys = await activeTableKeys(appDb, id);
    const matching = search === '' ? keys : keys.filter((t) => t.name.toLowerCase().includes(search));
    const pageIds = sortTables(matching)
      .slice(offset, offset + limit)
      .map((t) => t.id);
    const rows =
      pageIds.length === 0
        ? []
        : await appDb.db.selectFrom('metabase_table').selectAll().where('id', 'in', pageIds).execute();
    const counts =
      pageIds.length === 0
        ? []
        : await appDb.db
            .selectFrom('metabase_field')
            .select((eb) => ['table_id', eb.fn.countAll<number | string>().as('n')])
            .where('table_id', 'in', pageIds)
            .where('active', '=', true)
            .groupBy('table_id')
            .execute();
    const fieldCount = new Map(counts.map((c) => [c.table_id, Number(c.n)]));
    const data = sortTables(rows).map((row) => ({ ...tableObject(row), field_count: fieldCount.get(row.id) ?? 0 }));
    return sendJson(reply, 200, { total: matching.length, data, limit, offset, database: databaseObject(database) });
  });

  app.get(`/api/ui/table/${ROUTE_ID}`, async (request, reply) => {
    const table = await getTable(appDb, routeIdOf(request.params));
    if (!table) throw notFound();
    const fields = await appDb.db
      .selectFrom('metabase_field')
      .selectAll()
      .where('table_id', '=', table.id)
      .where('active', '=', true)
      .execute();
    return sendJson(reply, 200, {
      ...tableObject(table),
      fields: fields.map(fieldObject).sort(compareFields),
      choices: EDIT_CHOICES,
    });
  });

  app.get('/api/ui/jobs', async (request, reply) => {
    const errors = new ValidationErrors();
    const dbId = read(errors, queryOf(request.url), 'db_id', optionalId);
    errors.check();
    if (dbId !== undefined && !isStorableId(dbId)) return sendJson(reply, 200, { data: [] });
    const rows = await appDb.db
      .selectFrom('sync_job')
      .selectAll()
      .where('state', '!=', 'skipped')
      .$if(dbId !== undefined, (qb) => qb.where('database_id', '=', dbId!))
      .orderBy('id', 'desc')
      .limit(RECENT_JOBS)
      .execute();
    const databases = new Map((await listDatabases(appDb)).map((d) => [d.id, d]));
    const data = rows.map((row) => ({
      ...jobSummary(toJobView(row), secretsOf(deps, databases.get(row.database_id))),
      database_name: databases.get(row.database_id)?.name ?? null,
    }));
    return sendJson(reply, 200, { data });
  });

  // The Job object of GET /api/notify/job/:id, readable with the admin key (the page never holds the notify key).
  app.get(`/api/ui/job/${ROUTE_ID}`, async (request, reply) => {
    const report = await reportJob(appDb, routeIdOf(request.params));
    if (!report) throw notFound();
    const steps = await jobTasks(appDb, report.job.id);
    const secrets = secretsOf(deps, await getDatabase(appDb, report.job.databaseId));
    return sendJson(reply, 200, jobObject(report, steps, secrets));
  });
}
