/**
 * Bus only across modules (docs/architecture.md, "How modules react"): a module hears what another
 * module did through `ctx.reactions` (the typed event catalogue) and asks another module for
 * something by calling an operation of its `index.ts`. It does not plug code into another module:
 *
 * - `slot`: no assignment into another module's instance (`ctx.modules.channels.receiver = ...`,
 *   a late-bound slot the other module calls back through), nor into `ctx.ports` (a module above
 *   provides a port from its `Module` object's `provides`, which the platform gathers once:
 *   src/platform/ports.ts);
 * - `hook`: no listener added to another module's hook (`ctx.modules.contacts.merge.add(...)`,
 *   `ctx.modules.messaging.hooks.inboundMessage.add(...)`);
 * - `register`: no `on...(ctx, listener)` registration helper imported from another module
 *   (`onAssigneeDelete`, `onFlowDelete`, ...).
 *
 * Today's places are recorded debt in `scripts/bus-only.baseline.json`, counted per module, kind
 * and target; `--check` (npm run lint, lint:fast) fails on a new one or on more places than
 * recorded, so the debt may only shrink. `--write` records today's places (after paying debt off);
 * with no flag it prints every place.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const modulesDir = join(root, 'src/modules');
const baselineFile = join(root, 'scripts/bus-only.baseline.json');

/** Instances kept under `ctx.modules` by a module whose directory has another name. */
const instanceDir: Readonly<Record<string, string>> = { providers: 'channels', lines: 'voice' };

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'web' && name !== 'web-types') out.push(...filesUnder(path));
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const moduleOf = (file: string) => relative(modulesDir, file).split('/')[0]!;
const ownerOf = (instance: string) => instanceDir[instance] ?? instance;

/** Each place a module plugs code into another: `module -> target (kind)` → file:line. */
export function crossings(): Map<string, string[]> {
  const places = new Map<string, string[]>();
  const add = (key: string, at: string) => {
    if (!places.has(key)) places.set(key, []);
    places.get(key)!.push(at);
  };
  const instance = String.raw`ctx\.modules(?:\.([\w]+)|\[['"]([\w-]+)['"]\])`;
  const slot = new RegExp(String.raw`${instance}((?:\.\w+)+)\s*=(?!=)`, 'g');
  const hook = new RegExp(String.raw`${instance}((?:\.\w+)+)\.add\(`, 'g');
  const portSlot = /ctx\.ports((?:\.\w+)+)\s*=(?!=)/g;
  const imported = /import\s*\{([^}]*)\}\s*from\s*'\.\.\/(?:\.\.\/)*([\w-]+)\/index\.ts'/g;
  for (const file of filesUnder(modulesDir)) {
    const mod = moduleOf(file);
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => (/^\s*(\/\/|\*|\/\*\*)/.test(line) ? '' : line));
    const text = lines.join('\n');
    const lineOf = (index: number) => `${relative(root, file)}:${text.slice(0, index).split('\n').length}`;
    for (const [re, kind] of [
      [slot, 'slot'],
      [hook, 'hook'],
    ] as const)
      for (const m of text.matchAll(re)) {
        const target = ownerOf(m[1] ?? m[2]!);
        if (target !== mod) add(`${mod} -> ${target}${m[3]} (${kind})`, lineOf(m.index));
      }
    for (const m of text.matchAll(portSlot)) add(`${mod} -> ports${m[1]} (slot)`, lineOf(m.index));
    for (const m of text.matchAll(imported)) {
      const from = m[2]!;
      if (from === mod) continue;
      const names = m[1]!
        .split(',')
        .map((n) => n.trim().replace(/^type\s+/, ''))
        .filter((n) => /^on[A-Z]\w*$/.test(n));
      for (const name of names)
        for (const call of text.matchAll(new RegExp(String.raw`\b${name}\(\s*ctx\b`, 'g')))
          add(`${mod} -> ${from}.${name} (register)`, lineOf(call.index));
    }
  }
  return new Map([...places.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

const found = crossings();
const counts = Object.fromEntries([...found].map(([key, at]) => [key, at.length]));
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
const mode = process.argv[2];
if (mode === '--write') {
  writeFileSync(baselineFile, `${JSON.stringify(counts, null, 2)}\n`);
  console.log(`Recorded ${found.size} crossings at ${total(counts)} places.`);
} else if (mode === '--check') {
  const baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as Record<string, number>;
  const problems: string[] = [];
  for (const [key, at] of found) {
    const allowed = baseline[key] ?? 0;
    if (at.length > allowed)
      problems.push(`${key}: at ${at.length} places, ${allowed} allowed:\n    ${at.join('\n    ')}`);
  }
  if (problems.length > 0) {
    console.error(
      `A module plugs code into another instead of reacting through ctx.reactions or calling an operation (docs/architecture.md, "How modules react"):\n  ${problems.join('\n  ')}`,
    );
    process.exit(1);
  }
  const paid = Object.keys(baseline).filter((key) => (found.get(key)?.length ?? 0) < baseline[key]!);
  if (paid.length > 0)
    console.log(`Bus only: debt paid off for ${paid.join('; ')}: run \`node scripts/bus-only.ts --write\`.`);
  console.log(`Bus only: ${found.size} crossings still owed (at ${total(counts)} places); none new.`);
} else {
  for (const [key, at] of found) console.log(`${key}\n    ${at.join('\n    ')}`);
  console.log(`${found.size} crossings, ${total(counts)} places.`);
}
