import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { BackupError } from './manifest.ts';

const run = promisify(execFile);

/** PostgreSQL's client programs, found on PATH (the server's major version or newer). */
const PG_DUMP = 'pg_dump';
const PG_RESTORE = 'pg_restore';

const USER_TABLES = `
  SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
   WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
     AND table_schema NOT LIKE 'pg_toast%' AND table_schema NOT LIKE 'pg_temp%'
   ORDER BY 1, 2`;

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    throw new BackupError(`Cannot reach PostgreSQL at DATABASE_URL: ${(err as Error).message}`);
  }
  return client;
}

/** Runs a PostgreSQL program; a failure is told with what it printed. */
async function runTool(program: string, args: string[]): Promise<void> {
  try {
    await run(program, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new BackupError(
        `${program} was not found: install PostgreSQL's client programs (the server's major version or newer).`,
      );
    throw new BackupError(
      `${program} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-5).join('\n')}`,
    );
  }
}

/**
 * Dumps the whole database (Parley's tables, pg-boss's schemas) into `target` in pg_dump's custom
 * format, while the server keeps writing. The rows counted for the manifest and the dump read the
 * same snapshot: this transaction exports it and pg_dump is started on it (`--snapshot`).
 */
export async function dumpPostgres(
  url: string,
  target: string,
): Promise<{ counts: Record<string, number>; migrations: string[] }> {
  const client = await connect(url);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: snap } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const { rows: tables } = await client.query<{ schema: string; name: string }>(USER_TABLES);
    const counts: Record<string, number> = {};
    for (const t of tables) {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${ident(t.schema)}.${ident(t.name)}`,
      );
      counts[`${t.schema}.${t.name}`] = Number(rows[0]!.n);
    }
    const migrations = tables.some((t) => t.schema === 'public' && t.name === 'parley_migrations')
      ? (
          await client.query<{ name: string }>('SELECT name FROM parley_migrations ORDER BY timestamp, name')
        ).rows.map((r) => r.name)
      : [];
    if (migrations.length === 0)
      throw new BackupError('The database at DATABASE_URL holds no Parley tables: nothing to back up.');
    await runTool(PG_DUMP, [
      '--format=custom',
      `--snapshot=${snap[0]!.id}`,
      '--no-owner',
      '--no-privileges',
      `--file=${target}`,
      `--dbname=${url}`,
    ]);
    await client.query('COMMIT');
    return { counts, migrations };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Refuses a database that already holds tables: a restore never mixes two installs' rows. */
export async function assertEmptyDatabase(url: string): Promise<void> {
  const client = await connect(url);
  try {
    const { rows } = await client.query<{ schema: string; name: string }>(USER_TABLES);
    if (rows.length > 0)
      throw new BackupError(
        `Restore needs an empty database, but the one at DATABASE_URL holds ${rows.length} table(s) (${rows
          .slice(0, 3)
          .map((r) => `${r.schema}.${r.name}`)
          .join(', ')}...). Create a new database (createdb) and point DATABASE_URL at it.`,
      );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Loads a dump made by dumpPostgres into the (empty) database at `url`, in one transaction. */
export async function restorePostgres(url: string, dump: string): Promise<void> {
  await runTool(PG_RESTORE, [
    '--no-owner',
    '--no-privileges',
    '--exit-on-error',
    '--single-transaction',
    `--dbname=${url}`,
    dump,
  ]);
}
