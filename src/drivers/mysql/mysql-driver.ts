// The MySQL/MariaDB warehouse driver (sync-engine.md 4): a pool of at most two read-only sessions, one streamed
// information_schema statement per describe call, a server-side and a client-side timeout on every statement (an
// interrupted statement destroys its connection), errors wrapped in DriverError.
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import mysql, { type Connection, type ConnectionOptions, type FieldPacket, type QueryOptions } from 'mysql2';
import {
  DriverError,
  type DbmsVersion,
  type DriverCapabilities,
  type DriverErrorCode,
  type DriverOptions,
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
import { fieldSummaryQuery } from './mysql-summary.ts';
import { mysqlTlsOptions, readTls, type TlsSettings } from '../tls.ts';
import { sanitize } from '../../errors.ts';
import {
  SERVER_FACTS_QUERY,
  columnsQuery,
  foreignKeysQuery,
  indexesQuery,
  mapColumn,
  mapForeignKey,
  mapIndex,
  mapServerFacts,
  mapTable,
  scopedNames,
  tablesQuery,
  withTimeout,
  type CatalogQuery,
  type MysqlColumnRow,
  type MysqlForeignKeyRow,
  type MysqlIndexRow,
  type MysqlServerFactsRow,
  type MysqlTableRow,
  type ServerFacts,
} from './mysql-introspector.ts';
import {
  boundedDistinctQuery,
  distinctValuesQuery,
  groupDistinctRows,
  rowEstimatesQuery,
  normalizeMysqlValue,
  rawValue,
  sampleQuery,
  type ResultColumn,
} from './mysql-sampling.ts';
import { parseAdditionalOptions, type AdditionalOptions } from './mysql-types.ts';
import { CONNECT_ERRORS, errorContextOf, type ErrorContext } from '../network-errors.ts';
import { consecutive } from '../row-groups.ts';

export type { ErrorContext } from '../network-errors.ts';

const MAX_CONNECTIONS = 2;
const IDLE_TIMEOUT_MS = 60_000;
const STREAM_HIGH_WATER_MARK = 1000;
/** A statement the server also times out gets this much longer on the client, so the server's timeout comes first. */
const SERVER_TIMEOUT_GRACE_MS = 1000;

export interface MysqlDetails {
  readonly host: string;
  readonly port: number;
  readonly dbname: string;
  readonly user: string;
  readonly password: string | undefined;
  readonly tls: TlsSettings;
  readonly options: AdditionalOptions;
}

/**
 * mysql2 checks the certificate's host name only for a host given by name: for an IP address it checks "localhost"
 * instead (measured against MariaDB 10.11, test/drivers/mysql/mysql-tls.test.ts), before the password is sent, where
 * nothing of ours can step in. A verified identity therefore needs a host name.
 */
const IDENTITY_NEEDS_A_NAME =
  'VERIFY_IDENTITY ("ssl": true without "ssl-mode") checks the server certificate against the host name, and the ' +
  'MySQL client cannot check it against an IP address: give the server\'s DNS name as "host", or use "ssl-mode" ' +
  'VERIFY_CA.';

/** Reads details already validated by the API (notify-api 6.3), filling in the defaults. */
export function readMysqlDetails(details: Readonly<Record<string, unknown>>): MysqlDetails {
  const host = String(details.host);
  const tls = readTls('mysql', details);
  if (tls.level === 'verify-full' && isIP(host) !== 0) {
    throw new DriverError('CONNECTION_FAILED', 'mysql', IDENTITY_NEEDS_A_NAME);
  }
  return Object.freeze({
    host,
    port: details.port == null ? 3306 : Number(details.port),
    dbname: String(details.dbname),
    user: String(details.user),
    password: typeof details.password === 'string' ? details.password : undefined,
    tls,
    options: parseAdditionalOptions(details['additional-options']),
  });
}

/**
 * One session's client settings. An absent password is sent as empty; TLS as the details ask (tls.ts: verified
 * unless the mode says otherwise); LOAD DATA LOCAL is refused, so a server can never ask for a local file.
 */
export function mysqlConnectionConfig(details: MysqlDetails, connectTimeoutMs: number): ConnectionOptions {
  return {
    host: details.host,
    port: details.port,
    database: details.dbname,
    user: details.user,
    password: details.password ?? '',
    ssl: mysqlTlsOptions(details.tls),
    connectTimeout: connectTimeoutMs,
    supportBigNumbers: true,
    multipleStatements: false,
    flags: ['-LOCAL_FILES'],
    connectAttributes: { program_name: 'catalog-sync' },
  };
}

/**
 * The statements that open every session: read-only (4.6); UTC, so that TIMESTAMP values read as instants; and a
 * net_write_timeout as long as a catalog query may take, so that a stream the consumer reads slowly is not cut off by
 * the server's 60-second default.
 */
export function sessionStatements(catalogQueryTimeoutMs: number): CatalogQuery[] {
  return [
    { text: 'SET SESSION TRANSACTION READ ONLY', values: [] },
    {
      text: `SET SESSION time_zone = '+00:00', SESSION net_write_timeout = ?`,
      values: [Math.max(60, Math.ceil(catalogQueryTimeoutMs / 1000))],
    },
  ];
}

function byErrno(code: DriverErrorCode, errnos: readonly number[]): [number, DriverErrorCode][] {
  return errnos.map((errno) => [errno, code]);
}

/** Server error numbers by code (4.6, plus the connect-time refusals and kills of the same kind). */
const ERRNO_CODES: ReadonlyMap<number, DriverErrorCode> = new Map([
  ...byErrno('CONNECTION_FAILED', [1040, 1049, 2002, 2003, 2005, 2006, 2013, 1053, 1129, 1130, 1203, 1927, 4031]),
  ...byErrno('AUTH_FAILED', [1044, 1045, 1251, 1698]),
  ...byErrno('PERMISSION_DENIED', [1142, 1143, 1227]),
  // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time), ER_QUERY_TIMEOUT (MySQL MAX_EXECUTION_TIME).
  ...byErrno('TIMEOUT', [1969, 3024]),
]);

const LOST_CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'PROTOCOL_PACKETS_OUT_OF_ORDER',
]);

