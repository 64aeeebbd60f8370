/**
 * Groups `test/*.test.ts` by module (issue 53, step 5): `test/<group>/<file>`, the groups being the
 * modules of `src/modules` plus `platform` (queue, database, metrics) and `app` (whole-server
 * wiring and contracts: the bad-input sweep, security, OpenAPI examples, docs, e2e).
 *
 * Not run by anything: the move is one commit to make after the branches that add tests have
 * merged (moving files under them would collide). `node scripts/group-tests.ts` prints the plan;
 * `--apply` makes it: `git mv` of each file, its relative paths (imports, `new URL('../openapi.json',
 * import.meta.url)`, `join(import.meta.dirname, 'support/...')`) rewritten for its new folder, and
 * every mention of its old path in the repository's text files (scripts/test.ts, test-shards.ts,
 * storage-plan.ts, test-times.json, docs, README) replaced. Then `npm run typecheck`, `npm run
 * lint:fast` and `npm test -- --list` check it. A file no rule places stops the script.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** First rule whose pattern matches the file's name (without `.test.ts` or `.module.test.ts`) wins. */
const rules: Array<[RegExp, string]> = [
  [
    /^(bad-input-sweep|security|security-trial|openapi-examples|docs|docs-page|e2e|build|two-apps|first-day|permissions|tenant-scope|tenant-scope-check|cursor-pagination|coming-from|clinic-day|reliability|scaled|platform|placeholders|socket-hardening|test-runner|module-harness)$/,
    'app',
  ],
  [/^(pg-|queue|metrics|audit-log|login-throttle$|query-plans$)/, 'platform'],
  [/^(accounts|users|sessions)$/, 'users'],
  [/^(agent-|agents$)/, 'agents'],
  [/^(ai-|ai$|builtin-|sandbox-agent$|auto-resolve$|automations-ai-race$)/, 'ai'],
  [/^analysis$/, 'analysis'],
  [
    /^(automations|booking-automations|canned-responses|macros|csat|csat-resolve-race|team-day-rules)$/,
    'teamtools',
  ],
  [/^bookings$/, 'bookings'],
  [/^broadcasts$/, 'broadcasts'],
  [/^(campaign-|campaigns$|voice-campaigns$|calling-hours$)/, 'campaigns'],
  [
    /^(call-|calls|livekit$|openai-audio$|phone-lines$|public-url-warning$|scaled-voice$|screener-greeting$|speech-engines$|twilio-voice$|voice-(drain|processes|shutdown|turns)$|web-call\.browser$)/,
    'voice',
  ],
  [/^voice-flows$/, 'voice-flows'],
  [
    /^(channels|meta-direct|provider-conformance|whatsapp(-.*)?|sms-email|sms-voice-channel|smtp-timeouts|email-conformance)$/,
    'channels',
  ],
  [/^(contacts|contacts-merge|phone-metadata)$/, 'contacts'],
  [
    /^(conversations|conversation-counts|routing|sla|timers-cancel|handoff-.*|teamops-scaled)$/,
    'conversations',
  ],
  [/^(messaging|send-outcome|inbound-race|inbound-nul|opt-keywords|search)$/, 'messaging'],
  [/^(events|webhooks|webhook-payloads.*)$/, 'webhooks'],
  [/^imports(-bsp)?$/, 'imports'],
  [/^inbox/, 'inbox'],
  [/^knowledge/, 'knowledge'],
  [/^leads$/, 'leads'],
  [/^media(-send)?$/, 'media'],
  [/^notification/, 'notifications'],
  [/^(erasure|erasure-crash|erasure-races|retention|contact-export)$/, 'privacy'],
  [/^reports/, 'reports'],
  [/^tools/, 'tools'],
  [/^widget/, 'widget'],
];

const testDir = join(root, 'test');
const plan: Array<[from: string, to: string]> = [];
const unplaced: string[] = [];
for (const name of readdirSync(testDir)
  .filter((f) => f.endsWith('.test.ts'))
  .sort()) {
  // A module test (`routing.module.test.ts`) goes where its HTTP namesake does.
  const group = rules.find(([re]) => re.test(name.replace(/(\.module)?\.test\.ts$/, '')))?.[1];
  if (group) plan.push([`test/${name}`, `test/${group}/${name}`]);
  else unplaced.push(name);
}
if (unplaced.length) {
  console.error(`No group for: ${unplaced.join(', ')} (add a rule).`);
  process.exit(1);
}

/** A relative path written in a file of `test/`, as written from its new folder. */
function moved(literal: string, toDir: string): string {
  const target = posix.join('test', literal);
  let out = posix.relative(toDir, target) || '.';
  if (!out.startsWith('.')) out = `./${out}`;
  return literal.endsWith('/') && !out.endsWith('/') ? `${out}/` : out;
}

/**
 * Rewrites the relative paths that name files: import specifiers (`from '../src/x.ts'`,
 * `import('./support/y.ts')`), `new URL(<path>, import.meta.url)` and `join(import.meta.dirname,
 * <path>)`. Other strings that look like paths (a path-traversal probe, '..' in a split) stay.
 */
function rewriteRelative(source: string, toDir: string): string {
  const fix = (lit: string) => moved(lit.startsWith('.') ? lit : `./${lit}`, toDir);
  return source
    .replace(
      /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"]*)\2/g,
      (_m, pre, q, lit) => `${pre}${q}${fix(lit)}${q}`,
    )
    .replace(/(\bnew URL\(\s*)(['"`])([^'"`]*)\2(\s*,\s*import\.meta\.url)/g, (m, pre, q, lit, post) =>
      lit.startsWith('.') ? `${pre}${q}${fix(lit)}${q}${post}` : m,
    )
    .replace(
      /(\bjoin\(\s*import\.meta\.dirname\s*,\s*)(['"`])([^'"`]*)\2/g,
      (_m, pre, q, lit) => `${pre}${q}${fix(lit)}${q}`,
    );
}

const byCount = new Map<string, number>();
for (const [, to] of plan) byCount.set(dirname(to), (byCount.get(dirname(to)) ?? 0) + 1);
for (const [dir, n] of [...byCount].sort()) console.log(`${dir}: ${n} files`);

if (process.argv.includes('--apply')) {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
  for (const [from, to] of plan) {
    execFileSync('mkdir', ['-p', join(root, dirname(to))]);
    git('mv', from, to);
    const file = join(root, to);
    writeFileSync(file, rewriteRelative(readFileSync(file, 'utf8'), dirname(to)));
  }
  const mentions = new Map(plan.map(([from, to]) => [from, to]));
  const pattern = new RegExp(
    String.raw`(?<![\w/.-])(${plan.map(([from]) => from.replace(/[.]/g, '\\.')).join('|')})(?![\w.-])`,
    'g',
  );
  const tracked = git('ls-files')
    .split('\n')
    .filter((f) => f && !/\.(png|jpg|gz|zip|docx|pdf|wav|bin|onnx)$/.test(f));
  let files = 0;
  for (const f of tracked) {
    const path = join(root, f);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    const next = text.replace(pattern, (m) => mentions.get(m) ?? m);
    if (next !== text) {
      writeFileSync(path, next);
      files++;
    }
  }
  console.log(
    `Moved ${plan.length} files; old paths replaced in ${files} files (${relative(root, root) || '.'}).`,
  );
} else {
  for (const [from, to] of plan) console.log(`  ${from} -> ${to}`);
}
