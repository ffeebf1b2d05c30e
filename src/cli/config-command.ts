// `catalog-sync config validate FILE`: the checks start-up makes on a config file, templates expanded with this
// environment, without touching any database. Exit 0 with one line, or 2 with one line per problem.
import { resolve } from 'node:path';
import { ConfigFileError } from '../config-file/parse.ts';
import { readConfigFile } from '../config-file/load.ts';
import type { CliIo } from './client.ts';

export function validateConfigFile(io: CliIo, file: string): number {
  try {
    const plan = readConfigFile(resolve(file), io.env);
    const settings = Object.keys(plan.settings).length;
    io.out(`OK: ${file} is valid (${plan.databases.length} databases, ${settings} settings)\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    for (const problem of error.problems) io.err(`${problem}\n`);
    return 2;
  }
}
