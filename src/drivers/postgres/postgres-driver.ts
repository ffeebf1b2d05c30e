// The PostgreSQL warehouse driver (sync-engine.md 4): pooled read-only sessions, one streamed catalog statement per
// describe call, client-side abort plus server-side statement_timeout on every call, errors wrapped in DriverError.
import { connect as netConnect } from 'node:net';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { pushedRows } from './pushed-rows.ts';
import {
  DriverError,
  type DbmsVersion,
  type DriverCapabilities,
  type ChangedFieldsOptions,
  type DriverOptions,
  type FieldDigest,
  type FieldMetadata,
  type ForeignKeyMetadata,
  type IndexMetadata,
  type SampleField,
  type Scope,
  type TableMetadata,
  type TableRef,
  type WarehouseDriver,
  type BudgetField,
  type BudgetOptions,
  type BudgetedValues,
  fieldSummaryOf,
  type FieldSummary,
} from '../driver.ts';
import { fieldSummaryQuery } from './postgres-summary.ts';
import { readTls, tlsOptions, type TlsSettings } from '../tls.ts';
import { sanitize } from '../../errors.ts';
import {
  columnDigestsQuery,
  columnPositions,
  columnsQuery,
  foreignKeysQuery,
  indexesQuery,
  mapColumn,
  mapForeignKey,
  mapIndex,
  mapTable,
  scopedRefs,
  tablesQuery,
  type CatalogQuery,
  type PgColumnDigestRow,
  type PgColumnRow,
  type PgForeignKeyRow,
  type PgIndexRow,
  type PgTableRow,
} from './postgres-introspector.ts';
import {
  DATA_SESSION_OPTIONS,
  SAMPLE_TYPES,
  boundedDistinctQuery,
  distinctValuesQuery,
  groupDistinctRows,
  looseScanQuery,
  samplePercent,
  sampleQuery,
  sampleStatsOf,
  sampleStatsQuery,
} from './postgres-sampling.ts';
import { CONNECT_ERRORS, errorContextOf, type ErrorContext } from '../network-errors.ts';
import { parseSchemaFilter, type SchemaFilter } from '../schema-filter.ts';

export type { ErrorContext } from '../network-errors.ts';

const FETCH_SIZE = 1000;
/** Catalog rows that may wait unread before the listing's socket is paused (pushed-rows.ts). */
const LISTING_HIGH_WATER = 5000;
const IDLE_TIMEOUT_MS = 60_000;
const LOCK_TIMEOUT_MS = 10_000;

const CAPABILITIES: DriverCapabilities = Object.freeze({
  schemas: true,
  foreignKeys: true,
  indexes: true,
  comments: true,
  rowCountEstimates: true,
  stableObjectIds: true,
  caseInsensitiveIdentifiers: false,
  batchedDistinctValues: true,
});

export interface PostgresDetails {
  readonly host: string;
  readonly port: number;
  readonly dbname: string;
  readonly user: string;
  readonly password: string | undefined;
  readonly tls: TlsSettings;
  readonly schemaFilter: SchemaFilter | null;
}

/** Reads details already validated by the API (notify-api 6.3), filling in the defaults. */
export function readPostgresDetails(details: Readonly<Record<string, unknown>>): PostgresDetails {
  return Object.freeze({
    host: String(details.host),
    port: details.port == null ? 5432 : Number(details.port),
    dbname: String(details.dbname),
    user: String(details.user),
    password: typeof details.password === 'string' ? details.password : undefined,
    tls: readTls('postgres', details),
    schemaFilter: parseSchemaFilter(details['schema-filters-type'], details['schema-filters-patterns']),
  });
}

/**
 * One session's client settings. Session settings travel as startup parameters so that they cost no statement; an
 * explicit empty password keeps pg from falling back to PGPASSWORD or ~/.pgpass; TLS as the details ask (tls.ts:
 * verified unless the mode says otherwise). `sessionOptions` adds `-c` settings (the data sessions').
 */
