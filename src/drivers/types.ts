// The base-type vocabulary shared by drivers and the rules: the hierarchy of sync-engine.md 4.9 and its derived sets.

/** Direct parents of each base type; every type not listed here is only ⊑ type/*. */
const PARENTS: ReadonlyMap<string, readonly string[]> = new Map([
  ['type/Integer', ['type/Number']],
  ['type/Float', ['type/Number']],
  ['type/BigInteger', ['type/Integer']],
  ['type/Decimal', ['type/Float']],
  ['type/UUID', ['type/Text']],
  ['type/PostgresEnum', ['type/Text']],
  ['type/MySQLEnum', ['type/Text']],
  ['type/IPAddress', ['type/TextLike']],
  ['type/Date', ['type/Temporal']],
  ['type/Time', ['type/Temporal']],
  ['type/DateTime', ['type/Temporal']],
  ['type/TimeWithLocalTZ', ['type/Time']],
  ['type/DateTimeWithLocalTZ', ['type/DateTime']],
  ['type/Array', ['type/Collection']],
  ['type/JSON', ['type/Structured', 'type/Collection']],
]);

/** True when `type` ⊑ `ancestor`: the relation is reflexive, transitive, and everything is ⊑ type/*. */
export function isa(type: string, ancestor: string): boolean {
  if (type === ancestor || ancestor === 'type/*') return true;
  for (const parent of PARENTS.get(type) ?? []) if (isa(parent, ancestor)) return true;
  return false;
}

/** Fingerprintable: not type/* itself, nothing ⊑ type/Structured, nothing ⊑ type/Collection (4.9, 5.1). */
export function isFingerprintable(baseType: string): boolean {
  return baseType !== 'type/*' && !isa(baseType, 'type/Structured') && !isa(baseType, 'type/Collection');
}

/** Allows field values: fingerprintable and not ⊑ type/Temporal (4.9, 6.1). */
export function allowsFieldValues(baseType: string): boolean {
  return isFingerprintable(baseType) && !isa(baseType, 'type/Temporal');
}
