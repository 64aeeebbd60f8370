import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import { PARLEY_VERSION } from '../version.ts';
import { readArchive, writeArchive } from './archive.ts';
import {
  BACKUP_FORMAT_VERSION,
  BackupError,
  type BackupManifest,
  currentKey,
  ENTRY,
  keyFingerprint,
  parseKey,
} from './manifest.ts';
import { assertEmptyDatabase, dumpPostgres, restorePostgres } from './postgres.ts';
import { assertEmptyDataDir, describeSqlite, snapshotSqlite, sqliteFile } from './sqlite.ts';

export { BackupError, type BackupManifest } from './manifest.ts';

/** A scratch folder beside nothing else, removed whatever happens. */
async function withScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-backup-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes one archive of this install to `out` while it keeps serving: the database (SQLite's
 * online backup, or pg_dump of every schema, pg-boss's included), so its jobs and uploaded media
 * (kept in the database) too, and a manifest. The secret key goes in only with `includeKey`;
 * otherwise the archive records its fingerprint and restore needs the same key.
 */
export async function createBackup(
  config: Config,
  opts: { out: string; includeKey?: boolean; now?: Date },
): Promise<BackupManifest> {
  const key = currentKey(config);
  if (!key)
    throw new BackupError(
      `No secret key: set PARLEY_SECRET_KEY, or PARLEY_DATA_DIR to the folder holding secret.key (${config.dataDir} has none).`,
    );
  if (existsSync(opts.out)) throw new BackupError(`${opts.out} exists already; choose a new file name.`);
  if (!existsSync(dirname(resolve(opts.out))))
    throw new BackupError(`The folder of ${opts.out} does not exist; create it first.`);
  return withScratch(async (dir) => {
    const storage = config.databaseUrl ? 'postgres' : 'sqlite';
    const files: Array<{ name: string; path: string }> = [];
    let described: { counts: Record<string, number>; migrations: string[] };
    if (config.databaseUrl) {
      const dump = join(dir, 'parley.pgdump');
      described = await dumpPostgres(config.databaseUrl, dump);
      files.push({ name: ENTRY.postgres, path: dump });
    } else {
      const copy = join(dir, 'parley.db');
      await snapshotSqlite(config.dataDir, copy);
      described = describeSqlite(copy);
      files.push({ name: ENTRY.sqlite, path: copy });
    }
    const manifest: BackupManifest = {
      format: 'parley-backup',
      version: BACKUP_FORMAT_VERSION,
      storage,
      created_at: (opts.now ?? new Date()).toISOString(),
      parley_version: PARLEY_VERSION,
      migrations: described.migrations,
      counts: described.counts,
      key_fingerprint: keyFingerprint(key.key),
      key_included: opts.includeKey === true,
    };
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    files.unshift({ name: ENTRY.manifest, path: join(dir, 'manifest.json') });
    if (opts.includeKey) {
      writeFileSync(join(dir, 'secret.key'), `${key.text}\n`, { mode: 0o600 });
      files.push({ name: ENTRY.key, path: join(dir, 'secret.key') });
    }
    await writeArchive(opts.out, files);
    return manifest;
  });
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** Where the archive's key was written (it carried one and no key was set), else undefined. */
  keyWrittenTo: string | undefined;
  /** Migrations this version has that the archive had not, run after the restore. */
  migrationsRun: number;
}

function readManifest(path: string | undefined, file: string): BackupManifest {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(path ?? '', 'utf8')) as BackupManifest;
  } catch {
    throw new BackupError(`${file} is not a Parley backup (no readable manifest.json).`);
  }
  if (manifest.format !== 'parley-backup') throw new BackupError(`${file} is not a Parley backup.`);
  if (manifest.version > BACKUP_FORMAT_VERSION)
    throw new BackupError(
      `${file} was written by a newer Parley (archive format ${manifest.version}; this one reads up to ${BACKUP_FORMAT_VERSION}). Restore it with that version or newer.`,
    );
  return manifest;
}

/**
 * Which key the restored install will use, checked against the archive's fingerprint before
 * anything is written: the operator's (PARLEY_SECRET_KEY, `keyFile`, or a secret.key already in
 * the data folder), else the one the archive carries. A wrong key would leave every stored
 * credential unreadable, so it is refused.
 */
