/**
 * Runs test files in a few long-lived processes instead of one process per file (issue 28).
 *
 * Each test file used to be its own process, and each process loaded the whole app from
 * TypeScript (about 3.4 s of CPU, ~150 times a run). Here the files are split into `shards`
 * groups balanced by their recorded durations (test/support/test-times.json), and each group is
 * one `node --test --test-isolation=none` process: the app's modules load once per process, and
 * the files of a group run one after another in it. The groups run side by side.
 *
 * Test files stay independent: each file's suites start and close their own apps in their
 * before/after hooks; nothing is kept at module level (no environment writes, no process
 * listeners left behind, no global mocks, no top-level before/after hooks: README.md, "Test").
 *
 * Output: each process's spec report is passed through a top-level test at a time (so two
 * processes' lines do not interleave inside a suite); the closing lines (`ℹ tests N` … `ℹ
 * duration_ms N`) of the processes are added up and printed once at the end, in node's own
 * format, so a reader of the log (and CI) sees one run. A process that ends without its closing
 * lines (a crash) counts as a failure, with its files named.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoPath } from '../test/support/storage-plan.ts';

const root = join(import.meta.dirname, '..');
/** Each test file's last recorded duration in ms (both storages), written by `npm test -- --record-times`. */
export const TIMES_FILE = join(root, 'test/support/test-times.json');

