// sync-tables, database level (sync-engine.md sections 3.2.1–3.2.6): pass 1 per streamed batch of 1,000; renames
// (passes 2 and 3) and retirement only after a complete listing; creation of the rest, sorted, in batches of 1,000.
import type { Transaction } from 'kysely';
import { matchUnambiguous } from '../catalog/match.ts';
import { compareIdentity, foldedKey, identityKey, qualifiedName } from '../catalog/names.ts';
import {
  chunks,
  insertTables,
  retireTables,
  streamTableIdentities,
  type TableIdentity,
  selectTablesByIdentity,
  selectTablesByIds,
  updateTable,
} from '../catalog/table-rows.ts';
import { diffTable, hasChanges, newTableValues, type StoredTable, type TableDiff } from '../catalog/tables.ts';
import type { AppSchema } from '../db/schema.ts';
import type { TableMetadata } from '../drivers/driver.ts';
import { readOrNull, writeBatch } from './batch.ts';
import { catalogWrite, lockRows, type SyncContext } from './context.ts';
import { errorInfo, rethrowIfFatal } from './errors.ts';
import type { MetadataState } from './metadata-state.ts';
import type { StepReport } from './step-report.ts';

export const TABLE_BATCH = 1000;
/** The mass-retirement guard applies only when more than this many tables would be retired (3.2.6). */
export const RETIRE_GUARD_MIN = 20;

type Outcome = 'created' | 'updated' | 'reactivated' | 'renamed' | 'unchanged';

export interface TableEntry {
  readonly table: TableMetadata;
  readonly outcome: Outcome;
  readonly id: number;
  readonly from: string | null;
  readonly kindChanged: boolean;
  readonly objectIdChanged: boolean;
}

/** `_metabase_metadata` (any case) and empty names are skipped inputs (3.2.1). */
export function isSkippedTableName(name: string): boolean {
  return name === '' || name.toLowerCase() === '_metabase_metadata';
}

/**
 * The retirement guards 3 and 4 of 3.2.6: the reason to skip retiring `retiring` of `active` tables, or null.
 * `fraction` is MB_SYNC_RETIRE_GUARD_FRACTION.
 */
export function retireSkipReason(reported: number, active: number, retiring: number, fraction: number): string | null {
  if (reported === 0 && active > 0) return 'empty listing';
  if (retiring > RETIRE_GUARD_MIN && retiring > fraction * active) {
    return `mass retirement guard (${retiring} of ${active})`;
  }
  return null;
}

/** The entry of a matched row and the diff it is written with. */
function matchEntry(ctx: SyncContext, stored: StoredTable, reported: TableMetadata): { entry: TableEntry; diff: TableDiff } {
  const diff = diffTable(stored, reported, ctx.cruftTablePatterns);
  let outcome: Outcome = hasChanges(diff.changes) ? 'updated' : 'unchanged';
  if (diff.renamed) outcome = 'renamed';
  else if (diff.reactivated) outcome = 'reactivated';
  const entry: TableEntry = {
    table: reported,
    outcome,
    id: stored.id,
    from: diff.renamed ? qualifiedName(stored.schema, stored.name) : null,
    kindChanged: diff.kindChanged,
    objectIdChanged: diff.objectIdChanged,
  };
  return { entry, diff };
}

/** Reactivation, rename and update of a matched row, written by id when something changed. */
export async function applyMatch(
  ctx: SyncContext,
  trx: Transaction<AppSchema>,
  stored: StoredTable,
  reported: TableMetadata,
): Promise<TableEntry> {
  const { entry, diff } = matchEntry(ctx, stored, reported);
  if (hasChanges(diff.changes)) await updateTable(trx, stored.id, diff.changes, ctx.appDb.now());
  return entry;
}

/** Inserts new tables (creation values of 3.2.3) and returns their entries. */
export async function createTables(
  ctx: SyncContext,
  trx: Transaction<AppSchema>,
  tables: readonly TableMetadata[],
): Promise<TableEntry[]> {
  const inserted = await insertTables(
    trx,
    ctx.appDb.kind,
    tables.map((t) => newTableValues(ctx.databaseId, t, ctx.cruftTablePatterns)),
  );
  const ids = new Map(inserted.map((r) => [identityKey(r.schema, r.name), r.id]));
  return tables.map((table) => ({
    table,
    outcome: 'created',
    id: ids.get(identityKey(table.schema, table.name)) as number,
    from: null,
    kindChanged: false,
    objectIdChanged: false,
  }));
}

