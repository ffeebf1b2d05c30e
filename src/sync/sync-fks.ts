// sync-fks (sync-engine.md section 3.4): constraints streamed and grouped by source table; pairs aligned by ordinal,
// targets resolved among the active tables; marking per batch; clearing of vanished FKs and emptying of
// `database_foreign_keys` only after a complete listing, and only for source tables in scope.
import type { Kysely } from 'kysely';
import { selectFieldsWithFkTarget, selectFkFields, updateFields, type FkFieldRow } from '../catalog/field-rows.ts';
import type { RowUpdate } from '../catalog/bulk-write.ts';
import {
  alignPairs,
  chooseWinners,
  clearField,
  foreignKeyJson,
  markField,
  resolveColumn,
  resolveTable,
  type ResolvedPair,
} from '../catalog/foreign-keys.ts';
import { foreignKeysHash } from '../catalog/listing-hashes.ts';
import { identityKey, qualifiedName } from '../catalog/names.ts';
import {
  canonicalJson,
  chunks,
  emptyForeignKeyJson,
  selectActiveTables,
  selectTablesJson,
  setListingHashes,
  setTablesJson,
} from '../catalog/table-rows.ts';
import type { AppSchema } from '../db/schema.ts';
import { MAX_SCOPE_TABLES, type ForeignKeyMetadata, type TableRef } from '../drivers/driver.ts';
import { readOrNull, writeBatchIfChanged, type BatchPlan } from './batch.ts';
import { catalogWrite, lockRows, type SyncContext } from './context.ts';
import { errorInfo, rethrowIfFatal } from './errors.ts';
import type { PhaseTable } from './metadata-state.ts';
import type { StepReport } from './step-report.ts';
import { streamScopes } from './sync-fields.ts';

/** Tables per FK batch (a transaction each; sync-engine.md leaves the size open): fewer commits on a cold sync. */
const FK_BATCH_TABLES = 500;
/** Keeps a batch's name filter well below SQLite's bound-parameter limit. */
const FK_BATCH_PAIRS = 2000;

interface Group {
  readonly schema: string | null;
  readonly name: string;
  readonly constraints: ForeignKeyMetadata[];
}

interface GroupResult {
  readonly counts: Record<string, number>;
  readonly sourceFieldIds: readonly number[];
  readonly tableId: number | null;
}

async function reconcileGroups(
  ctx: SyncContext,
  trx: Kysely<AppSchema>,
  groups: readonly Group[],
  inScope: ReadonlyMap<string, PhaseTable>,
  databaseLevel: boolean,
  lock: boolean,
  /** Per group (by identity key): its `database_foreign_keys` JSON and its hash (null: none, listing-hashes.ts). */
  listed: ReadonlyMap<string, { readonly json: string; readonly hash: string | null }>,
): Promise<BatchPlan<GroupResult>> {
  const refs: TableRef[] = [];
  for (const g of groups) {
    refs.push({ schema: g.schema, name: g.name });
    for (const fk of g.constraints) refs.push({ schema: fk.targetSchema, name: fk.targetTable });
  }
  const caseInsensitive = ctx.capabilities.caseInsensitiveIdentifiers;
  const tables = await selectActiveTables(trx, ctx.databaseId, refs, caseInsensitive, lock);
  const names = groups.flatMap((g) => g.constraints.flatMap((fk) => [...fk.columns, ...fk.targetColumns]));
  const fields = await selectFkFields(trx, tables.map((t) => t.id), names, lock);
  const fieldsByTable = new Map<number, FkFieldRow[]>();
  for (const f of fields) {
    const list = fieldsByTable.get(f.table_id);
    if (list) list.push(f);
    else fieldsByTable.set(f.table_id, [f]);
  }
  const fieldById = new Map(fields.map((f) => [f.id, f]));
  const results: GroupResult[] = [];
  const fieldUpdates: RowUpdate[] = [];
  const jsonUpdates: { id: number; json: string }[] = [];
  const hashUpdates: { id: number; hash: string }[] = [];
  for (const group of groups) {
    const key = identityKey(group.schema, group.name);
    const scoped = inScope.get(key);
    const source = tables.find((t) => t.schema === group.schema && t.name === group.name);
    if (!source || (databaseLevel && !scoped)) continue;
    const counts: Record<string, number> = {
      'total-fks': 0, 'total-pairs': 0, marked: 0, unchanged: 0, unresolved: 0, conflicts: 0, 'user-set-skipped': 0,
    };
    const sourceFieldIds: number[] = [];
    const sourceFields = fieldsByTable.get(source.id) ?? [];
    const pairs: ResolvedPair[] = [];
    for (const fk of group.constraints) {
      counts['total-fks']++;
      const target = resolveTable(tables, fk.targetSchema, fk.targetTable, caseInsensitive);
      for (const pair of alignPairs(fk)) {
        counts['total-pairs']++;
        const sourceField = resolveColumn(sourceFields, pair.source);
        if (sourceField) sourceFieldIds.push(sourceField.id);
        const targetField = target ? resolveColumn(fieldsByTable.get(target.id) ?? [], pair.target) : null;
        if (sourceField && targetField) {
          pairs.push({ constraint: fk.constraintName, sourceFieldId: sourceField.id, targetFieldId: targetField.id });
        } else {
          counts.unresolved++;
        }
      }
    }
    const { winners, conflicts } = chooseWinners(pairs);
    counts.conflicts = conflicts;
    for (const winner of winners) {
      const field = fieldById.get(winner.sourceFieldId) as FkFieldRow;
      const mark = markField(field, winner.targetFieldId);
      if (mark.kind === 'user-set-skipped') {
        counts['user-set-skipped']++;
      } else if (Object.keys(mark.changes).length === 0) {
        counts.unchanged++;
      } else {
        fieldUpdates.push({ id: field.id, changes: mark.changes });
        counts.marked++;
      }
    }
    if (scoped) {
      const { json, hash } = listed.get(key) as { json: string; hash: string | null };
      if (source.database_foreign_keys !== json && canonicalJson(source.database_foreign_keys) !== json) {
        jsonUpdates.push({ id: source.id, json });
      }
      if (hash !== null && hash !== scoped.fksHash) hashUpdates.push({ id: scoped.id, hash });
    }
    results.push({ counts, sourceFieldIds, tableId: scoped ? scoped.id : null });
  }
  if (fieldUpdates.length === 0 && jsonUpdates.length === 0 && hashUpdates.length === 0) return { results, write: null };
  return {
    results,
    write: async (writer) => {
      await updateFields(writer, ctx.appDb.kind, fieldUpdates);
      await setTablesJson(writer, ctx.appDb.kind, 'database_foreign_keys', jsonUpdates);
      // Last: the field writes above clear the hash through the trigger of migration 004.
      await setListingHashes(writer, ctx.appDb.kind, 'fks_hash', hashUpdates);
    },
  };
}

