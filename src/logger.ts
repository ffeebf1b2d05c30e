// One pino logger for the process. Key headers are redacted wherever they appear (notify-api section 2.5).
import { destination, pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers["x-metabase-apikey"]',
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-metabase-apikey"]',
  'headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'details.password',
  '*.details.password',
  'password',
];

/** The job a log line is written for: every line written while a job runs carries these keys. */
export interface JobLogFields {
  readonly job_id: number;
  readonly database_id: number;
  phase: string | null;
}

/**
 * A job's logger: every line written through it carries the job's keys and its current phase. A child logger per
 * phase, passed along with the job (RunningJob.log, SyncContext.logger), rather than an AsyncLocalStorage: once
 * that has run, Node 20's promise hooks tax every promise of the process, requests and syncs alike (about 4% of a
 * no-change sync's CPU, BENCHMARKS.md).
 */
export class JobLog {
  readonly #base: Logger;
  readonly #fields: Omit<JobLogFields, 'phase'>;
  #phase: string | null = null;
  #logger: Logger;

  constructor(base: Logger, fields: Omit<JobLogFields, 'phase'>) {
    this.#base = base;
    this.#fields = { job_id: fields.job_id, database_id: fields.database_id };
    this.#logger = base.child({ ...this.#fields, phase: null });
  }

  get logger(): Logger {
    return this.#logger;
  }

  /** The phase the job's log lines carry from now on. */
  setPhase(phase: string | null): void {
    if (phase === this.#phase) return;
    this.#phase = phase;
    this.#logger = this.#base.child({ ...this.#fields, phase });
  }
}

/** The line Fastify writes when a request arrives; the line of its answer is the one access line kept. */
const ARRIVAL_LINE = 'incoming request';

/** What the answer's access line says of the reply (Fastify's own `res` serializer has the status only). */
interface AnsweredReply {
  readonly statusCode: number;
  readonly request?: { readonly method?: string; readonly url?: string };
}

/**
 * One access line per request (`request completed` with method, url, status and responseTime): Fastify's arrival
 * line, a second serialized and redacted line for every request, was 7 % of the notify path's CPU (BENCHMARKS.md P5).
 */
const accessLog = {
  hooks: {
    logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void): void {
      if (args[1] !== ARRIVAL_LINE) method.apply(this, args);
    },
  },
  serializers: {
    res: (reply: AnsweredReply) => ({
      method: reply.request?.method,
      url: reply.request?.url,
      statusCode: reply.statusCode,
    }),
  },
};

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const config = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '***' },
    ...accessLog,
  };
  // stdout is written asynchronously (writes coalesce while one is in flight; pino flushes on exit): a synchronous
  // write per line was about a tenth of an asynchronous notify's CPU (BENCHMARKS.md, P5).
  return pino(config, options.destination ?? destination({ dest: 1, sync: false }));
}

/** A logger that writes nothing, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
