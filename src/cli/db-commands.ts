// `catalog-sync db add` and `catalog-sync db list`: the management API (notify-api section 6) with MB_ADMIN_API_KEY.
import { callApi, CliError, EXIT, failureExit, failureLine, printJson, requireKey, setting, type CliIo } from './client.ts';

export interface ClientOptions {
  readonly url?: string;
  readonly timeout?: number;
}

export interface DbAddOptions extends ClientOptions {
  /** Register the databases of this config file instead (db-add-config.ts). */
  readonly config?: string;
  readonly name?: string;
  readonly engine?: string;
  readonly host?: string;
  readonly port?: string;
  readonly dbname?: string;
  readonly user?: string;
  readonly password?: string;
  readonly ssl?: boolean;
  readonly db?: string;
  readonly attachedDwh?: boolean;
  readonly fullSync: boolean;
}

const DEFAULT_TIMEOUT_SECONDS = 30;

/** The POST /api/database body: the given flags only; the server validates them and fills in the defaults. */
export function databaseBody(options: DbAddOptions, env: CliIo['env']): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  if (options.host !== undefined) details.host = options.host;
  if (options.port !== undefined) details.port = /^[0-9]+$/.test(options.port) ? Number(options.port) : options.port;
  if (options.dbname !== undefined) details.dbname = options.dbname;
  if (options.user !== undefined) details.user = options.user;
  const password = options.password ?? setting(env, 'CATALOG_SYNC_DB_PASSWORD');
  if (password !== undefined) details.password = password;
  if (options.ssl) details.ssl = true;
  if (options.db !== undefined) details.db = options.db;
  return {
    name: options.name,
    engine: options.engine,
    details,
    is_attached_dwh: options.attachedDwh === true,
    is_full_sync: options.fullSync,
  };
}

export async function dbAdd(io: CliIo, baseUrl: string, options: DbAddOptions): Promise<number> {
  const flags = Object.keys(options).filter((k) => !['config', 'url', 'timeout', 'fullSync'].includes(k));
  if (options.config !== undefined) {
    if (flags.length > 0 || !options.fullSync) {
      throw new CliError('--config takes no other database flags (the file describes the databases)', EXIT.badInput);
    }
    return (await import('./db-add-config.ts')).dbAddFromConfig(io, baseUrl, options.config, options);
  }
  if (options.name === undefined || options.engine === undefined) {
    throw new CliError('db add needs --name and --engine, or --config FILE', EXIT.badInput);
  }
  const body = databaseBody(options, io.env);
  const answer = await callApi({
    baseUrl,
    method: 'POST',
    path: '/api/database',
    key: requireKey(io.env, 'MB_ADMIN_API_KEY', 'X-API-KEY'),
    body,
    timeoutSeconds: options.timeout ?? DEFAULT_TIMEOUT_SECONDS,
  });
  if (answer.status !== 200) throw new CliError(failureLine(answer), failureExit(answer.status));
  printJson(io, answer.body);
  return 0;
}

interface DatabaseSummary {
  readonly id: number;
  readonly name: string;
  readonly engine: string;
  readonly initial_sync_status: string;
}

export async function dbList(io: CliIo, baseUrl: string, options: ClientOptions): Promise<number> {
  const answer = await callApi({
    baseUrl,
    method: 'GET',
    path: '/api/database',
    key: requireKey(io.env, 'MB_ADMIN_API_KEY', 'X-API-KEY'),
    timeoutSeconds: options.timeout ?? DEFAULT_TIMEOUT_SECONDS,
  });
  if (answer.status !== 200) throw new CliError(failureLine(answer), failureExit(answer.status));
  const data = (answer.body as { data?: readonly DatabaseSummary[] }).data ?? [];
  const rows = data.map((d) => [String(d.id), d.name, d.engine, d.initial_sync_status]);
  io.out(formatTable(['id', 'name', 'engine', 'initial_sync_status'], rows));
  return 0;
}

/** Left-aligned columns separated by two spaces, a header line first. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `${l}\n`).join('');
}
