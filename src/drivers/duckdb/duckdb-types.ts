// DuckDB type mapping: the normalization of sync-engine.md 4.8 and the DuckDB map of 4.10, as pure functions.

export interface MappedType {
  readonly baseType: string;
  readonly semanticHint: string | null;
}

function mapped(baseType: string, semanticHint: string | null = null): MappedType {
  return Object.freeze({ baseType, semanticHint });
}

const UNKNOWN = mapped('type/*');
const ARRAY = mapped('type/Array');

function entries(keys: readonly string[], type: MappedType): [string, MappedType][] {
  return keys.map((key) => [key, type]);
}

/** Normalized key → base type and semantic hint (4.10); keys absent here map to type/*. */
export const DUCKDB_TYPE_MAP: ReadonlyMap<string, MappedType> = new Map([
  ...entries(['boolean', 'bool', 'logical'], mapped('type/Boolean')),
  ...entries(
    [
      'tinyint', 'int1', 'smallint', 'int2', 'short', 'integer', 'int4', 'int', 'signed', 'utinyint', 'usmallint',
      'uinteger',
    ],
    mapped('type/Integer'),
  ),
  ...entries(
    ['bigint', 'int8', 'long', 'ubigint', 'hugeint', 'uhugeint', 'bignum', 'varint'],
    mapped('type/BigInteger'),
  ),
  ...entries(['decimal', 'numeric'], mapped('type/Decimal')),
  ...entries(['float', 'float4', 'real', 'double', 'float8'], mapped('type/Float')),
  ...entries(['varchar', 'char', 'bpchar', 'text', 'string', 'enum'], mapped('type/Text')),
  ...entries(['uuid'], mapped('type/UUID')),
  ...entries(['date'], mapped('type/Date')),
  ...entries(['time', 'timetz', 'time with time zone'], mapped('type/Time')),
  ...entries(
    ['timestamp', 'datetime', 'timestamp_s', 'timestamp_ms', 'timestamp_us', 'timestamp_ns'],
    mapped('type/DateTime'),
  ),
  ...entries(['timestamptz', 'timestamp with time zone'], mapped('type/DateTimeWithLocalTZ')),
  ...entries(['json'], mapped('type/JSON', 'type/SerializedJSON')),
  ...entries(['struct', 'map'], mapped('type/Structured')),
  ...entries(
    [
      'union', 'blob', 'bytea', 'binary', 'varbinary', 'bit', 'bitstring', 'interval', 'geometry', 'point_2d',
      'point_3d', 'point_4d', 'box_2d', 'linestring_2d', 'polygon_2d', 'null',
    ],
    UNKNOWN,
  ),
]);

/** String literals ('a''b') and quoted identifiers ("x""y"), which may hold brackets or parentheses of their own. */
const QUOTED = /'(?:[^']|'')*'|"(?:[^"]|"")*"/g;
const INNERMOST_PARENTHESES = /\([^()]*\)/g;
const ARRAY_SUFFIX = /(?:\[\d*\]\s*)+$/;

/** `databaseType` with quoted parts emptied: `ENUM('a(', 'b')` → `ENUM('', '')`, so that only syntax remains. */
function withoutQuotedText(databaseType: string): string {
  return databaseType.replace(QUOTED, (quoted) => quoted[0] + quoted[0]);
}

/** True for a LIST (`T[]`) or ARRAY (`T[n]`) type, whatever its element type. */
export function isDuckdbArrayType(databaseType: string): boolean {
  return ARRAY_SUFFIX.test(withoutQuotedText(databaseType).trim());
}

/** Steps 4 and 6 of 4.8: parenthesized groups removed (`STRUCT(a INT)` → `struct`), spaces collapsed, lower-cased. */
export function duckdbTypeKey(databaseType: string): string {
  let key = withoutQuotedText(databaseType);
  for (let previous = ''; previous !== key; ) {
    previous = key;
    key = key.replace(INNERMOST_PARENTHESES, ' ');
  }
  return key.replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * Maps a reported type through 4.8 and 4.10. `logicalType` is the logical type of a user-defined type from
 * duckdb_types() (`DECIMAL` for `CREATE TYPE amount AS DECIMAL(10,2)`), used when the column reports the type's name.
 */
export function mapDuckdbType(databaseType: string, logicalType: string | null = null): MappedType {
  const type = logicalType ?? databaseType;
  if (isDuckdbArrayType(type)) return ARRAY;
  return DUCKDB_TYPE_MAP.get(duckdbTypeKey(type)) ?? UNKNOWN;
}
