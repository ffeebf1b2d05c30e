// The engines of the driver conformance suite, each with its fixture; every case file runs its cases for each.
import type { EngineFixture } from './engine-fixture.ts';
import { duckdbFixture } from './fixtures/duckdb.ts';
import { mariadbFixture } from './fixtures/mariadb.ts';
import { postgresFixture } from './fixtures/postgres.ts';
import { sqliteFixture } from './fixtures/sqlite.ts';

export const ENGINE_FIXTURES: readonly EngineFixture[] = [
  postgresFixture,
  mariadbFixture,
  sqliteFixture,
  duckdbFixture,
];
