/**
 * A node:test reporter that sums durations by test file and by top-level suite (a suite named
 * `… [sqlite]` or `… [postgres]` is one storage's run of a file). Writes JSON to its destination:
 * `node --test --test-reporter=./test/support/file-times-reporter.ts --test-reporter-destination=times.json`.
 * Used to measure which files take `npm test`'s time (scripts/test.ts --times=FILE), and by the
 * closing summary's layers (scripts/test-shards.ts): each file's tests passed, failed and skipped.
 */
import { fileURLToPath } from 'node:url';

interface Row {
  file: string;
  suites: Record<string, number>;
  topLevelMs: number;
  tests: number;
  pass: number;
  fail: number;
  skipped: number;
  todo: number;
  first: number;
  last: number;
}

export default async function* fileTimes(source: AsyncIterable<{ type: string; data: any }>) {
  const files = new Map<string, Row>();
  const row = (file: string): Row => {
    let r = files.get(file);
    if (!r) {
      r = {
        file,
        suites: {},
        topLevelMs: 0,
        tests: 0,
        pass: 0,
        fail: 0,
        skipped: 0,
        todo: 0,
        first: Date.now(),
        last: Date.now(),
      };
      files.set(file, r);
    }
    return r;
  };
  // Suites declared by forEachStorage are placed in harness.ts; when files share a process the
  // harness names their test file (in a process per file, node names the file itself).
  const declared = () =>
    (globalThis as { [k: symbol]: Map<string, string> | undefined })[Symbol.for('parley.test.suite-files')];
  let current: string | undefined;
  for await (const ev of source) {
    let file = ev.data?.file as string | undefined;
    if (!file) continue;
    if (file.endsWith('/test/support/harness.ts')) {
      if (ev.data.nesting === 0) current = declared()?.get(ev.data.name) ?? current;
      file = current ?? file;
    }
    if (file.startsWith('file://')) file = fileURLToPath(file);
    const r = row(file);
    r.last = Date.now();
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    const d = ev.data;
    if (d.details?.type !== 'suite') {
      // As node's closing lines count them: a skipped or todo test is not a pass.
      r.tests++;
      if (d.todo !== undefined) r.todo++;
      else if (ev.type === 'test:fail') r.fail++;
      else if (d.skip !== undefined) r.skipped++;
      else r.pass++;
    }
    if (d.nesting === 0) {
      const ms = Number(d.details?.duration_ms ?? 0);
      r.topLevelMs += ms;
      const m = /\[(sqlite|postgres)\]\s*$/.exec(d.name);
      const key = m ? m[1] : 'once';
      r.suites[key] = (r.suites[key] ?? 0) + ms;
    }
  }
  const rows = [...files.values()].map((r) => ({ ...r, spanMs: r.last - r.first }));
  rows.sort((a, b) => b.topLevelMs - a.topLevelMs);
  yield `${JSON.stringify(rows, null, 1)}\n`;
}
