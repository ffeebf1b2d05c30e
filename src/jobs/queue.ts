// The job queue in the application database (sync-engine.md sections 2.8 and 8.2 to 8.5): enqueue with coalescing,
// claim, lease renewal, completion and hand-on of interrupted jobs. sync_job is the source of truth; the partial unique
// indexes sync_job_one_queued and sync_job_one_running enforce one queued and one running job per database.
import { CompiledQuery, sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import { parseJson, type AppSchema, type JobState, type SyncJobRow } from '../db/schema.ts';
import { millisSince, nowPlusSeconds, readNow } from './clock.ts';
import { mergePlans, normalizePlan, planNewTables, sameNewTable } from './plan.ts';
import type { JobResult, NewTableRef, PhaseName, PhaseScope, Plan, Trigger } from './types.ts';

/** Only the 20 most recent trigger records are kept on a job. */
export const MAX_TRIGGERS = 20;
/** A queued job's priority is raised to on-demand after it waited this long (aging, 8.4). */
export const AGING_SECONDS = 600;
/** A job interrupted by lease expiry is retried while its attempt is below this (8.5). */
export const MAX_ATTEMPTS = 3;

const MAX_ID = 2_147_483_647;

// The states that sync_job's partial unique indexes name are written into the SQL text, not bound: SQLite recompiles a
// statement on every run when a bound value decides whether a partial index applies (about 25 µs per statement here).
const QUEUED = sql.lit<JobState>('queued');
const RUNNING = sql.lit<JobState>('running');

export interface EnqueueRequest {
  readonly databaseId: number;
  readonly plan: Plan;
  /** 0 scheduled, 10 on-demand. */
  readonly priority: 0 | 10;
  readonly trigger: Trigger;
  /**
   * New-table requests: refuse when a metabase_table row of this database has this identity (COALESCE(schema, '')
   * and name, exact) or the database's queued or running job names it in new_tables of any phase.
   */
  readonly newTable?: NewTableRef;
}

/** The tables a notify names (notify-api.md 4.2): none (the whole database), one by id, or by name and schema. */
export type TableSelection =
  | { readonly by: 'database' }
  | { readonly by: 'id'; readonly id: number }
  | { readonly by: 'name'; readonly name: string; readonly schema?: string };

/**
 * A notify for one database whose database row and tables are looked up inside the enqueue transaction, once for
 * every notify of the batch; the plan is `phases` over the whole database or over the selected tables.
 */
export interface NotifyRequest {
  readonly databaseId: number;
  readonly selection: TableSelection;
  readonly phases: readonly PhaseName[];
  /** 0 scheduled, 10 on-demand. */
  readonly priority: 0 | 10;
  readonly trigger: Trigger;
}

export type QueueRequest = EnqueueRequest | NotifyRequest;

export type EnqueueResult =
  | { readonly kind: 'enqueued'; readonly jobId: number; readonly joined: boolean }
  | { readonly kind: 'already-exists' }
  /** Notify requests only: no database has the id, or the selection names no table of it. */
  | { readonly kind: 'no-database' }
  | { readonly kind: 'no-table' };

export interface JobView {
  readonly id: number;
  readonly databaseId: number;
  readonly state: JobState;
  readonly plan: Plan;
  readonly triggers: readonly Trigger[];
  readonly triggerCount: number;
  readonly priority: number;
  readonly enqueuedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly error: string | null;
  readonly result: JobResult | null;
  readonly retriedAs: number | null;
  readonly attempt: number;
}

type JobRow = Selectable<SyncJobRow>;

export function toJobView(row: JobRow): JobView {
  return {
    id: row.id,
    databaseId: row.database_id,
    state: row.state,
    plan: parseJson<Plan>(row.plan, {}),
    triggers: parseJson<Trigger[]>(row.triggers, []),
    triggerCount: row.trigger_count,
    priority: row.priority,
    enqueuedAt: row.enqueued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    result: parseJson<JobResult | null>(row.result, null),
    retriedAs: row.retried_as,
    attempt: row.attempt,
  };
}

/** A job id the id column can hold; anything else names no job. */
export function isJobId(id: number): boolean {
  return Number.isSafeInteger(id) && id >= 1 && id <= MAX_ID;
}

export async function getJob(appDb: AppDb, id: number): Promise<JobView | null> {
  if (!isJobId(id)) return null;
  const row = await appDb.db.selectFrom('sync_job').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toJobView(row) : null;
}

/** A violation of one of sync_job's partial unique indexes (a concurrent enqueue or claim won). */
function isJobUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown } | null;
  if (e?.code === '23505') return typeof e.constraint === 'string' && e.constraint.startsWith('sync_job_one_');
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' && String(e.message).includes('sync_job.database_id');
}

