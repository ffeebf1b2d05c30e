// The job's changeset (sync-engine.md section 8.6): qualified names of what the metadata phase changed, at most
// 1,000 entries per list, in the order the steps processed them.
import type { ChangeGroup, Changeset } from '../jobs/types.ts';

export const MAX_CHANGES_PER_LIST = 1000;

type ChangeKind = keyof ChangeGroup;
type Entry = string | { readonly from: string; readonly to: string };

const KINDS: readonly ChangeKind[] = ['created', 'reactivated', 'retired', 'renamed', 'type-changed'];

function emptyGroup(): Record<ChangeKind, Entry[]> {
  return { created: [], reactivated: [], retired: [], renamed: [], 'type-changed': [] };
}

export function emptyChangeset(): Changeset {
  return { tables: emptyGroup(), fields: emptyGroup() };
}

export class ChangesetBuilder {
  readonly #tables = emptyGroup();
  readonly #fields = emptyGroup();

  table(kind: ChangeKind, entry: Entry): void {
    const list = this.#tables[kind];
    if (list.length < MAX_CHANGES_PER_LIST) list.push(entry);
  }

  field(kind: ChangeKind, entry: Entry): void {
    const list = this.#fields[kind];
    if (list.length < MAX_CHANGES_PER_LIST) list.push(entry);
  }

  build(): Changeset {
    const copy = (group: Record<ChangeKind, Entry[]>) =>
      Object.fromEntries(KINDS.map((k) => [k, [...group[k]]])) as unknown as ChangeGroup;
    return { tables: copy(this.#tables), fields: copy(this.#fields) };
  }
}
