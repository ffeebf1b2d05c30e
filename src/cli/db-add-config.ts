// `catalog-sync db add --config FILE`: registers, through POST /api/database, every database of a config file
// (curation-notes.md section 2, read by src/config-file/) whose name the server does not have yet. The file is
// validated and its `{{ env VAR }}` templates expanded with this command's environment, as start-up would.
import { resolve } from 'node:path';
import { readConfigFile } from '../config-file/load.ts';
import { ConfigFileError } from '../config-file/parse.ts';
import { callApi, CliError, EXIT, failureExit, failureLine, printJson, requireKey, type CliIo } from './client.ts';
import type { ClientOptions } from './db-commands.ts';

const DEFAULT_TIMEOUT_SECONDS = 30;

export async function dbAddFromConfig(io: CliIo, baseUrl: string, file: string, options: ClientOptions): Promise<number> {
  let plan;
  try {
    plan = readConfigFile(resolve(file), io.env);
  } catch (error) {
    if (error instanceof ConfigFileError) throw new CliError(error.problems.join('\n'), EXIT.badInput);
    throw error;
  }
  const key = requireKey(io.env, 'MB_ADMIN_API_KEY', 'X-API-KEY');
  const timeoutSeconds = options.timeout ?? DEFAULT_TIMEOUT_SECONDS;
  const listed = await callApi({ baseUrl, method: 'GET', path: '/api/database', key, timeoutSeconds });
  if (listed.status !== 200) throw new CliError(failureLine(listed), failureExit(listed.status));
  const names = new Set(((listed.body as { data?: { name: string }[] }).data ?? []).map((d) => d.name));
  const created: unknown[] = [];
  let status: number = EXIT.done;
  for (const entry of plan.databases) {
    if (names.has(entry.name)) {
      io.err(`${entry.name}: skipped, a database with this name exists\n`);
      continue;
    }
    const body = {
      name: entry.name,
      engine: entry.engine,
      details: entry.details,
      is_full_sync: entry.columns.is_full_sync ?? true,
      is_attached_dwh: entry.columns.is_attached_dwh ?? false,
    };
    const answer = await callApi({ baseUrl, method: 'POST', path: '/api/database', key, body, timeoutSeconds });
    if (answer.status === 200) {
      created.push(answer.body);
      names.add(entry.name);
    } else {
      io.err(`${entry.name}: ${failureLine(answer)}\n`);
      if (status === EXIT.done) status = failureExit(answer.status);
    }
  }
  printJson(io, created);
  return status;
}
