// One pino logger for the process. Key headers are redacted wherever they appear (notify-api section 2.5).
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';

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

const jobLog = new AsyncLocalStorage<JobLogFields>();

/** Runs `fn` with every log line it writes (through any logger of createLogger) tagged with the job's keys. */
export function runWithJobLog<T>(fields: Omit<JobLogFields, 'phase'>, fn: () => T): T {
  return jobLog.run({ ...fields, phase: null }, fn);
}

/** The phase the current job's log lines carry from now on. */
export function setJobLogPhase(phase: string | null): void {
  const fields = jobLog.getStore();
  if (fields) fields.phase = phase;
}

function jobLogMixin(): object {
  return jobLog.getStore() ?? {};
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
    mixin: jobLogMixin,
    ...accessLog,
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A logger that writes nothing, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
