import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { BackupError } from './manifest.ts';

/** The embedded database's file in a data folder (as context.ts opens it). */
export const sqliteFile = (dataDir: string) => join(dataDir, 'parley.db');

/**
 * Copies the embedded database into `target` with SQLite's online backup API, while the server
 * keeps writing. All pages are copied in one step: a step-by-step copy starts over whenever
 * another connection writes between two steps, which under steady traffic could never finish;
 * one step reads one consistent snapshot (the WAL lets writers go on meanwhile).
 */
export async function snapshotSqlite(dataDir: string, target: string): Promise<void> {
  const file = sqliteFile(dataDir);
  if (!existsSync(file))
    throw new BackupError(`No Parley database at ${file}: is PARLEY_DATA_DIR the server's data folder?`);
  const source = new DatabaseSync(file, { readOnly: true });
  try {
    source.exec('PRAGMA busy_timeout = 5000');
    await backup(source, target, { rate: 2_000_000_000 });
  } finally {
    source.close();
  }
  // The copy stands alone: its own journal mode set back to the usual rollback file.
  const copy = new DatabaseSync(target);
  try {
    copy.exec('PRAGMA journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

/** Rows per table and the applied migrations of a database file (a snapshot no one writes). */
export function describeSqlite(file: string): { counts: Record<string, number>; migrations: string[] } {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as Array<{ name: string }>;
    const counts: Record<string, number> = {};
    for (const { name } of tables) {
      const row = db.prepare(`SELECT count(*) AS n FROM "${name.replaceAll('"', '""')}"`).get() as {
        n: number;
      };
      counts[name] = Number(row.n);
    }
    const migrations = tables.some((t) => t.name === 'parley_migrations')
      ? (
          db.prepare('SELECT name FROM parley_migrations ORDER BY timestamp, name').all() as Array<{
            name: string;
          }>
        ).map((r) => r.name)
      : [];
    return { counts, migrations };
  } finally {
    db.close();
  }
}

/** A data folder a restore may write into: missing, empty, or holding only a key file. */
export function assertEmptyDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  const present = readdirSync(dataDir).filter((n) => n !== 'secret.key');
  if (present.length > 0)
    throw new BackupError(
      `Restore needs an empty data folder, but ${dataDir} holds ${present.slice(0, 5).join(', ')}${present.length > 5 ? ', ...' : ''}. Point PARLEY_DATA_DIR at a new folder (or move this one away) and run the restore again.`,
    );
}
