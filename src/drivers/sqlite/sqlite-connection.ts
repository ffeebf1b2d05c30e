// One SQLite warehouse file behind a child process (sqlite-worker.mjs): every query runs off the event loop, streams
// back in chunks, and has a timeout and an AbortSignal; on either the call fails at once and the process is killed.
//
// Why a child process and not a worker thread: better-sqlite3 cannot interrupt a running statement, and
// Worker.terminate() only stops JavaScript, so a terminated worker thread stuck in a long statement kept running (and
// kept the file open) until the statement ended: 50 s for a 300-million-step recursive CTE, measured on Node 20.
// SIGKILL ends a child process at once. Spec 4.6 allows either; starting the child costs about 90 ms, once per job.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DriverError } from '../driver.ts';

export interface QueryOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** A data query: rows as arrays, integers as BigInts; `onColumns` receives the declared types before the first row. */
export interface DataMode {
  readonly onColumns: (declaredTypes: readonly (string | null)[]) => void;
}

type WorkerRequest =
  | {
      readonly type: 'query';
      readonly sql: string;
      readonly params: readonly unknown[];
      readonly chunkSize: number;
      readonly data: boolean;
    }
  | { readonly type: 'next' }
  | { readonly type: 'cancel' };

/** The worker greets once with {type: 'ready'}, then answers each request with rows or a failure. */
type WorkerAnswer = WorkerRows | WorkerFailure;

interface WorkerRows {
  readonly type: 'rows';
  readonly rows: readonly unknown[];
  readonly done: boolean;
  readonly columns: readonly (string | null)[] | null;
}

interface WorkerFailure {
  readonly type: 'error';
  readonly phase: 'open' | 'query';
  readonly code: string | null;
  readonly message: string;
}

interface Waiting {
  readonly resolve: (answer: WorkerAnswer) => void;
  readonly reject: (error: Error) => void;
}

const closed = () => new DriverError('QUERY_FAILED', 'sqlite', 'The SQLite connection was closed.');

const WORKER_SCRIPT = fileURLToPath(new URL('./sqlite-worker.mjs', import.meta.url));
const CHUNK_ROWS = 1000;

// Workers still running when the service exits (close() was skipped, or a query ran away) are killed with it.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  liveChildren.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const each of liveChildren) each.kill('SIGKILL');
  });
}

/** The worker process: one request in flight at a time, one answer per request. */
class WorkerProcess {
  readonly #child: ChildProcess;
  #waiting: Waiting | null = null;
  #greeted = false;
  #exited = false;
  #killed = false;
  readonly #exit: Promise<unknown>;

  constructor(file: string) {
    this.#child = fork(WORKER_SCRIPT, [file], {
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    // Neither the child nor its channel keeps the service alive; a waiting call's timeout timer does.
    this.#child.unref();
    this.#child.channel?.unref();
    track(this.#child);
    this.#exit = once(this.#child, 'exit').catch(() => undefined);
    this.#child.on('message', (answer: WorkerAnswer) => this.#settle((waiting) => waiting.resolve(answer)));
    this.#child.on('error', (cause) => {
      // Failing to start, or a broken channel: this worker is done either way.
      const message = `Could not run the SQLite worker: ${cause.message}`;
      this.#settle((waiting) => waiting.reject(new DriverError('CONNECTION_FAILED', 'sqlite', message, { cause })));
      void this.kill();
    });
    this.#child.on('exit', (code, signal) => {
      this.#exited = true;
      liveChildren.delete(this.#child);
      const message = `The SQLite worker exited unexpectedly (${signal ?? `code ${code}`}).`;
      const error = this.#killed ? closed() : new DriverError('QUERY_FAILED', 'sqlite', message);
      this.#settle((waiting) => waiting.reject(error));
    });
  }

  get alive(): boolean {
    return !this.#exited && !this.#killed;
  }

  /** Sends a request and waits for its answer; the first request also waits for the worker's greeting. */
  async request(request: WorkerRequest): Promise<WorkerAnswer> {
    if (!this.#greeted) {
      await this.#answer();
      this.#greeted = true;
    }
    const answer = this.#answer();
    this.#child.send(request);
    return answer;
  }

  /** Sends a request that has no answer. */
  notify(request: WorkerRequest): void {
    if (this.alive && this.#greeted) this.#child.send(request);
  }

  kill(): Promise<unknown> {
    if (!this.#exited && !this.#killed) {
      this.#killed = true;
      this.#child.ref();
      this.#child.kill('SIGKILL');
    }
    return this.#exit;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  #answer(): Promise<WorkerAnswer> {
    if (!this.alive) return Promise.reject(closed());
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  #settle(action: (waiting: Waiting) => void): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    if (waiting) action(waiting);
  }
}