/** Runs a transaction, and once more when it hit the queued-unique index (a concurrent enqueue inserted first). */
async function inTransactionRetryingOnce<T>(
  appDb: AppDb,
  work: (trx: Transaction<AppSchema>) => Promise<T>,
): Promise<T> {
  try {
    return await appDb.db.transaction().execute(work);
  } catch (error) {
    if (!isJobUniqueViolation(error)) throw error;
    return await appDb.db.transaction().execute(work);
  }
}

/** lockQueuedJobs for one database. */
async function lockQueuedJob(
  appDb: AppDb,
  trx: Transaction<AppSchema>,
  databaseId: number,
): Promise<JobRow | undefined> {
  return (await lockQueuedJobs(appDb, trx, [databaseId])).get(databaseId);
}

/** Whether a metabase_table row of the database has this identity (COALESCE(schema, '') and name, exact). */
async function newTableHasRow(trx: Transaction<AppSchema>, databaseId: number, ref: NewTableRef): Promise<boolean> {
  const row = await trx
    .selectFrom('metabase_table')
    .select('id')
    .where('db_id', '=', databaseId)
    .where(sql<string>`coalesce(${sql.ref('schema')}, '')`, '=', ref.schema ?? '')
    .where('name', '=', ref.name)
    .executeTakeFirst();
  return row !== undefined;
}

/** The plans of the database's queued and running jobs, where a new-table request may already be named. */
async function activePlans(trx: Transaction<AppSchema>, databaseId: number): Promise<Plan[]> {
  const jobs = await trx
    .selectFrom('sync_job')
    .select('plan')
    .where('database_id', '=', databaseId)
    .where((eb) => eb.or([eb('state', '=', QUEUED), eb('state', '=', RUNNING)]))
    .execute();
  return jobs.map((job) => parseJson<Plan>(job.plan, {}));
}

/** What one transaction adds to the database's queued job: the requests it accepted, in their order. */
interface Placement {
  readonly databaseId: number;
  readonly plan: Plan;
  readonly priority: number;
  /** The accepted requests' trigger records, oldest first. */
  readonly triggers: readonly Trigger[];
  readonly attempt: number;
}

/**
 * Steps 2 and 3 of 8.3 (the queue slot taken): merge into the database's queued job, or insert a new queued job,
 * also when a worker claimed the queued job since it was read (a running job is never modified).
 */
