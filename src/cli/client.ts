// The HTTP client side of the CLI (`db add`, `db list`, `notify`): requests with a key header and a timeout, and
// one-line failure messages built from the server's answer. Keys are sent, never printed.
import { sanitize } from '../errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Where the CLI writes; tests pass collectors, the entry point passes the process streams. */
export interface CliIo {
  readonly env: Env;
  /** Whether stderr is a terminal: progress lines are then rewritten in place. */
  readonly tty?: boolean;
  out(text: string): void;
  err(text: string): void;
}

/** Exit statuses: done, failed (the job, the server or the connection), bad input, timed out waiting. */
export const EXIT = { done: 0, failed: 1, badInput: 2, timedOut: 3 } as const;

/** A failure the CLI reports as one line on stderr, exiting with `exitCode` (default 1). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.failed) {
    super(message);
    this.exitCode = exitCode;
  }
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed body for JSON answers, the text otherwise. */
  readonly body: unknown;
}

export interface ApiRequest {
  readonly baseUrl: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly key: { readonly header: string; readonly value: string };
  readonly body?: unknown;
  readonly timeoutSeconds: number;
}

/** A setting's value; empty or whitespace-only counts as unset, as for the server (notify-api section 1). */
export function setting(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The server's address from MB_JETTY_HOST and MB_JETTY_PORT; a wildcard bind address is reached on localhost. */
export function defaultBaseUrl(env: Env): string {
  const bound = setting(env, 'MB_JETTY_HOST') ?? 'localhost';
  const host = bound === '0.0.0.0' || bound === '::' ? 'localhost' : bound;
  return `http://${host.includes(':') ? `[${host}]` : host}:${setting(env, 'MB_JETTY_PORT') ?? '3000'}`;
}

/** The key from `name`, or a CliError that says which variable to set and which header carries it. */
export function requireKey(env: Env, name: string, header: string): { header: string; value: string } {
  const value = setting(env, name);
  if (value === undefined) throw new CliError(`${name} is not set: set it to the server's key, sent as ${header}`);
  return { header, value };
}

/** A positive number of seconds given on the command line. */
export function parseSeconds(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new CliError(`--timeout must be a positive number of seconds`);
  return value;
}

export async function callApi(request: ApiRequest): Promise<ApiAnswer> {
  const url = new URL(request.path, request.baseUrl);
  const headers: Record<string, string> = { [request.key.header]: request.key.value };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(request.timeoutSeconds * 1000),
    });
  } catch (error) {
    const name = (error as { name?: unknown }).name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    const message = transportFailure(error, url.origin, request.timeoutSeconds, request.key.value);
    throw new CliError(message, timedOut ? EXIT.timedOut : EXIT.failed);
  }
  const text = await response.text();
  const json = /^application\/([\w.+-]*\+)?json/i.test(response.headers.get('content-type') ?? '');
  let body: unknown = text;
  if (json && text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, headers: response.headers, body };
}

function transportFailure(error: unknown, origin: string, timeoutSeconds: number, key: string): string {
  const name = (error as { name?: unknown }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer from ${origin} within ${timeoutSeconds} s`;
  const cause = (error as { cause?: unknown }).cause;
  const reason = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return sanitize(`cannot reach ${origin}: ${reason}`, [key]);
}

/** The exit status of a non-2xx answer: bad input for 400, 404 and 413, timed out for 504, failed otherwise. */
export function failureExit(status: number): number {
  if (status === 400 || status === 404 || status === 413) return EXIT.badInput;
  return status === 504 ? EXIT.timedOut : EXIT.failed;
}

/** One line for a non-2xx answer: the status and the server's message (`HTTP 404: Not found.`). */
export function failureLine(answer: ApiAnswer): string {
  return `HTTP ${answer.status}: ${describeBody(answer.body)}`;
}

function describeBody(body: unknown): string {
  if (typeof body === 'string') return body.split('\n')[0] || '(empty body)';
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    if (typeof record.message === 'string') {
      return typeof record.job_id === 'number' ? `${record.message} (job ${record.job_id})` : record.message;
    }
    if (record.errors !== null && typeof record.errors === 'object') {
      return Object.entries(record.errors as Record<string, unknown>)
        .map(([key, description]) => `${key}: ${String(description)}`)
        .join('; ');
    }
  }
  return JSON.stringify(body);
}

/** Pretty JSON for stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
