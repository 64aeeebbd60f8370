/**
 * What a voice benchmark's window costs the shared services, for the scaled shape's analysis
 * (issue 29: what limits the next step): PostgreSQL's counters of one database and its backends'
 * CPU, a private Redis's commands, bytes and CPU, and the CPU of any process by pid.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from '../test/support/server-process.ts';
import { backendCpu, processCpuMs } from './pg-cost.ts';

export { freePort, processCpuMs };

/** The pids of a process's children (a cluster primary's server processes). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * A Redis server of the benchmark's own (the machine's `redis-server`, no persistence), so its
 * counters hold the benchmark's traffic alone (the machine's shared Redis carries other work).
 */
export async function privateRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Redis's counters: commands by name, bytes in and out, its own CPU (ms). */
export async function redisCounters(url: string) {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  const read = async () => {
    const info = await r.info();
    const num = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    const calls = (cmd: string) =>
      Number(new RegExp(`^cmdstat_${cmd}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return {
      commands: num('total_commands_processed'),
      publish: calls('publish'),
      bytesIn: num('total_net_input_bytes'),
      bytesOut: num('total_net_output_bytes'),
      cpuMs: (num('used_cpu_user') + num('used_cpu_sys')) * 1000,
    };
  };
  let from = await read();
  return {
    start: async () => {
      from = await read();
    },
    delta: async () => {
      const to = await read();
      return {
        commands: to.commands - from.commands - 1,
        publish: to.publish - from.publish,
        bytesIn: to.bytesIn - from.bytesIn,
        bytesOut: to.bytesOut - from.bytesOut,
        cpuMs: to.cpuMs - from.cpuMs,
      };
    },
    close: () => r.quit().catch(() => {}),
  };
}

/**
 * One database's activity: commits, rows written (pg_stat_database, flushed by the backends about
 * once a second), and its backends' CPU (sampled from /proc while the work runs).
 */
export async function pgCounters(adminUrl: string, dbUrl: string) {
  const database = new URL(dbUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'bench' });
  await client.connect();
  const cpu = backendCpu(adminUrl, database);
  const read = async () => {
    const { rows } = await client.query(
      'select xact_commit, tup_inserted, tup_updated, tup_deleted, tup_returned, tup_fetched from pg_stat_database where datname = $1',
      [database],
    );
    const r = rows[0] ?? {};
    return {
      commits: Number(r.xact_commit),
      inserted: Number(r.tup_inserted),
      updated: Number(r.tup_updated),
      deleted: Number(r.tup_deleted),
      read: Number(r.tup_returned) + Number(r.tup_fetched),
    };
  };
  let from = await read();
  let sampler: NodeJS.Timeout | null = null;
  return {
    start: async () => {
      await client.query('select pg_stat_clear_snapshot()');
      from = await read();
      await cpu.start();
      sampler = setInterval(() => void cpu.sample().catch(() => {}), 1000);
    },
    delta: async () => {
      if (sampler) clearInterval(sampler);
      await cpu.sample();
      // Backends flush their counters at most once a second: both ends of the window lag alike.
      await client.query('select pg_stat_clear_snapshot()');
      const to = await read();
      return {
        commits: to.commits - from.commits,
        inserted: to.inserted - from.inserted,
        updated: to.updated - from.updated,
        deleted: to.deleted - from.deleted,
        read: to.read - from.read,
        backendCpuMs: cpu.total(),
      };
    },
    close: async () => {
      if (sampler) clearInterval(sampler);
      await cpu.close().catch(() => {});
      await client.end().catch(() => {});
    },
  };
}