async function placeInQueue(
  appDb: AppDb,
  trx: Transaction<AppSchema>,
  queued: JobRow | undefined,
  placement: Placement,
): Promise<{ jobId: number; joined: boolean }> {
  const count = placement.triggers.length;
  if (queued) {
    const triggers = [...parseJson<Trigger[]>(queued.triggers, []), ...placement.triggers].slice(-MAX_TRIGGERS);
    const joined = await trx
      .updateTable('sync_job')
      .set({
        plan: JSON.stringify(normalizePlan(mergePlans(parseJson<Plan>(queued.plan, {}), placement.plan))),
        triggers: JSON.stringify(triggers),
        trigger_count: sql<number>`trigger_count + ${count}`,
        priority: Math.max(queued.priority, placement.priority),
        attempt: Math.max(queued.attempt, placement.attempt),
        updated_at: appDb.now(),
      })
      .where('id', '=', queued.id)
      .where('state', '=', 'queued')
      .executeTakeFirst();
    if (Number(joined.numUpdatedRows) > 0) return { jobId: queued.id, joined: true };
  }
  const inserted = await trx
    .insertInto('sync_job')
    .values({
      database_id: placement.databaseId,
      state: 'queued',
      plan: JSON.stringify(normalizePlan(placement.plan)),
      triggers: JSON.stringify(placement.triggers.slice(-MAX_TRIGGERS)),
      trigger_count: count,
      priority: placement.priority,
      attempt: placement.attempt,
      enqueued_at: appDb.now(),
      updated_at: appDb.now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { jobId: inserted.id, joined: false };
}

/** A table of a batch's database that a notify of the batch may name, as the lookup reads it. */
interface TableKey {
  readonly id: number;
  readonly schema: string | null;
  readonly name: string;
}

interface LookupRow {
  readonly db_id: number;
  readonly table_id: number | null;
  readonly schema: string | null;
  readonly name: string | null;
}

// The lookup statements, built once; each reads the rows of the batch's databases (no row: unknown database), each
// left-joined to its tables that the batch's notifies name by id (primary-key probes: `+db_id` keeps the planner off
// the db_id index) or by name (a dotted name also by its part after the first dot). A batch naming no table reads the
// database rows alone. The lists are bound as one JSON text (SQLite) or one array (PostgreSQL).
const LOOKUP_SQL = {
  sqlite: {
    database: `SELECT d.id AS db_id, NULL AS table_id, NULL AS schema, NULL AS name FROM metabase_database d
      WHERE d.id IN (SELECT value FROM json_each(?))`,
    ids: `SELECT d.id AS db_id, t.id AS table_id, t.schema, t.name FROM metabase_database d
      LEFT JOIN metabase_table t ON t.id IN (SELECT value FROM json_each(?)) AND +t.db_id = d.id
      WHERE d.id IN (SELECT value FROM json_each(?))`,
    names: `SELECT d.id AS db_id, t.id AS table_id, t.schema, t.name FROM metabase_database d
      LEFT JOIN metabase_table t ON t.db_id = d.id AND t.name IN (SELECT value FROM json_each(?))
      WHERE d.id IN (SELECT value FROM json_each(?))`,
  },
  postgres: {
    database: `SELECT d.id AS db_id, NULL::integer AS table_id, NULL AS schema, NULL AS name FROM metabase_database d
      WHERE d.id = ANY($1::integer[])`,
    ids: `SELECT d.id AS db_id, t.id AS table_id, t.schema, t.name FROM metabase_database d
      LEFT JOIN metabase_table t ON t.id = ANY($1::integer[]) AND t.db_id = d.id WHERE d.id = ANY($2::integer[])`,
    names: `SELECT d.id AS db_id, t.id AS table_id, t.schema, t.name FROM metabase_database d
      LEFT JOIN metabase_table t ON t.db_id = d.id AND t.name = ANY($1::text[]) WHERE d.id = ANY($2::integer[])`,
  },
} as const;

async function lookup(
  appDb: AppDb,
  trx: Transaction<AppSchema>,
  kind: keyof (typeof LOOKUP_SQL)['sqlite'],
  lists: readonly (readonly (number | string)[])[],
): Promise<LookupRow[]> {
  const bound = lists.map((list) => (appDb.kind === 'postgres' ? list : JSON.stringify(list)));
  const { rows } = await trx.executeQuery<LookupRow>(CompiledQuery.raw(LOOKUP_SQL[appDb.kind][kind], bound));
  return rows;
}

/** A table name's split at its first dot (X11), or null when either side would be empty. */
function dottedSplit(name: string): { schema: string; name: string } | null {
  const dot = name.indexOf('.');
  return dot > 0 && dot < name.length - 1 ? { schema: name.slice(0, dot), name: name.slice(dot + 1) } : null;
}

/**
 * Per database of `selections`, its tables that the selections may name, ordered by id; null when the database does
 * not exist. One or two statements for all the databases; ids the id column cannot hold name nothing and are not
 * sent. A name asked for one database is looked up in all of them: the selection below matches by name anyway.
 */
async function lookupTables(
  appDb: AppDb,
  trx: Transaction<AppSchema>,
  selections: ReadonlyMap<number, readonly TableSelection[]>,
): Promise<Map<number, TableKey[] | null>> {
  const found = new Map<number, Map<number, TableKey> | null>();
  const databases: number[] = [];
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const [databaseId, list] of selections) {
    found.set(databaseId, null);
    if (!isJobId(databaseId)) continue;
    databases.push(databaseId);
    for (const s of list) {
      if (s.by === 'id' && isJobId(s.id)) ids.add(s.id);
      if (s.by !== 'name') continue;
      names.add(s.name);
      const split = s.schema === undefined ? dottedSplit(s.name) : null;
      if (split) names.add(split.name);
    }
  }
  const rows: LookupRow[] = [];
  if (databases.length > 0 && ids.size === 0 && names.size === 0) {
    rows.push(...(await lookup(appDb, trx, 'database', [databases])));
  }
  for (const [kind, values] of [['ids', [...ids]], ['names', [...names]]] as const) {
    if (values.length > 0) rows.push(...(await lookup(appDb, trx, kind, [values, databases])));
  }
  for (const r of rows) {
    let tables = found.get(r.db_id);
    if (!tables) found.set(r.db_id, (tables = new Map()));
    if (r.table_id !== null) tables.set(r.table_id, { id: r.table_id, schema: r.schema, name: r.name! });
  }
  return new Map(
    [...found].map(([id, tables]) => [id, tables === null ? null : [...tables.values()].sort((a, b) => a.id - b.id)]),
  );
}

/**
 * Section 4.2's scope selection over the looked-up tables (ordered by id): table_id wins; name plus schema is exact;
 * a name alone in any schema, then its dotted split. Null when no table matches.
 */
function selectedScope(tables: readonly TableKey[], selection: TableSelection): PhaseScope | null {
  if (selection.by === 'database') return { database: true };
  const ids = (match: (t: TableKey) => boolean) => tables.filter(match).map((t) => t.id);
  let found: number[];
  if (selection.by === 'id') {
    found = ids((t) => t.id === selection.id);
  } else if (selection.schema !== undefined) {
    found = ids((t) => t.name === selection.name && t.schema === selection.schema);
  } else {
    found = ids((t) => t.name === selection.name);
    const split = found.length === 0 ? dottedSplit(selection.name) : null;
    if (split) found = ids((t) => t.name === split.name && t.schema === split.schema);
  }
  return found.length > 0 ? { tables: found } : null;
}

/**
 * The batch's notify requests resolved against the catalog as of this transaction: each becomes the plain request it
 * stands for, or its miss (no-database, no-table). Plain requests pass through.
 */
async function resolveRequests(
  appDb: AppDb,
  trx: Transaction<AppSchema>,
  groups: readonly (readonly QueueRequest[])[],
): Promise<(EnqueueRequest | EnqueueResult)[][]> {
  const selections = new Map<number, TableSelection[]>();
  for (const group of groups) {
    for (const r of group) {
      if (!('selection' in r)) continue;
      const list = selections.get(r.databaseId);
      if (list) list.push(r.selection);
      else selections.set(r.databaseId, [r.selection]);
    }
  }
  const tablesOf = selections.size === 0 ? new Map<number, TableKey[] | null>() : await lookupTables(appDb, trx, selections);
  return groups.map((group) =>
    group.map((r): EnqueueRequest | EnqueueResult => {
      if (!('selection' in r)) return r;
      const tables = tablesOf.get(r.databaseId) ?? null;
      if (tables === null) return { kind: 'no-database' };
      const scope = selectedScope(tables, r.selection);
      if (scope === null) return { kind: 'no-table' };
      const plan = Object.fromEntries(r.phases.map((phase) => [phase, scope])) as Plan;
      return { databaseId: r.databaseId, plan, priority: r.priority, trigger: r.trigger };
    }),
  );
}

/**
 * Takes the queue slots of the databases (ascending ids, so that two batches never wait for each other) for the rest
 * of the transaction and reads their queued jobs. PostgreSQL: transaction advisory locks, since FOR UPDATE cannot lock
 * a queued row that does not exist yet (concurrent requests that found none would each insert one, and all but one
 * hit the unique index), and locking the row that does exist would make a concurrent claim skip it; SQLite: the
 * single connection serializes transactions.
 */
async function lockQueuedJobs(
  appDb: AppDb,
  trx: Transaction<AppSchema>,
  databaseIds: readonly number[],
): Promise<Map<number, JobRow>> {
  const ids = [...databaseIds].sort((a, b) => a - b);
  if (appDb.kind === 'postgres') {
    // OFFSET 0 keeps the ordered subquery apart, so the locks are taken in its order.
    await sql`SELECT pg_advisory_xact_lock(hashtext('catalog-sync:queued-job'), s.id)
      FROM (SELECT id FROM unnest(${ids}::integer[]) AS id ORDER BY id OFFSET 0) s`.execute(trx);
  }
  const rows = await trx
    .selectFrom('sync_job')
    .selectAll()
    .where('database_id', 'in', ids)
    .where('state', '=', QUEUED)
    .execute();
  return new Map(rows.map((row) => [row.database_id, row]));
}

/**
 * Enqueue of 8.3 in one transaction: the database's queue slot is taken (PostgreSQL: an advisory lock; SQLite: the
 * single connection serializes transactions), the new-table check runs, then the request joins the queued job or
 * inserts one. A running job is never modified.
 */
export async function enqueue(appDb: AppDb, request: EnqueueRequest): Promise<EnqueueResult> {
  const [result] = await enqueueBatch(appDb, [request]);
  return result;
}

/** enqueueBatches for the requests of one database. */
export async function enqueueBatch(appDb: AppDb, requests: readonly QueueRequest[]): Promise<EnqueueResult[]> {
  if (requests.length === 0) return [];
  const databaseId = requests[0].databaseId;
  if (requests.some((r) => r.databaseId !== databaseId)) throw new Error('a batch is for one database');
  const [results] = await enqueueBatches(appDb, [requests]);
  return results;
}

/**
 * Several requests in one enqueue transaction, each group the requests of one database, as if each request had been
 * enqueued alone in their order: notify requests are first looked up (one or two statements for the whole batch)
 * and answered no-database or no-table when they name nothing; the queue slots of the databases left are taken and
 * their queued jobs read (one statement each); each new-table request is checked against the catalog, the queued and
 * running jobs and the requests of its database accepted before it in the batch; every accepted request joins its
 * database's queued job (or the one the batch inserts). The results are in the order of the groups and requests.
 * Group commit for bursts (notify-api.md section 4.1: the answer follows the commit).
 */
export async function enqueueBatches(
  appDb: AppDb,
  groups: readonly (readonly QueueRequest[])[],
): Promise<EnqueueResult[][]> {
  if (groups.some((group) => group.length === 0)) throw new Error('a group holds at least one request');
  const databases = groups.map((group) => group[0].databaseId);
  if (groups.some((group, i) => group.some((r) => r.databaseId !== databases[i]))) {
    throw new Error('a group is for one database');
  }
  if (new Set(databases).size !== databases.length) throw new Error('one group per database');
  return await inTransactionRetryingOnce(appDb, async (trx): Promise<EnqueueResult[][]> => {
    const resolved = await resolveRequests(appDb, trx, groups);
    const results = resolved.map((group) => group.map((r): EnqueueResult | null => ('kind' in r ? r : null)));
    const open = resolved.flatMap((group, g) => (results[g].some((r) => r === null) ? [g] : []));
    if (open.length === 0) return results as EnqueueResult[][];
    const queuedJobs = await lockQueuedJobs(appDb, trx, open.map((g) => databases[g]));
    for (const g of open) {
      const databaseId = databases[g];
      const accepted: EnqueueRequest[] = [];
      let named: NewTableRef[] | null = null;
      for (const [i, request] of resolved[g].entries()) {
        if ('kind' in request) continue;
        const ref = request.newTable;
        if (ref) {
          named ??= (await activePlans(trx, databaseId)).flatMap(planNewTables);
          const known =
            named.some((t) => sameNewTable(t, ref)) ||
            accepted.some((a) => planNewTables(a.plan).some((t) => sameNewTable(t, ref))) ||
            (await newTableHasRow(trx, databaseId, ref));
          if (known) {
            results[g][i] = { kind: 'already-exists' };
            continue;
          }
        }
        accepted.push(request);
      }
      if (accepted.length === 0) continue;
      const placed = await placeInQueue(appDb, trx, queuedJobs.get(databaseId), {
        databaseId,
        plan: accepted.map((r) => normalizePlan(r.plan)).reduce(mergePlans),
        priority: Math.max(...accepted.map((r) => r.priority)),
        triggers: accepted.map((r) => r.trigger),
        attempt: 1,
      });
      let first = !placed.joined;
      results[g] = results[g].map((result): EnqueueResult => {
        if (result !== null) return result;
        const joined = !first;
        first = false;
        return { kind: 'enqueued', jobId: placed.jobId, joined };
      });
    }
    return results as EnqueueResult[][];
  });
}

/**
 * Claim of 8.4, one statement: the best queued job whose database has no running job, by effective priority (raised
 * to 10 after AGING_SECONDS), enqueued_at and id, becomes running under `owner`'s lease. Null when there is none.
 */
export async function claimJob(appDb: AppDb, owner: string, ttlSeconds: number): Promise<JobView | null> {
  const agedBefore = nowPlusSeconds(appDb, -AGING_SECONDS);
  const effectivePriority = sql<number>`
    case when q.priority < 10 and q.enqueued_at <= ${agedBefore} then 10 else q.priority end`;
  const candidate = appDb.db
    .selectFrom('sync_job as q')
    .select('q.id')
    .where('q.state', '=', QUEUED)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('sync_job as r')
            .select('r.id')
            .whereRef('r.database_id', '=', 'q.database_id')
            .where('r.state', '=', RUNNING),
        ),
      ),
    )
    .orderBy(effectivePriority, 'desc')
    .orderBy('q.enqueued_at')
    .orderBy('q.id')
    .limit(1)
    .$if(appDb.kind === 'postgres', (qb) => qb.forUpdate().skipLocked());
  for (let race = 0; ; race++) {
    try {
      const row = await appDb.db
        .updateTable('sync_job')
        .set({
          state: 'running',
          started_at: appDb.now(),
          lease_owner: owner,
          lease_expires_at: nowPlusSeconds(appDb, ttlSeconds),
          heartbeat_at: appDb.now(),
          updated_at: appDb.now(),
        })
        .where('id', '=', candidate)
        .where('state', '=', 'queued')
        .returningAll()
        .executeTakeFirst();
      return row ? toJobView(row) : null;
    } catch (error) {
      // Another instance started a job of the same database between our read and our write: pick again.
      if (race >= 3 || !isJobUniqueViolation(error)) throw error;
    }
  }
}

