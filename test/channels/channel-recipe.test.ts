import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it } from 'node:test';

/**
 * docs/architecture.md's "Adding a channel type" recipe stays true: the source files outside
 * `src/modules/channels/telegram/` that name Telegram (the last channel added by the recipe) are
 * exactly the files the recipe names, no more and no fewer.
 */
const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : [path];
  });
}

it("the recipe names every file outside the channel's folder that a new channel touched", () => {
  const touched = sourceFiles(join(root, 'src'))
    .map((p) => relative(root, p))
    .filter((p) => !p.startsWith('src/modules/channels/telegram/'))
    .filter((p) => /telegram/i.test(readFileSync(join(root, p), 'utf8')))
    .map((p) => p.split('/').pop()!)
    .sort();
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const recipe = doc.slice(
    doc.indexOf('## Adding a channel type'),
    doc.indexOf('\n## ', doc.indexOf('## Adding a channel type') + 5),
  );
  assert.ok(recipe.length > 100, 'docs/architecture.md has its "Adding a channel type" section');
  // File names as the recipe writes them, in backquotes (`kinds.ts`, `src/platform/config.ts`).
  const named = new Set([...recipe.matchAll(/`([\w./-]+\.ts)`/g)].map((m) => m[1]!.split('/').pop()!));
  const unnamed = touched.filter((f) => !named.has(f));
  assert.deepEqual(
    unnamed,
    [],
    `files a new channel touched that the recipe does not name: ${unnamed.join(', ')}`,
  );
  // And the recipe's shared files all still exist and are still touched (no stale steps).
  const steps = recipe.slice(recipe.indexOf('2. **Registration**'), recipe.indexOf('\n4. '));
  const shared = [...steps.matchAll(/`([\w./-]+\.ts)`/g)].map((m) => m[1]!.split('/').pop()!);
  const stale = shared.filter((f) => !touched.includes(f));
  assert.deepEqual(
    stale,
    [],
    `files the recipe names that a new channel no longer touches: ${stale.join(', ')}`,
  );
});
