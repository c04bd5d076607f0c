// Test support for one migration: a database migrated up to just before it (to seed rows the old
// schema allows), then the same data directory opened with that migration shipped too.
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, readMigrations, type Db } from '../store/db';

const SHIPPED = fileURLToPath(new URL('../store/migrations/', import.meta.url));

export interface MigrationStep {
  /** The temporary directory holding `migrations/` and `data/`; the caller removes it. */
  readonly root: string;
  /** The migrations directory the step opens with (the shipped ones up to `name`). */
  readonly migrations: string;
  readonly version: number;
  /** Opens the data directory migrated up to just before `name`. */
  before(): Db;
  /** Ships `name` too and opens the data directory again, which applies it. */
  after(): Db;
  /** Opens the data directory with every shipped migration, for today's stores to work on it. */
  latest(): Db;
}

export function migrationStep(name: string): MigrationStep {
  const target = readMigrations(SHIPPED).find((migration) => migration.name === name);
  if (!target) throw new Error(`no shipped migration ${name}`);
  const root = mkdtempSync(join(tmpdir(), 'byok-migration-'));
  const migrations = join(root, 'migrations');
  mkdirSync(migrations);
  for (const migration of readMigrations(SHIPPED).filter((candidate) => candidate.version < target.version)) {
    cpSync(join(SHIPPED, migration.name), join(migrations, migration.name));
  }
  const data = join(root, 'data');
  return {
    root,
    migrations,
    version: target.version,
    before: () => openDatabase(data, { migrationsDir: migrations }),
    after: () => {
      cpSync(join(SHIPPED, name), join(migrations, name));
      return openDatabase(data, { migrationsDir: migrations });
    },
    latest: () => openDatabase(data, { migrationsDir: SHIPPED }),
  };
}
