// The `catalog-sync` command line: serve | db add | db list | notify. runCli() returns the exit status instead of
// exiting, so that tests run it in-process with their own environment and output collectors.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError, defaultBaseUrl, EXIT, parseSeconds, type CliIo } from './client.ts';
import { dbAdd, dbList, type ClientOptions, type DbAddOptions } from './db-commands.ts';
import { registerJobsCommands } from './jobs-commands.ts';
import { notify, type NotifyOptions } from './notify-command.ts';

const ENGINES = ['postgres', 'mysql', 'sqlite', 'duckdb'];

function seconds(raw: string): number {
  try {
    return parseSeconds(raw);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function clientOptions(command: Command): Command {
  return command
    .option('--url <url>', 'server address (default: http://$MB_JETTY_HOST:$MB_JETTY_PORT, http://localhost:3000)')
    .option('--timeout <seconds>', 'request timeout (default: 30; when waiting, MB_NOTIFY_WAIT_SECONDS + 30)', seconds);
}

function buildProgram(io: CliIo, done: (status: number) => void): Command {
  const program = new Command('catalog-sync')
    .description('Metadata catalog and sync service with a Metabase-compatible /api/notify')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .showHelpAfterError();

  program
    .command('serve')
    .description('run the service (settings from MB_* environment variables)')
    // Loaded on use: the client commands, run often from ETL scripts, need none of the server's modules.
    .action(async () => done(await (await import('./serve.ts')).serve(io)));

  const db = program.command('db').description('register and list warehouses (management API, MB_ADMIN_API_KEY)');
  clientOptions(
    db
      .command('add')
      .description('register a warehouse and queue its first sync; prints the created database')
      .option('--config <file>', 'register the databases of this config file that the server does not have yet')
      .option('--name <name>', 'display name (required without --config)')
      .addOption(new Option('--engine <engine>', 'engine (required without --config)').choices(ENGINES))
      .option('--host <host>', 'server host (postgres, mysql)')
      .option('--port <port>', 'server port (postgres, mysql)')
      .option('--dbname <dbname>', 'database name (postgres, mysql)')
      .option('--user <user>', 'user (postgres, mysql)')
      .option('--password <password>', 'password; CATALOG_SYNC_DB_PASSWORD keeps it off the command line')
      .option('--ssl', 'connect with TLS (postgres, mysql)')
      .option('--db <path>', 'database file (sqlite, duckdb), relative paths resolved by the server')
      .option('--attached-dwh', 'flag it as the attached data warehouse')
      .option('--no-full-sync', 'metadata only: no analysis and no field values'),
  ).action(async (options: DbAddOptions) => done(await dbAdd(io, baseUrl(options), options)));
  clientOptions(db.command('list').description('list the registered databases')).action(
    async (options: ClientOptions) => done(await dbList(io, baseUrl(options), options)),
  );

  clientOptions(
    program
      .command('notify')
      .description('tell the server that a warehouse changed (MB_API_KEY); exits 0 done, 1 failed, 2 bad input, 3 timed out')
      .argument('<database>', 'database id, or attached_datawarehouse')
      .option('--table-id <id>', 'sync this table')
      .option('--table-name <name>', 'sync the tables with this name (or, with --new-table, add it)')
      .option('--schema-name <name>', 'schema of --table-name')
      .addOption(new Option('--scan <scan>', 'full (default) or schema (metadata only)').choices(['full', 'schema']))
      .option('--wait', 'follow the sync until it ends, with a progress line on stderr')
      .option('--new-table', 'add the new table --schema-name.--table-name and sync it (always waits)'),
  ).action(async (database: string, options: NotifyOptions) =>
    done(await notify(io, baseUrl(options), database, options)),
  );

  program
    .command('config')
    .description('config file tools')
    .command('validate')
    .description('check a config file as start-up would (templates expanded with this environment); exit 2 on problems')
    .argument('<file>', 'the YAML file')
    .action(async (file: string) => done((await import('./config-command.ts')).validateConfigFile(io, file)));

  program
    .command('rotate-encryption-key')
    .description('re-encrypt stored credentials with NEW ("" decrypts them); MB_ENCRYPTION_SECRET_KEY is the old key')
    .argument('<new-key>', 'the new key, at least 16 characters, or ""')
    .action(async (key: string) => done(await (await import('./rotate-key-command.ts')).rotateKey(io, key)));

  registerJobsCommands(program, io, done, clientOptions, baseUrl);

  function baseUrl(options: ClientOptions): string {
    return options.url ?? defaultBaseUrl(io.env);
  }
  return program;
}

/** Runs one command line (without the node and script arguments) and returns the exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let status = 0;
  const program = buildProgram(io, (code) => {
    status = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.done : EXIT.badInput;
    if (error instanceof CliError) {
      io.err(`${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