/** Counts, changeset and state for one written entry (shared with the scoped step). */
export function recordTableEntry(ctx: SyncContext, report: StepReport, state: MetadataState, entry: TableEntry): void {
  const name = qualifiedName(entry.table.schema, entry.table.name);
  if (entry.outcome === 'renamed') {
    const renamed = report.get('renamed') as { from: string; to: string }[];
    renamed.push({ from: entry.from as string, to: name });
    ctx.changes.table('renamed', { from: entry.from as string, to: name });
  } else {
    report.add(entry.outcome);
    if (entry.outcome === 'created' || entry.outcome === 'reactivated') ctx.changes.table(entry.outcome, name);
  }
  if (entry.kindChanged) ctx.changes.table('type-changed', name);
  if (entry.objectIdChanged && entry.outcome !== 'created') state.objectIdChanged.add(entry.id);
  if (entry.outcome === 'created') state.created.add(entry.id);
  const status = entry.outcome === 'created' ? 'created' : 'existing';
  state.decideNewTable(entry.table.schema, entry.table.name, status, entry.id);
}

export function initTablesReport(report: StepReport): void {
  report.init(['total-tables', 'created', 'reactivated']);
  report.set('renamed', []);
  report.init(['updated', 'unchanged', 'retired', 'skipped', 'failed']);
  report.set('listing-complete', false);
  report.set('retire-skipped', null);
}

