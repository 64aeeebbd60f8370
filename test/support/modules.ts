/**
 * The module test harness (issue 65): a rule is proved where it lives. `startModules(storage,
 * ['conversations'])` starts the named modules and the modules they import (their dependency
 * closure, in the order of src/modules/index.ts) on a copy of the run's migrated template
 * database, as startTestApp does, but with no HTTP app, no listener and no other module. The test
 * calls the modules' services with `ctx` and a scope, and reads rows and events directly.
 *
 * Fakes for the ports the modules use:
 * - `clock`: the app's clock (`ctx.clock`), e.g. a virtual one the test moves.
 * - `bus`: the message bus (`ctx.bus`), e.g. one that records what is published.
 * - `queue: 'hold'`: jobs are recorded (`jobs`) and stay queued, no worker runs them; the default
 *   `'work'` runs them on the storage's real queue (the SQLite table or pg-boss), as the app does.
 *   Either way `jobs` lists what was enqueued, so a test may check that a job was queued and test
 *   the job by itself (as Chatwoot's request specs do).
 * - `ports`: operations of modules left out (src/platform/ports.ts), given by the test.
 * - `env`: configuration, e.g. a provider's or an LLM's base URL pointing at a local fake of its
 *   real protocol (test/fakes/, test/support/fake-llm.ts): adapters are the real ones.
 *
 * Module tests are named `*.module.test.ts`; `npm test` reports them as the module layer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { allMigrations, modules as allModules } from '../../src/modules/index.ts';
import type { Module } from '../../src/modules/module.ts';
import { createWorkspace } from '../../src/modules/workspaces/workspaces.service.ts';
import type { MessageBus } from '../../src/platform/bus.ts';
import type { Config } from '../../src/platform/config.ts';
import { type AppContext, type AppModules, createContext } from '../../src/platform/context.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import type { Ports } from '../../src/platform/ports.ts';
import type { JobDefinition } from '../../src/platform/queue/queue.ts';
import type { Clock } from '../../src/platform/time.ts';
import { closeModules, setupModules, startModuleWork } from '../../src/server.ts';
import { openTestStorage, type Storage, testConfig } from './harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MODULES_DIR = join(ROOT, 'src', 'modules');

export type ModuleName = (typeof allModules)[number]['name'];

export interface ModuleFakes {
  clock?: Clock;
  bus?: MessageBus;
  queue?: 'work' | 'hold';
  ports?: Partial<Ports>;
  env?: Record<string, string>;
  testing?: Config['testing'];
}

export interface EnqueuedJob {
  name: string;
  payload: unknown;
}

export interface ModuleWorld {
  storage: Storage;
  ctx: AppContext;
  /** The started modules' instances (what each module's setup returned). */
  modules: AppModules;
  /** The names of the modules started: those asked for and those they import. */
  started: string[];
  /** Every job enqueued since the start, in order. */
  jobs: EnqueuedJob[];
  /** A new workspace; its test mode's scope is what services take. */
  workspace(opts?: { name?: string; plan?: string; default_country?: string }): Promise<{
    id: string;
    /** The workspace's test mode, as services take it (with its default country, as the sandbox's). */
    scope: { workspaceId: string; livemode: boolean; defaultCountry: string };
  }>;
  close(): Promise<void>;
}

/** Which folder of src/modules each module's `*.module.ts` is in, read from src/modules/index.ts. */
function moduleFolders(): Map<string, string> {
  const index = readFileSync(join(MODULES_DIR, 'index.ts'), 'utf8');
  const out = new Map<string, string>();
  for (const m of index.matchAll(/from '\.\/([^']+\.module\.ts)'/g)) {
    const file = join(MODULES_DIR, m[1]!);
    const name = /\bname: '([^']+)'/.exec(readFileSync(file, 'utf8'))?.[1];
    if (name) out.set(name, m[1]!.split('/')[0]!);
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'web' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** The folders of src/modules that each folder's source imports (static imports, relative paths). */
function folderImports(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const folder of readdirSync(MODULES_DIR)) {
    const dir = join(MODULES_DIR, folder);
    if (!statSync(dir).isDirectory()) continue;
    const uses = new Set<string>();
    for (const file of sourceFiles(dir))
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import\() ?'(\.[^']+)'/g)) {
        const to = relative(MODULES_DIR, resolve(dirname(file), m[1]!)).split(sep)[0]!;
        if (to !== folder && !to.startsWith('..') && !to.endsWith('.ts')) uses.add(to);
      }
    out.set(folder, uses);
  }
  return out;
}

