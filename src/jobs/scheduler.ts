// Scheduled syncs (sync-engine.md sections 1.3, 8.3 and 8.8): every 15 s each instance computes, per database and
// schedule, the latest fire time within the last 60 s on the application database's clock; the instance whose
// conditional UPDATE of *_fired_at claims it enqueues (priority 0), or records a skip when the running job covers it.
import type { AppDb } from '../db/connect.ts';
import { parseJson, toBool } from '../db/schema.ts';
import { sanitize } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { readNow } from './clock.ts';
import { planCovers } from './plan.ts';
import { QuartzError, QuartzSchedule } from './quartz.ts';
import { enqueue } from './queue.ts';
import type { Plan, Trigger } from './types.ts';

export const TICK_MS = 15_000;
/** A fire time further in the past than this is not executed (misfire = skip). */
export const FIRE_WINDOW_MS = 60_000;

export type ScheduleKind = 'metadata' | 'field_values';

function messageOf(error: unknown): string {
  return sanitize(error instanceof Error ? error.message : String(error));
}

const FIRED_AT = { metadata: 'metadata_sync_fired_at', field_values: 'field_values_fired_at' } as const;

/** What a fire requests: metadata (plus analyze when is_full_sync), or field values, for the whole database. */
export function scheduledPlan(kind: ScheduleKind, isFullSync: boolean): Plan {
  if (kind === 'field_values') return { field_values: { database: true } };
  return isFullSync ? { metadata: { database: true }, analyze: { database: true } } : { metadata: { database: true } };
}

/**
 * The multi-instance claim of 8.8: records `fireTime` as the database's last claimed fire of this kind unless the same
 * or a later one was claimed already. True for the one instance whose update changed the row.
 */
