// `catalog-sync rotate-encryption-key NEW` (curation-notes.md section 3): run with the service stopped and
// MB_ENCRYPTION_SECRET_KEY holding the old key (unset when the details are plain); "" as NEW decrypts everything.
import { codecForSecret } from '../catalog/details-codec.ts';
import { rotateEncryptionKey } from '../catalog/encryption-check.ts';
import { loadConfig } from '../config.ts';
import { openAppDb, type AppDb } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { acquireSqliteLock, type SqliteLock } from '../db/sqlite-lock.ts';
import { sanitize } from '../errors.ts';
import type { CliIo } from './client.ts';

export const ROTATION_OK = 'Encryption key rotation OK.';

/** Exit 0 with ROTATION_OK, or 1 with the reason (never a key's value). */
export async function rotateKey(io: CliIo, newSecret: string): Promise<number> {
  const secrets = [newSecret, io.env.MB_ENCRYPTION_SECRET_KEY ?? ''].filter((s) => s.length > 0);
  let lock: SqliteLock | null = null;
  let appDb: AppDb | null = null;
  try {
    if (newSecret !== '' && newSecret.length < 16) throw new Error('The new key must be at least 16 characters.');
    const config = loadConfig(io.env);
    const from = codecForSecret(config.encryptionSecretKey);
    const to = codecForSecret(newSecret === '' ? null : newSecret);
    lock = config.dbType === 'sqlite' ? acquireSqliteLock(config.dbFile) : null;
    appDb = openAppDb(
      config.dbType === 'sqlite'
        ? { kind: 'sqlite', file: config.dbFile }
        : { kind: 'postgres', connectionUri: config.dbConnectionUri ?? '', max: 1 },
    );
    await migrate(appDb);
    await rotateEncryptionKey(appDb, from, to);
    io.out(`${ROTATION_OK}\n`);
    return 0;
  } catch (error) {
    io.err(`Encryption key rotation failed: ${sanitize(error instanceof Error ? error.message : String(error), secrets)}\n`);
    return 1;
  } finally {
    await appDb?.close().catch(() => undefined);
    lock?.release();
  }
}
