import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { allMigrations, modules as defaultModules } from '../../src/modules/index.ts';
import type { Module } from '../../src/modules/module.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createContext } from '../../src/platform/context.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';

/**
 * Migrated template databases for a test run. Every test app used to migrate an empty database
 * (55 migrations, pg-boss's schema and a partition per job queue: most of a PostgreSQL app's
 * start). scripts/test.ts makes one migrated database per storage before the run and names it in
 * the environment; startTestApp then copies it (`CREATE DATABASE … TEMPLATE`, a file copy for
 * SQLite) and migrates only what the copy lacks. A test file run on its own (no template named)
 * migrates from empty, as before.
 */
export const PG_TEMPLATE_ENV = 'PARLEY_TEST_PG_TEMPLATE';
export const SQLITE_TEMPLATE_ENV = 'PARLEY_TEST_SQLITE_TEMPLATE';

/**
 * Can an app with these modules start from the template? Only when its migrations include every
 * migration of the template (the default modules'): a test with extra modules migrates them on
 * top of the copy; a test with fewer modules gets an empty database, so it never sees a table it
 * did not ask for.
 */
export function templateFits(modules: Module[] | undefined): boolean {
  if (!modules) return true;
  const have = new Set(Object.keys(allMigrations(modules)));
  return Object.keys(allMigrations(defaultModules)).every((name) => have.has(name));
}

/** Migrates a fresh database as a started app would (migrations, module setup, job queues), then closes it. */
async function migrate(env: Record<string, string>): Promise<void> {
  const config = loadConfig({
    PARLEY_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
    PARLEY_LOG_LEVEL: 'silent',
    ...env,
  });
  const ctx = await createContext(config);
  try {
    await migrateToLatest(ctx.db, ctx.dialect, allMigrations(defaultModules));
    for (const m of defaultModules) {
      const instance = await m.setup?.(ctx);
      if (instance !== undefined) (ctx.modules as unknown as Record<string, unknown>)[m.name] = instance;
    }
    // Creates pg-boss's schema and one queue per job name; no worker module is started, so no job is queued.
    await ctx.queue.start();
  } finally {
    await ctx.close();
  }
}

/**
 * Waits until the closed SQLite database has no -wal beside it. The app's close checkpoints and
 * closes its connection, but the checkpoint thread's connection (database.ts) ends when that
 * thread does, a moment later: until then the app's was not the last connection and the WAL is
 * still there (on a loaded machine, often). Once the thread is gone, a last connection of our own
 * folds the WAL in and removes it, should the thread's close not have.
 */
async function settleWal(file: string): Promise<void> {
  const wal = `${file}-wal`;
  const deadline = Date.now() + 10_000;
  while (existsSync(wal) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(wal) || !existsSync(file)) return;
  const last = new DatabaseSync(file);
  try {
    last.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    last.close();
  }
}

export interface Templates {
  /** Environment for the test processes: the templates' names. */
  env: Record<string, string>;
  /** Removes the templates (after the run). */
  drop(): Promise<void>;
}

/** Makes the run's templates: SQLite always, PostgreSQL when `pgAdminUrl` is given. */
export async function makeTemplates(pgAdminUrl: string | undefined): Promise<Templates> {
  const env: Record<string, string> = {};
  const dir = mkdtempSync(join(tmpdir(), 'parley-template-'));
  let pgName: string | undefined;
  const drop = async () => {
    rmSync(dir, { recursive: true, force: true });
    if (!pgName || !pgAdminUrl) return;
    const admin = new pg.Client({ connectionString: pgAdminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
  try {
    const sqliteDir = join(dir, 'sqlite');
    await migrate({ PARLEY_DATA_DIR: sqliteDir });
    const file = join(sqliteDir, 'parley.db');
    await settleWal(file);
    // Closed cleanly, SQLite leaves no -wal beside the file; a copy of the file is the whole database.
    if (!existsSync(file) || existsSync(`${file}-wal`)) throw new Error(`no clean SQLite file at ${file}`);
    env[SQLITE_TEMPLATE_ENV] = file;
    if (pgAdminUrl) {
      pgName = `parley_tpl_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: pgAdminUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${pgName}`);
      } finally {
        await admin.end();
      }
      const url = new URL(pgAdminUrl);
      url.pathname = `/${pgName}`;
      await migrate({ PARLEY_DATA_DIR: join(dir, 'pg'), DATABASE_URL: url.toString() });
      env[PG_TEMPLATE_ENV] = pgName;
    }
  } catch (err) {
    await drop().catch(() => {});
    throw err;
  }
  return { env, drop };
}