/**
 * The conditional update of 8.5 that the heartbeat and every fenced transaction run. False when the job is no longer
 * running under `owner` (lease lost, or the job or its database deleted).
 */
export async function renewLease(
  appDb: AppDb,
  executor: Kysely<AppSchema>,
  jobId: number,
  owner: string,
  ttlSeconds: number,
): Promise<boolean> {
  const result = await executor
    .updateTable('sync_job')
    .set({ lease_expires_at: nowPlusSeconds(appDb, ttlSeconds), heartbeat_at: appDb.now() })
    .where('id', '=', jobId)
    .where('state', '=', 'running')
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

async function closeStartedTasks(
  appDb: AppDb,
  trx: Transaction<AppSchema>,
  jobId: number,
  status: 'failed' | 'unknown',
): Promise<void> {
  await trx
    .updateTable('task_history')
    .set({ status, ended_at: appDb.now(), duration: millisSince(appDb, 'started_at') })
    .where('job_id', '=', jobId)
    .where('status', '=', 'started')
    .execute();
}

export interface Completion {
  readonly state: 'succeeded' | 'failed';
  readonly error: string | null;
  readonly result: JobResult | null;
  /** Task rows the runner left `started` become `failed` (the runner threw instead of closing them). */
  readonly failStartedTasks?: boolean;
}

/**
 * Writes the terminal state, only while `owner` holds the job's lease. False when the lease was lost. `alsoWrite` runs
 * in the same transaction once the state is written (the change webhooks' outbox).
 */
export async function completeJob(
  appDb: AppDb,
  jobId: number,
  owner: string,
  completion: Completion,
  alsoWrite?: (trx: Transaction<AppSchema>) => Promise<void>,
): Promise<boolean> {
  return await appDb.db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('sync_job')
      .set({
        state: completion.state,
        error: completion.error,
        result: completion.result === null ? null : JSON.stringify(completion.result),
        finished_at: appDb.now(),
        lease_owner: null,
        lease_expires_at: null,
        heartbeat_at: null,
        updated_at: appDb.now(),
      })
      .where('id', '=', jobId)
      .where('state', '=', 'running')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    if (completion.failStartedTasks) await closeStartedTasks(appDb, trx, jobId, 'failed');
    await alsoWrite?.(trx);
    return true;
  });
}

