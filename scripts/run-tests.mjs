// `npm test`: starts one ephemeral PostgreSQL for the whole run (unless TEST_PG_URL is set), then runs every
// test file with node's built-in runner, then stops the server. Extra arguments are passed to `node --test`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.some((a) => a.endsWith('.ts')) ? [] : testFiles('test');
const env = { ...process.env };
let server;
if (!env.TEST_PG_URL) {
  const { startPostgres } = await import('../test/support/postgres.ts');
  server = await startPostgres();
  env.TEST_PG_URL = server.url;
}
let status = 1;
try {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...args, ...files], {
    stdio: 'inherit',
    env,
  });
  status = result.status ?? 1;
} finally {
  server?.stop();
}
process.exit(status);
