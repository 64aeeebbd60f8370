#!/usr/bin/env node
/**
 * `parley-server`: the server's command line. With no command it starts the server (as
 * `npm start`); `backup` and `restore` archive and bring back an install (docs/backup.md). The
 * commands are thin: the work is in src/platform/backup/.
 */
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from './platform/config.ts';

const USAGE = `Usage:
  parley-server                                   start the server (as npm start)
  parley-server backup --out FILE [--include-key] write a backup archive of this install
  parley-server restore FILE [--key-file FILE]    restore an archive onto an empty install
Both read the same environment as the server (PARLEY_DATA_DIR, DATABASE_URL, PARLEY_SECRET_KEY).`;

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Parley cannot start. ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

async function command(name: string, args: string[]): Promise<void> {
  const { BackupError, createBackup, restoreBackup } = await import('./platform/backup/index.ts');
  try {
    if (name === 'backup') {
      const { values } = parseArgs({
        args,
        options: { out: { type: 'string' }, 'include-key': { type: 'boolean' } },
      });
      if (!values.out) throw new BackupError(`backup needs --out FILE.\n${USAGE}`);
      const manifest = await createBackup(configOrExit(), {
        out: values.out,
        includeKey: values['include-key'],
      });
      const rows = Object.values(manifest.counts).reduce((a, b) => a + b, 0);
      console.log(
        `Backup written to ${values.out} (${manifest.storage}, ${manifest.migrations.length} migrations, ${rows} rows, key ${manifest.key_included ? 'included' : `not included, fingerprint ${manifest.key_fingerprint}`}).`,
      );
      return;
    }
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { 'key-file': { type: 'string' } },
    });
    if (positionals.length !== 1) throw new BackupError(`restore needs one archive FILE.\n${USAGE}`);
    const config = configOrExit();
    const { allMigrations } = await import('./modules/index.ts');
    const result = await restoreBackup(config, {
      knownMigrations: Object.keys(allMigrations()),
      file: positionals[0]!,
      keyFile: values['key-file'],
      migrate: async () => (await import('./migrate-storage.ts')).migrateStorage(config),
    });
    console.log(
      `Restored the backup of ${result.manifest.created_at} (${result.manifest.storage}); ${result.migrationsRun} newer migration(s) run.`,
    );
    if (result.keyWrittenTo)
      console.log(
        config.databaseUrl
          ? `The archive's secret key was written to ${result.keyWrittenTo}: set PARLEY_SECRET_KEY to its contents before starting the server.`
          : `The archive's secret key was written to ${result.keyWrittenTo}.`,
      );
  } catch (err) {
    if (err instanceof BackupError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`Parley cannot ${name}: ${(err as Error).message}`);
      process.exit(1);
    }
    throw err;
  }
}

const [name, ...rest] = process.argv.slice(2);
if (name === 'backup' || name === 'restore') await command(name, rest);
else if (name === undefined || name === 'start') await import('./main.ts');
else {
  console.error(`Unknown command ${JSON.stringify(name)}.\n${USAGE}`);
  process.exit(1);
}
