// `catalog-sync notify <database>`: the client for ETL scripts (notify-api section 4), with MB_API_KEY. Prints the
// answer and exits 0; otherwise prints one line on stderr and exits 1 (failed), 2 (bad input) or 3 (timed out).
// `--wait` follows the job with a progress line (job-follow.ts) and exits with the job's outcome.
import { callApi, CliError, EXIT, failureExit, failureLine, printJson, requireKey, setting, type CliIo } from './client.ts';
import type { ClientOptions } from './db-commands.ts';
import { followJob, jobError } from './job-follow.ts';

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
    throw new CliError(`the database must be an id or ${ATTACHED_DWH}, not "${database}"`, EXIT.badInput);
  }
  const body: Record<string, unknown> = {};
  if (options.newTable) {
    if (database === ATTACHED_DWH) {
      throw new CliError(
        `--new-table is not needed with ${ATTACHED_DWH}: --schema-name and --table-name select it`,
        EXIT.badInput,
      );
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
  // A database or table sync that waits is sent without waiting and then followed, so its progress can be shown.
  const follow = call.body['synchronous?'] === true;
  const { 'synchronous?': _wait, ...asynchronous } = call.body;
  const body = follow ? asynchronous : call.body;
  const started = Date.now();
  const answer = await callApi({
    baseUrl,
    method: 'POST',
    path: call.path,
    key,
    body,
    timeoutSeconds: follow ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds,
  });
  if (answer.status < 200 || answer.status > 299) throw new CliError(failureLine(answer), failureExit(answer.status));
  if (!follow) {
    printJson(io, answer.body);
    return EXIT.done;
  }
  const jobId = (answer.body as { job_id: number }).job_id;
  const remaining = Math.max(1, timeoutSeconds - (Date.now() - started) / 1000);
  const request = { baseUrl, key, jobId, timeoutSeconds: remaining };
  if ((await followJob(io, request)) === 'failed') {
    throw new CliError(`job ${jobId} failed: ${await jobError(request)}`, EXIT.failed);
  }
  printJson(io, answer.body);
  return EXIT.done;
}