/**
 * The modules to start for `names`: those and every module whose folder they import, transitively
 * (a folder's main module: the one named as the folder), in the order of src/modules/index.ts.
 */
export function moduleClosure(names: readonly string[]): Module[] {
  const folders = moduleFolders();
  const imports = folderImports();
  const known = new Set(allModules.map((m) => m.name));
  for (const n of names) if (!known.has(n)) throw new Error(`no module named ${n}`);
  const wanted = new Set<string>();
  const visit = (name: string) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const folder of imports.get(folders.get(name)!) ?? []) if (known.has(folder)) visit(folder);
  };
  // Every world makes workspaces.
  for (const n of ['workspaces', ...names]) visit(n);
  return allModules.filter((m) => wanted.has(m.name));
}

/** Starts the named modules (and what they import) on a fresh copy of the template database. */
export async function startModules(
  storage: Storage,
  names: readonly ModuleName[],
  fakes: ModuleFakes = {},
): Promise<ModuleWorld> {
  const list = moduleClosure(names);
  // Every module's tables are in the template; the ones not started are simply not used. (An
  // empty database, when no template was made, gets them all as well: the same shape either way.)
  const at = await openTestStorage(storage);
  const config = testConfig(at, fakes.env);
  config.testing = { ...config.testing, validateResponses: false, ...fakes.testing };
  let ctx: AppContext | undefined;
  try {
    ctx = await createContext(config, { clock: fakes.clock, bus: fakes.bus });
    const jobs: EnqueuedJob[] = [];
    const queue = ctx.queue;
    const enqueue = queue.enqueue.bind(queue);
    const enqueueMany = queue.enqueueMany.bind(queue);
    queue.enqueue = (db, job, payload, opts) => {
      jobs.push({ name: job.name, payload });
      return enqueue(db, job, payload, opts);
    };
    queue.enqueueMany = (db, job, items) => {
      for (const item of items) jobs.push({ name: job.name, payload: item.payload });
      return enqueueMany(db, job, items);
    };
    // A no-op on a copy of the template; a full migration when no template was made.
    await migrateToLatest(ctx.db, ctx.dialect, allMigrations());
    await setupModules(ctx, list);
    ctx.ports = { ...ctx.ports, ...fakes.ports };
    const stops = fakes.queue === 'hold' ? [] : await startModuleWork(ctx, list);
    const app = ctx;
    return {
      storage,
      ctx: app,
      modules: app.modules,
      started: list.map((m) => m.name),
      jobs,
      async workspace(w = {}) {
        const defaultCountry = w.default_country ?? 'IN';
        const created = await createWorkspace(app, {
          name: w.name ?? 'Test workspace',
          plan: w.plan ?? 'enterprise',
          default_country: defaultCountry,
        });
        const id = created.workspace.id as string;
        return { id, scope: { workspaceId: id, livemode: false, defaultCountry } };
      },
      async close() {
        await closeModules(app, list, stops);
        await at.drop();
      },
    };
  } catch (err) {
    await ctx?.close().catch(() => {});
    await at.drop();
    throw err;
  }
}

/** The jobs of one kind in `world.jobs`, their payloads in order. */
export function jobsOf<P>(world: Pick<ModuleWorld, 'jobs'>, job: Pick<JobDefinition<P>, 'name'>): P[] {
  return world.jobs.filter((j) => j.name === job.name).map((j) => j.payload as P);
}
