// Settings stored in the application database (issue 8): the `encryption-check` sentinel of the credentials at rest
// and the settings applied from the config file. Keys are kebab-case as in Metabase's `setting` table.
import { sql, type Kysely } from 'kysely';
import type { AppDbKind } from '../connect.ts';

export function settingsMigration(_kind: AppDbKind) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql.raw(`CREATE TABLE setting (key text PRIMARY KEY, value text NOT NULL)`).execute(db);
    },
  };
}
