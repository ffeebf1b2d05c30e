// sync-tables, table level (sync-engine.md section 3.2.7; notify-api X12): presence of the target tables is decided
// by one exists-check (one target) or scoped listings of at most 500 refs, with exact, case-sensitive identities.
// Never renames, never applies the retirement guards: a positively absent target is exact evidence.
import { identityKey, qualifiedName } from '../catalog/names.ts';
import { chunks, retireTables, selectTablesByIdentity, selectTablesByIds } from '../catalog/table-rows.ts';
import type { StoredTable } from '../catalog/tables.ts';
import { MAX_SCOPE_TABLES, type TableMetadata, type TableRef } from '../drivers/driver.ts';
import type { NewTableRef } from '../jobs/types.ts';
import { writeBatch } from './batch.ts';
import { lockRows, type SyncContext } from './context.ts';
import { errorInfo, rethrowIfFatal } from './errors.ts';
import type { MetadataState, PhaseTable } from './metadata-state.ts';
import type { StepReport } from './step-report.ts';
import {
  TABLE_BATCH,
  applyMatch,
  createTables,
  initTablesReport,
  isSkippedTableName,
  recordTableEntry,
  type TableEntry,
} from './sync-tables.ts';

type Target =
  | { readonly kind: 'known'; readonly row: StoredTable; readonly reported: TableMetadata | null }
  | { readonly kind: 'new'; readonly ref: TableRef; readonly reported: TableMetadata };

function phaseTable(
  row: { id: number; schema: string | null; name: string },
  fieldOrder: string,
  hashes: Pick<StoredTable, 'fields_hash' | 'fks_hash' | 'indexes_hash'> | null,
): PhaseTable {
  return {
    id: row.id,
    schema: row.schema,
    name: row.name,
    fieldOrder,
    fieldsHash: hashes?.fields_hash ?? null,
    fksHash: hashes?.fks_hash ?? null,
    indexesHash: hashes?.indexes_hash ?? null,
  };
}

/** Asks the warehouse which refs exist: tableExists for exactly one, scoped listings otherwise. */
async function present(ctx: SyncContext, refs: readonly TableRef[]): Promise<Map<string, TableMetadata>> {
  const wanted = new Set(refs.map((r) => identityKey(r.schema, r.name)));
  const found = new Map<string, TableMetadata>();
  const keep = (table: TableMetadata | null) => {
    const key = table === null ? null : identityKey(table.schema, table.name);
    if (table !== null && key !== null && wanted.has(key) && !found.has(key)) found.set(key, table);
  };
  if (refs.length === 1) {
    keep(await ctx.driver.tableExists(refs[0], ctx.job.signal));
    return found;
  }
  for (const chunk of chunks(refs, MAX_SCOPE_TABLES)) {
    for await (const table of ctx.driver.describeTables({ kind: 'tables', tables: chunk }, ctx.job.signal)) keep(table);
  }
  return found;
}

export async function syncTablesScoped(
  ctx: SyncContext,
  report: StepReport,
  state: MetadataState,
  tableIds: readonly number[],
  newTables: readonly NewTableRef[],
): Promise<void> {
  initTablesReport(report);
  report.init(['absent']);
  const db = ctx.appDb.db;
  const known = new Map<number, StoredTable>();
  for (const row of await selectTablesByIds(db, ctx.databaseId, tableIds, false)) known.set(row.id, row);
  for (const id of tableIds) if (!known.has(id)) report.log('warn', `table ${id} is no longer in the catalog`);
  const existing = await selectTablesByIdentity(db, ctx.databaseId, newTables, false);
  const existingByKey = new Map(existing.map((r) => [identityKey(r.schema, r.name), r]));
  const newRefs: TableRef[] = [];
  for (const ref of newTables) {
    const row = existingByKey.get(identityKey(ref.schema, ref.name));
    if (row) {
      state.decideNewTable(ref.schema, ref.name, 'existing', row.id);
      known.set(row.id, row);
    } else if (isSkippedTableName(ref.name)) {
      state.decideNewTable(ref.schema, ref.name, 'absent', null);
      report.add('absent');
    } else {
      newRefs.push(ref);
    }
  }
  // Until the warehouse answers, the targets are the known rows as stored.
  state.targets = [...known.values()].filter((r) => r.active).map((r) => phaseTable(r, r.field_order, r));

  const refs: TableRef[] = [...[...known.values()].map((r) => ({ schema: r.schema, name: r.name })), ...newRefs];
  let found: Map<string, TableMetadata>;
  try {
    found = refs.length === 0 ? new Map() : await present(ctx, refs);
  } catch (error) {
    rethrowIfFatal(error, ctx.job.signal);
    state.settleNewTables('failed');
    throw error;
  }
  report.set('listing-complete', true);

  const targets: Target[] = [];
  for (const row of known.values()) {
    const reported = found.get(identityKey(row.schema, row.name)) ?? null;
    if (reported === null) report.add('absent');
    if (reported !== null || row.active) targets.push({ kind: 'known', row, reported });
  }
  for (const ref of newRefs) {
    const reported = found.get(identityKey(ref.schema, ref.name));
    if (reported) {
      targets.push({ kind: 'new', ref, reported });
    } else {
      state.decideNewTable(ref.schema, ref.name, 'absent', null);
      report.add('absent');
    }
  }
  report.set('total-tables', targets.filter((t) => t.reported !== null).length);

  const active = new Map<number, PhaseTable>();
  for (const t of targets) {
    if (t.kind === 'known' && t.row.active) active.set(t.row.id, phaseTable(t.row, t.row.field_order, t.row));
  }
  for (const chunk of chunks(targets, TABLE_BATCH)) {
    const results = await writeBatch(
      ctx,
      chunk,
      async (trx, items) => {
        const fresh = await selectTablesByIds(
          trx,
          ctx.databaseId,
          items.flatMap((t) => (t.kind === 'known' ? [t.row.id] : [])),
          lockRows(ctx),
        );
        const byId = new Map(fresh.map((r) => [r.id, r]));
        const out: ({ entry: TableEntry; fieldOrder: string; hashes: StoredTable | null } | { retired: StoredTable })[] = [];
        const creating: TableMetadata[] = [];
        for (const item of items) {
          if (item.kind === 'new') {
            creating.push(item.reported);
            continue;
          }
          const row = byId.get(item.row.id);
          if (!row) continue;
          if (item.reported !== null) {
            out.push({
              entry: await applyMatch(ctx, trx, row, item.reported),
              fieldOrder: row.field_order,
              hashes: row,
            });
          } else if ((await retireTables(trx, ctx.databaseId, [row.id], ctx.appDb.now())).length > 0) {
            out.push({ retired: row });
          }
        }
        for (const entry of await createTables(ctx, trx, creating)) out.push({ entry, fieldOrder: 'database', hashes: null });
        return out;
      },
      (item, error) => {
        const ref = item.kind === 'known' ? item.row : item.ref;
        report.add('failed');
        report.failure(qualifiedName(ref.schema, ref.name), errorInfo(error));
        state.decideNewTable(ref.schema, ref.name, 'failed', null);
      },
    );
    for (const result of results) {
      if ('retired' in result) {
        report.add('retired');
        ctx.changes.table('retired', qualifiedName(result.retired.schema, result.retired.name));
        active.delete(result.retired.id);
      } else {
        recordTableEntry(ctx, report, state, result.entry);
        active.set(
          result.entry.id,
          phaseTable({ ...result.entry.table, id: result.entry.id }, result.fieldOrder, result.hashes),
        );
      }
    }
  }
  state.targets = [...active.values()].sort((a, b) => a.id - b.id);
}
