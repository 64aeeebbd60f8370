import { join } from 'node:path';
import { allMigrations } from './modules/index.ts';
import type { Config } from './platform/config.ts';
import { openDatabase } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrate.ts';

/**
 * Runs the migrations this version has that the configured storage lacks (a restored older
 * backup), without starting the app; returns how many ran. The server would run them on start too.
 */
export async function migrateStorage(config: Config): Promise<number> {
  const handle = await openDatabase({
    databaseUrl: config.databaseUrl,
    sqlitePath: join(config.dataDir, 'parley.db'),
    poolSize: 2,
  });
  try {
    const results = await migrateToLatest(handle.db, handle.dialect, allMigrations());
    return results.filter((r) => r.status === 'Success').length;
  } finally {
    await handle.close();
  }
}
