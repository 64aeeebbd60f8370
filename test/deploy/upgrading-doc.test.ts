/**
 * docs/upgrading.md names every migration the sources hold (src/**\/*.migrations.ts and the
 * platform's), each once, and none that does not exist: an upgrade's reader sees all it will run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allMigrations } from '../../src/modules/index.ts';
import { REPO_ROOT } from '../support/server-process.ts';

describe('docs/upgrading.md', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs/upgrading.md'), 'utf8');
  const listed = [...doc.matchAll(/^\| `(\d{4}_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!);

  it('lists every migration, once', () => {
    const ids = Object.keys(allMigrations()).sort();
    assert.ok(ids.length > 0);
    assert.deepEqual(
      ids.filter((id) => !listed.includes(id)),
      [],
      'migrations missing from docs/upgrading.md',
    );
    assert.deepEqual(
      listed.filter((id, i) => listed.indexOf(id) !== i),
      [],
      'listed twice',
    );
  });

  it('lists no migration that does not exist, and says for each what it locks', () => {
    const ids = new Set(Object.keys(allMigrations()));
    assert.deepEqual(
      listed.filter((id) => !ids.has(id)),
      [],
    );
    for (const row of doc.split('\n').filter((l) => /^\| `\d{4}_/.test(l))) {
      const cells = row.split(' | ');
      assert.equal(cells.length, 4, row);
      assert.ok(cells[2]!.length > 10 && cells[3]!.length > 5, `a row says what it does and locks: ${row}`);
    }
  });
});
