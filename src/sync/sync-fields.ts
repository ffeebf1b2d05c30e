// sync-fields (sync-engine.md section 3.3): the field stream grouped by table, groups batched by 100 tables or
// 5,000 fields, each batch one SELECT of its stored fields and one transaction. A table without a reported group
// is left unchanged; if the stream fails, completed groups are written and the rest stay as they are.
import type { Transaction } from 'kysely';
import {
  deleteFieldValues,
  insertFields,
  retireFields,
  selectFieldsByTables,
  updateFields,
} from '../catalog/field-rows.ts';
import type { RowUpdate } from '../catalog/bulk-write.ts';
import {
  diffField,
  matchFields,
  newFieldValues,
  type FieldRules,
  type NewFieldValues,
  type StoredField,
} from '../catalog/fields.ts';
import { fieldsDigestHash, fieldsListingHash } from '../catalog/listing-hashes.ts';
import { identityKey, qualifiedName } from '../catalog/names.ts';
import { chunks, setListingHashes } from '../catalog/table-rows.ts';
import type { AppSchema } from '../db/schema.ts';
import { MAX_SCOPE_TABLES, type FieldDigest, type FieldMetadata, type Scope } from '../drivers/driver.ts';
import type { ChangeGroup } from '../jobs/types.ts';
import { writeBatch } from './batch.ts';
import { lockRows, type SyncContext } from './context.ts';
import { errorInfo, rethrowIfFatal } from './errors.ts';
import type { MetadataState, PhaseTable } from './metadata-state.ts';
import type { StepReport } from './step-report.ts';

export const FIELD_BATCH_TABLES = 100;
export const FIELD_BATCH_FIELDS = 5000;

interface Group {
  readonly table: PhaseTable;
  readonly fields: FieldMetadata[];
}

type FieldCount =
  | 'created'
  | 'reactivated'
  | 'renamed'
  | 'updated'
  | 'unchanged'
  | 'retired'
  | 'type-changed'
  | 'user-overrides-reset';

interface TableFieldResult {
  readonly table: PhaseTable;
  readonly fields: number;
  readonly counts: Record<FieldCount, number>;
  readonly changes: { kind: keyof ChangeGroup; entry: string | { from: string; to: string } }[];
}

/** The scopes of the field, FK and index streams: the database, or the tables in chunks of at most 500. */
export function streamScopes(tables: readonly PhaseTable[] | null): Scope[] {
  if (tables === null) return [{ kind: 'database' }];
  return chunks(tables, MAX_SCOPE_TABLES).map((chunk) => ({
    kind: 'tables',
    tables: chunk.map((t) => ({ schema: t.schema, name: t.name })),
  }));
}

/** What a batch writes: collected from its tables, then applied with one statement per shape. */
interface BatchWrites {
  readonly updates: RowUpdate[];
  readonly inserts: NewFieldValues[];
  readonly retired: number[];
  readonly valuesDeleted: number[];
}

function emptyWrites(): BatchWrites {
  return { updates: [], inserts: [], retired: [], valuesDeleted: [] };
}

/** Updates first, so that a renamed field frees its name for a new one; inserts last. */
async function applyWrites(ctx: SyncContext, trx: Transaction<AppSchema>, w: BatchWrites): Promise<void> {
  await updateFields(trx, ctx.appDb.kind, w.updates);
  await deleteFieldValues(trx, w.valuesDeleted);
  await retireFields(trx, w.retired, ctx.appDb.now());
  await insertFields(trx, ctx.appDb.kind, w.inserts);
}

