import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.ts';

/** Restarts of a process that died, at most this many a minute (a crash loop stops instead). */
const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * `PARLEY_PROCESSES=N` (N > 1): this process is the primary of N server processes sharing the
 * port (node:cluster; connections, WebSockets included, are spread over them). It serves nothing
 * itself. Each process is a whole Parley: it holds the calls whose sockets reach it (their owner
 * is that process, calls.owners.ts), works jobs by its role, and meets the others over
 * PostgreSQL and Redis (hang-ups, transfers, the concurrency limit, live transcripts all go over
 * the bus). The first process migrates and, on an empty database, creates the default workspace
 * (its keys are printed once); the others start after it listens.
 *
 * SIGTERM drains them all: each stops taking calls (`/readyz` says `draining`), lets its live
 * calls finish up to PARLEY_DRAIN_SECONDS, ends the rest (`server_shutdown`) and exits; the
 * primary exits once they all have (0 when they all exited cleanly). SIGINT closes them at
 * once. A process that dies otherwise (a crash, kill -9) is started again; the calls it held
 * are ended by the others' reaper within seconds (`server_lost`).
 */
export async function runPrimary(config: Config): Promise<never> {
  const n = config.processes;
  if (!config.databaseUrl || !config.redisUrl) {
    console.error(
      `Parley cannot start. PARLEY_PROCESSES=${n} needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL): the processes share their calls, jobs and events through them (SQLite and the in-process bus belong to one process).`,
    );
    process.exit(1);
  }
  let stopping: NodeJS.Signals | null = null;
  let failed = false;
  const restarts: number[] = [];
  const workers = new Set<Worker>();

  const fork = (index: number) => {
    const w = cluster.fork({ PARLEY_PROCESS_INDEX: String(index) });
    workers.add(w);
    w.on('exit', (code, signal) => exited(w, index, code, signal));
    return w;
  };

  /** A process ended: while stopping, the last one ends the primary; otherwise it starts again. */
  const exited = (w: Worker, index: number, code: number | null, signal: string | null) => {
    workers.delete(w);
    if (stopping) {
      // Ended by the signal itself: it was still starting (no handler yet), so it held nothing.
      if (code !== 0 && signal !== stopping) failed = true;
      if (workers.size === 0) process.exit(failed ? 1 : 0);
      return;
    }
    const now = Date.now();
    while (restarts.length && restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length >= MAX_RESTARTS_PER_MINUTE) {
      console.error(
        `Parley process ${index + 1} exited (${signal ?? code}) again: ${MAX_RESTARTS_PER_MINUTE} restarts in a minute, stopping.`,
      );
      shutdown('SIGTERM');
      return;
    }
    restarts.push(now);
    console.error(`Parley process ${index + 1} exited (${signal ?? code}); starting it again.`);
    fork(index);
  };

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: every process exits now.
      for (const w of workers) w.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = signal;
    if (workers.size === 0) process.exit(0);
    for (const w of workers) w.process.kill(signal);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  // The first one migrates and bootstraps alone; then the rest start together.
  const first = fork(0);
  await new Promise<void>((resolve) => {
    first.once('listening', () => resolve());
    first.once('exit', () => resolve());
  });
  if (!stopping && workers.size > 0) {
    const rest = Array.from({ length: n - 1 }, (_, i) => fork(i + 1));
    await Promise.all(
      rest.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('listening', () => resolve());
            w.once('exit', () => resolve());
          }),
      ),
    );
    if (!stopping) console.log(`Parley runs ${n} processes sharing the port (primary ${process.pid}).`);
  }
  return new Promise<never>(() => {});
}

/** Whether this process should run as the primary of several (PARLEY_PROCESSES > 1, not a forked one). */
export function isClusterPrimary(config: Config): boolean {
  return config.processes > 1 && cluster.isPrimary && config.role !== 'worker';
}

/** Whether this process is one of several started by a primary. */
export const isClusterWorker = (): boolean => cluster.isWorker;