function errorField(error: unknown, key: 'code' | 'errno' | 'fatal'): unknown {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[key];
  if (value !== undefined) return value;
  return error instanceof AggregateError ? errorField(error.errors[0], key) : undefined;
}

function isTlsError(code: string | undefined, message: string): boolean {
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT' || code === 'HANDSHAKE_SSL_ERROR') return true;
  if (code === undefined) return /\bSSL\b|\bTLS\b|certificate/i.test(message);
  return code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code === 'EPROTO';
}

/** `(using password: YES)` would lose its meaning to the masking of sanitize(); it is said in words instead. */
function readable(message: string): string {
  return message.replace(/\(using password: (YES|NO)\)/, (_, used: string) =>
    used === 'YES' ? '(using a password)' : '(without a password)');
}

/** Maps anything thrown while talking to the warehouse to a DriverError with a sanitized message (4.6). */
export function toDriverError(error: unknown, context: ErrorContext): DriverError {
  if (error instanceof DriverError) return error;
  const wrap = (code: DriverErrorCode, message: string) =>
    new DriverError(code, 'mysql', sanitize(message, context.secrets), { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  const where = `${context.host}:${context.port}`;
  const code = errorField(error, 'code');
  const errno = errorField(error, 'errno');
  if (code === 'ETIMEDOUT') {
    return wrap('CONNECTION_FAILED', `could not connect to ${where}: timed out after ${context.connectTimeoutMs} ms`);
  }
  if (typeof code === 'string' && Object.hasOwn(CONNECT_ERRORS, code)) {
    return wrap('CONNECTION_FAILED', `could not connect to ${where}: ${CONNECT_ERRORS[code]}`);
  }
  if (typeof errno === 'number' && ERRNO_CODES.has(errno)) return wrap(ERRNO_CODES.get(errno)!, readable(message));
  if (typeof code === 'string' && LOST_CONNECTION_CODES.has(code)) {
    return wrap('CONNECTION_FAILED', `connection to ${where} closed unexpectedly`);
  }
  if (isTlsError(typeof code === 'string' ? code : undefined, message)) {
    return wrap('CONNECTION_FAILED', `could not connect to ${where}: TLS: ${message}`);
  }
  // mysql2 marks the errors after which the connection is unusable as fatal (a write to a closed connection, …).
  if (errorField(error, 'fatal') === true) {
    return wrap('CONNECTION_FAILED', `connection to ${where} closed unexpectedly`);
  }
  return wrap('QUERY_FAILED', message);
}

function cancelled(signal: AbortSignal): DriverError {
  return new DriverError('TIMEOUT', 'mysql', 'the warehouse call was cancelled', { cause: signal.reason });
}

/**
 * A statement's client-side timer and the job's signal: the first to fire runs `onInterrupt` (which destroys the
 * connection) and fails every wait at once, without waiting for the server. The timer can be paused while the
 * consumer of a stream holds a row, so that it counts the warehouse's time only.
 */
class Deadline {
  readonly #interrupted: Promise<never>;
  #timer: NodeJS.Timeout | undefined;
  #remainingMs: number;
  #runningSince = 0;
  readonly #timeoutError: () => DriverError;
  readonly #signal: AbortSignal;
  readonly #onAbort: () => void;
  #fail: (error: DriverError) => void = () => undefined;

  constructor(signal: AbortSignal, timeoutMs: number, timeoutError: () => DriverError, onInterrupt: () => void) {
    let fired = false;
    this.#interrupted = new Promise<never>((_, reject) => {
      this.#fail = (error) => {
        if (fired) return;
        fired = true;
        onInterrupt();
        reject(error);
      };
    });
    this.#interrupted.catch(() => undefined);
    this.#signal = signal;
    this.#onAbort = () => this.#fail(cancelled(signal));
    this.#remainingMs = timeoutMs;
    this.#timeoutError = timeoutError;
    this.resume();
    signal.addEventListener('abort', this.#onAbort, { once: true });
    if (signal.aborted) this.#onAbort();
  }

  wait<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.#interrupted]);
  }

  /** Stops the timer, keeping the time left. */
  pause(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#remainingMs -= performance.now() - this.#runningSince;
  }

  /** Runs the timer again for the time left. */
  resume(): void {
    if (this.#timer !== undefined) return;
    this.#runningSince = performance.now();
    this.#timer = setTimeout(() => this.#fail(this.#timeoutError()), Math.max(0, this.#remainingMs));
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#signal.removeEventListener('abort', this.#onAbort);
  }
}