/** Reconciles one table's reported columns with its stored fields (pure): the writes go into `writes`. */
function reconcileTable(
  ctx: SyncContext,
  group: Group,
  stored: readonly StoredField[],
  byObjectId: boolean,
  writes: BatchWrites,
): TableFieldResult {
  const { table } = group;
  const rules: FieldRules = {
    positionFollowsDatabase: table.fieldOrder === 'database',
    cruftColumnPatterns: ctx.cruftColumnPatterns,
  };
  const counts: TableFieldResult['counts'] = {
    created: 0,
    reactivated: 0,
    renamed: 0,
    updated: 0,
    unchanged: 0,
    retired: 0,
    'type-changed': 0,
    'user-overrides-reset': 0,
  };
  const changes: TableFieldResult['changes'] = [];
  const name = (field: string) => qualifiedName(table.schema, table.name, field);
  const matching = matchFields(group.fields, stored, byObjectId);
  for (const { reported, stored: row } of matching.matched) {
    const diff = diffField(row, reported, rules);
    if (Object.keys(diff.changes).length > 0) writes.updates.push({ id: row.id, changes: diff.changes });
    if (diff.deleteFieldValues) writes.valuesDeleted.push(row.id);
    if (diff.reactivated) {
      counts.reactivated++;
      changes.push({ kind: 'reactivated', entry: name(reported.name) });
    } else if (diff.renamed) {
      counts.renamed++;
    } else if (Object.keys(diff.changes).length > 0) {
      counts.updated++;
    } else {
      counts.unchanged++;
    }
    if (diff.renamed) changes.push({ kind: 'renamed', entry: { from: name(row.name), to: name(reported.name) } });
    if (diff.typeChanged) {
      counts['type-changed']++;
      changes.push({ kind: 'type-changed', entry: name(reported.name) });
    }
    if (diff.userOverridesReset) counts['user-overrides-reset']++;
  }
  for (const field of matching.created) {
    writes.inserts.push(newFieldValues(table.id, field, rules));
    counts.created++;
    changes.push({ kind: 'created', entry: name(field.name) });
  }
  for (const field of matching.retired) {
    writes.retired.push(field.id);
    counts.retired++;
    changes.push({ kind: 'retired', entry: name(field.name) });
  }
  return { table, fields: group.fields.length, counts, changes };
}

