// sync-indexes (sync-engine.md section 3.5): the index listing is collected per table, and only once it completed
// are `database_indexes` and `database_indexed` written, in batches of 500 tables. What is held until then is one
// JSON string per table that has indexes, not the listing's rows.
import type { Transaction } from 'kysely';
import type { AppSchema } from '../db/schema.ts';
import { selectIndexFields, setFieldsIndexed } from '../catalog/field-rows.ts';
import { indexJson, indexedColumns, type IndexJson } from '../catalog/indexes.ts';
import { identityKey, qualifiedName } from '../catalog/names.ts';
import { indexesHash } from '../catalog/listing-hashes.ts';
import { canonicalJson, chunks, selectTablesJson, setListingHashes, setTablesJson } from '../catalog/table-rows.ts';
import { writeBatchIfChanged } from './batch.ts';
import type { SyncContext } from './context.ts';
import { errorInfo } from './errors.ts';
import type { PhaseTable } from './metadata-state.ts';
import type { StepReport } from './step-report.ts';
import { streamScopes } from './sync-fields.ts';

const INDEX_BATCH_TABLES = 500;

export async function syncIndexes(
  ctx: SyncContext,
  report: StepReport,
  tables: readonly PhaseTable[],
  level: 'database' | 'tables',
  created: ReadonlySet<number> = new Set(),
  fieldsHashes: ReadonlyMap<number, string> = new Map(),
): Promise<void> {
  report.init(['total-indexes', 'tables-updated', 'fields-marked', 'fields-unmarked', 'tables-unchanged']);
  report.set('listing-complete', false);
  if (!ctx.capabilities.indexes) {
    report.set('skipped', 'the driver reports no indexes');
    return;
  }
  const byKey = new Map(tables.map((t) => [identityKey(t.schema, t.name), t]));
  // Table id → its indexes' JSON elements joined by commas: the stored JSON is `[${elements}]`.
  const indexes = new Map<number, string>();
  // The listing is ordered by (schema, table, index name) and a scope chunk never repeats a table: a duplicate is
  // the row just before, so no set of every index is kept.
  let previous = '';
  for (const scope of tables.length === 0 ? [] : streamScopes(level === 'database' ? null : tables)) {
    for await (const index of ctx.driver.describeIndexes(scope, ctx.job.signal)) {
      const table = byKey.get(identityKey(index.tableSchema, index.tableName));
      const indexKey = JSON.stringify([index.tableSchema, index.tableName, index.indexName]);
      if (!table || indexKey === previous) continue;
      previous = indexKey;
      report.add('total-indexes');
      const element = JSON.stringify(indexJson(index));
      const elements = indexes.get(table.id);
      indexes.set(table.id, elements === undefined ? element : `${elements},${element}`);
    }
  }
  report.set('listing-complete', true);

  const jsonOf = (id: number) => `[${indexes.get(id) ?? ''}]`;
  // A table whose index JSON and fields hash hash as at its last reconciliation is unchanged (listing-hashes.ts);
  // without a fields hash from this sync (its fields failed or were not reported) it is always compared.
  const hashOf = (table: PhaseTable): string | null => {
    const fieldsHash = fieldsHashes.get(table.id);
    return fieldsHash === undefined ? null : indexesHash(jsonOf(table.id), fieldsHash);
  };
  const hashes = new Map<number, string | null>();
  for (const all of chunks(tables, INDEX_BATCH_TABLES)) {
    const chunk: PhaseTable[] = [];
    for (const table of all) {
      const hash = hashOf(table);
      if (hash !== null && hash === table.indexesHash && !created.has(table.id)) report.add('tables-unchanged');
      else {
        hashes.set(table.id, hash);
        chunk.push(table);
      }
    }
    const results = await writeBatchIfChanged(
      ctx,
      chunk,
      async (db, items, lock) => {
        const ids = items.map((t) => t.id);
        const storedRows = await selectTablesJson(db, ids, lock);
        const stored = new Map(storedRows.map((r) => [r.id, r.json]));
        const indexedByTable = new Map(items.map((t) => [t.id, indexedColumns(JSON.parse(jsonOf(t.id)) as IndexJson[])]));
        const firstColumns = [...indexedByTable.values()].flatMap((names) => [...names]);
        const fields = await selectIndexFields(db, ids, firstColumns, lock);
        const out = items.map(() => ({ tablesUpdated: 0, marked: [] as number[], unmarked: [] as number[] }));
        const position = new Map(items.map((t, i) => [t.id, i]));
        const jsonUpdates: { id: number; json: string }[] = [];
        for (const [i, table] of items.entries()) {
          const json = jsonOf(table.id);
          const storedJson = stored.get(table.id);
          if (storedJson !== undefined && storedJson !== json && canonicalJson(storedJson) !== json) {
            jsonUpdates.push({ id: table.id, json });
            out[i].tablesUpdated++;
          }
        }
        for (const field of fields) {
          const should = indexedByTable.get(field.table_id)?.has(field.name) ?? false;
          if (should === field.database_indexed) continue;
          const result = out[position.get(field.table_id) as number];
          (should ? result.marked : result.unmarked).push(field.id);
        }
        const marked = out.flatMap((r) => r.marked);
        const unmarked = out.flatMap((r) => r.unmarked);
        const hashUpdates = items.flatMap((t) => {
          const hash = hashes.get(t.id) ?? null;
          return hash === null || hash === t.indexesHash ? [] : [{ id: t.id, hash }];
        });
        if (jsonUpdates.length + marked.length + unmarked.length + hashUpdates.length === 0) {
          return { results: out, write: null };
        }
        const write = async (trx: Transaction<AppSchema>) => {
          await setTablesJson(trx, ctx.appDb.kind, 'database_indexes', jsonUpdates);
          await setFieldsIndexed(trx, marked, true, ctx.appDb.now());
          await setFieldsIndexed(trx, unmarked, false, ctx.appDb.now());
          await setListingHashes(trx, ctx.appDb.kind, 'indexes_hash', hashUpdates);
        };
        return { results: out, write };
      },
      (table, error) => {
        report.failure(qualifiedName(table.schema, table.name), errorInfo(error));
      },
      chunk.some((t) => created.has(t.id) && indexes.has(t.id)),
    );
    for (const r of results) {
      report.add('tables-updated', r.tablesUpdated);
      report.add('fields-marked', r.marked.length);
      report.add('fields-unmarked', r.unmarked.length);
    }
    for (const table of chunk) hashes.delete(table.id);
  }
}
