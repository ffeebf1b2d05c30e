// Pure rules of sync-engine.md section 3.5: the stored index JSON and which columns count as indexed.
import type { IndexMetadata } from '../drivers/driver.ts';

/** One element of `metabase_table.database_indexes` (2.4); a null column stands for an expression. */
export interface IndexJson {
  readonly name: string;
  readonly columns: readonly (string | null)[];
  readonly unique: boolean;
  readonly primary: boolean;
  readonly partial: boolean;
}

export function indexJson(index: IndexMetadata): IndexJson {
  return {
    name: index.indexName,
    columns: [...index.columns],
    unique: index.isUnique,
    primary: index.isPrimary,
    partial: index.isPartial,
  };
}

/** Names of the columns that are the first column of at least one non-partial index. */
export function indexedColumns(indexes: readonly IndexJson[]): Set<string> {
  const names = new Set<string>();
  for (const index of indexes) {
    const first = index.columns[0];
    if (!index.partial && typeof first === 'string') names.add(first);
  }
  return names;
}