export async function syncFields(
  ctx: SyncContext,
  report: StepReport,
  state: MetadataState,
  tables: readonly PhaseTable[],
  level: 'database' | 'tables',
): Promise<void> {
  report.init([
    'total-tables',
    'total-fields',
    'created',
    'reactivated',
    'renamed',
    'updated',
    'type-changed',
    'unchanged',
    'retired',
    'user-overrides-reset',
    'tables-without-columns',
    'tables-failed',
    'tables-unchanged',
  ]);
  report.set('total-tables', tables.length);
  if (tables.length === 0) return;
  const byKey = new Map(tables.map((t) => [identityKey(t.schema, t.name), t]));
  const seen = new Set<number>();

  const byTableId = (stored: readonly StoredField[]) => {
    const byTable = new Map<number, StoredField[]>();
    for (const field of stored) {
      const list = byTable.get(field.table_id);
      if (list) list.push(field);
      else byTable.set(field.table_id, [field]);
    }
    return byTable;
  };
  const reconcileGroups = (items: readonly Group[], stored: readonly StoredField[], writes: BatchWrites) => {
    const byTable = byTableId(stored);
    return items.map((group) =>
      reconcileTable(ctx, group, byTable.get(group.table.id) ?? [], byObjectIdOf(group.table), writes),
    );
  };

  // A table whose listing hashes as it did when its fields were last reconciled (listing-hashes.ts, migration 004)
  // is unchanged, and its stored fields are not read. Every other table has at least a new hash to record, so it goes
  // into the batch's write transaction, which reads its stored fields (FOR UPDATE on PostgreSQL, 2.2; none for a
  // table created in this phase), reconciles them, writes, and records the hash last. A no-change sync therefore
  // only reads the listing and compares hashes.
  const byObjectIdOf = (table: PhaseTable) => ctx.capabilities.stableObjectIds && !state.objectIdChanged.has(table.id);
  /** The hash each table still to be written records: its digest's (set before its listing) or its listing's. */
  const hashes = new Map<number, string>();
  const unchangedResult = (table: PhaseTable, fields: number): TableFieldResult => ({
    table,
    fields,
    counts: {
      created: 0,
      reactivated: 0,
      renamed: 0,
      updated: 0,
      unchanged: fields,
      retired: 0,
      'type-changed': 0,
      'user-overrides-reset': 0,
    },
    changes: [],
  });
  const rulesOf = (table: PhaseTable) => ({ fieldOrder: table.fieldOrder, byObjectId: byObjectIdOf(table) });
  /** Counts the tables done: `skipped` unchanged ones (their stored hash stays) and `written` ones. */
  const record = (skipped: readonly TableFieldResult[], written: readonly TableFieldResult[]) => {
    for (const result of skipped) state.fieldsHashes.set(result.table.id, result.table.fieldsHash as string);
    report.add('tables-unchanged', skipped.length);
    for (const result of [...skipped, ...written]) {
      state.fieldsSynced.add(result.table.id);
      report.add('total-fields', result.fields);
      for (const [key, n] of Object.entries(result.counts)) report.add(key, n);
      for (const change of result.changes) ctx.changes.field(change.kind, change.entry);
    }
    ctx.progress?.tables(state.fieldsSynced.size, tables.length);
  };

  // Field digests (driver.ts describeChangedFields, README Departures): where the driver has them, a table whose
  // digest hashes as its stored fields hash is unchanged without being listed; the driver lists the others only, in
  // the same snapshot as their digests, and each of them records its digest's hash.
  const isUnchanged = (digest: FieldDigest): boolean => {
    const table = byKey.get(identityKey(digest.tableSchema, digest.tableName));
    if (!table || seen.has(table.id)) return true;
    const hash = fieldsDigestHash(ctx.driver.engine, digest, rulesOf(table));
    if (state.created.has(table.id) || table.fieldsHash !== hash) {
      hashes.set(table.id, hash);
      return false;
    }
    seen.add(table.id);
    record([unchangedResult(table, digest.fields)], []);
    return true;
  };
  // Tables created in this phase or without a recorded hash are listed anyway: when they are most of the phase, the
  // driver lists all at once with their digests instead of reading the digests first.
  const unrecorded = tables.filter((t) => state.created.has(t.id) || t.fieldsHash === null).length;
  const options = { mostlyChanged: unrecorded * 2 > tables.length };
  const describeChanged = ctx.driver.describeChangedFields?.bind(ctx.driver);
  const listing = (scope: Scope) =>
    describeChanged
      ? describeChanged(scope, isUnchanged, ctx.job.signal, options)
      : ctx.driver.describeFields(scope, ctx.job.signal);

  const flush = async (all: readonly Group[]) => {
    if (all.length === 0) return;
    const skipped: TableFieldResult[] = [];
    const groups: Group[] = [];
    for (const group of all) {
      const { table } = group;
      const hash = hashes.get(table.id) ?? fieldsListingHash(group.fields, rulesOf(table));
      if (!state.created.has(table.id) && table.fieldsHash === hash) {
        skipped.push(unchangedResult(table, group.fields.length));
      } else {
        hashes.set(table.id, hash);
        groups.push(group);
      }
    }
    const results = await writeBatch(
      ctx,
      groups,
      async (trx, items) => {
        const stored = await selectFieldsByTables(trx, ctx.appDb.kind, items.map((g) => g.table.id), lockRows(ctx));
        const writes = emptyWrites();
        const out = reconcileGroups(items, stored, writes);
        await applyWrites(ctx, trx, writes);
        // Last: the field writes above clear the hash through the trigger of migration 004.
        await setListingHashes(
          trx,
          ctx.appDb.kind,
          'fields_hash',
          items.map((g) => ({ id: g.table.id, hash: hashes.get(g.table.id) as string })),
        );
        return out;
      },
      (group, error) => {
        report.add('tables-failed');
        report.failure(qualifiedName(group.table.schema, group.table.name), errorInfo(error));
      },
    );
    for (const result of results) state.fieldsHashes.set(result.table.id, hashes.get(result.table.id) as string);
    for (const group of groups) hashes.delete(group.table.id);
    record(skipped, results);
  };

  let batch: Group[] = [];
  let batchFields = 0;
  let current: Group | null = null;
  let currentSchema: string | null = null;
  let currentName: string | null = null;
  const close = async () => {
    if (current === null) return;
    const group = current;
    current = null;
    if (batch.length > 0 && batchFields + group.fields.length > FIELD_BATCH_FIELDS) {
      await flush(batch);
      batch = [];
      batchFields = 0;
    }
    batch.push(group);
    batchFields += group.fields.length;
    if (batch.length >= FIELD_BATCH_TABLES || batchFields >= FIELD_BATCH_FIELDS) {
      await flush(batch);
      batch = [];
      batchFields = 0;
    }
  };

  const scopes = streamScopes(level === 'database' ? null : tables);
  try {
    for (const scope of scopes) {
      for await (const field of listing(scope)) {
        if (field.tableName !== currentName || field.tableSchema !== currentSchema) {
          await close();
          currentSchema = field.tableSchema;
          currentName = field.tableName;
          const table = byKey.get(identityKey(field.tableSchema, field.tableName));
          if (table && !seen.has(table.id)) {
            seen.add(table.id);
            current = { table, fields: [] };
          }
        }
        if (current !== null) current.fields.push(field);
      }
      await close();
      currentName = null;
    }
  } catch (error) {
    rethrowIfFatal(error, ctx.job.signal);
    // The group being read is incomplete and is dropped; the completed ones are written.
    current = null;
    await flush(batch);
    throw error;
  }
  await flush(batch);
  ctx.progress?.tables(state.fieldsSynced.size, tables.length);
  report.set('tables-without-columns', tables.filter((t) => !seen.has(t.id)).length);
}