export interface Interruption {
  readonly jobId: number;
  /** The job that carries the plan on, or null when it was not retried. */
  readonly retriedAs: number | null;
}

interface InterruptRule {
  /** Which running row may be interrupted: the owner's own (shutdown) or one whose lease expired (sweeper). */
  readonly where: { readonly owner: string } | 'lease-expired';
  readonly error: string;
  /** What the runner recorded before it stopped, if it returned at all. */
  readonly result: JobResult | null;
  readonly taskStatus: 'failed' | 'unknown';
  /** The successor's attempt from the interrupted job's, or null for no successor. */
  readonly nextAttempt: (attempt: number) => number | null;
}

/** One transaction: running → interrupted, started task rows closed, the plan handed on through retried_as. */
async function interrupt(appDb: AppDb, jobId: number, rule: InterruptRule): Promise<Interruption | null> {
  return await inTransactionRetryingOnce(appDb, async (trx) => {
    const row = await trx
      .updateTable('sync_job')
      .set({
        state: 'interrupted',
        error: rule.error,
        result: rule.result === null ? null : JSON.stringify(rule.result),
        finished_at: appDb.now(),
        lease_owner: null,
        lease_expires_at: null,
        heartbeat_at: null,
        updated_at: appDb.now(),
      })
      .where('id', '=', jobId)
      .where('state', '=', 'running')
      .where((eb) =>
        rule.where === 'lease-expired'
          ? eb('lease_expires_at', '<', appDb.now())
          : eb('lease_owner', '=', rule.where.owner),
      )
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    await closeStartedTasks(appDb, trx, jobId, rule.taskStatus);
    const attempt = rule.nextAttempt(row.attempt);
    if (attempt === null) return { jobId, retriedAs: null };
    const trigger: Trigger = {
      source: 'retry',
      at: await readNow(appDb, trx),
      detail: { job_id: jobId, reason: rule.error },
    };
    const queued = await lockQueuedJob(appDb, trx, row.database_id);
    const { jobId: successor } = await placeInQueue(appDb, trx, queued, {
      databaseId: row.database_id,
      plan: parseJson<Plan>(row.plan, {}),
      priority: row.priority,
      triggers: [trigger],
      attempt,
    });
    await trx.updateTable('sync_job').set({ retried_as: successor }).where('id', '=', jobId).execute();
    return { jobId, retriedAs: successor };
  });
}

