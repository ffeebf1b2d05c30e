// An ephemeral MariaDB server for tests: mariadb-install-db + mariadbd in a temporary folder on a free port, bound to
// 127.0.0.1, run as the `mysql` user when the tests run as root. Authentication is real: the suites connect as a user
// with a password. TEST_MYSQL_URL points the suites at an existing server instead (a user that may create databases
// and users). scripts/run-tests.mjs may start one server for the whole run and pass its URL down as TEST_MYSQL_URL.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './postgres.ts';

export interface MariaDbServer {
  /** URL of the server's test user (all privileges, with grant option), without a database. */
  readonly url: string;
  readonly port: number;
  stop(): void;
}

const TEST_USER = 'catalog_test';
const TEST_PASSWORD = 'catalog-test-pw';
const STARTUP_TIMEOUT_MS = 60_000;

function findBin(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return name;
}

/** uid and gid of the `mysql` user when the tests run as root, so that the server never runs as root. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'mysql']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'mysql']).toString().trim());
  return { uid, gid };
}

async function waitForServer(socket: string, exited: () => string | null): Promise<mysql.Connection> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    const exit = exited();
    if (exit !== null) throw new Error(`mariadbd exited during start-up (${exit})`);
    try {
      return await mysql.createConnection({ socketPath: socket, user: 'root' });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** `extraArgs`: more server options, e.g. `--ssl-cert=…` and `--ssl-key=…` for a server with TLS. */
export async function startMariaDb(extraArgs: readonly string[] = []): Promise<MariaDbServer> {
  const root = mkdtempSync(join(tmpdir(), 'catalog-sync-mariadb-'));
  const dataDir = join(root, 'data');
  const tmpDir = join(root, 'tmp');
  const socket = join(root, 'mysqld.sock');
  const identity = serverIdentity();
  if (identity) chownSync(root, identity.uid, identity.gid);
  const installArgs = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
  ];
  execFileSync(findBin('mariadb-install-db'), installArgs, { stdio: 'pipe', ...identity });
  mkdirSync(tmpDir);
  if (identity) chownSync(tmpDir, identity.uid, identity.gid);
  const port = await freePort();
  const server = spawn(
    findBin('mariadbd'),
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--tmpdir=${tmpDir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${join(root, 'mariadbd.pid')}`,
      `--log-error=${join(root, 'error.log')}`,
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=16M',
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-doublewrite=0',
      '--max-connections=300',
      ...extraArgs,
    ],
    { stdio: 'ignore', ...identity },
  );
  let exit: string | null = null;
  server.once('exit', (code, signal) => (exit = `code ${code}, signal ${signal}`));
  const stop = () => {
    try {
      if (exit === null) server.kill('SIGKILL');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    const admin = await waitForServer(socket, () => exit);
    try {
      await admin.query(`CREATE USER '${TEST_USER}'@'%' IDENTIFIED BY '${TEST_PASSWORD}'`);
      await admin.query(`GRANT ALL PRIVILEGES ON *.* TO '${TEST_USER}'@'%' WITH GRANT OPTION`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    const log = existsSync(join(root, 'error.log')) ? readFileSync(join(root, 'error.log'), 'utf8').slice(-2000) : '';
    stop();
    throw new Error(`could not start MariaDB: ${error instanceof Error ? error.message : String(error)}\n${log}`);
  }
  server.unref();
  return { url: `mysql://${TEST_USER}:${TEST_PASSWORD}@127.0.0.1:${port}/`, port, stop };
}

let shared: Promise<MariaDbServer> | undefined;

/** The suite's server: TEST_MYSQL_URL when set, otherwise one ephemeral server per test process, stopped at exit. */
export function testMysql(): Promise<{ url: string }> {
  const url = process.env.TEST_MYSQL_URL;
  if (url) return Promise.resolve({ url });
  shared ??= startMariaDb().then((server) => {
    process.once('exit', () => server.stop());
    return server;
  });
  return shared;
}

export interface MysqlTestDatabase {
  readonly url: string;
  readonly name: string;
  readonly details: { host: string; port: number; dbname: string; user: string; password: string; ssl: boolean };
}

let counter = 0;

/** Creates a fresh, uniquely named database on the test server and returns its URL and connection details. */
export async function createMysqlTestDatabase(prefix = 'wh'): Promise<MysqlTestDatabase> {
  const { url } = await testMysql();
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  await execMysql(url, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return {
    url: parsed.toString(),
    name,
    details: {
      host: parsed.hostname,
      port: Number(parsed.port || 3306),
      dbname: name,
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      ssl: false,
    },
  };
}

/** Drops a database created by createMysqlTestDatabase. */
export async function dropMysqlDatabase(name: string): Promise<void> {
  const { url } = await testMysql();
  await execMysql(url, `DROP DATABASE IF EXISTS \`${name}\``);
}

/** Runs SQL statements (autocommit, one after another) against a database URL. */
export async function execMysql(url: string, ...statements: string[]): Promise<void> {
  const connection = await mysql.createConnection(url);
  try {
    for (const statement of statements) await connection.query(statement);
  } finally {
    await connection.end();
  }
}

let users = 0;

/**
 * A user of its own on the test server, with a password and the given grant (`$db` stands for the quoted database
 * name; '' grants nothing), so that a test can count, limit or break its sessions. drop() removes it.
 */
export async function createMysqlUser(
  database: string,
  grant: string,
): Promise<{ user: string; password: string; drop(): Promise<void> }> {
  const { url } = await testMysql();
  const user = `u_${process.pid}_${Date.now().toString(36)}_${users++}`;
  const password = `pw-${user}`;
  const grants = grant ? [`GRANT ${grant.replaceAll('$db', `\`${database}\``)} TO '${user}'@'%'`] : [];
  await execMysql(url, `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`, ...grants);
  return { user, password, drop: () => execMysql(url, `DROP USER IF EXISTS '${user}'@'%'`) };
}