function chooseKey(
  config: Config,
  manifest: BackupManifest,
  archived: string | undefined,
  keyFile: string | undefined,
): { text: string } | { text: string; fromArchive: true } {
  const operator = keyFile
    ? (() => {
        if (!existsSync(keyFile)) throw new BackupError(`The key file ${keyFile} does not exist.`);
        const text = readFileSync(keyFile, 'utf8').trim();
        return { key: parseKey(text, keyFile), text };
      })()
    : currentKey(config);
  if (operator) {
    if (keyFingerprint(operator.key) !== manifest.key_fingerprint)
      throw new BackupError(
        `The secret key given (${keyFile ? keyFile : config.secretKey ? 'PARLEY_SECRET_KEY' : join(config.dataDir, 'secret.key')}) is not the one this backup was made with (fingerprint ${manifest.key_fingerprint}); its credentials could not be decrypted. Give the key that was in use when the backup was made (PARLEY_SECRET_KEY or --key-file).`,
      );
    return { text: operator.text };
  }
  if (archived) {
    const text = readFileSync(archived, 'utf8').trim();
    if (keyFingerprint(parseKey(text, "The archive's secret.key")) !== manifest.key_fingerprint)
      throw new BackupError("The archive's secret.key does not match its manifest: the archive is damaged.");
    return { text, fromArchive: true };
  }
  throw new BackupError(
    `This backup holds no secret key (it was made without --include-key): give the key that was in use when it was made, with PARLEY_SECRET_KEY or --key-file (its fingerprint is ${manifest.key_fingerprint}).`,
  );
}

/**
 * Restores an archive onto an empty data folder (SQLite) or an empty database (PostgreSQL), then
 * runs the migrations this version has that the archive had not (`migrate`, given by the caller,
 * who knows the modules). Refuses, before writing anything, a non-empty target, another storage
 * than the archive's, or a key that does not match.
 */
export async function restoreBackup(
  config: Config,
  opts: {
    file: string;
    keyFile?: string;
    /** Every migration this release has: an archive with one it does not know is of a newer release. */
    knownMigrations: string[];
    migrate: () => Promise<number>;
  },
): Promise<RestoreResult> {
  if (!existsSync(opts.file)) throw new BackupError(`${opts.file} does not exist.`);
  return withScratch(async (dir) => {
    const entries = await readArchive(opts.file, dir, Object.values(ENTRY));
    const manifest = readManifest(entries.get(ENTRY.manifest), opts.file);
    const storage = config.databaseUrl ? 'postgres' : 'sqlite';
    if (manifest.storage !== storage)
      throw new BackupError(
        manifest.storage === 'postgres'
          ? 'This backup is of a PostgreSQL install: set DATABASE_URL to a new, empty database to restore it.'
          : 'This backup is of an embedded (SQLite) install: unset DATABASE_URL and set PARLEY_DATA_DIR to a new folder to restore it.',
      );
    const database = entries.get(storage === 'postgres' ? ENTRY.postgres : ENTRY.sqlite);
    if (!database) throw new BackupError(`${opts.file} is damaged: it holds no database.`);
    const known = new Set(opts.knownMigrations);
    const unknown = manifest.migrations.filter((m) => !known.has(m));
    if (unknown.length > 0)
      throw new BackupError(
        `This backup was made by a newer Parley (${manifest.parley_version}): its database has migrations this release does not know (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''}). Restore it with that release or a newer one.`,
      );
    const key = chooseKey(config, manifest, entries.get(ENTRY.key), opts.keyFile);
    if (config.databaseUrl) await assertEmptyDatabase(config.databaseUrl);
    else assertEmptyDataDir(config.dataDir);

    mkdirSync(config.dataDir, { recursive: true });
    let keyWrittenTo: string | undefined;
    const keyPath = join(config.dataDir, 'secret.key');
    if ('fromArchive' in key && !existsSync(keyPath)) {
      writeFileSync(keyPath, `${key.text}\n`, { mode: 0o600 });
      chmodSync(keyPath, 0o600);
      keyWrittenTo = keyPath;
    }
    if (config.databaseUrl) await restorePostgres(config.databaseUrl, database);
    else renameOrCopy(database, sqliteFile(config.dataDir));
    const migrationsRun = await opts.migrate();
    return { manifest, keyWrittenTo, migrationsRun };
  });
}

/** Moves the extracted database into place (a copy when the scratch folder is on another disk). */
function renameOrCopy(from: string, to: string) {
  try {
    renameSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}
