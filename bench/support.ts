import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import autocannon from 'autocannon';

/**
 * The server exactly as `npm start` runs it (built once, then `node <flags> dist/main.js`, flags
 * read from package.json), in its own process so the load generator does not share its CPU.
 */
const startScript = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts
  .start as string;
const nodeArgs = startScript.split('&& node ')[1].trim().split(/\s+/);
let built = false;

export async function startServer(env: Record<string, string> = {}): Promise<{
  url: string;
  child: ChildProcess;
  liveKey: string;
  testKey: string;
  dataDir: string;
  rssMb: () => number;
  stop: () => Promise<void>;
}> {
  if (!built) {
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/build.ts'], {
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error('build failed');
    built = true;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const child = spawn(process.execPath, nodeArgs, {
    env: {
      ...process.env,
      PORT: port,
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/test key:\s+\S+/.test(out)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  const liveKey = /live key:\s+(\S+)/.exec(out)?.[1] ?? '';
  const testKey = /test key:\s+(\S+)/.exec(out)?.[1] ?? '';
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    liveKey,
    testKey,
    dataDir,
    rssMb: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
      } catch {
        return Number.NaN;
      }
    },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function load(opts: autocannon.Options): Promise<LoadResult> {
  const r = await autocannon({ duration: 10, connections: 10, ...opts });
  return {
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

export const fmt = (r: LoadResult) =>
  `${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}`;

/**
 * Lifts the request limits in the embedded database (benchmarks measure work, not 429s). Call it
 * before the first request: authenticated keys are cached for a while.
 */
export function raiseLimits(dataDir: string) {
  const db = new DatabaseSync(join(dataDir, 'parley.db'));
  db.exec('PRAGMA busy_timeout = 5000');
  const unlimited = {
    requests_per_minute: 100_000_000,
    requests_per_day: null,
    messages_per_hour: null,
    knowledge_writes_per_day: null,
  };
  db.prepare('update workspaces set limits = ?').run(JSON.stringify(unlimited));
  db.close();
}
