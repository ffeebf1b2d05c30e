// Database rows (sync-engine.md section 2.3, notify-api.md section 6.3): the stored shape of connection details with
// their defaults, insert with the id-derived default schedules (8.8), registration with its initial full sync, reads.
import type { Selectable } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import type { DatabaseRow } from '../db/schema.ts';
import type { Engine } from '../drivers/driver.ts';
import { enqueue } from '../jobs/queue.ts';
import type { Plan, Trigger } from '../jobs/types.ts';
import { detailsCodecOf } from './details-codec.ts';

/** A row as the repository returns it: `details` is always the decrypted JSON text. */
export type DatabaseRecord = Selectable<DatabaseRow>;

/** The stored text of details: every write of `metabase_database.details` goes through this (details-codec.ts). */
export function encodeDetails(appDb: AppDb, details: Readonly<Record<string, unknown>>): string {
  return detailsCodecOf(appDb).encode(details);
}

/** Stored details as an object, decrypted when encrypted; every read of the column goes through this. */
export function decodeDetails(appDb: AppDb, stored: string): Record<string, unknown> {
  return detailsCodecOf(appDb).decode(stored);
}

function decoded(appDb: AppDb, row: DatabaseRecord): DatabaseRecord {
  return { ...row, details: detailsCodecOf(appDb).decodeText(row.details) };
}

/** The largest value the catalog's id columns hold; larger ids name no row and never reach a query. */
export const MAX_ID = 2_147_483_647;

export function isStorableId(id: number): boolean {
  return Number.isInteger(id) && id >= 1 && id <= MAX_ID;
}

/** Hourly at minute id mod 60, daily at hour id mod 24. */
export function defaultSchedules(id: number): { metadata_sync_schedule: string; cache_field_values_schedule: string } {
  return { metadata_sync_schedule: `0 ${id % 60} * * * ? *`, cache_field_values_schedule: `0 0 ${id % 24} * * ? *` };
}

export const FULL_DATABASE_PLAN: Plan = {
  metadata: { database: true },
  analyze: { database: true },
  field_values: { database: true },
};

/** `non-blank` keys are required; every other kind is optional (null or absent). */
export type DetailKind = 'non-blank' | 'port' | 'string' | 'boolean' | 'schema-filters-type';

export interface DetailKey {
  readonly key: string;
  readonly kind: DetailKind;
  /** Stored when the key is absent or null; keys without a default are then not stored. */
  readonly default?: string | number | boolean;
}

const SERVER_KEYS = (port: number): DetailKey[] => [
  { key: 'host', kind: 'non-blank' },
  { key: 'port', kind: 'port', default: port },
  { key: 'dbname', kind: 'non-blank' },
  { key: 'user', kind: 'non-blank' },
  { key: 'password', kind: 'string' },
  { key: 'ssl', kind: 'boolean', default: false },
  { key: 'ssl-mode', kind: 'string' },
];

const SCHEMA_FILTER_KEYS: DetailKey[] = [
  { key: 'schema-filters-type', kind: 'schema-filters-type' },
  { key: 'schema-filters-patterns', kind: 'string' },
];

const FILE_KEYS: DetailKey[] = [{ key: 'db', kind: 'non-blank' }];

/** The details keys of each engine, in the order they are stored (notify-api.md section 6.3). */
export const DETAIL_KEYS: Readonly<Record<Engine, readonly DetailKey[]>> = {
  postgres: [...SERVER_KEYS(5432), { key: 'ssl-root-cert', kind: 'string' }, ...SCHEMA_FILTER_KEYS],
  mysql: [...SERVER_KEYS(3306), { key: 'ssl-ca', kind: 'string' }, { key: 'additional-options', kind: 'string' }],
  sqlite: FILE_KEYS,
  duckdb: [...FILE_KEYS, ...SCHEMA_FILTER_KEYS, { key: 'enable-external-access', kind: 'boolean' }],
};

export const SCHEMA_FILTER_TYPES = ['inclusion', 'exclusion', 'all'] as const;

/** Stored details from validated values (undefined = absent or null): defaults filled, unknown keys dropped. */
export function normalizeDetails(engine: Engine, values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const { key, default: fallback } of DETAIL_KEYS[engine]) {
    const value = Object.hasOwn(values, key) ? values[key] : undefined;
    if (value !== undefined && value !== null) details[key] = value;
    else if (fallback !== undefined) details[key] = fallback;
  }
  return details;
}

export interface NewDatabase {
  readonly name: string;
  readonly engine: Engine;
  /** Already normalized (normalizeDetails). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly isAttachedDwh?: boolean;
  readonly isFullSync?: boolean;
}

/** Inserts the row, then sets the default schedules derived from the id it received; one transaction. */
export async function insertDatabase(appDb: AppDb, input: NewDatabase): Promise<DatabaseRecord> {
  const row = await appDb.db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('metabase_database')
      .values({
        name: input.name,
        engine: input.engine,
        details: encodeDetails(appDb, input.details),
        is_full_sync: input.isFullSync ?? true,
        is_on_demand: false,
        is_attached_dwh: input.isAttachedDwh ?? false,
        initial_sync_status: 'incomplete',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return await trx
      .updateTable('metabase_database')
      .set(defaultSchedules(id))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  return decoded(appDb, row);
}

/**
 * Registers a database as POST /api/database does after its connection test (and as start-up registers the sample
 * database): the row, then its initial full sync, queued on demand.
 */
export async function registerDatabase(
  appDb: AppDb,
  input: NewDatabase,
  trigger: Trigger,
): Promise<{ database: DatabaseRecord; jobId: number }> {
  const database = await insertDatabase(appDb, input);
  const queued = await enqueue(appDb, { databaseId: database.id, plan: FULL_DATABASE_PLAN, priority: 10, trigger });
  if (queued.kind !== 'enqueued') throw new Error(`The initial sync of database ${database.id} was not queued`);
  return { database, jobId: queued.jobId };
}

export async function countDatabases(appDb: AppDb): Promise<number> {
  const row = await appDb.db
    .selectFrom('metabase_database')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function getDatabase(appDb: AppDb, id: number): Promise<DatabaseRecord | undefined> {
  if (!isStorableId(id)) return undefined;
  const row = await appDb.db.selectFrom('metabase_database').selectAll().where('id', '=', id).executeTakeFirst();
  return row && decoded(appDb, row);
}

/** The database flagged as the attached data warehouse with the lowest id (notify-api.md X14). */
export async function getAttachedDatabase(appDb: AppDb): Promise<DatabaseRecord | undefined> {
  const row = await appDb.db
    .selectFrom('metabase_database')
    .selectAll()
    .where('is_attached_dwh', '=', true)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row && decoded(appDb, row);
}

/** Every database, unordered: the API sorts (compareDatabases). */
export async function listDatabases(appDb: AppDb): Promise<DatabaseRecord[]> {
  const rows = await appDb.db.selectFrom('metabase_database').selectAll().execute();
  return rows.map((row) => decoded(appDb, row));
}
