// Entry point of the `catalog-sync` command (bin/catalog-sync.js, `npm start`): the only place that hands the
// process's environment and streams to the CLI.
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  tty: process.stderr.isTTY === true,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
