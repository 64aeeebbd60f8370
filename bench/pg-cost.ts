/**
 * What a benchmark costs PostgreSQL, measured in ways a busy machine does not distort:
 * - `backendCpu`: CPU time (user + system, from /proc) of the PostgreSQL backends serving one
 *   database, sampled while the work runs (a backend that ends between two samples loses its tail);
 * - `statementLog`: the statements sent to one database, from PostgreSQL's own log
 *   (`log_min_duration_statement = 0` set on that database only, so new connections log), counted
 *   by shape, with their server-side time (parse and bind included).
 * Both need the benchmark to run on the same machine as PostgreSQL (root or the postgres user for
 * the log: Debian's /var/log/postgresql/postgresql-<v>-main.log).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** CPU time (user + system) of a process in ms, or NaN once it is gone. */
export function processCpuMs(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

export const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * Samples the CPU of every backend of `database` (not those of `excludeApp`), from `start()`:
 * `sample()` while the work runs (each call also picks up new backends), `total()` at the end.
 */
export function backendCpu(adminUrl: string, database: string, excludeApp = 'bench') {
  const client = new pg.Client({ connectionString: adminUrl });
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let connected: Promise<unknown> | null = null;
  const sample = async () => {
    connected ??= client.connect();
    await connected;
    const { rows } = await client.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = $1 and application_name <> $2 and backend_type = 'client backend'",
      [database, excludeApp],
    );
    for (const { pid } of rows) {
      const ms = processCpuMs(pid);
      if (Number.isNaN(ms)) continue;
      if (!first.has(pid)) first.set(pid, ms);
      last.set(pid, ms);
    }
  };
  return {
    /** Backends that exist now count from now (their earlier work is not the benchmark's). */
    start: sample,
    /** New backends count from zero (they were made for the work measured). */
    async sample() {
      const known = new Set(first.keys());
      await sample();
      for (const pid of last.keys())
        if (!known.has(pid) && first.get(pid) === last.get(pid)) first.set(pid, 0);
    },
    total(): number {
      let ms = 0;
      for (const [pid, at] of last) ms += at - (first.get(pid) ?? 0);
      return ms;
    },
    close: () => client.end(),
  };
}

interface Stmt {
  kind: string;
  ms: number;
  text: string;
}

/** Statement logging on one database, read back from PostgreSQL's log between `mark()` and `read()`. */
export async function statementLog(adminUrl: string, database: string) {
  const logDir = '/var/log/postgresql';
  const logFile = join(
    logDir,
    readdirSync(logDir)
      .filter((f) => /^postgresql-.*\.log$/.test(f))
      .sort()
      .at(-1) ?? '',
  );
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${database} SET log_min_duration_statement = 0`);
  await admin.end();
  let from = 0;
  return {
    mark() {
      from = statSync(logFile).size;
    },
    read(): Stmt[] {
      const text = readFileSync(logFile).subarray(from).toString('utf8');
      const out: Stmt[] = [];
      const head = new RegExp(
        `@${database} LOG:\\s+duration: ([\\d.]+) ms\\s+(statement|parse|bind|execute)[^:]*:\\s*([\\s\\S]*)`,
      );
      for (const entry of text.split(/\n(?=\d{4}-\d\d-\d\d )/)) {
        const m = head.exec(entry);
        if (m) out.push({ ms: Number(m[1]), kind: m[2]!, text: m[3]!.trim() });
      }
      return out;
    },
  };
}

const shape = (t: string) =>
  t
    .replace(/\$\d+/g, '?')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b\d+\b/g, 'N')
    .replace(/(\?, )+\?/g, '?…')
    .replace(/(\(\?…\), )+\(\?…\)/g, '(?…)…')
    .replace(/\s+/g, ' ')
    .slice(0, 150);

/** Prints statements, transactions and server time per unit of work, and the top shapes. */
export function printStatements(label: string, all: Stmt[], units: number, top = 30): void {
  const runs = all.filter((s) => s.kind === 'statement' || s.kind === 'execute');
  const byShape = new Map<string, { n: number; ms: number; planMs: number; texts: Set<string> }>();
  for (const s of all) {
    const k = shape(s.text);
    const e = byShape.get(k) ?? { n: 0, ms: 0, planMs: 0, texts: new Set() };
    if (s.kind === 'statement' || s.kind === 'execute') {
      e.n++;
      e.ms += s.ms;
      e.texts.add(s.text);
    } else e.planMs += s.ms;
    byShape.set(k, e);
  }
  const commits = runs.filter((s) => /^(commit|end)\b/i.test(s.text)).length;
  const serverMs = all.reduce((a, s) => a + s.ms, 0);
  const planMs = all.filter((s) => s.kind === 'parse' || s.kind === 'bind').reduce((a, s) => a + s.ms, 0);
  const distinct = new Set(runs.map((s) => s.text)).size;
  console.log(
    `${label}: ${(runs.length / units).toFixed(3)} statements and ${(commits / units).toFixed(3)} commits per message (${runs.length} statements, ${distinct} distinct texts); server time ${(serverMs / units).toFixed(3)} ms per message (parse+bind ${(planMs / units).toFixed(3)} ms)`,
  );
  console.log(
    '  statements by shape: runs per message, server ms per message (incl. parse/bind), distinct texts',
  );
  for (const [k, e] of [...byShape]
    .sort((a, b) => b[1].ms + b[1].planMs - (a[1].ms + a[1].planMs))
    .slice(0, top))
    console.log(
      `  ${(e.n / units).toFixed(4).padStart(8)}  ${((e.ms + e.planMs) / units).toFixed(4).padStart(8)} ms  ${String(e.texts.size).padStart(4)}  ${k}`,
    );
}
