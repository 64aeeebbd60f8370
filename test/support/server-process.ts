import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: where `npm start` runs `src/main.ts` from. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A port nothing listens on right now (the OS picks it; the probe closes before we return). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

/**
 * How long a spawned server may take to start: 45 s on an idle machine, stretched by how far the
 * machine is oversubscribed (the 1-minute load average per core, up to 8x), so a start that is
 * merely slow under load is waited for, while a process that exits fails at once.
 * PARLEY_TEST_START_TIMEOUT_MS overrides it.
 */
export function startTimeoutMs(baseMs = 45_000): number {
  const fixed = Number(process.env.PARLEY_TEST_START_TIMEOUT_MS);
  if (fixed > 0) return fixed;
  const perCore = loadavg()[0]! / Math.max(1, availableParallelism());
  return Math.round(baseMs * Math.min(8, Math.max(1, perCore)));
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<PORT>` (meaningless for a worker-only process). */
  url: string;
  /** Everything written to stdout and stderr so far, in arrival order. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Settles when the process exits. */
  exited: Promise<Exit>;
  /**
   * Waits until the output matches `pattern`; fails early if the process exits first. The
   * deadline defaults to `startTimeoutMs()` (read when the wait begins).
   */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /**
   * Waits until the process is ready for work: its start line (`API docs:` for a process that
   * listens, `Parley worker started` for a worker), then, for one that listens, `GET /readyz`
   * answering 200. Fails at once if the process exits; otherwise waits up to `startTimeoutMs()`.
   */
  ready(timeoutMs?: number): Promise<void>;
  /** Sends `signal` and waits for the exit; SIGKILLs it when it does not exit in time. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

const running = new Set<ChildProcess>();

/**
 * Starts `node src/main.ts` as `npm start` does, with only the given environment (plus PATH and
 * HOME), so nothing of the test runner's environment leaks into the server.
 */
export function spawnParley(
  env: Record<string, string>,
  args: string[] = ['--disable-warning=ExperimentalWarning', 'src/main.ts'],
): ServerProcess {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    // Ten PostgreSQL connections a process (not 20): a scaled test runs three or four of these
    // beside the runner's other files, all under PostgreSQL's 100 max_connections.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      PARLEY_DB_POOL_SIZE: '10',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let all = '';
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    out += chunk;
    all += chunk;
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (chunk: string) => {
    err += chunk;
    all += chunk;
    for (const l of listeners) l();
  });
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      exit = { code, signal };
      resolve(exit);
      for (const l of listeners) l();
    });
  });

  const proc: ServerProcess = {
    child,
    url: `http://127.0.0.1:${env.PORT ?? '3000'}`,
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = startTimeoutMs()) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = all.match(pattern);
          if (m) return done(() => resolve(m));
          if (exit)
            return done(() =>
              reject(new Error(`process exited (${JSON.stringify(exit)}) before ${pattern}:\n${all}`)),
            );
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${all}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async ready(timeoutMs = startTimeoutMs()) {
      const until = Date.now() + timeoutMs;
      const line = await proc.waitFor(/^(API docs: |Parley worker started)/m, timeoutMs);
      if (!line[1]!.startsWith('API docs')) return;
      for (;;) {
        if (exit) throw new Error(`process exited (${JSON.stringify(exit)}) before /readyz:\n${all}`);
        const status = await fetch(`${proc.url}/readyz`, { signal: AbortSignal.timeout(10_000) })
          .then((r) => r.status)
          .catch(() => 0);
        if (status === 200) return;
        if (Date.now() > until)
          throw new Error(`/readyz not 200 within ${timeoutMs} ms (${status}):\n${all}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (exit) return exit;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  return proc;
}

/** Kills every server process this test file started that is still running (for `after`). */
export async function killAll(): Promise<void> {
  const left = [...running];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : once(c))));
}

function once(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Lines of the output that are pino JSON log records (the rest is the human start banner). */
export function logLines(output: string): string[] {
  return output.split('\n').filter((line) => line.startsWith('{'));
}
