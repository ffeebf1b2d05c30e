// Opens the application database: SQLite through better-sqlite3 (default) or PostgreSQL through pg, both behind one
// Kysely<AppSchema>. Timestamps come back as ISO strings and JSON columns as text on both backends.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  Kysely,
  OperationNodeTransformer,
  PostgresDialect,
  SqliteDialect,
  sql,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PrimitiveValueListNode,
  type PluginTransformResultArgs,
  type QueryResult,
  type RawBuilder,
  type RootOperationNode,
  type SqliteDatabase,
  type UnknownRow,
  type ValueNode,
} from 'kysely';
import type { AppSchema } from './schema.ts';

export type AppDbKind = 'sqlite' | 'postgres';

export interface AppDb {
  readonly kind: AppDbKind;
  readonly db: Kysely<AppSchema>;
  /** The application database's clock, as an SQL expression of the timestamp column type. */
  now(): RawBuilder<string>;
  close(): Promise<void>;
  /** Connection pool counts (PostgreSQL only; SQLite has its one connection). */
  readonly poolStats?: () => { total: number; idle: number; waiting: number; max: number };
}

export type AppDbOptions =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; connectionUri: string; max?: number };

export function openAppDb(options: AppDbOptions): AppDb {
  return options.kind === 'sqlite' ? openSqlite(options.file) : openPostgres(options.connectionUri, options.max ?? 10);
}

function openSqlite(file: string): AppDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma('cache_size = -65536');
  // A cold sync writes the same catalog pages (tables' hashes and JSON, index pages) again and again: checkpointing
  // every 10,000 pages instead of SQLite's 1,000 writes each back less often (its commits took 30 to 50% less time
  // at 10,000 tables, BENCHMARKS.md). The WAL file is cut back to 64 MB after a checkpoint.
  database.pragma('wal_autocheckpoint = 10000');
  database.pragma('journal_size_limit = 67108864');
  const db = new Kysely<AppSchema>({
    dialect: new SqliteDialect({ database: withStatementCache(database) }),
    plugins: [new SqliteBooleanPlugin()],
  });
  let closed = false;
  return {
    kind: 'sqlite',
    db,
    now: () => sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew; a sync runs the same few statements thousands of times, so prepared statements
 * are kept per SQL text (bounded, least recently used first out). Safe because Kysely runs one query at a time on
 * this single connection, so a cached statement is never in use twice.
 */
function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = database.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

const TIMESTAMPTZ_OID = 1184;
const TIMESTAMP_OID = 1114;
const INT8_OID = 20;

/**
 * Every statement of the PostgreSQL application database ends within 2 minutes (the longest seen is a batch write of
 * a few thousand rows, well under a second), and a session left idle inside a transaction is ended after 5 minutes,
 * so that a stuck catalog statement or a forgotten transaction cannot hold locks and connections forever.
 */
export const APP_STATEMENT_TIMEOUT_MS = 120_000;
export const APP_IDLE_IN_TRANSACTION_TIMEOUT_MS = 300_000;

function openPostgres(connectionString: string, max: number): AppDb {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === TIMESTAMPTZ_OID || oid === TIMESTAMP_OID) return (v: string) => new Date(v).toISOString();
      if (oid === INT8_OID) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({
    connectionString,
    max,
    types,
    connectionTimeoutMillis: 15_000,
    idleTimeoutMillis: 60_000,
    statement_timeout: APP_STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: APP_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  });
  // A connection killed by the server (restart, terminate) must not crash the process: an idle one is replaced by the
  // pool, and a checked-out one (which pg leaves without an 'error' listener) fails its query, which reports it.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<AppSchema>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    kind: 'postgres',
    db,
    // clock_timestamp(), not now(): now() is the transaction's start, so a claim whose transaction began before a
    // completion committed could record a start earlier than that completion's end. The instant of the write keeps
    // one database's job intervals ordered as their commits are.
    now: () => sql<string>`clock_timestamp()`,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** better-sqlite3 cannot bind JS booleans: bind them as 0 and 1, as the SQLite columns store them. */
class SqliteBooleanPlugin implements KyselyPlugin {
  readonly #transformer = new (class extends OperationNodeTransformer {
    protected override transformValue(node: ValueNode): ValueNode {
      const value = node.value;
      return typeof value === 'boolean' ? { ...node, value: value ? 1 : 0 } : super.transformValue(node);
    }

    protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
      return { ...node, values: node.values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)) };
    }
  })();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