/** Waits for `promise` at most `ms`; on timeout or abort, calls `giveUp` and rejects at once with TIMEOUT. */
function within<T>(promise: Promise<T>, ms: number, options: QueryOptions, giveUp: () => void): Promise<T> {
  const { signal, timeoutMs } = options;
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const stop = (error: DriverError) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      giveUp();
      reject(error);
    };
    const onAbort = () =>
      stop(new DriverError('TIMEOUT', 'sqlite', 'The SQLite query was aborted.', { cause: signal.reason }));
    const message = `The SQLite query exceeded its timeout of ${timeoutMs} ms.`;
    const timer = setTimeout(() => stop(new DriverError('TIMEOUT', 'sqlite', message)), Math.max(0, ms));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * A lazily started, read-only connection to one SQLite file. Queries run one at a time (a later call waits for the
 * earlier one's stream to end). Each call's timeout covers the time it waits (for its turn, the file to open, and each
 * chunk), not the time its consumer spends between chunks.
 */
export class SqliteConnection {
  readonly #file: string;
  readonly #label: string;
  #worker: WorkerProcess | null = null;
  #queryCount = 0;
  #turn: Promise<void> = Promise.resolve();

  /** `file` is the path to open; `label` is how messages name it (the path as the user gave it). */
  constructor(file: string, label: string = file) {
    this.#file = file;
    this.#label = label;
  }

  /** Statements sent to the worker; the PRAGMAs the worker runs when it opens the file are not counted. */
  get queryCount(): number {
    return this.#queryCount;
  }

  /** The worker process's id while one runs (diagnostics). */
  get workerPid(): number | undefined {
    return this.#worker?.pid;
  }

  /** Streams the rows of one statement; breaking out of the loop closes the statement. */
  async *query<Row>(
    sql: string,
    params: readonly unknown[],
    options: QueryOptions,
    data?: DataMode,
  ): AsyncGenerator<Row, void> {
    let remaining = options.timeoutMs;
    const wait = async <T>(promise: Promise<T>, giveUp: () => void): Promise<T> => {
      const started = performance.now();
      try {
        return await within(promise, remaining, options, giveUp);
      } finally {
        remaining -= performance.now() - started;
      }
    };
    const turn = this.#nextTurn();
    const release = await wait(turn, () => void turn.then((done) => done()));
    if (!this.#worker?.alive) this.#worker = new WorkerProcess(this.#file);
    const worker = this.#worker;
    const discard = () => void this.#discard(worker);
    let open = false;
    try {
      this.#queryCount += 1;
      const request = { type: 'query', sql, params, chunkSize: CHUNK_ROWS, data: data !== undefined } as const;
      let answer = await wait(worker.request(request), discard);
      for (;;) {
        if (answer.type === 'error') throw this.#error(answer);
        if (answer.columns !== null) data?.onColumns(answer.columns);
        open = !answer.done;
        for (const row of answer.rows) yield row as Row;
        if (!open) return;
        answer = await wait(worker.request({ type: 'next' }), discard);
      }
    } finally {
      if (open) worker.notify({ type: 'cancel' });
      release();
    }
  }

  /** All rows of a statement that returns few. */
  async all<Row>(sql: string, params: readonly unknown[], options: QueryOptions): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const row of this.query<Row>(sql, params, options)) rows.push(row);
    return rows;
  }

  /** Kills the worker, which releases the file. Safe to call twice; a later query starts a new worker. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker) await this.#discard(worker);
  }

  #discard(worker: WorkerProcess): Promise<unknown> {
    if (this.#worker === worker) this.#worker = null;
    return worker.kill();
  }

  #nextTurn(): Promise<() => void> {
    const previous = this.#turn;
    let release!: () => void;
    this.#turn = new Promise<void>((resolve) => (release = resolve));
    return previous.then(() => release);
  }

  /** Failures while opening the file, SQLITE_CANTOPEN and SQLITE_NOTADB are connection failures (spec 4.6). */
  #error(failure: WorkerFailure): DriverError {
    const cause = Object.assign(new Error(failure.message), { code: failure.code });
    const connection = (message: string) => new DriverError('CONNECTION_FAILED', 'sqlite', message, { cause });
    const label = this.#label;
    if (failure.code === 'ENOENT') return connection(`SQLite database file does not exist: ${label}`);
    if (failure.code === 'ENOTFILE') return connection(`SQLite database path is not a file: ${label}`);
    if (failure.code?.startsWith('SQLITE_NOTADB')) return connection(`file is not a database: ${label}`);
    if (failure.code?.startsWith('SQLITE_CANTOPEN') || failure.phase === 'open') {
      return connection(`${failure.message}: ${label}`);
    }
    return new DriverError('QUERY_FAILED', 'sqlite', failure.message, { cause });
  }
}
