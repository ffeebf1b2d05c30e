// What the steps of one metadata phase hand on to each other.
import { identityKey } from '../catalog/names.ts';
import type { NewTableOutcome, NewTableRef, NewTableStatus } from '../jobs/types.ts';

/** A table of the phase's table set (the tables sync-fields, sync-fks and sync-indexes work on). */
export interface PhaseTable {
  readonly id: number;
  readonly schema: string | null;
  readonly name: string;
  readonly fieldOrder: string;
  /** The stored listing hashes (null: none, or a table created in this phase; migration 004). */
  readonly fieldsHash: string | null;
  readonly fksHash: string | null;
  readonly indexesHash: string | null;
}

export class MetadataState {
  /** Tables whose database_object_id sync-tables changed: no attnum matching for their fields (3.3.2). */
  readonly objectIdChanged = new Set<number>();
  /** Tables sync-tables created in this phase: their later steps write without comparing first. */
  readonly created = new Set<number>();
  /** Tables whose fields sync-fields reconciled and wrote (3.2.8). */
  readonly fieldsSynced = new Set<number>();
  /** The fields hash each table has after sync-fields, for the hashes of sync-fks and sync-indexes. */
  readonly fieldsHashes = new Map<number, string>();
  /** Table-level runs: the active targets after sync-tables; null for database-level runs. */
  targets: PhaseTable[] | null = null;
  readonly #newTables = new Map<string, { ref: NewTableRef; outcome: NewTableOutcome | null }>();

  constructor(newTables: readonly NewTableRef[]) {
    for (const ref of newTables) this.#newTables.set(identityKey(ref.schema, ref.name), { ref, outcome: null });
  }

  isNewTarget(schema: string | null, name: string): boolean {
    return this.#newTables.has(identityKey(schema, name));
  }

  /** Records the outcome of a new target once; later calls for a decided target are ignored. */
  decideNewTable(schema: string | null, name: string, status: NewTableStatus, tableId: number | null): void {
    const entry = this.#newTables.get(identityKey(schema, name));
    if (entry && entry.outcome === null) entry.outcome = { schema, name, status, table_id: tableId };
  }

  /** Decides every target still undecided. */
  settleNewTables(status: NewTableStatus): void {
    for (const entry of this.#newTables.values()) {
      entry.outcome ??= { schema: entry.ref.schema, name: entry.ref.name, status, table_id: null };
    }
  }

  /** Outcomes in plan order; targets still undecided get `fallback`. */
  newTableOutcomes(fallback: NewTableStatus): NewTableOutcome[] {
    return [...this.#newTables.values()].map(
      ({ ref, outcome }) => outcome ?? { schema: ref.schema, name: ref.name, status: fallback, table_id: null },
    );
  }
}
