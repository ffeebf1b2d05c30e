// The metadata phase (sync-engine.md sections 1.2, 1.4, 3.2.8): its steps, database-level or scoped to tables, and
// the initial sync status it records; the step loop and stop rules are the shared ones of phase.ts.
import { selectSyncedTables, chunks, completeTables } from '../catalog/table-rows.ts';
import type { NewTableOutcome, PhaseScope } from '../jobs/types.ts';
import { fencedWrite, type SyncContext } from './context.ts';
import { MetadataState, type PhaseTable } from './metadata-state.ts';
import { runPhase, type JobStop, type PhaseOutcome } from './phase.ts';
import { syncDbmsVersion, syncTimezone } from './sync-database-facts.ts';
import { syncFields } from './sync-fields.ts';
import { syncForeignKeys } from './sync-fks.ts';
import { syncIndexes } from './sync-indexes.ts';
import { syncTables } from './sync-tables.ts';
import { syncTablesScoped } from './sync-tables-scoped.ts';
import type { TaskHistory } from './task-history.ts';

export const DATABASE_STEPS = [
  'sync-dbms-version',
  'sync-timezone',
  'sync-tables',
  'sync-fields',
  'sync-fks',
  'sync-indexes',
] as const;
export const TABLE_STEPS = ['sync-tables', 'sync-fields', 'sync-fks', 'sync-indexes'] as const;
const ESSENTIAL_STEPS: ReadonlySet<string> = new Set(['sync-tables', 'sync-fields']);

type StepName = (typeof DATABASE_STEPS)[number];

export interface MetadataOutcome extends PhaseOutcome {
  readonly newTables: readonly NewTableOutcome[];
}

export function metadataSteps(scope: PhaseScope): readonly string[] {
  return scope.database === true ? DATABASE_STEPS : TABLE_STEPS;
}

export async function runMetadataPhase(
  ctx: SyncContext,
  scope: PhaseScope,
  history: TaskHistory,
): Promise<MetadataOutcome> {
  const databaseLevel = scope.database === true;
  const state = new MetadataState(scope.new_tables ?? []);
  let synced: PhaseTable[] | null = null;
  const phaseTables = async (): Promise<PhaseTable[]> => {
    if (!databaseLevel) return state.targets ?? [];
    synced ??= (await selectSyncedTables(ctx.appDb.db, ctx.databaseId)).map((t) => ({
      id: t.id,
      schema: t.schema,
      name: t.name,
      fieldOrder: t.field_order,
      fieldsHash: t.fields_hash,
      fksHash: t.fks_hash,
      indexesHash: t.indexes_hash,
    }));
    return synced;
  };
  const level = databaseLevel ? 'database' : 'tables';
  const outcome = await runPhase<StepName>(ctx, history, {
    task: 'sync',
    phase: 'metadata',
    scope,
    steps: metadataSteps(scope) as readonly StepName[],
    essential: ESSENTIAL_STEPS,
    run: {
      'sync-dbms-version': (r) => syncDbmsVersion(ctx, r),
      'sync-timezone': (r) => syncTimezone(ctx, r),
      'sync-tables': (r) =>
        databaseLevel
          ? syncTables(ctx, r, state)
          : syncTablesScoped(ctx, r, state, scope.tables ?? [], scope.new_tables ?? []),
      'sync-fields': async (r) => syncFields(ctx, r, state, await phaseTables(), level),
      'sync-fks': async (r) => syncForeignKeys(ctx, r, await phaseTables(), level, state.created, state.fieldsHashes),
      'sync-indexes': async (r) => syncIndexes(ctx, r, await phaseTables(), level, state.created, state.fieldsHashes),
    },
    afterSteps: async (statuses, stop) => {
      if (databaseLevel) await recordInitialSyncStatus(ctx, state, statuses, stop);
    },
  });
  return { ...outcome, newTables: state.newTableOutcomes('failed') };
}

/** 3.2.8 and 9.5: tables whose fields were synced become complete; the database complete or aborted. */
async function recordInitialSyncStatus(
  ctx: SyncContext,
  state: MetadataState,
  statuses: Readonly<Record<string, string>>,
  stop: JobStop | null,
): Promise<void> {
  const now = ctx.appDb.now();
  for (const chunk of chunks([...state.fieldsSynced], 1000)) {
    await fencedWrite(ctx.appDb, ctx.job, (trx) => completeTables(trx, ctx.databaseId, chunk, now, false));
  }
  const complete = statuses['sync-tables'] === 'success' && statuses['sync-fields'] === 'success' && stop === null;
  const value = complete ? 'complete' : 'aborted';
  await fencedWrite(ctx.appDb, ctx.job, (trx) =>
    trx
      .updateTable('metabase_database')
      .set({ initial_sync_status: value, updated_at: now })
      .where('id', '=', ctx.databaseId)
      .where('initial_sync_status', '<>', value)
      .execute(),
  );
}
