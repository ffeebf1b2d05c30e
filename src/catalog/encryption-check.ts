// The `encryption-check` sentinel (curation-notes.md section 3): a random UUID encrypted with the key, or
// "unencrypted". Start-up refuses a key that cannot read it, so a wrong key never reaches a warehouse connection;
// the rotation re-encrypts every stored details value and the sentinel in one transaction.
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import type { AppSchema } from '../db/schema.ts';
import { ConfigError } from '../errors.ts';
import { DecryptionError, DetailsCodec, isPossiblyEncrypted } from './details-codec.ts';

export const ENCRYPTION_CHECK = 'encryption-check';
const UNENCRYPTED = 'unencrypted';

export const WRONG_KEY =
  'Database was encrypted with a different key than the MB_ENCRYPTION_SECRET_KEY environment contains';
export const KEY_MISSING =
  'The application database holds credentials encrypted with MB_ENCRYPTION_SECRET_KEY, which is not set';

function sentinelOf(codec: DetailsCodec): string {
  return codec.key ? codec.key.encrypt(randomUUID()) : UNENCRYPTED;
}

/** Throws a ConfigError when the stored sentinel was written with another key (or with a key, and none is set). */
function checkSentinel(stored: string, codec: DetailsCodec): void {
  if (!isPossiblyEncrypted(stored)) return;
  if (!codec.key) throw new ConfigError(KEY_MISSING);
  try {
    codec.key.decrypt(stored);
  } catch {
    throw new ConfigError(WRONG_KEY);
  }
}

/**
 * Start-up check after migrations: refuses a wrong or missing key; writes the sentinel when there is none yet, and
 * the key's sentinel when a key is used for the first time (plaintext rows stay readable and are encrypted when next
 * written).
 */
export async function verifyEncryptionKey(appDb: AppDb, codec: DetailsCodec): Promise<void> {
  const stored = await readSetting(appDb.db, ENCRYPTION_CHECK);
  if (stored === undefined) {
    await appDb.db
      .insertInto('setting')
      .values({ key: ENCRYPTION_CHECK, value: sentinelOf(codec) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    // Another instance may have written its own at the same moment: check whichever one won.
    checkSentinel((await readSetting(appDb.db, ENCRYPTION_CHECK)) ?? UNENCRYPTED, codec);
    return;
  }
  checkSentinel(stored, codec);
  if (codec.key && !isPossiblyEncrypted(stored)) {
    await appDb.db
      .updateTable('setting')
      .set({ value: sentinelOf(codec) })
      .where('key', '=', ENCRYPTION_CHECK)
      .where('value', '=', stored)
      .execute();
  }
}

async function readSetting(db: AppDb['db'] | Transaction<AppSchema>, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('setting').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/**
 * Re-encrypts every database's details from `from` to `to` (a codec without a key stores plain JSON) and writes the
 * new sentinel, in one transaction: any value that `from` cannot read aborts it all. Returns the number of rows.
 */
export async function rotateEncryptionKey(appDb: AppDb, from: DetailsCodec, to: DetailsCodec): Promise<number> {
  return await appDb.db.transaction().execute(async (trx) => {
    const stored = await readSetting(trx, ENCRYPTION_CHECK);
    if (stored !== undefined) checkSentinel(stored, from);
    const rows = await trx.selectFrom('metabase_database').select(['id', 'details']).orderBy('id').execute();
    for (const row of rows) {
      let text: string;
      try {
        text = from.decodeText(row.details);
      } catch (error) {
        if (error instanceof DecryptionError) throw new ConfigError(`${WRONG_KEY} (database ${row.id})`);
        throw error;
      }
      const details = to.key ? to.key.encrypt(text) : text;
      await trx.updateTable('metabase_database').set({ details }).where('id', '=', row.id).execute();
    }
    const sentinel = sentinelOf(to);
    if (stored === undefined) await trx.insertInto('setting').values({ key: ENCRYPTION_CHECK, value: sentinel }).execute();
    else await trx.updateTable('setting').set({ value: sentinel }).where('key', '=', ENCRYPTION_CHECK).execute();
    return rows.length;
  });
}
