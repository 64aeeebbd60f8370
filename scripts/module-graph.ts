/**
 * The graph of which module uses which, drawn into docs/architecture.md (`npm run graph`), and
 * checked by `npm run lint` (`--check`): the graph between modules has no cycle, and the drawing
 * in the docs is the graph of the code. File-level rules (front doors, the platform below every
 * module, no file cycles) are dependency-cruiser's, in .dependency-cruiser.cjs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cruise, type ICruiseResult } from 'dependency-cruiser';

const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs');
const docFile = new URL('../docs/architecture.md', import.meta.url);
const START = '<!-- module-graph:start (npm run graph) -->';
const END = '<!-- module-graph:end -->';

const moduleOf = (path: string) => /^src\/modules\/([^/]+)\//.exec(path)?.[1];

/**
 * `--rules` also checks .dependency-cruiser.cjs's rules on the same cruise, with depcruise's cache
 * (what `npm run lint:fast` runs: one cruise of src for the boundaries and the graph, not two).
 */
const withRules = process.argv.includes('--rules');
const { output } = await cruise(
  ['src'],
  withRules
    ? { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden }, cache: true }
    : { ...config.options, validate: false },
);
if (withRules) {
  const violations = (output as ICruiseResult).summary.violations.filter((v) => v.rule.severity === 'error');
  if (violations.length > 0) {
    console.error('Module boundaries (.dependency-cruiser.cjs):');
    for (const v of violations)
      console.error(
        `  ${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`,
      );
    process.exit(1);
  }
}
const edges = new Map<string, Set<string>>();
for (const file of (output as ICruiseResult).modules) {
  const from = moduleOf(file.source);
  if (!from) continue;
  if (!edges.has(from)) edges.set(from, new Set());
  for (const dep of file.dependencies) {
    const to = moduleOf(dep.resolved);
    if (to && to !== from) edges.get(from)!.add(to);
  }
}

/** Each cycle once, as the path of modules that closes it. */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (m: string) => {
    state.set(m, 'open');
    stack.push(m);
    for (const next of [...(edges.get(m) ?? [])].sort()) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(m, 'done');
  };
  for (const m of [...edges.keys()].sort()) if (!state.has(m)) visit(m);
  return found;
}

function drawing(): string {
  const lines = ['```mermaid', 'flowchart TD'];
  for (const from of [...edges.keys()].sort()) {
    const targets = [...edges.get(from)!].sort();
    if (targets.length === 0) lines.push(`  ${from}`);
    for (const to of targets) lines.push(`  ${from} --> ${to}`);
  }
  lines.push('```');
  return lines.join('\n');
}

const loops = cycles();
if (loops.length > 0) {
  console.error('Modules use each other in a cycle (a lower module must hand work up through a hook):');
  for (const loop of loops) console.error(`  ${loop.join(' -> ')}`);
  process.exit(1);
}

const doc = readFileSync(docFile, 'utf8');
const start = doc.indexOf(START);
const end = doc.indexOf(END);
if (start < 0 || end < start) throw new Error(`docs/architecture.md lacks the ${START} ... ${END} markers`);
const fresh = `${doc.slice(0, start + START.length)}\n${drawing()}\n${doc.slice(end)}`;
if (process.argv.includes('--check')) {
  if (fresh !== doc) {
    console.error("The module graph in docs/architecture.md is not the code's: run `npm run graph`.");
    process.exit(1);
  }
} else {
  writeFileSync(docFile, fresh);
  console.log(`docs/architecture.md: module graph of ${edges.size} modules written`);
}
