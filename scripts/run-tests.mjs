// `npm test`: starts one ephemeral PostgreSQL and one MariaDB for the whole run (unless TEST_PG_URL / TEST_MYSQL_URL
// are set), then runs every test file with node's built-in runner, then stops the servers. Extra arguments are passed to `node --test`.
// The application database: every file runs on SQLite first, then the folders that depend on it run again with
// TEST_APP_DB=postgres (test/jobs runs on both by itself). TEST_APP_DB=sqlite or postgres runs one pass only, and so
// do explicit test files. The last line sums the passes: `total: <N> passed, <M> failed`.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The folders whose tests open the application database through test/support/app-db.ts. */
const APP_DB_FOLDERS = ['test/conformance', 'test/http', 'test/sync', 'test/cli', 'test/ui', 'test/config-file', 'test/ops', 'test/webhooks'];

function testFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** Runs one pass with node's output passed through as it is; counts its `# pass` and `# fail` lines. */
function runPass(files, appDb, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...args, ...files], {
      stdio: ['inherit', 'pipe', 'inherit'],
      env: { ...env, TEST_APP_DB: appDb },
    });
    const counts = { passed: 0, failed: 0 };
    let rest = '';
    const count = (line) => {
      const match = /^(?:# |ℹ )(pass|fail) (\d+)$/.exec(line);
      if (match) counts[match[1] === 'pass' ? 'passed' : 'failed'] += Number(match[2]);
    };
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop();
      lines.forEach(count);
    });
    child.on('close', (code) => {
      count(rest);
      resolve({ status: code ?? 1, ...counts });
    });
  });
}

const args = process.argv.slice(2);
const explicit = args.some((a) => a.endsWith('.ts'));
const all = explicit ? [] : testFiles('test');
const env = { ...process.env };
const only = env.TEST_APP_DB?.trim();
const passes =
  explicit || only
    ? [{ appDb: only || 'sqlite', files: all }]
    : [
        { appDb: 'sqlite', files: all },
        { appDb: 'postgres', files: all.filter((f) => APP_DB_FOLDERS.some((dir) => f.startsWith(`${dir}/`))) },
      ];
let server;
if (!env.TEST_PG_URL) {
  const { startPostgres } = await import('../test/support/postgres.ts');
  server = await startPostgres();
  env.TEST_PG_URL = server.url;
}
let mariadb;
if (!env.TEST_MYSQL_URL) {
  const { startMariaDb } = await import('../test/support/mariadb.ts');
  mariadb = await startMariaDb();
  env.TEST_MYSQL_URL = mariadb.url;
}
let status = 0;
const total = { passed: 0, failed: 0 };
try {
  for (const pass of passes) {
    if (passes.length > 1) process.stdout.write(`# application database: ${pass.appDb}\n`);
    const result = await runPass(pass.files, pass.appDb, env);
    if (result.status !== 0) status = result.status;
    total.passed += result.passed;
    total.failed += result.failed;
  }
} finally {
  server?.stop();
  mariadb?.stop();
}
process.stdout.write(`total: ${total.passed} passed, ${total.failed} failed\n`);
process.exit(status);
