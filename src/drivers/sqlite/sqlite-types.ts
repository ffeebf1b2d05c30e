// SQLite declared type → base type (sync-engine.md sections 4.8 and 4.10): SQLite's affinity rules as ordered,
// case-insensitive substring tests on the normalized key; the first match wins.

const ARRAY_SUFFIX = /(\[\d*\]\s*)+$/;

/** Ordered: `POINT` and `INTERVAL` contain `INT` and are Integer, as SQLite's affinity rule says. */
const RULES: readonly (readonly [readonly string[], string])[] = [
  [['bigint', 'big int'], 'type/BigInteger'],
  [['int'], 'type/Integer'],
  [['char', 'text', 'clob'], 'type/Text'],
  [['blob'], 'type/*'],
  [['real', 'doub', 'floa'], 'type/Float'],
  [['numeric'], 'type/Float'],
  [['decimal'], 'type/Decimal'],
  [['bool'], 'type/Boolean'],
  [['timestamp', 'datetime'], 'type/DateTime'],
  [['date'], 'type/Date'],
  [['time'], 'type/Time'],
];

/** Removes every balanced parenthesized group with its contents, innermost first: `DECIMAL(10,2)` → `DECIMAL`. */
export function removeParenthesized(type: string): string {
  let text = type;
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(/\([^()]*\)/g, ' ');
  }
  return text;
}

/** The lookup key of section 4.8: parenthesized groups removed, whitespace collapsed, trimmed, lower-cased. */
export function sqliteTypeKey(databaseType: string): string {
  return removeParenthesized(databaseType).replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Base type of a declared column type; an empty declared type or no match is `type/*`. */
export function sqliteBaseType(databaseType: string): string {
  if (ARRAY_SUFFIX.test(databaseType.trim())) return 'type/Array';
  const key = sqliteTypeKey(databaseType);
  if (key === '') return 'type/*';
  for (const [needles, baseType] of RULES) if (needles.some((needle) => key.includes(needle))) return baseType;
  return 'type/*';
}