export async function syncTables(ctx: SyncContext, report: StepReport, state: MetadataState): Promise<void> {
  initTablesReport(report);
  const signal = ctx.job.signal;
  const matchedIds = new Set<number>();
  const failedKeys = new Set<string>();
  let pending: TableMetadata[] = [];
  let reportedTotal = 0;

  const onFailure = (table: TableMetadata, error: unknown) => {
    failedKeys.add(identityKey(table.schema, table.name));
    report.add('failed');
    report.failure(qualifiedName(table.schema, table.name), errorInfo(error));
    state.decideNewTable(table.schema, table.name, 'failed', null);
  };
  const record = (entries: readonly TableEntry[]) => {
    for (const entry of entries) {
      matchedIds.add(entry.id);
      recordTableEntry(ctx, report, state, entry);
    }
  };

  // Pass 1 (exact identity, active or inactive), one transaction per listing batch. The batch is first compared
  // with its stored rows read without locks: a table without a row waits for the later passes, one that matches
  // with nothing to write is recorded as it is, and only the rest go into the write transaction, which reads them
  // again (FOR UPDATE on PostgreSQL, 2.2).
  const passOne = async (batch: readonly TableMetadata[]) => {
    const unlocked = await readOrNull(ctx, () => selectTablesByIdentity(ctx.appDb.db, ctx.databaseId, batch, false));
    const unlockedByKey = new Map((unlocked ?? []).map((s) => [identityKey(s.schema, s.name), s]));
    const toWrite: TableMetadata[] = unlocked === null ? [...batch] : [];
    for (const table of unlocked === null ? [] : batch) {
      const row = unlockedByKey.get(identityKey(table.schema, table.name));
      if (!row) {
        pending.push(table);
        continue;
      }
      const match = matchEntry(ctx, row, table);
      if (hasChanges(match.diff.changes)) toWrite.push(table);
      else record([match.entry]);
    }
    const results = await writeBatch(ctx, toWrite, async (trx, tables) => {
      const stored = await selectTablesByIdentity(trx, ctx.databaseId, tables, lockRows(ctx));
      const byKey = new Map(stored.map((s) => [identityKey(s.schema, s.name), s]));
      const out: { table: TableMetadata; entry: TableEntry | null }[] = [];
      for (const table of tables) {
        const row = byKey.get(identityKey(table.schema, table.name));
        out.push({ table, entry: row ? await applyMatch(ctx, trx, row, table) : null });
      }
      return out;
    }, onFailure);
    for (const { table, entry } of results) {
      if (entry) record([entry]);
      else pending.push(table);
    }
  };

  let listingError: unknown = null;
  let batch: TableMetadata[] = [];
  try {
    let previous: string | null = null;
    for await (const table of ctx.driver.describeTables({ kind: 'database' }, signal)) {
      const key = identityKey(table.schema, table.name);
      if (isSkippedTableName(table.name) || key === previous) {
        report.add('skipped');
        continue;
      }
      previous = key;
      reportedTotal++;
      batch.push(table);
      if (batch.length === TABLE_BATCH) {
        await passOne(batch);
        batch = [];
      }
    }
  } catch (error) {
    rethrowIfFatal(error, signal);
    listingError = error;
  }
  // Tables read before a listing failure are facts too: they are updated or created, never used to retire.
  if (batch.length > 0) await passOne(batch);
  report.set('total-tables', reportedTotal);
  const listingComplete = listingError === null;
  report.set('listing-complete', listingComplete);

  let unmatchedActive: { id: number; schema: string | null; name: string }[] = [];
  let activeTotal = 0;
  if (listingComplete) {
    // Only the stored tables pass 1 did not match are kept: after a sync with few changes, few rows.
    let rest: TableIdentity[] = [];
    for await (const row of streamTableIdentities(ctx.appDb.db, ctx.databaseId)) {
      if (row.active) activeTotal++;
      if (!matchedIds.has(row.id) && !failedKeys.has(identityKey(row.schema, row.name))) rest.push(row);
    }
    const renames: { table: TableMetadata; id: number }[] = [];
    if (ctx.capabilities.stableObjectIds) {
      const byId = matchUnambiguous(pending, rest, (t) => t.objectId, (r) => (r.active ? r.database_object_id : null));
      for (const [table, row] of byId.pairs) renames.push({ table, id: row.id });
      pending = [...byId.reported];
      rest = [...byId.stored];
    }
    if (ctx.capabilities.caseInsensitiveIdentifiers) {
      const fold = (t: { schema: string | null; name: string }) => foldedKey(t.schema, t.name);
      const folded = matchUnambiguous(pending, rest, fold, fold);
      for (const [table, row] of folded.pairs) renames.push({ table, id: row.id });
      pending = [...folded.reported];
      rest = [...folded.stored];
    }
    for (const chunk of chunks(renames, TABLE_BATCH)) {
      const entries = await writeBatch(ctx, chunk, async (trx, items) => {
        const rows = await selectTablesByIds(trx, ctx.databaseId, items.map((i) => i.id), lockRows(ctx));
        const byId = new Map(rows.map((r) => [r.id, r]));
        const out: TableEntry[] = [];
        for (const item of items) {
          const row = byId.get(item.id);
          if (row) out.push(await applyMatch(ctx, trx, row, item.table));
        }
        return out;
      }, (item, error) => onFailure(item.table, error));
      record(entries);
    }
    unmatchedActive = rest.filter((r) => r.active && !matchedIds.has(r.id));
  }

  // Pass 4: create, sorted by (schema, name) so that ids are deterministic; also after a partial listing.
  pending.sort(compareIdentity);
  for (const chunk of chunks(pending, TABLE_BATCH)) {
    record(await writeBatch(ctx, chunk, (trx, tables) => createTables(ctx, trx, tables), onFailure));
  }

  if (listingError !== null) {
    report.log('warn', 'the table listing failed: nothing was renamed or retired');
    state.settleNewTables('failed');
    throw listingError;
  }

  // Pass 5: retire, subject to the guards of 3.2.6.
  const skipReason =
    (report.get('failed') as number) > 0
      ? 'a listing batch failed'
      : retireSkipReason(reportedTotal, activeTotal, unmatchedActive.length, ctx.config.retireGuardFraction);
  if (skipReason !== null && unmatchedActive.length > 0) {
    report.set('retire-skipped', skipReason);
    report.log('warn', `retirement of ${unmatchedActive.length} tables skipped: ${skipReason}`);
  } else {
    for (const chunk of chunks(unmatchedActive, TABLE_BATCH)) {
      try {
        const retired = await catalogWrite(ctx, (trx) =>
          retireTables(trx, ctx.databaseId, chunk.map((r) => r.id), ctx.appDb.now()),
        );
        for (const row of retired) {
          report.add('retired');
          ctx.changes.table('retired', qualifiedName(row.schema, row.name));
        }
      } catch (error) {
        rethrowIfFatal(error, signal);
        report.add('failed', chunk.length);
        for (const row of chunk) report.failure(qualifiedName(row.schema, row.name), errorInfo(error));
      }
    }
  }
  state.settleNewTables('absent');
}