/** One warehouse session; `broken` once it failed, was interrupted or was closed by the server. */
class Session {
  readonly connection: Connection;
  broken = false;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(connection: Connection) {
    this.connection = connection;
    // Without a listener an error on an idle connection would crash the process; the session is dropped instead.
    connection.on('error', () => (this.broken = true));
    connection.on('end', () => (this.broken = true));
  }

  run(query: QueryOptions): Promise<{ rows: unknown[]; fields: FieldPacket[] }> {
    return new Promise((resolve, reject) => {
      this.connection.query(query, (error, rows, fields) => {
        if (error) {
          if (error.fatal) this.broken = true;
          reject(error);
        } else {
          resolve({ rows: rows as unknown[], fields: fields ?? [] });
        }
      });
    });
  }

  idle(onExpire: () => void): void {
    this.#idleTimer = setTimeout(onExpire, IDLE_TIMEOUT_MS);
    this.#idleTimer.unref();
  }

  busy(): void {
    clearTimeout(this.#idleTimer);
  }

  destroy(): void {
    this.busy();
    this.broken = true;
    this.connection.destroy();
  }

  /** COM_QUIT, so the server does not log an aborted connection; a broken session is only destroyed. */
  async end(): Promise<void> {
    if (this.broken) return this.destroy();
    this.busy();
    this.broken = true;
    await new Promise<void>((resolve) => {
      const fallback = setTimeout(() => {
        this.connection.destroy();
        resolve();
      }, 1000);
      this.connection.end(() => {
        clearTimeout(fallback);
        resolve();
      });
    });
  }
}

/** At most MAX_CONNECTIONS sessions; idle ones close after IDLE_TIMEOUT_MS. */
class SessionPool {
  readonly #open: (signal: AbortSignal) => Promise<Session>;
  readonly #idle: Session[] = [];
  readonly #waiters = new Set<() => void>();
  #size = 0;
  #closed = false;

  constructor(open: (signal: AbortSignal) => Promise<Session>) {
    this.#open = open;
  }

