// The user overlay (sync-engine.md section 2.2): `user_set` is a sorted JSON array of column names.

const EMPTY: ReadonlySet<string> = new Set();

export function parseUserSet(text: string | null | undefined): ReadonlySet<string> {
  if (text == null || text === '' || text === '[]') return EMPTY;
  const value: unknown = JSON.parse(text);
  return new Set(Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
}

export function serializeUserSet(columns: Iterable<string>): string {
  return JSON.stringify([...new Set(columns)].sort());
}
