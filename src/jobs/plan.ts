// Pure plan algebra of sync-engine.md section 8.3: normal form, merging, new tables named, coverage.
import { PHASES, type NewTableRef, type PhaseScope, type Plan } from './types.ts';

function compareNewTables(a: NewTableRef, b: NewTableRef): number {
  if (a.schema !== b.schema) {
    if (a.schema === null) return -1;
    if (b.schema === null) return 1;
    return a.schema < b.schema ? -1 : 1;
  }
  if (a.name === b.name) return 0;
  return a.name < b.name ? -1 : 1;
}

/** New tables ordered by schema (null first) and name, duplicates removed. */
export function sortNewTables(refs: readonly NewTableRef[]): NewTableRef[] {
  const sorted = [...refs].map((r) => ({ schema: r.schema, name: r.name })).sort(compareNewTables);
  return sorted.filter((r, i) => i === 0 || compareNewTables(sorted[i - 1], r) !== 0);
}

function sortIds(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

function normalizeScope(scope: PhaseScope): PhaseScope {
  const newTables = sortNewTables(scope.new_tables ?? []);
  if (scope.database === true) {
    return newTables.length > 0 ? { database: true, new_tables: newTables } : { database: true };
  }
  const tables = sortIds(scope.tables ?? []);
  return {
    ...(tables.length > 0 ? { tables } : {}),
    ...(newTables.length > 0 ? { new_tables: newTables } : {}),
  };
}

/** The stored form: phases in their order, ids ascending and unique, new tables sorted and unique, no empty lists. */
export function normalizePlan(plan: Plan): Plan {
  const out: { -readonly [P in keyof Plan]: PhaseScope } = {};
  for (const phase of PHASES) {
    const scope = plan[phase];
    if (scope !== undefined) out[phase] = normalizeScope(scope);
  }
  return out;
}

function mergeScopes(a: PhaseScope, b: PhaseScope): PhaseScope {
  const newTables = [...(a.new_tables ?? []), ...(b.new_tables ?? [])];
  if (a.database === true || b.database === true) return normalizeScope({ database: true, new_tables: newTables });
  const tables = [...(a.database ? [] : (a.tables ?? [])), ...(b.database ? [] : (b.tables ?? []))];
  return normalizeScope({ tables, new_tables: newTables });
}

/** Per phase: a database scope absorbs table ids but keeps new tables; two table scopes merge by union. */
export function mergePlans(a: Plan, b: Plan): Plan {
  const out: { -readonly [P in keyof Plan]: PhaseScope } = {};
  for (const phase of PHASES) {
    const left = a[phase];
    const right = b[phase];
    if (left !== undefined && right !== undefined) out[phase] = mergeScopes(left, right);
    else if (left !== undefined || right !== undefined) out[phase] = normalizeScope((left ?? right) as PhaseScope);
  }
  return out;
}

/** Every new table named in any phase, sorted and unique. */
export function planNewTables(plan: Plan): NewTableRef[] {
  return sortNewTables(PHASES.flatMap((phase) => plan[phase]?.new_tables ?? []));
}

/** True when every phase of `requested` has a database scope in `running` (a scheduled fire it covers is skipped). */
export function planCovers(running: Plan, requested: Plan): boolean {
  return PHASES.every((phase) => requested[phase] === undefined || running[phase]?.database === true);
}

/** Whether two new-table identities name the same catalog row: the schema compares as COALESCE(schema, ''). */
export function sameNewTable(a: NewTableRef, b: NewTableRef): boolean {
  return (a.schema ?? '') === (b.schema ?? '') && a.name === b.name;
}
