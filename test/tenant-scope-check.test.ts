import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it } from 'node:test';

/**
 * The tenant filter is written once, in src/platform/db/scope.ts (`tenant`, `inScope`). A query
 * that filters `livemode` by hand anywhere else fails this check. The files below still hold such
 * filters (on a row's own scope, an alias, or a literal mode) and are being moved over; the list
 * only shrinks: a file that no longer needs its place must leave it.
 */
const NOT_YET_MOVED = new Set([
  'src/modules/ai/replay.ts',
  'src/modules/broadcasts/broadcasts.service.ts',
  'src/modules/campaigns/campaigns.service.ts',
  'src/modules/conversations/conversations.service.ts',
  'src/modules/events/events.service.ts',
  'src/modules/imports/imports.service.ts',
  'src/modules/knowledge/search.ts',
  'src/modules/messaging/sandbox.service.ts',
  'src/modules/users/users.service.ts',
  'src/modules/voice-flows/flow.driver.ts',
  'src/modules/voice/calls.service.ts',
  'src/modules/voice/carriers/inbound.ts',
  'src/modules/webhooks/webhooks.endpoint-cache.ts',
  'src/modules/webhooks/webhooks.service.ts',
  'src/platform/http/idempotency.ts',
]);

const root = new URL('..', import.meta.url).pathname;
const HAND_WRITTEN = /\.where\(\s*['"](?:\w+\.)?livemode['"]\s*,\s*['"]=['"]/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.includes('migrations')
      ? [path]
      : [];
  });
}

it('no query outside the tenant-scope helper filters workspace and mode by hand', () => {
  const offenders: string[] = [];
  const stale: string[] = [];
  for (const path of sourceFiles(join(root, 'src'))) {
    const file = relative(root, path);
    if (file === 'src/platform/db/scope.ts') continue;
    const lines = readFileSync(path, 'utf8').split('\n');
    const hits = lines.flatMap((line, i) =>
      HAND_WRITTEN.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [],
    );
    if (hits.length && !NOT_YET_MOVED.has(file)) offenders.push(...hits);
    if (!hits.length && NOT_YET_MOVED.has(file)) stale.push(file);
  }
  assert.deepEqual(
    offenders,
    [],
    'use tenant(db, scope) / inScope(scope, table) from src/platform/db/scope.ts instead of a hand-written livemode filter',
  );
  assert.deepEqual(stale, [], 'these files no longer filter by hand: remove them from NOT_YET_MOVED');
});
