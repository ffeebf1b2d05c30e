// Times on the application database's clock (sync-engine.md section 8.5: host clock skew is irrelevant).
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import type { AppSchema } from '../db/schema.ts';

/** now + seconds (negative: in the past), as an SQL expression of the timestamp column type. */
export function nowPlusSeconds(appDb: AppDb, seconds: number): RawBuilder<string> {
  if (appDb.kind === 'postgres') return sql<string>`(clock_timestamp() + make_interval(secs => ${seconds}))`;
  const modifier = `${seconds >= 0 ? '+' : ''}${seconds} seconds`;
  return sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${modifier})`;
}

/** The database's current time as an ISO string (for trigger records written by the queue itself). */
export async function readNow(appDb: AppDb, executor: Kysely<AppSchema>): Promise<string> {
  const { rows } = await sql<{ now: string }>`select ${appDb.now()} as now`.execute(executor);
  return rows[0].now;
}

/** Whole milliseconds from a timestamp column to now, for closing task_history rows. */
export function millisSince(appDb: AppDb, column: string): RawBuilder<number> {
  if (appDb.kind === 'postgres') return sql<number>`(extract(epoch from (clock_timestamp() - ${sql.ref(column)})) * 1000)::integer`;
  return sql<number>`cast(round((julianday('now') - julianday(${sql.ref(column)})) * 86400000) as integer)`;
}