export function postgresClientConfig(
  details: PostgresDetails,
  statementTimeoutMs: number,
  sessionOptions?: string,
): pg.ClientConfig {
  return {
    host: details.host,
    port: details.port,
    database: details.dbname,
    user: details.user,
    password: details.password ?? '',
    ssl: tlsOptions(details.tls),
    application_name: 'catalog-sync',
    options: ['-c default_transaction_read_only=on', ...(sessionOptions ? [sessionOptions] : [])].join(' '),
    lock_timeout: LOCK_TIMEOUT_MS,
    statement_timeout: statementTimeoutMs,
  };
}

/** "15.18 (Debian 15.18-1.pgdg120+1)" → "15.18"; "17devel" → "17". */
export function parseServerVersion(serverVersion: string): string {
  return /^\s*(\d+(?:\.\d+)*)/.exec(serverVersion)?.[1] ?? serverVersion.trim();
}

const CONNECTION_SQLSTATES = new Set(['57P01', '57P03', '53300', '3D000']);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return error instanceof AggregateError ? errorCode(error.errors[0]) : undefined;
}

function isTlsError(code: string | undefined, message: string): boolean {
  if (message.includes('does not support SSL')) return true;
  if (code === undefined) return false;
  return code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code === 'EPROTO';
}

/** Maps anything thrown while talking to the warehouse to a DriverError with a sanitized, SQL-free message (4.6). */
export function toDriverError(error: unknown, context: ErrorContext): DriverError {
  if (error instanceof DriverError) return error;
  const wrap = (code: DriverError['code'], message: string) =>
    new DriverError(code, 'postgres', sanitize(message, context.secrets), { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  const where = `${context.host}:${context.port}`;
  if (error instanceof pg.DatabaseError) {
    const sqlState = error.code ?? '';
    if (sqlState.startsWith('08') || CONNECTION_SQLSTATES.has(sqlState)) return wrap('CONNECTION_FAILED', message);
    if (sqlState.startsWith('28')) return wrap('AUTH_FAILED', message);
    if (sqlState === '57014') return wrap('TIMEOUT', message);
    if (sqlState === '42501') return wrap('PERMISSION_DENIED', message);
    return wrap('QUERY_FAILED', message);
  }
  const code = errorCode(error);
  if (code !== undefined && Object.hasOwn(CONNECT_ERRORS, code)) {
    return wrap('CONNECTION_FAILED', `could not connect to ${where}: ${CONNECT_ERRORS[code]}`);
  }
  if (isTlsError(code, message)) return wrap('CONNECTION_FAILED', `could not connect to ${where}: TLS: ${message}`);
  if (message.includes('connection timeout') || message === 'timeout exceeded when trying to connect') {
    return wrap('CONNECTION_FAILED', `could not connect to ${where}: timed out after ${context.connectTimeoutMs} ms`);
  }
  if (message.startsWith('Connection terminated')) {
    return wrap('CONNECTION_FAILED', `connection to ${where} closed unexpectedly`);
  }
  return wrap('QUERY_FAILED', message);
}

/** Sends a CancelRequest for a backend (the protocol's out-of-band cancel; not an SQL statement). */
function cancelBackend(details: PostgresDetails, client: pg.PoolClient): void {
  const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null };
  if (processID === null || secretKey === null) return;
  const request = Buffer.alloc(16);
  request.writeInt32BE(16, 0);
  request.writeInt32BE(80877102, 4);
  request.writeInt32BE(processID, 8);
  request.writeInt32BE(secretKey, 12);
  const socket = details.host.startsWith('/')
    ? netConnect({ path: `${details.host}/.s.PGSQL.${details.port}` })
    : netConnect({ host: details.host, port: details.port });
  socket.unref();
  socket.setTimeout(LOCK_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('connect', () => socket.end(request));
}

function interruption(signal: AbortSignal, timeoutMs: number | null): DriverError {
  if (signal.aborted) {
    return new DriverError('TIMEOUT', 'postgres', 'the warehouse call was cancelled', { cause: signal.reason });
  }
  return new DriverError('TIMEOUT', 'postgres', `the warehouse did not answer within ${timeoutMs} ms`);
}

/**
 * Settles with `work`, or rejects at once with TIMEOUT on abort or after waitMs (default timeoutMs, the timeout the
 * message names), calling onInterrupt first.
 */
function interruptible<T>(
  work: Promise<T>,
  signal: AbortSignal,
  timeoutMs: number | null,
  onInterrupt: () => void,
  waitMs: number | null = timeoutMs,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const interrupt = () => {
      cleanup();
      onInterrupt();
      reject(interruption(signal, timeoutMs));
    };
    const timer = waitMs === null ? undefined : setTimeout(interrupt, Math.max(0, waitMs));
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', interrupt);
    };
    if (signal.aborted) return interrupt();
    signal.addEventListener('abort', interrupt, { once: true });
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** A checked-out connection; an interrupted wait cancels the backend and destroys the connection. */
class Lease {
  readonly client: pg.PoolClient;
  readonly #details: PostgresDetails;
  #released = false;

  constructor(client: pg.PoolClient, details: PostgresDetails) {
    this.client = client;
    this.#details = details;
  }

  /** Waits at most `waitMs` (default `timeoutMs`, the statement's timeout that an error names). */
  wait<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number, waitMs: number = timeoutMs): Promise<T> {
    const interrupt = () => {
      cancelBackend(this.#details, this.client);
      this.release(new Error('interrupted'));
    };
    return interruptible(work, signal, timeoutMs, interrupt, waitMs);
  }

  /** With an error the pool destroys the connection instead of keeping it. */
  release(error?: Error): void {
    if (this.#released) return;
    this.#released = true;
    this.client.release(error);
  }
}

/** probe: connect timeout; catalog: catalog query timeout; data: sample and distinct-values statements (4.5). */
type Purpose = 'probe' | 'catalog' | 'data';

class PostgresDriver implements WarehouseDriver {
  readonly engine = 'postgres' as const;
  readonly #details: PostgresDetails;
  readonly #options: DriverOptions;
  readonly #errorContext: ErrorContext;
  readonly #pools = new Map<string, pg.Pool>();
  readonly #ending = new Set<Promise<void>>();
  #queryCount = 0;
  #closed = false;

  constructor(details: PostgresDetails, options: DriverOptions) {
    this.#details = details;
    this.#options = options;
    this.#errorContext = errorContextOf(details, options);
  }

  get queryCount(): number {
    return this.#queryCount;
  }

  async capabilities(signal: AbortSignal): Promise<DriverCapabilities> {
    if (signal.aborted) throw interruption(signal, null);
    return CAPABILITIES;
  }

  async testConnection(signal: AbortSignal): Promise<void> {
    await this.#probe('SELECT 1', signal);
  }

  async dbmsVersion(signal: AbortSignal): Promise<DbmsVersion> {
    const [row] = await this.#probe<{ server_version: string }>('SHOW server_version', signal);
    return Object.freeze({ flavor: 'PostgreSQL', version: parseServerVersion(row.server_version) });
  }

  async timezone(signal: AbortSignal): Promise<string | null> {
    const [row] = await this.#probe<{ TimeZone: string }>('SHOW TimeZone', signal);
    return row.TimeZone || null;
  }

  describeTables(scope: Scope, signal: AbortSignal): AsyncIterable<TableMetadata> {
    return this.#stream(this.#query(scope, tablesQuery), signal, (row: PgTableRow) => mapTable(row));
  }

  /** The scoped describeTables statement for one ref, under the probe timeout. */
  async tableExists(ref: TableRef, signal: AbortSignal): Promise<TableMetadata | null> {
    if (signal.aborted) throw interruption(signal, null);
    if (ref.schema === null) return null;
    const query = tablesQuery({ schemas: [ref.schema], names: [ref.name] }, this.#details.schemaFilter);
    const [row] = await this.#probe<PgTableRow>(query, signal);
    return row === undefined ? null : mapTable(row);
  }

  describeFields(scope: Scope, signal: AbortSignal): AsyncIterable<FieldMetadata> {
    const positionOf = columnPositions();
    return this.#stream(this.#query(scope, columnsQuery), signal, (row: PgColumnRow) => mapColumn(row, positionOf(row)));
  }

  /**
   * The digests and then the changed tables' listing in one REPEATABLE READ transaction (one snapshot of the
   * catalog, so that what is listed is what was digested); BEGIN and COMMIT count as statements.
   */
  async *describeChangedFields(
    scope: Scope,
    isUnchanged: (digest: FieldDigest) => boolean,
    signal: AbortSignal,
    options: ChangedFieldsOptions,
  ): AsyncGenerator<FieldMetadata> {
    if (signal.aborted) throw interruption(signal, null);
    if (options.mostlyChanged) {
      yield* this.#listWithDigests(scope, isUnchanged, signal);
      return;
    }
    const digestQuery = this.#query(scope, columnDigestsQuery);
    if (digestQuery === null) return;
    const timeoutMs = this.#options.catalogQueryTimeoutMs;
    let lease: Lease | undefined;
    let done = false;
    try {
      lease = await this.#lease('catalog', timeoutMs, signal);
      await this.#statement(lease, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', signal);
      const changed = new Set<string>();
      const refs: { schemas: string[]; names: string[] } = { schemas: [], names: [] };
      let digested = 0;
      for await (const row of this.#pushed<PgColumnDigestRow>(lease, digestQuery, signal)) {
        digested += 1;
        const digest = { tableSchema: row.nspname, tableName: row.relname, fields: row.fields, digest: row.digest };
        if (isUnchanged(Object.freeze(digest))) continue;
        changed.add(`${row.nspname}\u0000${row.relname}`);
        refs.schemas.push(row.nspname);
        refs.names.push(row.relname);
      }
      if (changed.size > 0) {
        // More than half the database changed: its one listing, filtered, costs less than the scoped one.
        const whole = scope.kind === 'database' && changed.size * 2 > digested;
        const listing = columnsQuery(whole ? null : refs, this.#details.schemaFilter);
        const positionOf = columnPositions();
        for await (const row of this.#pushed<PgColumnRow>(lease, listing, signal)) {
          const position = positionOf(row);
          if (!whole || changed.has(`${row.nspname}\u0000${row.relname}`)) yield mapColumn(row, position);
        }
      }
      done = true;
      await this.#endReadOnly(lease, signal);
    } catch (error) {
      done = true;
      lease?.release(error instanceof Error ? error : new Error(String(error)));
      throw toDriverError(error, this.#errorContext);
    } finally {
      // Stopped early: a listing may still run on the server, in an open transaction; the connection is discarded.
      if (!done && lease) lease.release(new Error('listing stopped before its end'));
    }
  }

  /**
   * Most tables changed: one listing whose rows carry their hash, summed per table into the digest that
   * columnDigestsQuery computes on the server; a table's rows wait until its digest is known.
   */
  async *#listWithDigests(
    scope: Scope,
    isUnchanged: (digest: FieldDigest) => boolean,
    signal: AbortSignal,
  ): AsyncGenerator<FieldMetadata> {
    const query = this.#query(scope, (refs, filter) => columnsQuery(refs, filter, true));
    let rows: PgColumnRow[] = [];
    let sum = 0n;
    function* table(): Generator<FieldMetadata> {
      if (rows.length === 0) return;
      const [{ nspname, relname }] = rows;
      const digest = { tableSchema: nspname, tableName: relname, fields: rows.length, digest: sum.toString() };
      if (isUnchanged(Object.freeze(digest))) return;
      for (let position = 0; position < rows.length; position++) yield mapColumn(rows[position], position);
    }
    for await (const row of this.#stream(query, signal, (r: PgColumnRow) => r)) {
      if (rows.length > 0 && (row.relname !== rows[0].relname || row.nspname !== rows[0].nspname)) {
        yield* table();
        rows = [];
        sum = 0n;
      }
      rows.push(row);
      sum += BigInt(row.row_hash as string);
    }
    yield* table();
  }

  describeForeignKeys(scope: Scope, signal: AbortSignal): AsyncIterable<ForeignKeyMetadata> {
    return this.#stream(this.#query(scope, foreignKeysQuery), signal, (row: PgForeignKeyRow) => mapForeignKey(row));
  }

  describeIndexes(scope: Scope, signal: AbortSignal): AsyncIterable<IndexMetadata> {
    return this.#stream(this.#query(scope, indexesQuery), signal, (row: PgIndexRow) => mapIndex(row));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all([...pools.map((pool) => pool.end()), ...this.#ending]);
  }

  /** The one sample statement (4.5): streamed, normalized by the data session's type parsers. */
  sampleRows(
    table: TableRef,
    fields: readonly SampleField[],
    opts: { readonly limit: number; readonly textTruncate: number },
    signal: AbortSignal,
  ): AsyncIterable<readonly unknown[]> {
    const query = fields.length === 0 ? null : sampleQuery(table, fields, opts);
    const timeoutMs = this.#options.sampleQueryTimeoutMs;
    return this.#stream(query, signal, (row: unknown[]) => row, { purpose: 'data', timeoutMs, rows: 'array' });
  }

  /** Row count and distinct count of one field (GET /api/field/:id/summary), under the field-values timeout. */
  async fieldSummary(table: TableRef, field: string, signal: AbortSignal): Promise<FieldSummary> {
    const how = { purpose: 'data', timeoutMs: this.#options.fieldValuesQueryTimeoutMs, rows: 'array' } as const;
    const rows: unknown[][] = [];
    const query = fieldSummaryQuery(table, field);
    for await (const row of this.#stream(query, signal, (r: unknown[]) => r, how)) rows.push(row);
    return fieldSummaryOf(rows[0]);
  }

  /** One statement for all fields (batchedDistinctValues), under the per-field timeout once per field (4.5, 8.7). */
  async distinctValues(
    table: TableRef,
    fields: readonly string[],
    opts: { readonly limit: number },
    signal: AbortSignal,
  ): Promise<readonly (readonly unknown[])[]> {
    if (fields.length === 0) {
      if (signal.aborted) throw interruption(signal, null);
      return [];
    }
    const timeoutMs = this.#options.fieldValuesQueryTimeoutMs * fields.length;
    const rows: unknown[][] = [];
    const how = { purpose: 'data', timeoutMs, rows: 'array' } as const;
    for await (const row of this.#stream(distinctValuesQuery(table, fields, opts), signal, (r: unknown[]) => r, how)) {
      rows.push(row);
    }
    return groupDistinctRows(rows, fields.length);
  }

  /**
   * A loose index scan (exact), or a TABLESAMPLE SYSTEM read of at most the budget's rows sized by the table's block
   * statistics (samplePercent), each statement under the field-values timeout (issue 11).
   */
  async budgetedValues(
    table: TableRef,
    field: BudgetField,
    opts: BudgetOptions,
    signal: AbortSignal,
  ): Promise<BudgetedValues> {
    const how = { purpose: 'data', timeoutMs: this.#options.fieldValuesQueryTimeoutMs, rows: 'array' } as const;
    const values: unknown[] = [];
    if (field.indexed) {
      for await (const [value] of this.#stream(looseScanQuery(table, field.name, opts), signal, (r: unknown[]) => r, how)) {
        values.push(value);
      }
      return { values, exact: true };
    }
    let stats: unknown[] | undefined;
    for await (const row of this.#stream(sampleStatsQuery(table), signal, (r: unknown[]) => r, how)) stats = row;
    const percent = samplePercent(sampleStatsOf(stats, opts.estimate), opts.rowBudget, opts.estimate);
    const query = boundedDistinctQuery(table, field.name, { limit: opts.limit, rowBudget: opts.rowBudget, percent });
    for await (const [value] of this.#stream(query, signal, (r: unknown[]) => r, how)) {
      if (value !== null) values.push(value);
    }
    return { values: values.slice(0, opts.limit), exact: false };
  }

  /** null when a table scope names no table PostgreSQL could have (every ref with a null schema). */
  #query(
    scope: Scope,
    build: (refs: { schemas: string[]; names: string[] } | null, filter: SchemaFilter | null) => CatalogQuery,
  ): CatalogQuery | null {
    const refs = scope.kind === 'database' ? null : scopedRefs(scope.tables);
    if (refs !== null && refs.schemas.length === 0) return null;
    return build(refs, this.#details.schemaFilter);
  }

  /**
   * Each statement's server-side statement_timeout is a startup parameter of its connection, so no SET statement is
   * sent or counted. There are at most two connections per database: the probe pool's, and one pool for statements
   * (catalog, sample, distinct values) keyed by its timeout; a statement that needs another timeout replaces that
   * pool, closing its idle connection first. Data sessions also fix TimeZone and DateStyle for normalization (4.5).
   */
  #pool(purpose: Purpose, timeoutMs: number): pg.Pool {
    if (this.#closed) throw new DriverError('CONNECTION_FAILED', 'postgres', 'the driver is closed');
    const key = purpose === 'probe' ? purpose : `${purpose}:${timeoutMs}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      for (const [other, replaced] of this.#pools) {
        if (other === 'probe') continue;
        this.#pools.delete(other);
        const ending = replaced.end().catch(() => undefined);
        this.#ending.add(ending);
        void ending.then(() => this.#ending.delete(ending));
      }
      const session = purpose === 'data' ? DATA_SESSION_OPTIONS : undefined;
      pool = new pg.Pool({
        ...postgresClientConfig(this.#details, timeoutMs, session),
        max: 1,
        idleTimeoutMillis: IDLE_TIMEOUT_MS,
        connectionTimeoutMillis: this.#options.connectTimeoutMs,
        allowExitOnIdle: true,
      });
      // An idle connection that dies is dropped by the pool; the next call reconnects and reports its own error. A
      // checked-out one that dies fails its query, which reports it; pg leaves it without an 'error' listener.
      pool.on('error', () => undefined);
      pool.on('connect', (client) => client.on('error', () => undefined));
      this.#pools.set(key, pool);
    }
    return pool;
  }

  async #lease(purpose: Purpose, timeoutMs: number, signal: AbortSignal): Promise<Lease> {
    const pending = this.#pool(purpose, timeoutMs).connect();
    const client = await interruptible(pending, signal, null, () => {
      pending.then((late) => late.release(), () => undefined);
    });
    return new Lease(client, this.#details);
  }

  async #probe<R extends pg.QueryResultRow>(text: string | CatalogQuery, signal: AbortSignal): Promise<R[]> {
    const query = typeof text === 'string' ? { text, values: [] } : text;
    let lease: Lease | undefined;
    try {
      lease = await this.#lease('probe', this.#options.connectTimeoutMs, signal);
      const work = lease.client.query<R>(query.text, [...query.values]);
      this.#queryCount += 1;
      const result = await lease.wait(work, signal, this.#options.connectTimeoutMs);
      lease.release();
      return result.rows;
    } catch (error) {
      lease?.release(error instanceof Error ? error : new Error(String(error)));
      throw toDriverError(error, this.#errorContext);
    }
  }

  /**
   * Commits a read-only transaction whose rows were all read. One that fails to end (the server's
   * idle_in_transaction_session_timeout while the last rows were consumed, say) loses nothing but its connection.
   */
  async #endReadOnly(lease: Lease, signal: AbortSignal): Promise<void> {
    try {
      await this.#statement(lease, 'COMMIT', signal);
      lease.release();
    } catch (error) {
      lease.release(error instanceof Error ? error : new Error(String(error)));
      if (signal.aborted) throw interruption(signal, null);
    }
  }

  /** One statement without rows on a leased connection, under the catalog timeout. */
  async #statement(lease: Lease, text: string, signal: AbortSignal): Promise<void> {
    const work = lease.client.query(text);
    this.#queryCount += 1;
    await lease.wait(work, signal, this.#options.catalogQueryTimeoutMs);
  }

  /** A catalog listing on a leased connection as the server pushes it (pushed-rows.ts), under the catalog timeout. */
  async *#pushed<R>(lease: Lease, query: CatalogQuery, signal: AbortSignal): AsyncGenerator<R> {
    const timeoutMs = this.#options.catalogQueryTimeoutMs;
    let waited = 0;
    const wait = async (next: Promise<void>) => {
      const started = performance.now();
      await lease.wait(next, signal, timeoutMs, timeoutMs - waited);
      waited += performance.now() - started;
    };
    this.#queryCount += 1;
    for await (const rows of pushedRows<R>(lease.client, query.text, query.values, { highWater: LISTING_HIGH_WATER, wait })) {
      yield* rows;
    }
  }

  /**
   * Streams one statement: a catalog listing as the server pushes it (pushed-rows.ts), a data statement through a
   * cursor, FETCH_SIZE rows per round trip (its rows have no bounded width). The statement's timeout (the catalog
   * timeout unless `how` says otherwise) covers all its fetches together: on the client, the time spent waiting for
   * the warehouse, so that a slow link cannot stretch a listing read by read; on the server, statement_timeout
   * (measured on PostgreSQL 15: it counts from the first Execute, the consumer's time between fetches included).
   * Data statements read rows as arrays with the data parsers.
   */
  async *#stream<R, T>(
    query: CatalogQuery | null,
    signal: AbortSignal,
    map: (row: R) => T,
    how: { readonly purpose: Purpose; readonly timeoutMs: number; readonly rows: 'array' } | null = null,
  ): AsyncGenerator<T> {
    if (signal.aborted) throw interruption(signal, null);
    if (query === null) return;
    const purpose = how?.purpose ?? 'catalog';
    const timeoutMs = how?.timeoutMs ?? this.#options.catalogQueryTimeoutMs;
    const config = how === null ? undefined : { rowMode: how.rows, types: SAMPLE_TYPES };
    let lease: Lease | undefined;
    let cursor: Cursor<R> | undefined;
    let done = false;
    try {
      lease = await this.#lease(purpose, timeoutMs, signal);
      if (how === null) {
        // Catalog listings: rows of bounded width, pushed by the server while the consumer works (pushed-rows.ts).
        for await (const row of this.#pushed<R>(lease, query, signal)) yield map(row);
        done = true;
        lease.release();
        return;
      }
      cursor = lease.client.query(new Cursor<R>(query.text, [...query.values], config));
      this.#queryCount += 1;
      let waited = 0;
      for (;;) {
        const started = performance.now();
        const rows = await lease.wait(cursor.read(FETCH_SIZE), signal, timeoutMs, timeoutMs - waited);
        waited += performance.now() - started;
        for (const row of rows) yield map(row);
        if (rows.length < FETCH_SIZE) break;
      }
      done = true;
      lease.release();
    } catch (error) {
      done = true;
      lease?.release(error instanceof Error ? error : new Error(String(error)));
      throw toDriverError(error, this.#errorContext);
    } finally {
      if (!done && lease && cursor) await this.#closeEarly(lease, cursor, signal);
      // A listing stopped early is still running on the server: the connection is discarded.
      else if (!done && lease) lease.release(new Error('listing stopped before its end'));
    }
  }

  /** The consumer stopped early: close the portal and keep the connection, or drop it when that fails. */
  async #closeEarly<R>(lease: Lease, cursor: Cursor<R>, signal: AbortSignal): Promise<void> {
    try {
      await lease.wait(cursor.close(), signal, this.#options.connectTimeoutMs);
      lease.release();
    } catch (error) {
      lease.release(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

export function createPostgresDriver(
  details: Readonly<Record<string, unknown>>,
  options: DriverOptions,
): WarehouseDriver {
  return new PostgresDriver(readPostgresDetails(details), options);
}
