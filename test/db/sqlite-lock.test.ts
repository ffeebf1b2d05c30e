import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { acquireSqliteLock, lockFileOf, SqliteLockHeld } from '../../src/db/sqlite-lock.ts';

function tempDbFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'nested', 'app.db');
}

/** Starts a node process that takes the lock, prints READY and then sleeps. */
async function holder(dbFile: string) {
  const module = JSON.stringify(new URL('../../src/db/sqlite-lock.ts', import.meta.url).href);
  const script = `import { acquireSqliteLock } from ${module};
acquireSqliteLock(${JSON.stringify(dbFile)}); console.log('READY'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('READY')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited early with ${code}`)));
  });
  return child;
}

describe('SQLite lock file', () => {
  test('creates the lock file next to the database file, missing folders included', (t) => {
    const dbFile = tempDbFile(t);
    const lock = acquireSqliteLock(dbFile);
    try {
      assert.equal(lock.file, `${dbFile}.lock`);
      assert.equal(lockFileOf(dbFile), lock.file);
      assert.ok(existsSync(lock.file));
    } finally {
      lock.release();
    }
  });

  test('a second holder in the same process is refused with a one-line reason naming the pid and the file', (t) => {
    const dbFile = tempDbFile(t);
    const lock = acquireSqliteLock(dbFile);
    try {
      assert.throws(
        () => acquireSqliteLock(dbFile),
        (error: unknown) => {
          assert.ok(error instanceof SqliteLockHeld);
          assert.equal(error.message, `another catalog-sync process (pid ${process.pid}) is using ${dbFile}`);
          assert.equal(error.pid, process.pid);
          return true;
        },
      );
    } finally {
      lock.release();
    }
  });

  test('release lets the next holder in, and releasing twice is harmless', (t) => {
    const dbFile = tempDbFile(t);
    const first = acquireSqliteLock(dbFile);
    first.release();
    first.release();
    const second = acquireSqliteLock(dbFile);
    second.release();
  });

  test('a lock file that cannot be used is reported with its path', (t) => {
    const dbFile = tempDbFile(t);
    mkdirSync(dirname(dbFile), { recursive: true });
    writeFileSync(lockFileOf(dbFile), 'not an SQLite file, written by someone else\n');
    assert.throws(() => acquireSqliteLock(dbFile), {
      message: `cannot use the lock file ${dbFile}.lock: file is not a database`,
    });
  });

  test('another process holding the lock keeps this one out; after kill -9 its lock does not count', async (t) => {
    const dbFile = tempDbFile(t);
    const child = await holder(dbFile);
    t.after(() => child.kill('SIGKILL'));
    assert.throws(() => acquireSqliteLock(dbFile), (error: unknown) => {
      assert.ok(error instanceof SqliteLockHeld);
      assert.equal(error.pid, child.pid);
      assert.equal(error.message, `another catalog-sync process (pid ${child.pid}) is using ${dbFile}`);
      return true;
    });
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const lock = acquireSqliteLock(dbFile);
    lock.release();
  });
});
