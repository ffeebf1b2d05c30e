// The service's own files are never a warehouse (issue 10): a SQLite or DuckDB path that resolves to the application
// database, its -wal, -shm or lock file, or anything under the service's data folder is refused before it is opened,
// so that `metabase_database.details` (passwords) can never be sampled and returned as field values.
import { readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DriverError, type Engine } from './driver.ts';

export interface ProtectedPaths {
  /** Folders whose contents are refused (the folder of MB_DB_FILE). */
  readonly folders: readonly string[];
  /** The application database file; it and its -wal, -shm and .lock companions are refused wherever linked from. */
  readonly appDbFile: string;
  /** Files under a protected folder that may still be a warehouse (the generated sample warehouse). */
  readonly allowed: readonly string[];
}

const COMPANIONS = ['', '-wal', '-shm', '-journal', '.lock'];

/**
 * The path with every existing prefix resolved through symlinks, dangling ones followed too (their target may be
 * created later); the rest, not yet created, appended as given.
 */
function canonical(path: string, depth = 0): string {
  let current: string = sep;
  for (const part of resolve(path).split(sep)) {
    if (part === '') continue;
    const next = join(current, part);
    try {
      current = realpathSync.native(next);
    } catch {
      let target: string | null = null;
      try {
        target = readlinkSync(next);
      } catch {
        target = null;
      }
      current = target !== null && depth < 40 ? canonical(resolve(current, target), depth + 1) : next;
    }
  }
  return current;
}

/** The paths a `db` value may name: as given (relative to the working directory), and as a `file:` URI's path. */
function candidates(db: string): string[] {
  const paths = [resolve(process.cwd(), db)];
  if (/^file:/i.test(db)) {
    const rest = db.slice('file:'.length).replace(/[?#].*$/s, '');
    try {
      paths.push(rest.startsWith('//') ? fileURLToPath(`file:${rest}`) : resolve(decodeURIComponent(rest)));
    } catch {
      paths.push(resolve(rest));
    }
  }
  return paths;
}

function fold(path: string): string {
  return path.toLowerCase();
}

/** Inside `folder` or the folder itself, compared without regard to case (case-insensitive file systems). */
function within(path: string, folder: string): boolean {
  const p = fold(path);
  const f = fold(folder);
  return p === f || p.startsWith(f.endsWith(sep) ? f : f + sep);
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Throws PERMISSION_DENIED when `db` names the service's own files; a no-op without protected paths. */
export function refuseServicePath(engine: Engine, db: string, guard: ProtectedPaths | undefined): void {
  if (guard === undefined) return;
  const refuse = () =>
    new DriverError(
      'PERMISSION_DENIED',
      engine,
      `The path "${db}" is inside the service's data folder or names its application database; ` +
        'a warehouse file must live elsewhere.',
    );
  const appFiles = COMPANIONS.map((suffix) => `${guard.appDbFile}${suffix}`);
  const allowed = guard.allowed.map(canonical);
  const folders = guard.folders.map(canonical);
  for (const candidate of candidates(db)) {
    const path = canonical(candidate);
    // A hard link has its own path: compare the file itself with the application database's files.
    if (appFiles.some((file) => within(path, canonical(file)) || sameFile(path, file))) throw refuse();
    if (allowed.includes(path)) continue;
    if (folders.some((folder) => within(path, folder))) throw refuse();
  }
}

/** The protected paths of an application database file: its folder, except the sample warehouse written there. */
export function protectedPathsOf(appDbFile: string, sampleFile: string): ProtectedPaths {
  const file = isAbsolute(appDbFile) ? appDbFile : resolve(appDbFile);
  return Object.freeze({
    folders: Object.freeze([dirname(file)]),
    appDbFile: file,
    allowed: Object.freeze([resolve(sampleFile)]),
  });
}
