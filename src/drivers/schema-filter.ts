// The `schema-filters-type` and `schema-filters-patterns` details (sync-engine.md 2.3) of the engines with schemas.

/** The filter as LIKE patterns: `*` becomes `%`, every other character is literal. */
export interface SchemaFilter {
  readonly mode: 'inclusion' | 'exclusion';
  readonly likePatterns: readonly string[];
}

/** null (every schema) for type `all`, a missing type, or blank patterns, as in Metabase. */
export function parseSchemaFilter(type: unknown, patterns: unknown): SchemaFilter | null {
  if ((type !== 'inclusion' && type !== 'exclusion') || typeof patterns !== 'string') return null;
  const likePatterns = patterns
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '')
    .map((pattern) => pattern.replace(/[\\%_]/g, '\\$&').replaceAll('*', '%'));
  return likePatterns.length === 0 ? null : Object.freeze({ mode: type, likePatterns: Object.freeze(likePatterns) });
}
