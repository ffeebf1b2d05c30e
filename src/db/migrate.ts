// Applies the migrations at start-up. The same list runs on SQLite and PostgreSQL.
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { AppDb } from './connect.ts';
import { initialMigration } from './migrations/001-initial.ts';
import { settingsMigration } from './migrations/002-settings.ts';
import { operationsMigration } from './migrations/003-operations.ts';
import { listingHashesMigration } from './migrations/004-listing-hashes.ts';

class CodeMigrationProvider implements MigrationProvider {
  readonly #migrations: Record<string, Migration>;
  constructor(migrations: Record<string, Migration>) {
    this.#migrations = migrations;
  }
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.#migrations;
  }
}

export async function migrate(appDb: AppDb): Promise<void> {
  const migrator = new Migrator({
    db: appDb.db as unknown as Kysely<unknown>,
    provider: new CodeMigrationProvider({
      '001-initial': initialMigration(appDb.kind),
      '002-settings': settingsMigration(appDb.kind),
      '003-operations': operationsMigration(appDb.kind),
      '004-listing-hashes': listingHashesMigration(appDb.kind),
    }),
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