const SUMMARY_KEYS = [
  'tests',
  'suites',
  'pass',
  'fail',
  'cancelled',
  'skipped',
  'todo',
  'duration_ms',
] as const;
type SummaryKey = (typeof SUMMARY_KEYS)[number];
const SUMMARY_LINE = new RegExp(`^ℹ (${SUMMARY_KEYS.join('|')}) ([0-9.]+)$`);
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes of a coloured report
const ANSI = /\u001b\[[0-9;]*m/g;

export function recordedTimes(): Record<string, number> {
  return existsSync(TIMES_FILE)
    ? (JSON.parse(readFileSync(TIMES_FILE, 'utf8')) as Record<string, number>)
    : {};
}

/**
 * Files that start server processes of their own on PostgreSQL and Redis (two or three, each with
 * its full connection pools): side by side in two test processes they went over the server's
 * 100 connections ("sorry, too many clients already"), so they share one process and run one
 * after another, as they did when they were alphabetical neighbours in a process per file.
 */
export const TOGETHER: readonly string[] = [
  'test/app/scaled.test.ts',
  'test/voice/scaled-voice.test.ts',
  'test/conversations/teamops-scaled.test.ts',
  'test/voice/voice-drain.test.ts',
  'test/voice/voice-processes.test.ts',
];

/**
 * Splits files into `n` groups of about equal recorded time: longest first, each to the group with
 * the least time so far; the files of `together` present count as one, kept in one group. A file
 * with no recorded time counts as the median of the others.
 */
export function balance(
  files: string[],
  times: Record<string, number>,
  n: number,
  together: readonly string[] = TOGETHER,
): string[][] {
  const known = files.map((f) => times[f]).filter((t): t is number => typeof t === 'number');
  known.sort((a, b) => a - b);
  const fallback = known.length ? known[Math.floor(known.length / 2)] : 1;
  const cost = (f: string) => times[f] ?? fallback;
  const groups = Array.from({ length: Math.max(1, Math.min(n, files.length)) }, () => ({
    files: [] as string[],
    ms: 0,
  }));
  const joined = files.filter((f) => together.includes(f));
  const units = [
    ...(joined.length ? [joined] : []),
    ...files.filter((f) => !joined.includes(f)).map((f) => [f]),
  ];
  const unitCost = (u: string[]) => u.reduce((sum, f) => sum + cost(f), 0);
  units.sort((a, b) => unitCost(b) - unitCost(a) || a[0]!.localeCompare(b[0]!));
  for (const unit of units) {
    const g = groups.reduce((min, x) => (x.ms < min.ms ? x : min));
    g.files.push(...unit);
    g.ms += unitCost(unit);
  }
  return groups.map((g) => g.files);
}

interface ShardOptions {
  groups: string[][];
  /** node options before the files (reporters are added here). */
  nodeArgs: string[];
  /** Arguments passed through from the command line (e.g. --test-name-pattern=…). */
  passArgs: string[];
  env: NodeJS.ProcessEnv;
  /** Where to write each file's time (the file-times reporter's JSON, all groups merged). */
  timesOut?: string;
}

/**
 * The layer a test file is in, for the closing summary (issue 65): `unit` beside the code (no
 * database, no HTTP), `module` the module harness's (`*.module.test.ts`, test/support/modules.ts),
 * `http` the rest (whole-server tests: contracts, journeys, packaging).
 */
export function layerOf(file: string): 'unit' | 'module' | 'http' {
  if (file.endsWith('.module.test.ts')) return 'module';
  if (file.startsWith('src/')) return 'unit';
  return 'http';
}

interface FileCounts {
  file: string;
  topLevelMs: number;
  tests: number;
  pass: number;
  fail: number;
  skipped: number;
  todo: number;
}

/** `▸ layer …` lines: each layer's files, tests and outcomes, and its summed time. */
export function layerLines(rows: FileCounts[]): string[] {
  const empty = () => ({ files: new Set<string>(), tests: 0, pass: 0, fail: 0, skipped: 0, ms: 0 });
  const all = { unit: empty(), module: empty(), http: empty() };
  for (const r of rows) {
    const file = repoPath(r.file, root);
    const l = all[layerOf(file)];
    l.files.add(file);
    l.tests += r.tests;
    l.pass += r.pass;
    l.fail += r.fail;
    l.skipped += r.skipped + r.todo;
    l.ms += r.topLevelMs;
  }
  return Object.entries(all).map(
    ([name, l]) =>
      `▸ layer ${name.padEnd(6)} files ${l.files.size}, tests ${l.tests}: pass ${l.pass}, fail ${l.fail}, ` +
      `skipped ${l.skipped}; ${(l.ms / 1000).toFixed(1)} s of test time`,
  );
}

/** Runs the groups side by side; resolves with the exit code of the whole run. */
export async function runShards(opts: ShardOptions): Promise<number> {
  const started = performance.now();
  const totals = Object.fromEntries(SUMMARY_KEYS.map((k) => [k, 0])) as Record<SummaryKey, number>;
  const children = new Set<ReturnType<typeof spawn>>();
  process.on('SIGTERM', () => {
    for (const c of children) c.kill('SIGTERM');
  });
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  const results = await Promise.all(
    opts.groups.map(async (files, i) => {
      // Each file's counts and times: the layers of the summary, and --record-times's input.
      const timesPart = `${opts.timesOut ?? join(tmpdir(), `parley-files-${process.pid}`)}.${i}`;
      const child = spawn(
        process.execPath,
        [
          ...opts.nodeArgs,
          '--test-isolation=none',
          // A handle a test left open (a timer, a socket) must not keep the group's process alive.
          '--test-force-exit',
          '--test-reporter=spec',
          '--test-reporter-destination=stdout',
          '--test-reporter=./test/support/file-times-reporter.ts',
          `--test-reporter-destination=${timesPart}`,
          ...opts.passArgs,
          ...files,
        ],
        {
          cwd: root,
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...opts.env, ...(color ? { FORCE_COLOR: '1' } : {}) },
        },
      );
      children.add(child);
      const seen = new Set<SummaryKey>();
      let pending: string[] = [];
      let tail = false;
      const flush = () => {
        if (pending.length) process.stdout.write(`${pending.join('\n')}\n`);
        pending = [];
      };
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        const plain = line.replace(ANSI, '');
        const m = SUMMARY_LINE.exec(plain);
        if (m) {
          const key = m[1] as SummaryKey;
          seen.add(key);
          if (key !== 'duration_ms') totals[key] += Number(m[2]);
          return;
        }
        pending.push(line);
        // The list of failures at the end is printed whole, when the process ends.
        if (plain === '✖ failing tests:') tail = true;
        // A line at column 0 that ends a top-level test or suite closes a block of the report.
        if (!tail && /^[✔✖﹣]/.test(plain)) flush();
      });
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('close', (c, s) => resolve([c, s])),
      );
      children.delete(child);
      flush();
      const finished = seen.has('pass') && seen.has('fail');
      if (!finished) {
        totals.fail += 1;
        console.log(
          `✖ test process ${i + 1} of ${opts.groups.length} ended (${signal ?? `code ${code}`}) before its summary; ` +
            `its files: ${files.join(' ')}`,
        );
      }
      return { ok: code === 0 && finished, timesPart };
    }),
  );
  totals.duration_ms = performance.now() - started;
  const rows = readParts(results.map((r) => r.timesPart));
  // The layers first: node's closing lines stay the last lines of the log (CI reads them).
  for (const line of layerLines(rows)) console.log(line);
  for (const key of SUMMARY_KEYS) console.log(`ℹ ${key} ${totals[key]}`);
  if (opts.timesOut) writeFileSync(opts.timesOut, `${JSON.stringify(rows, null, 1)}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

/** The groups' file-times reports, merged (and removed), slowest file first. */
function readParts(parts: string[]): FileCounts[] {
  const rows: FileCounts[] = [];
  for (const part of parts) {
    if (!existsSync(part)) continue;
    const text = readFileSync(part, 'utf8').trim();
    if (text) rows.push(...(JSON.parse(text) as FileCounts[]));
    rmSync(part, { force: true });
  }
  rows.sort((a, b) => b.topLevelMs - a.topLevelMs);
  return rows;
}

/** Writes test/support/test-times.json from a file-times report (repository paths, whole ms). */
export function recordTimes(report: string) {
  const rows = JSON.parse(readFileSync(report, 'utf8')) as Array<{ file: string; topLevelMs: number }>;
  const times: Record<string, number> = {};
  for (const r of rows) {
    const file = repoPath(r.file, root);
    times[file] = (times[file] ?? 0) + Math.round(r.topLevelMs);
  }
  const sorted = Object.fromEntries(Object.entries(times).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(TIMES_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
}
