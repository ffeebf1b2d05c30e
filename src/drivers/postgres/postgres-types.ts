// PostgreSQL type mapping: the normalization of sync-engine.md 4.8 and the PostgreSQL map of 4.10, as pure functions.

export interface MappedType {
  readonly baseType: string;
  readonly semanticHint: string | null;
}

export interface TypeHints {
  /** pg_type.typtype = 'e'. */
  readonly isEnum?: boolean;
  /** pg_type.typcategory = 'A'. */
  readonly isArray?: boolean;
}

function mapped(baseType: string, semanticHint: string | null = null): MappedType {
  return Object.freeze({ baseType, semanticHint });
}

const UNKNOWN = mapped('type/*');
const ENUM = mapped('type/PostgresEnum');
const ARRAY = mapped('type/Array');

function entries(keys: readonly string[], type: MappedType): [string, MappedType][] {
  return keys.map((key) => [key, type]);
}

/** Normalized key → base type and semantic hint (4.10); keys absent here map to type/*. */
export const POSTGRES_TYPE_MAP: ReadonlyMap<string, MappedType> = new Map([
  ...entries(['bigint', 'bigserial', 'int8', 'serial8'], mapped('type/BigInteger')),
  ...entries(
    ['int', 'int2', 'int4', 'integer', 'smallint', 'serial', 'serial2', 'serial4', 'smallserial'],
    mapped('type/Integer'),
  ),
  ...entries(['decimal', 'numeric', 'money'], mapped('type/Decimal')),
  ...entries(['float4', 'float8', 'real', 'double precision'], mapped('type/Float')),
  ...entries(['bool', 'boolean'], mapped('type/Boolean')),
  ...entries(
    ['text', 'varchar', 'character varying', 'char', 'character', 'bpchar', 'citext', 'pg_lsn'],
    mapped('type/Text'),
  ),
  ...entries(['date'], mapped('type/Date')),
  ...entries(['time', 'time without time zone'], mapped('type/Time')),
  ...entries(['timetz', 'time with time zone'], mapped('type/TimeWithLocalTZ')),
  ...entries(['timestamp', 'timestamp without time zone'], mapped('type/DateTime')),
  ...entries(['timestamptz', 'timestamp with time zone'], mapped('type/DateTimeWithLocalTZ')),
  ...entries(['json', 'jsonb'], mapped('type/JSON', 'type/SerializedJSON')),
  ...entries(['uuid'], mapped('type/UUID')),
  ...entries(['inet'], mapped('type/IPAddress', 'type/IPAddress')),
  ...entries(['cidr', 'macaddr'], mapped('type/Structured')),
  ...entries(['xml'], mapped('type/Structured', 'type/XML')),
  ...entries(
    [
      'bit', 'bit varying', 'varbit', 'box', 'bytea', 'circle', 'geometry', 'interval', 'line', 'lseg', 'path', 'point',
      'tsquery', 'tsvector', 'txid_snapshot',
    ],
    UNKNOWN,
  ),
]);

const ARRAY_SUFFIX = /(?:\[\d*\])+\s*$/;
const SCHEMA_QUALIFIED = /^\s*(?:"(?:[^"]|"")*"|[^\s".()]+)\.(.+)$/s;
const QUOTED = /^"((?:[^"]|"")*)"$/s;
const INNERMOST_PARENTHESES = /\([^()]*\)/g;
const WHITESPACE = /\s+/g;

/** Steps 3, 4 and 6 of 4.8: drop a schema qualification, remove parenthesized groups, collapse spaces, lower-case. */
export function normalizePostgresType(databaseType: string): string {
  let key = databaseType;
  const qualified = SCHEMA_QUALIFIED.exec(key);
  if (qualified) {
    const name = qualified[1].trim();
    const quoted = QUOTED.exec(name);
    key = quoted ? quoted[1].replaceAll('""', '"') : name;
  }
  for (let previous = ''; previous !== key; ) {
    previous = key;
    key = key.replace(INNERMOST_PARENTHESES, ' ');
  }
  return key.replace(WHITESPACE, ' ').trim().toLowerCase();
}

/** Maps a reported type through 4.8 and 4.10; the raw typname usually hits the map directly, without normalizing. */
export function mapPostgresType(databaseType: string, hints: TypeHints = {}): MappedType {
  if (hints.isEnum) return ENUM;
  if (hints.isArray || (databaseType.includes('[') && ARRAY_SUFFIX.test(databaseType))) return ARRAY;
  return POSTGRES_TYPE_MAP.get(databaseType) ?? POSTGRES_TYPE_MAP.get(normalizePostgresType(databaseType)) ?? UNKNOWN;
}
