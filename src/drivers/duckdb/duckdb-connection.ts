// One read-only DuckDB file: checked and opened at the first statement, held until close() (sync-engine.md 4.6: a
// job opens its warehouse file when it starts and closes it when it ends, since even a read-only handle keeps other
// processes from writing the file). Statements run one at a time on one connection; a statement that outlives its
// timeout or whose signal aborts is interrupted and its caller fails at once with TIMEOUT.
import { open } from 'node:fs/promises';
import {
  DuckDBConnection,
  DuckDBInstance,
  JSDuckDBValueConverter,
  INTEGER,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { DriverError } from '../driver.ts';
import type { BoundValue, CatalogQuery } from './duckdb-introspector.ts';

/**
 * READ_ONLY never creates or writes the file. Extensions the file needs load when installed locally, but none is
 * downloaded during a sync. Without `enable-external-access` in the details, no statement (a view's `read_csv`, an
 * ATTACH, a URL) reads any other file or address, and the locked configuration keeps a statement from turning it on.
 */
function openOptions(externalAccess: boolean): Record<string, string> {
  return {
    access_mode: 'READ_ONLY',
    autoinstall_known_extensions: 'false',
    enable_external_access: externalAccess ? 'true' : 'false',
    lock_configuration: 'true',
  };
}

const INTERRUPT_RETRY_MS = 50;

/** Every DuckDB database file carries these bytes at offset 8. */
const MAGIC = Buffer.from('DUCK');
const MAGIC_OFFSET = 8;

export interface StatementOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

function driverError(code: DriverError['code'], message: string, cause?: unknown): DriverError {
  return new DriverError(code, 'duckdb', message, { cause });
}

/** The file exists, is a regular file, and starts like a DuckDB database; checked before DuckDB sees it. */
async function checkFile(path: string, label: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw driverError('CONNECTION_FAILED', `The DuckDB file "${label}" does not exist.`, error);
    if (code === 'EACCES') throw driverError('CONNECTION_FAILED', `The DuckDB file "${label}" is not readable.`, error);
    throw driverError('CONNECTION_FAILED', `The DuckDB file "${label}" cannot be opened: ${String(error)}`, error);
  }
  try {
    if (!(await handle.stat()).isFile()) {
      throw driverError('CONNECTION_FAILED', `The DuckDB path "${label}" is not a file.`);
    }
    const header = Buffer.alloc(MAGIC_OFFSET + MAGIC.length);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    if (bytesRead < header.length || !header.subarray(MAGIC_OFFSET).equals(MAGIC)) {
      throw driverError('CONNECTION_FAILED', `The file "${label}" is not a DuckDB database file.`);
    }
  } finally {
    await handle.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Opening failures are connection failures (4.6); a write lock held by another process gets its own reason. */
export function openError(error: unknown, label: string): DriverError {
  if (error instanceof DriverError) return error;
  const message = messageOf(error);
  if (/could not set lock on file/i.test(message)) {
    return driverError(
      'CONNECTION_FAILED',
      `The DuckDB file "${label}" is held open for writing by another process: ${message}`,
      error,
    );
  }
  return driverError('CONNECTION_FAILED', `The DuckDB file "${label}" could not be opened: ${message}`, error);
}

/** Statement failures: DuckDB's IO errors (the file became unreadable) lose the connection; the rest fail the query. */
export function statementError(error: unknown): DriverError {
  if (error instanceof DriverError) return error;
  const message = messageOf(error);
  if (message.startsWith('IO Error')) return driverError('CONNECTION_FAILED', message, error);
  if (message.startsWith('INTERRUPT Error')) return driverError('TIMEOUT', 'the warehouse call was interrupted', error);
  return driverError('QUERY_FAILED', message, error);
}

function interruption(signal: AbortSignal, timeoutMs: number): DriverError {
  if (signal.aborted) return driverError('TIMEOUT', 'the warehouse call was cancelled', signal.reason);
  return driverError('TIMEOUT', `the warehouse did not answer within ${timeoutMs} ms`);
}

const NAME_LIST = LIST(VARCHAR);

/** Name lists bind as VARCHAR[] (an empty list has no type of its own), numbers as INTEGER, strings as VARCHAR. */
function bind(values: readonly BoundValue[]): { values: DuckDBValue[]; types: DuckDBType[] } {
  return {
    values: values.map((value) => (typeof value === 'object' ? listValue([...value.names]) : value)),
    types: values.map((value) => {
      if (typeof value === 'object') return NAME_LIST;
      return typeof value === 'number' ? INTEGER : VARCHAR;
    }),
  };
}

interface Session {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
}

export class DuckdbConnection {
  readonly #path: string;
  readonly #label: string;
  readonly #connectTimeoutMs: number;
  readonly #externalAccess: boolean;
  #session: Promise<Session> | null = null;
  /** Settles when the statement ahead (a stream: until it ends) is done; statements queue behind it. */
  #tail: Promise<void> = Promise.resolve();
  /** Native calls in flight, interrupted and awaited by close(). */
  readonly #inFlight = new Set<Promise<unknown>>();
  #queryCount = 0;
  #closed = false;

  /** `path` absolute; `label` the path as the details give it, for messages; `externalAccess` from the details. */
  constructor(path: string, label: string, connectTimeoutMs: number, externalAccess = false) {
    this.#path = path;
    this.#label = label;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#externalAccess = externalAccess;
  }

  get queryCount(): number {
    return this.#queryCount;
  }

  /** Streams one catalog statement's rows as objects of JS values (lists as arrays, BIGINT as bigint). */
  async *objects<Row>(query: CatalogQuery, options: StatementOptions): AsyncGenerator<Row> {
    for await (const { names, chunk } of this.#execute(query, options)) {
      for (const values of chunk.convertRows(JSDuckDBValueConverter)) {
        const row: Record<string, unknown> = {};
        values.forEach((value, i) => (row[names[i]] = value));
        yield row as Row;
      }
    }
  }

  /** Runs one catalog statement and returns its rows (a probe: one or a few rows). */
  async allObjects<Row>(query: CatalogQuery, options: StatementOptions): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const row of this.objects<Row>(query, options)) rows.push(row);
    return rows;
  }

  /** Streams one statement's rows as DuckDB values, in column order. */
  async *values(query: CatalogQuery, options: StatementOptions): AsyncGenerator<DuckDBValue[]> {
    for await (const { chunk } of this.#execute(query, options)) yield* chunk.getRows();
  }

  /**
   * Runs one statement and streams its chunks (DuckDB vectors of at most 2,048 rows). The start and each fetch get the
   * timeout; the next statement waits until this one's stream ended and its native calls settled.
   */
  async *#execute(
    query: CatalogQuery,
    options: StatementOptions,
  ): AsyncGenerator<{ names: string[]; chunk: DuckDBDataChunk }> {
    if (options.signal.aborted) throw interruption(options.signal, options.timeoutMs);
    const release = await this.#turn();
    try {
      const { connection } = await this.#open(options.signal);
      const { values, types } = bind(query.values);
      const result = await this.#call(connection, options, async () => {
        const prepared = await connection.prepare(query.text);
        try {
          prepared.bind(values, types);
          this.#queryCount += 1;
          return await prepared.stream();
        } finally {
          prepared.destroySync();
        }
      });
      const names = result.columnNames();
      for (;;) {
        if (this.#closed) throw driverError('CONNECTION_FAILED', 'the driver is closed');
        const chunk = await this.#call(connection, options, () => result.fetchChunk());
        if (chunk === null || chunk.rowCount === 0) break;
        yield { names, chunk };
      }
    } finally {
      release();
    }
  }

  /** Safe to call twice; interrupts what runs, waits for it, then closes the connection and the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const session = this.#session;
    if (session === null) return;
    const opened = await session.catch(() => null);
    if (opened === null) return;
    if (this.#inFlight.size > 0) interruptUntil(opened.connection, () => this.#inFlight.size === 0);
    await Promise.allSettled([...this.#inFlight]);
    opened.connection.closeSync();
    opened.instance.closeSync();
  }

  /** Waits for the statement ahead and for interrupted native calls to end; the returned function lets the next go. */
  async #turn(): Promise<() => void> {
    const ahead = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await ahead;
    await Promise.allSettled([...this.#inFlight]);
    return release;
  }

  #open(signal: AbortSignal): Promise<Session> {
    if (this.#closed) return Promise.reject(driverError('CONNECTION_FAILED', 'the driver is closed'));
    this.#session ??= this.#connect();
    const session = this.#session;
    session.catch(() => {
      if (this.#session === session) this.#session = null;
    });
    return new Promise<Session>((resolve, reject) => {
      const fail = (error: DriverError) => {
        cleanup();
        reject(error);
      };
      const onAbort = () => fail(interruption(signal, this.#connectTimeoutMs));
      const timer = setTimeout(() => {
        const message = `The DuckDB file "${this.#label}" did not open within ${this.#connectTimeoutMs} ms.`;
        fail(driverError('CONNECTION_FAILED', message));
      }, this.#connectTimeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      session.then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (error: unknown) => fail(openError(error, this.#label)),
      );
    });
  }

  async #connect(): Promise<Session> {
    await checkFile(this.#path, this.#label);
    const instance = await DuckDBInstance.create(this.#path, openOptions(this.#externalAccess));
    let connection: DuckDBConnection;
    try {
      connection = await instance.connect();
    } catch (error) {
      instance.closeSync();
      throw error;
    }
    if (this.#closed) {
      connection.closeSync();
      instance.closeSync();
      throw driverError('CONNECTION_FAILED', 'the driver is closed');
    }
    return { instance, connection };
  }

  /** Settles with `work`, or rejects at once with TIMEOUT on abort or timeout, interrupting the connection. */
  #call<T>(connection: DuckDBConnection, options: StatementOptions, work: () => Promise<T>): Promise<T> {
    if (options.signal.aborted) return Promise.reject(interruption(options.signal, options.timeoutMs));
    let settled = false;
    const running = work();
    const done = () => {
      settled = true;
      this.#inFlight.delete(running);
    };
    this.#inFlight.add(running);
    running.then(done, done);
    return new Promise<T>((resolve, reject) => {
      const interrupt = () => {
        cleanup();
        interruptUntil(connection, () => settled);
        reject(interruption(options.signal, options.timeoutMs));
      };
      const timer = setTimeout(interrupt, options.timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        options.signal.removeEventListener('abort', interrupt);
      };
      options.signal.addEventListener('abort', interrupt, { once: true });
      running.then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (error: unknown) => {
          cleanup();
          reject(statementError(error));
        },
      );
    });
  }
}

/**
 * DuckDB's interrupt stops only a statement that is executing: one still being prepared or queued for a thread would
 * run on unchecked. The interrupt is therefore repeated until the abandoned call has ended; the next statement waits
 * for that (#turn), so no later statement is hit.
 */
function interruptUntil(connection: DuckDBConnection, ended: () => boolean): void {
  connection.interrupt();
  const retry = setInterval(() => {
    if (ended()) clearInterval(retry);
    else connection.interrupt();
  }, INTERRUPT_RETRY_MS);
}
