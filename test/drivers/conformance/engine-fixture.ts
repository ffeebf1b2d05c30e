// The shape of one engine's conformance fixture: how to make its warehouse, its DDL, and its expected catalog, written
// once per engine and checked by the same cases for every engine.
import type { Engine } from '../../../src/drivers/driver.ts';

/** A field as the catalog must hold it after a metadata sync. */
export interface ExpectedField {
  readonly name: string;
  readonly database_type: string;
  readonly base_type: string;
  readonly database_position: number;
  readonly database_required: boolean;
  readonly database_is_auto_increment: boolean;
  readonly database_is_pk: boolean;
  readonly semantic_type: string | null;
  /** `table.field` of the resolved FK target (fixtures keep FKs within one schema), or null. */
  readonly fk_target: string | null;
  readonly database_indexed: boolean;
  /** The column comment. */
  readonly description: string | null;
}

export interface ExpectedTable {
  readonly schema: string | null;
  readonly name: string;
  readonly kind: 'table' | 'view';
  readonly description: string | null;
  readonly fields: readonly ExpectedField[];
}

/** One warehouse made for one test: its connection details, a way to change it, and its removal. */
export interface Warehouse {
  readonly details: Readonly<Record<string, unknown>>;
  /** Runs statements against the warehouse with a writing session, closed again before it returns. */
  exec(...statements: string[]): Promise<void>;
  cleanup(): Promise<void>;
}

export interface EngineFixture {
  readonly engine: Engine;
  /** The schema of the fixture's main tables in the catalog: null on engines without schemas. */
  readonly schema: string | null;
  /** The `schema_name` sent to new-table (echoed as received on engines without schemas, notify-api X20). */
  readonly schemaName: string;
  /** A new, empty warehouse. */
  create(): Promise<Warehouse>;
  readonly ddl: readonly string[];
  /** The whole catalog after a database-level metadata sync of `ddl`, ordered by (schema, name). */
  readonly expected: readonly ExpectedTable[];
  /** Rows for the analysis case: 3 regions and 4 customers (see analysis.test.ts). */
  readonly seed: readonly string[];
  /** Adds one column to `table`; `field` is what the catalog must then hold for it. */
  readonly addColumn: { readonly table: string; readonly sql: string; readonly field: ExpectedField };
  /** A table created and dropped by the new-table and retire cases. */
  readonly lateTable: { readonly name: string; readonly create: string; readonly drop: string };
  /** DDL of `count` more tables, each with a PK, an FK and an index, for the query-count case. */
  extraTables(count: number): string[];
  /** Warehouse statements of one database-level metadata sync (the `sync` operation's `warehouse-queries`). */
  readonly catalogQueries: number;
}

type FieldFlags = Partial<{
  required: boolean;
  auto: boolean;
  pk: boolean;
  fk: string;
  indexed: boolean;
  semantic: string;
  comment: string;
}>;

/** A field without its position, which `table` assigns in column order. */
export type FieldSpec = Omit<ExpectedField, 'database_position'>;

/** Semantic type per sync-engine.md 3.3.3 and 3.4: an FK mark wins over PK, PK over the driver's hint. */
export function field(name: string, databaseType: string, baseType: string, flags: FieldFlags = {}): FieldSpec {
  const semantic = flags.fk ? 'type/FK' : flags.pk ? 'type/PK' : (flags.semantic ?? null);
  return {
    name,
    database_type: databaseType,
    base_type: baseType,
    database_required: flags.required ?? false,
    database_is_auto_increment: flags.auto ?? false,
    database_is_pk: flags.pk ?? false,
    semantic_type: semantic,
    fk_target: flags.fk ?? null,
    database_indexed: flags.indexed ?? false,
    description: flags.comment ?? null,
  };
}

export function table(
  schema: string | null,
  name: string,
  kind: 'table' | 'view',
  description: string | null,
  fields: readonly FieldSpec[],
): ExpectedTable {
  return { schema, name, kind, description, fields: fields.map((f, i) => ({ ...f, database_position: i })) };
}

type Identity = { readonly schema: string | null; readonly name: string };

/** Byte order of (schema, name), the order of the catalog listing. */
export function byIdentity(a: Identity, b: Identity): number {
  const key = (t: Identity) => `${t.schema ?? ''}\u0000${t.name}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
