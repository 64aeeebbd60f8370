import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Dialect } from './database.ts';

/** A migration that knows which storage it runs on (for the few statements that differ). */
export interface ParleyMigration {
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/**
 * Runs every pending migration. Names sort in the order they run: `0000_platform`,
 * `0100_contacts`, ...; each module owns a range of numbers. A module's new migration sorts
 * before later modules' existing ones (`0212_...` after `0530_...` has run), so an upgraded
 * database runs pending migrations out of order, in name order among themselves.
 */
export async function migrateToLatest(
  db: Kysely<any>,
  dialect: Dialect,
  migrations: Record<string, ParleyMigration>,
) {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(migrations)) out[name] = { up: (d) => m.up(d, dialect) };
      return out;
    },
  };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'parley_migrations',
    migrationLockTableName: 'parley_migrations_lock',
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(
      `Migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message ?? error}`,
      { cause: error },
    );
  }
  return results ?? [];
}
