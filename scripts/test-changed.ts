/**
 * `npm test -- --changed[=REF]` (issue 65): the tests of the modules a change touches. The change
 * is every file that differs from REF (default: where this branch left `main`, else HEAD),
 * committed or not, and new files git does not ignore. A changed file under src/modules/<m>/ picks
 * the test files that import that module (a path into src/modules/<m>/), that sit in its folder
 * (src/modules/<m>/, test/<m>/) or that are named after it (test/…/<m>*.test.ts); a changed test
 * file picks itself. Other changes (src/platform/, scripts/) are named, not mapped: they reach
 * every module, and the full `npm test` is theirs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const git = (root: string, args: string[]) =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

/** The files a change touches, relative to the repository. */
export function changedFiles(root: string, ref?: string): string[] {
  let base = ref;
  if (!base) {
    try {
      base = git(root, ['merge-base', 'HEAD', 'main']).trim();
    } catch {
      base = 'HEAD';
    }
  }
  const diff = git(root, ['diff', '--name-only', base]).split('\n');
  const untracked = git(root, ['ls-files', '--others', '--exclude-standard']).split('\n');
  return [...new Set([...diff, ...untracked].filter(Boolean))].sort();
}

/** The module folders (src/modules/<m>/) among the changed files. */
export function changedModules(files: string[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    const m = /^src\/modules\/([^/]+)\//.exec(f)?.[1];
    if (m) out.add(m);
  }
  return [...out].sort();
}

/** Of `tests`, those that cover the changed files (see above), with what picked each. */
export function testsForChange(
  root: string,
  files: string[],
  tests: string[],
): { picked: Map<string, string>; modules: string[]; unmapped: string[] } {
  const modules = changedModules(files);
  const picked = new Map<string, string>();
  for (const f of files) if (tests.includes(f) && existsSync(join(root, f))) picked.set(f, 'changed');
  for (const test of tests) {
    if (picked.has(test)) continue;
    const text = readFileSync(join(root, test), 'utf8');
    const name = basename(test);
    const m = modules.find(
      (mod) =>
        test.startsWith(`src/modules/${mod}/`) ||
        test.startsWith(`test/${mod}/`) ||
        name.startsWith(`${mod}.`) ||
        name.startsWith(`${mod}-`) ||
        text.includes(`src/modules/${mod}/`),
    );
    if (m) picked.set(test, m);
  }
  const unmapped = files.filter((f) => !f.startsWith('src/modules/') && !tests.includes(f));
  return { picked, modules, unmapped };
}
