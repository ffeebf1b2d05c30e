// One process per SQLite application database (sync-engine.md section 2.1): the lock file `<file>.lock` next to it.
//
// The lock file is itself a small SQLite file that records the owner's pid, and the lock is SQLite's write lock on
// it, held by an open transaction for the life of the process. The operating system drops that lock when the
// process ends in any way (kill -9 included), so a stale lock cannot exist, and a pid reused by another process
// (common in containers, where the service gets the same pid on every start) cannot block a start either, as it
// would with a plain pid file.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';

const CREATE_OWNER_TABLE = `CREATE TABLE IF NOT EXISTS lock_owner (
  id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, since TEXT NOT NULL)`;
const SET_OWNER = 'INSERT OR REPLACE INTO lock_owner (id, pid, since) VALUES (1, ?, ?)';

export interface SqliteLock {
  /** Path of the lock file. */
  readonly file: string;
  /** Releases the lock; idempotent. The file stays: removing it could let two processes lock two different files. */
  release(): void;
}

/** Another process holds the lock. The message is one line naming the pid (when known) and the database file. */
export class SqliteLockHeld extends Error {
  override readonly name = 'SqliteLockHeld';
  readonly pid: number | null;

  constructor(dbFile: string, pid: number | null) {
    const who = pid === null ? 'another catalog-sync process' : `another catalog-sync process (pid ${pid})`;
    super(`${who} is using ${dbFile}`);
    this.pid = pid;
  }
}

export function lockFileOf(dbFile: string): string {
  return `${dbFile}.lock`;
}

/** Takes the lock of an SQLite application database file at once, or throws SqliteLockHeld without waiting. */
export function acquireSqliteLock(dbFile: string): SqliteLock {
  const file = lockFileOf(dbFile);
  let lockDb: SQLite.Database;
  try {
    mkdirSync(dirname(file), { recursive: true });
    lockDb = new SQLite(file, { timeout: 0 });
  } catch (error) {
    throw unusable(file, error);
  }
  try {
    if (!begin(lockDb)) throw new SqliteLockHeld(dbFile, ownerPid(lockDb));
    lockDb.exec(CREATE_OWNER_TABLE);
    lockDb.prepare(SET_OWNER).run(process.pid, new Date().toISOString());
    lockDb.exec('COMMIT');
    // The pid had to be committed to be readable by others; another process may win the lock in between.
    if (!begin(lockDb)) {
      const pid = ownerPid(lockDb);
      throw new SqliteLockHeld(dbFile, pid === process.pid ? null : pid);
    }
  } catch (error) {
    lockDb.close();
    throw error instanceof SqliteLockHeld ? error : unusable(file, error);
  }
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      lockDb.close();
    },
  };
}

function unusable(file: string, error: unknown): Error {
  return new Error(`cannot use the lock file ${file}: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

function begin(lockDb: SQLite.Database): boolean {
  try {
    lockDb.exec('BEGIN IMMEDIATE');
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return false;
    throw error;
  }
}

function ownerPid(lockDb: SQLite.Database): number | null {
  try {
    const row = lockDb.prepare('SELECT pid FROM lock_owner WHERE id = 1').get() as { pid: number } | undefined;
    return row?.pid ?? null;
  } catch {
    return null;
  }
}
