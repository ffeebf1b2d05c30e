// An ephemeral PostgreSQL server for tests: initdb + pg_ctl in a temporary folder on a free port, run as the
// `postgres` user when the tests run as root. TEST_PG_URL points the suites at an existing server instead.
// scripts/run-tests.mjs starts one server for the whole run and passes its URL down as TEST_PG_URL.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgServer {
  /** Superuser URL of the server's `postgres` database. */
  readonly url: string;
  readonly port: number;
  stop(): void;
}

function findBin(name: string): string {
  for (const dir of ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return name;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `extraOptions`: more server settings (`-c name=value …`), e.g. TLS for the driver's TLS tests. */
export async function startPostgres(extraOptions = ''): Promise<PgServer> {
  const root = mkdtempSync(join(tmpdir(), 'catalog-sync-pg-'));
  const dataDir = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (bin: string, args: string[]) => {
    const cmd = findBin(bin);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
    else execFileSync(cmd, args, { stdio: 'pipe' });
  };
  if (asRoot) {
    chmodSync(root, 0o755);
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(root, uid, gid);
  }
  const pwFile = join(root, 'pw');
  writeFileSync(pwFile, 'postgres\n');
  if (asRoot) execFileSync('chown', ['postgres', pwFile]);
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=md5', `--pwfile=${pwFile}`, '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c max_locks_per_transaction=256 ${extraOptions}`;
  run('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(root, 'log'), '-w', 'start']);
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    stop() {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

let shared: Promise<PgServer> | undefined;

/** The suite's server: TEST_PG_URL when set, otherwise one ephemeral server per test process, stopped at exit. */
export function testPg(): Promise<{ url: string }> {
  const url = process.env.TEST_PG_URL;
  if (url) return Promise.resolve({ url });
  shared ??= startPostgres().then((server) => {
    process.once('exit', () => server.stop());
    return server;
  });
  return shared;
}

let counter = 0;

/** Creates a fresh, uniquely named database on the test server and returns its URL and connection details. */
export async function createTestDatabase(prefix = 'wh'): Promise<{
  url: string;
  name: string;
  details: { host: string; port: number; dbname: string; user: string; password: string; ssl: boolean };
}> {
  const { url } = await testPg();
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return {
    url: parsed.toString(),
    name,
    details: {
      host: parsed.hostname,
      port: Number(parsed.port),
      dbname: name,
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      ssl: false,
    },
  };
}

/** Runs SQL statements (autocommit, one after another) against a database URL. */
export async function execSql(url: string, ...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