  async acquire(signal: AbortSignal, timeoutMs: number, where: string): Promise<Session> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#closed) throw new DriverError('CONNECTION_FAILED', 'mysql', 'the driver is closed');
      if (signal.aborted) throw cancelled(signal);
      const idle = this.#idle.pop();
      if (idle) {
        idle.busy();
        if (!idle.broken) return idle;
        this.#drop(idle);
        continue;
      }
      if (this.#size < MAX_CONNECTIONS) {
        this.#size += 1;
        try {
          return await this.#open(signal);
        } catch (error) {
          this.#size -= 1;
          this.#wake();
          throw error;
        }
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const message = `could not connect to ${where}: no free connection within ${timeoutMs} ms`;
        throw new DriverError('CONNECTION_FAILED', 'mysql', message);
      }
      await this.#change(signal, remaining);
    }
  }

  release(session: Session): void {
    if (this.#closed || session.broken) {
      this.#drop(session);
    } else {
      session.idle(() => {
        const at = this.#idle.indexOf(session);
        if (at >= 0) this.#idle.splice(at, 1);
        this.#size -= 1;
        void session.end();
      });
      this.#idle.push(session);
    }
    this.#wake();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#idle.splice(0);
    this.#size -= idle.length;
    this.#wake();
    await Promise.all(idle.map((session) => session.end()));
  }

  #drop(session: Session): void {
    session.destroy();
    this.#size -= 1;
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** Resolves on the next release or drop, or after `timeoutMs`; rejects on abort. */
  #change(signal: AbortSignal, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', abort);
        this.#waiters.delete(done);
        resolve();
      };
      const abort = () => {
        done();
        reject(cancelled(signal));
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', abort, { once: true });
      this.#waiters.add(done);
    });
  }
}

interface Statement {
  readonly query: CatalogQuery;
  readonly timeoutMs: number;
  /** Also enforced by the server (everything but the server-facts query, whose flavor is not known yet). */
  readonly serverTimeout: ServerFacts | null;
  readonly raw?: boolean;
}

/** A server error that ended its statement and left the session usable (a timeout, a permission error, …). */
function completed(error: unknown): boolean {
  const errno = errorField(error, 'errno');
  if (error instanceof DriverError || typeof errno !== 'number') return false;
  return errno > 0 && errorField(error, 'fatal') !== true;
}

/** mysql2 options of the data queries: rows as arrays of raw values, normalized by their result columns. */
const RAW_ROWS = Object.freeze({ rowsAsArray: true, typeCast: rawValue });

function resultColumns(fields: readonly FieldPacket[]): ResultColumn[] {
  return fields.map((field) => ({
    columnType: field.columnType ?? -1,
    columnLength: field.columnLength ?? 0,
    flags: typeof field.flags === 'number' ? field.flags : 0,
  }));
}

class MysqlDriver implements WarehouseDriver {
  readonly engine = 'mysql' as const;
  readonly #details: MysqlDetails;
  readonly #options: DriverOptions;
  readonly #errorContext: ErrorContext;
  readonly #pool: SessionPool;
  #facts: Promise<ServerFacts> | null = null;
  #queryCount = 0;
  #closed = false;

  constructor(details: MysqlDetails, options: DriverOptions) {
    this.#details = details;
    this.#options = options;
    this.#errorContext = errorContextOf(details, options);
    this.#pool = new SessionPool((signal) => this.#openSession(signal));
  }

  get queryCount(): number {
    return this.#queryCount;
  }

  async capabilities(signal: AbortSignal): Promise<DriverCapabilities> {
    const facts = await this.#serverFacts(signal);
    return Object.freeze({
      schemas: false,
      foreignKeys: true,
      indexes: true,
      comments: true,
      rowCountEstimates: false,
      stableObjectIds: false,
      caseInsensitiveIdentifiers: facts.caseInsensitiveIdentifiers,
      batchedDistinctValues: true,
    });
  }

  /** The server-facts query is the trivial query: it always runs, and refreshes what the other probes read. */
  async testConnection(signal: AbortSignal): Promise<void> {
    const facts = this.#readServerFacts(signal);
    this.#facts = facts;
    await facts;
  }

