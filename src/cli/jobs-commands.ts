// `catalog-sync jobs` and `catalog-sync tasks`: recent sync jobs (GET /api/ui/jobs) and task history (GET /api/task)
// as tables, with MB_ADMIN_API_KEY.
import type { Command } from 'commander';
import type { TaskObject } from '../http/task-routes.ts';
import type { JobSummary } from '../http/ui-api-routes.ts';
import { callApi, CliError, failureExit, failureLine, requireKey, type CliIo } from './client.ts';
import { formatTable, type ClientOptions } from './db-commands.ts';

const DEFAULT_TIMEOUT_SECONDS = 30;

export interface JobsOptions extends ClientOptions {
  readonly dbId?: string;
}

export interface TasksOptions extends JobsOptions {
  readonly status?: string;
  readonly limit?: string;
  readonly offset?: string;
}

async function adminGet(io: CliIo, baseUrl: string, path: string, options: ClientOptions): Promise<unknown> {
  const answer = await callApi({
    baseUrl,
    method: 'GET',
    path,
    key: requireKey(io.env, 'MB_ADMIN_API_KEY', 'X-API-KEY'),
    timeoutSeconds: options.timeout ?? DEFAULT_TIMEOUT_SECONDS,
  });
  if (answer.status !== 200) throw new CliError(failureLine(answer), failureExit(answer.status));
  return answer.body;
}

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, value);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

const cell = (value: unknown): string => (value === null || value === undefined ? '-' : String(value));

type JobRow = JobSummary & { readonly database_name: string | null };

export async function jobsCommand(io: CliIo, baseUrl: string, options: JobsOptions): Promise<number> {
  const body = (await adminGet(io, baseUrl, `/api/ui/jobs${query({ db_id: options.dbId })}`, options)) as {
    data?: readonly JobRow[];
  };
  const rows = (body.data ?? []).map((j) => [
    String(j.id),
    `${j.database_id} ${j.database_name ?? ''}`.trim(),
    j.state,
    j.enqueued_at,
    j.duration === null ? '-' : `${j.duration} ms`,
    j.triggers.join(','),
    cell(j.error),
  ]);
  io.out(formatTable(['id', 'database', 'state', 'enqueued_at', 'duration', 'triggers', 'error'], rows));
  return 0;
}

export async function tasksCommand(io: CliIo, baseUrl: string, options: TasksOptions): Promise<number> {
  const path = `/api/task${query({
    db_id: options.dbId,
    status: options.status,
    limit: options.limit ?? '50',
    offset: options.offset ?? '0',
  })}`;
  const body = (await adminGet(io, baseUrl, path, options)) as { data?: readonly TaskObject[]; total?: number };
  const rows = (body.data ?? []).map((t) => [
    String(t.id),
    t.parent_id === null ? t.task : `  ${t.task}`,
    cell(t.db_id),
    cell(t.job_id),
    t.started_at,
    t.duration === null ? '-' : `${t.duration} ms`,
    t.status,
  ]);
  io.out(formatTable(['id', 'task', 'db_id', 'job_id', 'started_at', 'duration', 'status'], rows));
  io.out(`${rows.length} of ${body.total ?? rows.length} rows\n`);
  return 0;
}

/** Adds `jobs` and `tasks` to the program; `client` adds the shared --url and --timeout options. */
export function registerJobsCommands(
  program: Command,
  io: CliIo,
  done: (status: number) => void,
  client: (command: Command) => Command,
  baseUrl: (options: ClientOptions) => string,
): void {
  client(
    program
      .command('jobs')
      .description('recent sync jobs, newest first (MB_ADMIN_API_KEY)')
      .option('--db-id <id>', 'only this database'),
  ).action(async (options: JobsOptions) => done(await jobsCommand(io, baseUrl(options), options)));
  client(
    program
      .command('tasks')
      .description('task history, newest first, steps indented under their operation (MB_ADMIN_API_KEY)')
      .option('--db-id <id>', 'only this database')
      .option('--status <status>', 'started, success, failed or unknown')
      .option('--limit <n>', 'rows per page (default 50)')
      .option('--offset <n>', 'rows to skip (default 0)'),
  ).action(async (options: TasksOptions) => done(await tasksCommand(io, baseUrl(options), options)));
}