export async function syncForeignKeys(
  ctx: SyncContext,
  report: StepReport,
  tables: readonly PhaseTable[],
  level: 'database' | 'tables',
  created: ReadonlySet<number> = new Set(),
  fieldsHashes: ReadonlyMap<number, string> = new Map(),
): Promise<void> {
  report.init([
    'total-fks',
    'total-pairs',
    'marked',
    'unchanged',
    'cleared',
    'unresolved',
    'conflicts',
    'user-set-skipped',
    'failed',
    'tables-unchanged',
  ]);
  report.set('listing-complete', false);
  if (!ctx.capabilities.foreignKeys) {
    report.set('skipped', 'the driver reports no foreign keys');
    return;
  }
  if (tables.length === 0) {
    report.set('listing-complete', true);
    return;
  }
  const databaseLevel = level === 'database';
  const inScope = new Map(tables.map((t) => [identityKey(t.schema, t.name), t]));
  const reportedSources = new Set<number>();
  const tablesWithConstraints = new Set<number>();
  const seenConstraints = new Set<string>();
  const failedTables = new Set<string>();
  /** Source tables skipped as unchanged: their marks stand, nothing of theirs is cleared. */
  const unchangedTables = new Set<number>();

  /**
   * The group's hash (listing-hashes.ts): its constraints' JSON, its table's fields hash and each target table's id
   * and fields hash. Null when a table involved is outside the phase's tables or has no fields hash from this sync.
   */
  const hashOf = (group: Group, json: string, source: PhaseTable): string | null => {
    const fieldsHash = fieldsHashes.get(source.id);
    if (fieldsHash === undefined) return null;
    const targets: { id: number; fieldsHash: string }[] = [];
    for (const fk of group.constraints) {
      const target = inScope.get(identityKey(fk.targetSchema, fk.targetTable));
      const targetHash = target === undefined ? undefined : fieldsHashes.get(target.id);
      if (target === undefined || targetHash === undefined) return null;
      targets.push({ id: target.id, fieldsHash: targetHash });
    }
    return foreignKeysHash(json, fieldsHash, targets);
  };

  const flush = async (all: readonly Group[]) => {
    const listed = new Map<string, { json: string; hash: string | null }>();
    const groups: Group[] = [];
    for (const group of all) {
      const key = identityKey(group.schema, group.name);
      const source = inScope.get(key);
      const json = JSON.stringify(group.constraints.map(foreignKeyJson));
      const hash = source === undefined ? null : hashOf(group, json, source);
      if (source !== undefined && hash !== null && hash === source.fksHash && !created.has(source.id)) {
        unchangedTables.add(source.id);
        tablesWithConstraints.add(source.id);
        report.add('tables-unchanged');
        // Its pairs are counted as unchanged: what they were at the last reconciliation still stands.
        const pairs = group.constraints.reduce((n, fk) => n + fk.columns.length, 0);
        report.add('total-fks', group.constraints.length);
        report.add('total-pairs', pairs);
        report.add('unchanged', pairs);
        continue;
      }
      listed.set(key, { json, hash });
      groups.push(group);
    }
    const results = await writeBatchIfChanged(
      ctx,
      groups,
      (db, items, lock) => reconcileGroups(ctx, db, items, inScope, databaseLevel, lock, listed),
      (group, error) => {
        failedTables.add(identityKey(group.schema, group.name));
        report.add('failed');
        report.failure(qualifiedName(group.schema, group.name), errorInfo(error));
      },
      groups.some((g) => created.has(inScope.get(identityKey(g.schema, g.name))?.id ?? 0)),
    );
    for (const result of results) {
      for (const [key, n] of Object.entries(result.counts)) report.add(key, n);
      for (const id of result.sourceFieldIds) reportedSources.add(id);
      if (result.tableId !== null) tablesWithConstraints.add(result.tableId);
    }
  };

  let batch: Group[] = [];
  let batchPairs = 0;
  let current: Group | null = null;
  const close = async () => {
    if (current === null) return;
    batch.push(current);
    batchPairs += current.constraints.reduce((n, fk) => n + fk.columns.length, 0);
    current = null;
    if (batch.length >= FK_BATCH_TABLES || batchPairs >= FK_BATCH_PAIRS) {
      await flush(batch);
      batch = [];
      batchPairs = 0;
    }
  };
  try {
    for (const scope of streamScopes(databaseLevel ? null : tables)) {
      for await (const fk of ctx.driver.describeForeignKeys(scope, ctx.job.signal)) {
        const constraintKey = JSON.stringify([fk.tableSchema, fk.tableName, fk.constraintName]);
        if (seenConstraints.has(constraintKey)) continue;
        if (!databaseLevel) seenConstraints.add(constraintKey);
        if (current === null || current.schema !== fk.tableSchema || current.name !== fk.tableName) {
          await close();
          current = { schema: fk.tableSchema, name: fk.tableName, constraints: [] };
        }
        current.constraints.push(fk);
      }
      await close();
    }
  } catch (error) {
    rethrowIfFatal(error, ctx.job.signal);
    await flush(batch);
    throw error;
  }
  await flush(batch);
  report.set('listing-complete', true);

  // Clearing: only after a complete listing, only for source tables in scope whose constraints were all written.
  const clearable = tables.filter((t) => !failedTables.has(identityKey(t.schema, t.name)) && !unchangedTables.has(t.id));
  const clearing = async (db: Kysely<AppSchema>, ids: readonly number[], lock: boolean): Promise<RowUpdate[]> => {
    const updates: RowUpdate[] = [];
    for (const field of await selectFieldsWithFkTarget(db, ids, lock)) {
      if (reportedSources.has(field.id)) continue;
      const changes = clearField(field);
      if (changes !== null) updates.push({ id: field.id, changes });
    }
    return updates;
  };
  for (const chunk of chunks(clearable, MAX_SCOPE_TABLES)) {
    const ids = chunk.map((t) => t.id);
    const without = chunk.filter((t) => !tablesWithConstraints.has(t.id)).map((t) => t.id);
    // Compared first without locks: a chunk with nothing to clear opens no transaction.
    const nothingToClear = await readOrNull(ctx, async () => {
      if ((await clearing(ctx.appDb.db, ids, false)).length > 0) return false;
      const json = await selectTablesJson(ctx.appDb.db, without, false, 'database_foreign_keys');
      return json.every((r) => r.json === '[]');
    });
    if (nothingToClear === true) continue;
    try {
      const cleared = await catalogWrite(ctx, async (trx) => {
        const updates = await clearing(trx, ids, lockRows(ctx));
        await updateFields(trx, ctx.appDb.kind, updates);
        await emptyForeignKeyJson(trx, without, ctx.appDb.now());
        return updates.length;
      });
      report.add('cleared', cleared);
    } catch (error) {
      rethrowIfFatal(error, ctx.job.signal);
      report.add('failed', chunk.length);
      for (const t of chunk) report.failure(qualifiedName(t.schema, t.name), errorInfo(error));
    }
  }
}
