// MySQL/MariaDB type mapping: the reported database type (sync-engine.md 4.7), the normalization of 4.8 and the MySQL
// map of 4.10, as pure functions.

export interface MappedType {
  readonly baseType: string;
  readonly semanticHint: string | null;
}

function mapped(baseType: string, semanticHint: string | null = null): MappedType {
  return Object.freeze({ baseType, semanticHint });
}

const UNKNOWN = mapped('type/*');

function entries(keys: readonly string[], type: MappedType): [string, MappedType][] {
  return keys.map((key) => [key, type]);
}

/** Normalized key → base type and semantic hint (4.10); keys absent here map to type/*. */
export const MYSQL_TYPE_MAP: ReadonlyMap<string, MappedType> = new Map([
  ...entries(['bigint'], mapped('type/BigInteger')),
  ...entries(['int', 'integer', 'mediumint', 'smallint', 'tinyint', 'year'], mapped('type/Integer')),
  ...entries(['bit'], mapped('type/Boolean')),
  ...entries(['decimal', 'numeric'], mapped('type/Decimal')),
  ...entries(['double', 'float', 'real'], mapped('type/Float')),
  ...entries(['char', 'varchar', 'text', 'tinytext', 'mediumtext', 'longtext'], mapped('type/Text')),
  ...entries(['date'], mapped('type/Date')),
  ...entries(['datetime'], mapped('type/DateTime')),
  ...entries(['timestamp'], mapped('type/DateTimeWithLocalTZ')),
  ...entries(['time'], mapped('type/Time')),
  ...entries(['json'], mapped('type/JSON', 'type/SerializedJSON')),
  ...entries(['enum'], mapped('type/MySQLEnum')),
  ...entries(
    [
      'set', 'binary', 'varbinary', 'blob', 'tinyblob', 'mediumblob', 'longblob', 'geometry', 'point', 'linestring',
      'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection',
    ],
    UNKNOWN,
  ),
  // MariaDB's own types (additions to Metabase's map); inet4/inet6 carry the hint PostgreSQL's inet carries (4.2).
  ...entries(['uuid'], mapped('type/UUID')),
  ...entries(['inet4', 'inet6'], mapped('type/IPAddress', 'type/IPAddress')),
]);

const INNERMOST_PARENTHESES = /\([^()]*\)/g;
const TRAILING_MODIFIERS = /(?:\s+(?:unsigned|zerofill))+\s*$/i;
const WHITESPACE = /\s+/g;

/** Steps 4 to 6 of 4.8: remove parenthesized groups and a trailing unsigned/zerofill, collapse spaces, lower-case. */
export function normalizeMysqlType(databaseType: string): string {
  let key = databaseType;
  for (let previous = ''; previous !== key; ) {
    previous = key;
    key = key.replace(INNERMOST_PARENTHESES, ' ');
  }
  return key.replace(TRAILING_MODIFIERS, '').replace(WHITESPACE, ' ').trim().toLowerCase();
}

/** Maps a reported type through 4.8 and 4.10. */
export function mapMysqlType(databaseType: string): MappedType {
  return MYSQL_TYPE_MAP.get(normalizeMysqlType(databaseType)) ?? UNKNOWN;
}

/** `UPPER(data_type)`, except that a `tinyint(1)` column is `BIT` (a boolean) unless tinyInt1isBit=false (4.7). */
export function mysqlDatabaseType(dataType: string, columnType: string, tinyInt1isBit: boolean): string {
  if (tinyInt1isBit && columnType.trim().toLowerCase() === 'tinyint(1)') return 'BIT';
  return dataType.toUpperCase();
}

/** The connection options of `additional-options` the driver honours (notify-api 6.3), JDBC URL style `a=b&c=d`. */
export interface AdditionalOptions {
  readonly tinyInt1isBit: boolean;
}

/** Parses `additional-options`; unknown options are ignored, and tinyInt1isBit defaults to true, as in Connector/J. */
export function parseAdditionalOptions(text: unknown): AdditionalOptions {
  let tinyInt1isBit = true;
  if (typeof text === 'string') {
    for (const option of text.replace(/^\s*\?/, '').split(/[&;]/)) {
      const [key, value = ''] = option.split('=', 2).map((part) => part.trim());
      if (key.toLowerCase() === 'tinyint1isbit') tinyInt1isBit = value.toLowerCase() !== 'false';
    }
  }
  return Object.freeze({ tinyInt1isBit });
}
