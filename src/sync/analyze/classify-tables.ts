// Table classification (sync-engine.md 5.5): the entity type from the table's name. Pure.

const RULES: readonly (readonly [readonly string[], string])[] = [
  [['order', 'transaction', 'sale'], 'entity/TransactionTable'],
  [['product'], 'entity/ProductTable'],
  [['user', 'account', 'people', 'person', 'employee'], 'entity/UserTable'],
  [['event', 'checkin', 'log'], 'entity/EventTable'],
  [['subscription'], 'entity/SubscriptionTable'],
  [['company', 'companies', 'vendor'], 'entity/CompanyTable'],
];

export const GENERIC_TABLE = 'entity/GenericTable';

/** A word matches when the lower-cased name starts with it, or ends with it, optionally followed by `s`. */
function matches(name: string, word: string): boolean {
  return name.startsWith(word) || name.endsWith(word) || name.endsWith(`${word}s`);
}

/** The first matching rule's entity type, entity/GenericTable when none matches. */
export function entityTypeFor(tableName: string): string {
  const name = tableName.toLowerCase();
  for (const [words, entityType] of RULES) if (words.some((word) => matches(name, word))) return entityType;
  return GENERIC_TABLE;
}
