// `catalog-sync notify <database>`: the client for ETL scripts (notify-api section 4), with MB_API_KEY. Exits 0 on
// a 2xx answer and prints it; otherwise prints the server's message on stderr and exits 1.
import { callApi, CliError, failureLine, printJson, requireKey, setting, type CliIo } from './client.ts';
import type { ClientOptions } from './db-commands.ts';

export interface NotifyOptions extends ClientOptions {
  readonly tableId?: string;
  readonly tableName?: string;
  readonly schemaName?: string;
  readonly scan?: string;
  readonly wait?: boolean;
  readonly newTable?: boolean;
}

const ATTACHED_DWH = 'attached_datawarehouse';
const DEFAULT_TIMEOUT_SECONDS = 30;
/** Extra time over the server's waiting limit, so that its 504 with the job id arrives before the client gives up. */
const WAIT_MARGIN_SECONDS = 30;

export interface NotifyCall {
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** Whether the server holds the request until the job ends (or MB_NOTIFY_WAIT_SECONDS pass). */
  readonly waits: boolean;
}

/** The request a notify command makes: route, body (given flags only) and whether the server waits. */
export function notifyCall(database: string, options: NotifyOptions): NotifyCall {
  if (database !== ATTACHED_DWH && !/^[0-9]+$/.test(database)) {
    throw new CliError(`the database must be an id or ${ATTACHED_DWH}, not "${database}"`);
  }
  const body: Record<string, unknown> = {};
  if (options.newTable) {
    if (database === ATTACHED_DWH) {
      throw new CliError(`--new-table is not needed with ${ATTACHED_DWH}: --schema-name and --table-name select it`);
    }
    if (options.schemaName !== undefined) body.schema_name = options.schemaName;
    if (options.tableName !== undefined) body.table_name = options.tableName;
    return { path: `/api/notify/db/${database}/new-table`, body, waits: true };
  }
  if (options.tableId !== undefined) {
    body.table_id = /^[0-9]+$/.test(options.tableId) ? Number(options.tableId) : options.tableId;
  }
  if (options.tableName !== undefined) body.table_name = options.tableName;
  if (options.schemaName !== undefined) body.schema_name = options.schemaName;
  if (options.scan !== undefined) body.scan = options.scan;
  if (options.wait) body['synchronous?'] = true;
  // On attached_datawarehouse, a table name takes the new-table path, which always waits (notify-api 4.4).
  const waits = options.wait === true || (database === ATTACHED_DWH && options.tableName !== undefined);
  return { path: `/api/notify/db/${database}`, body, waits };
}

export async function notify(io: CliIo, baseUrl: string, database: string, options: NotifyOptions): Promise<number> {
  const call = notifyCall(database, options);
  const key = requireKey(io.env, 'MB_API_KEY', 'X-METABASE-APIKEY');
  const waitSeconds = Number(setting(io.env, 'MB_NOTIFY_WAIT_SECONDS') ?? 1800);
  const timeoutSeconds =
    options.timeout ??
    (call.waits ? (Number.isFinite(waitSeconds) ? waitSeconds : 1800) + WAIT_MARGIN_SECONDS : DEFAULT_TIMEOUT_SECONDS);
  const answer = await callApi({ baseUrl, method: 'POST', path: call.path, key, body: call.body, timeoutSeconds });
  if (answer.status < 200 || answer.status > 299) throw new CliError(failureLine(answer));
  printJson(io, answer.body);
  return 0;
}