export async function claimFire(
  appDb: AppDb,
  databaseId: number,
  kind: ScheduleKind,
  fireTime: string,
): Promise<boolean> {
  const column = FIRED_AT[kind];
  const result = await appDb.db
    .updateTable('metabase_database')
    .set({ [column]: fireTime })
    .where('id', '=', databaseId)
    .where((eb) => eb.or([eb(column, 'is', null), eb(column, '<', fireTime)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface FireOutcome {
  readonly databaseId: number;
  readonly schedule: ScheduleKind;
  readonly fireTime: string;
  /** `enqueued`: the fire created or joined the queued job; `skipped`: the running job covers it. */
  readonly outcome: 'enqueued' | 'skipped';
  readonly jobId: number;
}

export interface SchedulerOptions {
  readonly appDb: AppDb;
  readonly logger: Logger;
  /** Called after a fire enqueued (the worker pool's wake-up). */
  readonly wake?: () => void;
}

interface ScheduledDatabase {
  readonly id: number;
  readonly is_full_sync: boolean | number;
  readonly is_on_demand: boolean | number;
  readonly metadata_sync_schedule: string | null;
  readonly cache_field_values_schedule: string | null;
}

export class Scheduler {
  readonly #appDb: AppDb;
  readonly #logger: Logger;
  readonly #wake: () => void;
  /** Parsed schedules by expression, or the reason one cannot be parsed. */
  readonly #schedules = new Map<string, QuartzSchedule | QuartzError>();
  /** Database, kind and expression of every unparsable schedule already warned about since start-up. */
  readonly #warned = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<readonly FireOutcome[]> | null = null;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#appDb = options.appDb;
    this.#logger = options.logger;
    this.#wake = options.wake ?? (() => {});
  }

  /** Ticks at once, then every 15 s; the timer does not keep the process alive. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = setInterval(() => void this.#safeTick(), TICK_MS);
    this.#timer.unref();
    void this.#safeTick();
  }

  /** No tick starts after this; resolves once the tick in progress (if any) has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#ticking?.catch(() => undefined);
  }

  /** One evaluation of every database's schedules; a tick already in progress is joined, not repeated. */
  tick(): Promise<readonly FireOutcome[]> {
    if (this.#stopped) return Promise.resolve([]);
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  async #safeTick(): Promise<void> {
    try {
      await this.tick();
    } catch (error) {
      this.#logger.error({ err: messageOf(error) }, 'schedule tick failed');
    }
  }

  async #tick(): Promise<readonly FireOutcome[]> {
    const appDb = this.#appDb;
    const nowText = await readNow(appDb, appDb.db);
    const now = new Date(nowText);
    const databases = await appDb.db
      .selectFrom('metabase_database')
      .select(['id', 'is_full_sync', 'is_on_demand', 'metadata_sync_schedule', 'cache_field_values_schedule'])
      .orderBy('id')
      .execute();
    const fired: FireOutcome[] = [];
    for (const database of databases) {
      for (const kind of ['metadata', 'field_values'] as const) {
        if (this.#stopped) return fired;
        try {
          const outcome = await this.#evaluate(database, kind, now, nowText);
          if (outcome) fired.push(outcome);
        } catch (error) {
          this.#logger.error({ db_id: database.id, schedule: kind, err: messageOf(error) }, 'scheduled fire failed');
        }
      }
    }
    return fired;
  }

  async #evaluate(
    database: ScheduledDatabase,
    kind: ScheduleKind,
    now: Date,
    nowText: string,
  ): Promise<FireOutcome | null> {
    const isFullSync = toBool(database.is_full_sync);
    // Field values are not scheduled for databases without data scanning or with on-demand values (1.3, 8.8).
    if (kind === 'field_values' && (!isFullSync || toBool(database.is_on_demand))) return null;
    const expression = kind === 'metadata' ? database.metadata_sync_schedule : database.cache_field_values_schedule;
    if (expression === null) return null;
    const schedule = this.#parse(database.id, kind, expression);
    const fire = schedule?.latestFire(now, FIRE_WINDOW_MS);
    if (!fire) return null;
    const fireTime = fire.toISOString();
    if (!(await claimFire(this.#appDb, database.id, kind, fireTime))) return null;
    const plan = scheduledPlan(kind, isFullSync);
    const trigger: Trigger = { source: 'schedule', at: nowText, detail: { schedule: kind, fire_time: fireTime } };
    const log = { db_id: database.id, schedule: kind, fire_time: fireTime };
    const skippedBy = await this.#coveringJob(database.id, plan);
    if (skippedBy !== null) {
      const jobId = await this.#recordSkip(database.id, plan, trigger, skippedBy);
      this.#logger.info({ ...log, job_id: jobId, covered_by: skippedBy }, 'scheduled sync skipped');
      return { databaseId: database.id, schedule: kind, fireTime, outcome: 'skipped', jobId };
    }
    const result = await enqueue(this.#appDb, { databaseId: database.id, plan, priority: 0, trigger });
    if (result.kind !== 'enqueued') throw new Error('a scheduled sync was refused by the queue');
    this.#wake();
    this.#logger.info({ ...log, job_id: result.jobId, joined: result.joined }, 'scheduled sync queued');
    return { databaseId: database.id, schedule: kind, fireTime, outcome: 'enqueued', jobId: result.jobId };
  }

  /** The parsed schedule, or null (with one warning per database, kind and expression) when it cannot be parsed. */
  #parse(databaseId: number, kind: ScheduleKind, expression: string): QuartzSchedule | null {
    let parsed = this.#schedules.get(expression);
    if (parsed === undefined) {
      try {
        parsed = new QuartzSchedule(expression);
      } catch (error) {
        if (!(error instanceof QuartzError)) throw error;
        parsed = error;
      }
      this.#schedules.set(expression, parsed);
    }
    if (parsed instanceof QuartzSchedule) return parsed;
    const key = `${databaseId}\u0000${kind}\u0000${expression}`;
    if (!this.#warned.has(key)) {
      this.#warned.add(key);
      const detail = { db_id: databaseId, schedule: kind, expression, reason: parsed.message };
      this.#logger.warn(detail, 'a stored schedule cannot be parsed; it schedules nothing');
    }
    return null;
  }

  /** The id of the database's running job when its plan covers `plan` (8.3), else null. */
  async #coveringJob(databaseId: number, plan: Plan): Promise<number | null> {
    const running = await this.#appDb.db
      .selectFrom('sync_job')
      .select(['id', 'plan'])
      .where('database_id', '=', databaseId)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return running && planCovers(parseJson<Plan>(running.plan, {}), plan) ? running.id : null;
  }

  /** A terminal `skipped` row records the fire; no caller ever receives its id (notify-api.md section 4.5). */
  async #recordSkip(databaseId: number, plan: Plan, trigger: Trigger, coveredBy: number): Promise<number> {
    const appDb = this.#appDb;
    const row = await appDb.db
      .insertInto('sync_job')
      .values({
        database_id: databaseId,
        state: 'skipped',
        plan: JSON.stringify(plan),
        triggers: JSON.stringify([trigger]),
        trigger_count: 1,
        priority: 0,
        enqueued_at: appDb.now(),
        finished_at: appDb.now(),
        error: `covered by running job ${coveredBy}`,
        updated_at: appDb.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }
}
