import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.ts';
import { allMigrations, modules as defaultModules } from './modules/index.ts';
import type { Module } from './modules/module.ts';
import { bootstrapDefaultWorkspace } from './modules/workspaces/index.ts';
import type { Config } from './platform/config.ts';
import { type AppContext, createContext } from './platform/context.ts';
import { migrateToLatest } from './platform/db/migrate.ts';
import { purgeExpiredIdempotencyKeys } from './platform/http/idempotency.ts';
import { gatherPorts } from './platform/ports.ts';
import type { RetentionKind, RetentionStep } from './platform/retention.ts';

export interface Parley {
  ctx: AppContext;
  app: FastifyInstance;
  /** The address the API listens on (when listening). */
  url?: string;
  /** Keys of the workspace created on first start of an empty database. */
  firstRun?: { workspaceId: string; liveKey: string; testKey: string };
  /**
   * Drains before a shutdown: `/readyz` answers 503 `draining`, no new call starts here, and live
   * calls go on until they end or PARLEY_DRAIN_SECONDS pass. `close` then ends the rest.
   */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens storage, migrates, wires the modules and, by role, serves HTTP and works jobs.
 * Tests call it with `listen: false` and use `app.inject()`.
 */
export async function startParley(
  config: Config,
  opts: { listen?: boolean; modules?: Module[]; logger?: Logger; bootstrap?: boolean } = {},
): Promise<Parley> {
  const modules = opts.modules ?? defaultModules;
  const ctx = await createContext(config, { logger: opts.logger });
  await migrateToLatest(ctx.db, ctx.dialect, allMigrations(modules));
  await setupModules(ctx, modules);

  let firstRun: Parley['firstRun'];
  const created = opts.bootstrap === false ? undefined : await bootstrapDefaultWorkspace(ctx);
  if (created) {
    firstRun = {
      workspaceId: created.workspace.id,
      liveKey: created.api_keys.find((k) => k.mode === 'live')!.key,
      testKey: created.api_keys.find((k) => k.mode === 'test')!.key,
    };
  }

  const stops: Array<() => void | Promise<void>> = [];
  const works = config.role === 'worker' || config.role === 'all';
  if (works) {
    stops.push(...(await startModuleWork(ctx, modules)));
    const purge = setInterval(() => {
      purgeExpiredIdempotencyKeys(ctx).catch((err) => ctx.logger.warn({ err }, 'idempotency purge failed'));
    }, 3_600_000);
    purge.unref();
    stops.push(() => clearInterval(purge));
  }

  const { app } = await buildApp(ctx, modules);
  let url: string | undefined;
  if (opts.listen !== false && config.role !== 'worker') {
    url = await app.listen({ port: config.port, host: config.host });
  } else {
    await app.ready();
  }

  return {
    ctx,
    app,
    url,
    firstRun,
    async drain() {
      ctx.draining = true;
      const deadline = Date.now() + config.drainSeconds * 1000;
      ctx.logger.info(
        { drainSeconds: config.drainSeconds },
        'draining: no new calls here; live calls may finish',
      );
      await Promise.all(
        modules.map((m) =>
          m
            .drain?.(ctx, deadline)
            .catch((err) => ctx.logger.error({ err, module: m.name }, 'module drain failed')),
        ),
      );
    },
    async close() {
      // The server stops taking connections now, and its close waits for the open ones: the
      // modules end their upgraded sockets (live calls write their end first) meanwhile.
      const appClosed = app.close();
      for (const m of modules) {
        try {
          await m.closeSockets?.(ctx);
        } catch (err) {
          ctx.logger.error({ err, module: m.name }, 'module close failed');
        }
      }
      await appClosed;
      await closeModules(ctx, modules, stops);
    },
  };
}

/**
 * Runs each module's setup in order (its instance kept as `ctx.modules[name]`), records its
 * erasure and retention steps, gathers the ports the modules provide and prepares the queue.
 * startParley and the module test harness (test/support/modules.ts) compose modules with it.
 */
export async function setupModules(ctx: AppContext, modules: Module[]): Promise<void> {
  for (const m of modules) {
    const instance = await m.setup?.(ctx);
    if (instance !== undefined) (ctx.modules as unknown as Record<string, unknown>)[m.name] = instance;
    if (m.erase) ctx.erasers.push({ module: m.name, erase: m.erase });
    for (const [kind, purge] of Object.entries(m.retain ?? {}) as Array<[RetentionKind, RetentionStep]>)
      ctx.retainers.push({ module: m.name, kind, purge });
  }
  ctx.ports = gatherPorts(
    modules.flatMap((m) => (m.provides ? [{ module: m.name, ports: m.provides(ctx) }] : [])),
  );
  await ctx.queue.prepare?.();
}

/** Starts the queue's workers and each module's periodic work; returns what stops the latter. */
export async function startModuleWork(
  ctx: AppContext,
  modules: Module[],
): Promise<Array<() => void | Promise<void>>> {
  await ctx.queue.start();
  const stops: Array<() => void | Promise<void>> = [];
  for (const m of modules) {
    const stop = m.startWorker?.(ctx);
    if (stop) stops.push(stop);
  }
  return stops;
}

/**
 * Modules end what they run (live calls write their end) while the database is still open, in
 * reverse order; then the periodic work stops and the context (queue, bus, database) closes.
 */
export async function closeModules(
  ctx: AppContext,
  modules: Module[],
  stops: Array<() => void | Promise<void>>,
): Promise<void> {
  for (const m of [...modules].reverse()) {
    try {
      await m.close?.(ctx);
    } catch (err) {
      ctx.logger.error({ err, module: m.name }, 'module close failed');
    }
  }
  for (const stop of stops) await stop();
  await ctx.close();
}