  async dbmsVersion(signal: AbortSignal): Promise<DbmsVersion> {
    const facts = await this.#serverFacts(signal);
    return Object.freeze({ flavor: facts.flavor, version: facts.version });
  }

  async timezone(signal: AbortSignal): Promise<string | null> {
    return (await this.#serverFacts(signal)).timezone;
  }

  async *describeTables(scope: Scope, signal: AbortSignal): AsyncGenerator<TableMetadata> {
    for await (const row of this.#catalog<MysqlTableRow>(scope, tablesQuery, signal)) yield mapTable(row);
  }

  /** The scoped describeTables statement for one name, under the probe timeout; a ref with a schema names nothing. */
  async tableExists(ref: TableRef, signal: AbortSignal): Promise<TableMetadata | null> {
    if (signal.aborted) throw cancelled(signal);
    if (ref.schema !== null) return null;
    const facts = await this.#serverFacts(signal);
    const query = tablesQuery(this.#details.dbname, [ref.name]);
    const statement = { query, timeoutMs: this.#options.connectTimeoutMs, serverTimeout: facts };
    const { rows } = await this.#run(statement, signal);
    const [row] = rows as MysqlTableRow[];
    return row === undefined ? null : mapTable(row);
  }

  async *describeFields(scope: Scope, signal: AbortSignal): AsyncGenerator<FieldMetadata> {
    const facts = await this.#serverFacts(signal);
    const settings = { flavor: facts.flavor, tinyInt1isBit: this.#details.options.tinyInt1isBit };
    let table: string | undefined;
    let position = 0;
    for await (const row of this.#catalog<MysqlColumnRow>(scope, columnsQuery, signal)) {
      if (row.table_name !== table) {
        table = row.table_name;
        position = 0;
      }
      yield mapColumn(row, position++, settings);
    }
  }

  async *describeForeignKeys(scope: Scope, signal: AbortSignal): AsyncGenerator<ForeignKeyMetadata> {
    const rows = this.#catalog<MysqlForeignKeyRow>(scope, foreignKeysQuery, signal);
    for await (const group of consecutive(rows, (row) => `${row.table_name}\u0000${row.constraint_name}`)) {
      yield mapForeignKey(group, this.#details.dbname);
    }
  }

  async *describeIndexes(scope: Scope, signal: AbortSignal): AsyncGenerator<IndexMetadata> {
    const rows = this.#catalog<MysqlIndexRow>(scope, indexesQuery, signal);
    for await (const group of consecutive(rows, (row) => `${row.table_name}\u0000${row.index_name}`)) {
      yield mapIndex(group);
    }
  }

  async *sampleRows(
    table: TableRef,
    fields: readonly SampleField[],
    opts: { readonly limit: number; readonly textTruncate: number },
    signal: AbortSignal,
  ): AsyncGenerator<readonly unknown[]> {
    if (fields.length === 0) return;
    const facts = await this.#serverFacts(signal);
    const statement = {
      query: sampleQuery(table, fields, opts),
      timeoutMs: this.#options.sampleQueryTimeoutMs,
      serverTimeout: facts,
      raw: true,
    };
    const { tinyInt1isBit } = this.#details.options;
    let columns: ResultColumn[] = [];
    const onFields = (fieldPackets: FieldPacket[]) => (columns = resultColumns(fieldPackets));
    for await (const row of this.#stream<(string | Buffer | null)[]>(statement, signal, onFields)) {
      yield row.map((value, i) => normalizeMysqlValue(value, columns[i], tinyInt1isBit));
    }
  }

  /** Row count and distinct count of one field (GET /api/field/:id/summary), under the field-values timeout. */
  async fieldSummary(table: TableRef, field: string, signal: AbortSignal): Promise<FieldSummary> {
    const facts = await this.#serverFacts(signal);
    const timeoutMs = this.#options.fieldValuesQueryTimeoutMs;
    const statement = { query: fieldSummaryQuery(table, field), timeoutMs, serverTimeout: facts, raw: true };
    const { rows } = await this.#run(statement, signal);
    return fieldSummaryOf(rows[0] as unknown[] | undefined);
  }

  /** One statement for all fields (batchedDistinctValues), under the per-field timeout once per field (4.5, 8.7). */
  async distinctValues(
    table: TableRef,
    fields: readonly string[],
    opts: { readonly limit: number },
    signal: AbortSignal,
  ): Promise<readonly (readonly unknown[])[]> {
    if (fields.length === 0) return [];
    const facts = await this.#serverFacts(signal);
    const statement = {
      query: distinctValuesQuery(table, fields, opts),
      timeoutMs: this.#options.fieldValuesQueryTimeoutMs * fields.length,
      serverTimeout: facts,
      raw: true,
    };
    const { rows, fields: fieldPackets } = await this.#run(statement, signal);
    const columns = resultColumns(fieldPackets);
    const { tinyInt1isBit } = this.#details.options;
    return groupDistinctRows(rows as (string | Buffer | null)[][], columns, fields.length, tinyInt1isBit);
  }

  /**
   * information_schema TABLES.TABLE_ROWS of base tables (null for views and unknown names), one statement for all of
   * them (at most 500), under the catalog query timeout. Not read with the table listing: at 10,000 tables MariaDB
   * opens every table to answer it.
   */
  async rowEstimates(tables: readonly TableRef[], signal: AbortSignal): Promise<readonly (number | null)[]> {
    if (tables.length === 0) return [];
    const facts = await this.#serverFacts(signal);
    const query = rowEstimatesQuery(tables.map((t) => t.name));
    const statement = { query, timeoutMs: this.#options.catalogQueryTimeoutMs, serverTimeout: facts };
    const { rows } = await this.#run(statement, signal);
    const byName = new Map((rows as { TABLE_NAME: string; TABLE_ROWS: unknown }[]).map((r) => [r.TABLE_NAME, r.TABLE_ROWS]));
    return tables.map((t) => {
      const value = byName.get(t.name);
      return value == null ? null : Number(value);
    });
  }

  /**
   * The engine's own loose index scan (GROUP BY on an index that leads with the column, the exact query of 4.5) or
   * the distinct values of the first `rowBudget` rows read, under the field-values timeout (issue 11).
   */
  async budgetedValues(
    table: TableRef,
    field: BudgetField,
    opts: BudgetOptions,
    signal: AbortSignal,
  ): Promise<BudgetedValues> {
    const facts = await this.#serverFacts(signal);
    const query = field.indexed
      ? distinctValuesQuery(table, [field.name], opts)
      : boundedDistinctQuery(table, field.name, opts);
    const statement = { query, timeoutMs: this.#options.fieldValuesQueryTimeoutMs, serverTimeout: facts, raw: true };
    const { rows, fields: fieldPackets } = await this.#run(statement, signal);
    const { tinyInt1isBit } = this.#details.options;
    const [values] = groupDistinctRows(rows as (string | Buffer | null)[][], resultColumns(fieldPackets), 1, tinyInt1isBit);
    return { values, exact: field.indexed };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }

  async #serverFacts(signal: AbortSignal): Promise<ServerFacts> {
    if (signal.aborted) throw cancelled(signal);
    this.#facts ??= this.#readServerFacts(signal);
    return this.#facts;
  }

  async #readServerFacts(signal: AbortSignal): Promise<ServerFacts> {
    try {
      const query = { text: SERVER_FACTS_QUERY, values: [] };
      const statement = { query, timeoutMs: this.#options.connectTimeoutMs, serverTimeout: null };
      const { rows } = await this.#run(statement, signal);
      return mapServerFacts((rows as MysqlServerFactsRow[])[0]);
    } catch (error) {
      this.#facts = null;
      throw error;
    }
  }

  /** Connects and opens the session (its statements count), all within the connect timeout. */
  async #openSession(signal: AbortSignal): Promise<Session> {
    const timeoutMs = this.#options.connectTimeoutMs;
    const session = new Session(mysql.createConnection(mysqlConnectionConfig(this.#details, timeoutMs)));
    const where = `${this.#details.host}:${this.#details.port}`;
    const timedOut = () =>
      new DriverError('CONNECTION_FAILED', 'mysql', `could not connect to ${where}: timed out after ${timeoutMs} ms`);
    const deadline = new Deadline(signal, timeoutMs, timedOut, () => session.destroy());
    try {
      const connected = new Promise<void>((resolve, reject) =>
        session.connection.connect((error) => (error ? reject(error) : resolve())),
      );
      await deadline.wait(connected);
      for (const { text, values } of sessionStatements(this.#options.catalogQueryTimeoutMs)) {
        this.#queryCount += 1;
        await deadline.wait(session.run({ sql: text, values: [...values] }));
      }
      return session;
    } catch (error) {
      session.destroy();
      throw toDriverError(error, this.#errorContext);
    } finally {
      deadline.dispose();
    }
  }

  #acquire(signal: AbortSignal): Promise<Session> {
    const where = `${this.#details.host}:${this.#details.port}`;
    return this.#pool.acquire(signal, this.#options.connectTimeoutMs, where).catch((error: unknown) => {
      throw toDriverError(error, this.#errorContext);
    });
  }

  #deadline(statement: Statement, session: Session, signal: AbortSignal): Deadline {
    const timeoutMs = statement.timeoutMs + (statement.serverTimeout ? SERVER_TIMEOUT_GRACE_MS : 0);
    const timedOut = () =>
      new DriverError('TIMEOUT', 'mysql', `the warehouse did not answer within ${statement.timeoutMs} ms`);
    return new Deadline(signal, timeoutMs, timedOut, () => session.destroy());
  }

  #queryOptions(statement: Statement): QueryOptions {
    const { text, values } = statement.query;
    const facts = statement.serverTimeout;
    const sql = facts ? withTimeout(text, facts.flavor, statement.timeoutMs) : text;
    return { sql, values: [...values], ...(statement.raw ? RAW_ROWS : {}) };
  }

  async #run(statement: Statement, signal: AbortSignal): Promise<{ rows: unknown[]; fields: FieldPacket[] }> {
    const session = await this.#acquire(signal);
    const deadline = this.#deadline(statement, session, signal);
    try {
      this.#queryCount += 1;
      return await deadline.wait(session.run(this.#queryOptions(statement)));
    } catch (error) {
      throw toDriverError(error, this.#errorContext);
    } finally {
      deadline.dispose();
      this.#pool.release(session);
    }
  }

  /** The one describe statement of a scope; a table scope without a schema-less ref asks nothing. */
  async *#catalog<R>(
    scope: Scope,
    build: (database: string, names: readonly string[] | null) => CatalogQuery,
    signal: AbortSignal,
  ): AsyncGenerator<R> {
    if (signal.aborted) throw cancelled(signal);
    const names = scope.kind === 'database' ? null : scopedNames(scope.tables);
    if (names !== null && names.length === 0) return;
    const facts = await this.#serverFacts(signal);
    const query = build(this.#details.dbname, names);
    const statement = { query, timeoutMs: this.#options.catalogQueryTimeoutMs, serverTimeout: facts };
    yield* this.#stream<R>(statement, signal);
  }

  /**
   * Streams one statement's rows; the client deadline covers the time spent waiting for the warehouse's rows, not the
   * consumer's time with each row (the sync's own catalog writes). A consumer that stops early leaves rows unread on
   * the connection, so the connection is destroyed instead of returned.
   */
  async *#stream<R>(
    statement: Statement,
    signal: AbortSignal,
    onFields?: (fields: FieldPacket[]) => void,
  ): AsyncGenerator<R> {
    const session = await this.#acquire(signal);
    const deadline = this.#deadline(statement, session, signal);
    let finished = false;
    let stream: Readable | undefined;
    try {
      const query = session.connection.query(this.#queryOptions(statement));
      this.#queryCount += 1;
      if (onFields) query.on('fields', (fields: FieldPacket[]) => onFields(fields));
      stream = query.stream({ highWaterMark: STREAM_HIGH_WATER_MARK });
      const rows: AsyncIterator<R> = stream[Symbol.asyncIterator]();
      for (;;) {
        const next = await deadline.wait(rows.next());
        if (next.done) break;
        deadline.pause();
        yield next.value;
        deadline.resume();
      }
      finished = true;
    } catch (error) {
      finished = completed(error);
      throw toDriverError(error, this.#errorContext);
    } finally {
      deadline.dispose();
      if (!finished) {
        session.destroy();
        stream?.destroy();
      }
      this.#pool.release(session);
    }
  }
}

export function createMysqlDriver(details: Readonly<Record<string, unknown>>, options: DriverOptions): WarehouseDriver {
  return new MysqlDriver(readMysqlDetails(details), options);
}
