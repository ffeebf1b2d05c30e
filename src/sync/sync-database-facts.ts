// sync-dbms-version and sync-timezone (sync-engine.md section 2.3): the database row's `dbms_version` and `timezone`,
// written only when they changed.
import { parseJson } from '../db/schema.ts';
import { catalogWrite, type SyncContext } from './context.ts';
import type { StepReport } from './step-report.ts';

export interface DbmsVersionJson {
  readonly flavor: string;
  readonly version: string;
  readonly 'semantic-version': readonly number[];
}

/** The leading integers of a version: its first run of dot-separated digit groups (`v1.1.3` → [1, 1, 3]). */
export function semanticVersion(version: string): number[] {
  const match = /\d+(?:\.\d+)*/.exec(version);
  return match ? match[0].split('.').map(Number) : [];
}

async function currentRow(ctx: SyncContext): Promise<{ dbms_version: string | null; timezone: string | null }> {
  return ctx.appDb.db
    .selectFrom('metabase_database')
    .select(['dbms_version', 'timezone'])
    .where('id', '=', ctx.databaseId)
    .executeTakeFirstOrThrow();
}

export async function syncDbmsVersion(ctx: SyncContext, report: StepReport): Promise<void> {
  const { version, flavor } = await ctx.driver.dbmsVersion(ctx.job.signal);
  const value: DbmsVersionJson = { flavor, version, 'semantic-version': semanticVersion(version) };
  const json = JSON.stringify(value);
  const stored = await currentRow(ctx);
  const changed = JSON.stringify(parseJson<unknown>(stored.dbms_version, null)) !== json;
  if (changed) {
    await catalogWrite(ctx, (trx) =>
      trx
        .updateTable('metabase_database')
        .set({ dbms_version: json, updated_at: ctx.appDb.now() })
        .where('id', '=', ctx.databaseId)
        .execute(),
    );
  }
  report.set('version', version);
  report.set('flavor', flavor);
  report.set('changed', changed);
}

export async function syncTimezone(ctx: SyncContext, report: StepReport): Promise<void> {
  const timezone = await ctx.driver.timezone(ctx.job.signal);
  const changed = (await currentRow(ctx)).timezone !== timezone;
  if (changed) {
    await catalogWrite(ctx, (trx) =>
      trx
        .updateTable('metabase_database')
        .set({ timezone, updated_at: ctx.appDb.now() })
        .where('id', '=', ctx.databaseId)
        .execute(),
    );
  }
  report.set('timezone', timezone);
  report.set('changed', changed);
}