/**
 * Shutdown or a runner-signalled interruption of 8.9: only the owner's running job; started task rows → failed; the
 * plan is merged into the queued job (or a new one) with the same attempt, since a shutdown uses up no attempt.
 */
export async function interruptOwnedJob(
  appDb: AppDb,
  jobId: number,
  owner: string,
  reason: string,
  result: JobResult | null = null,
): Promise<Interruption | null> {
  return await interrupt(appDb, jobId, {
    where: { owner },
    error: reason,
    result,
    taskStatus: 'failed',
    nextAttempt: (attempt) => attempt,
  });
}

/**
 * The sweeper of 8.5: every running job whose lease expired is interrupted ('lease expired'), its started task rows
 * become unknown, and below MAX_ATTEMPTS its plan is retried with attempt + 1. Each job in its own transaction,
 * conditional on the lease still being expired, so concurrent sweepers on several instances handle a job once.
 */
export async function sweepExpiredLeases(appDb: AppDb): Promise<Interruption[]> {
  const expired = await appDb.db
    .selectFrom('sync_job')
    .select('id')
    .where('state', '=', 'running')
    .where('lease_expires_at', '<', appDb.now())
    .orderBy('id')
    .execute();
  const done: Interruption[] = [];
  for (const { id } of expired) {
    const interruption = await interrupt(appDb, id, {
      where: 'lease-expired',
      error: 'lease expired',
      result: null,
      taskStatus: 'unknown',
      nextAttempt: (attempt) => (attempt < MAX_ATTEMPTS ? attempt + 1 : null),
    });
    if (interruption) done.push(interruption);
  }
  return done;
}
