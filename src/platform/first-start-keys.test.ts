import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FIRST_START_KEYS_FILE, writeFirstStartKeys } from './first-start-keys.ts';

const keys = { workspaceId: 'ws_01TEST', liveKey: 'prl_live_aaaaaaaa', testKey: 'prl_test_bbbbbbbb' };

describe('the first start keys file', () => {
  const root = mkdtempSync(join(tmpdir(), 'parley-keys-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('holds the keys as an env file, readable by its owner only, even under a lax umask', () => {
    const dataDir = join(root, 'fresh', 'data');
    const before = process.umask(0o000);
    try {
      const kept = writeFirstStartKeys(dataDir, keys, new Date('2026-11-26T10:00:00Z'));
      assert.deepEqual(kept, { path: join(dataDir, FIRST_START_KEYS_FILE) });
    } finally {
      process.umask(before);
    }
    const path = join(dataDir, FIRST_START_KEYS_FILE);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const values = Object.fromEntries(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split('=') as [string, string]),
    );
    assert.deepEqual(values, {
      PARLEY_WORKSPACE_ID: 'ws_01TEST',
      PARLEY_LIVE_KEY: 'prl_live_aaaaaaaa',
      PARLEY_TEST_KEY: 'prl_test_bbbbbbbb',
    });
    assert.match(readFileSync(path, 'utf8'), /2026-11-26T10:00:00\.000Z/);
  });

  it("replaces an earlier database's file, and a link planted in its place, without writing through it", () => {
    const dataDir = join(root, 'again');
    writeFirstStartKeys(dataDir, { ...keys, liveKey: 'prl_live_old' });
    const elsewhere = join(root, 'elsewhere.txt');
    writeFileSync(elsewhere, 'untouched\n');
    rmSync(join(dataDir, FIRST_START_KEYS_FILE));
    symlinkSync(elsewhere, join(dataDir, FIRST_START_KEYS_FILE));

    assert.ok('path' in writeFirstStartKeys(dataDir, keys));
    assert.equal(readFileSync(elsewhere, 'utf8'), 'untouched\n');
    const text = readFileSync(join(dataDir, FIRST_START_KEYS_FILE), 'utf8');
    assert.match(text, /^PARLEY_LIVE_KEY=prl_live_aaaaaaaa$/m);
    assert.doesNotMatch(text, /prl_live_old/);
  });

  it('reports a data directory it cannot write to instead of throwing (the server starts anyway)', () => {
    const notADir = join(root, 'a-file');
    writeFileSync(notADir, '');
    const kept = writeFirstStartKeys(notADir, keys);
    assert.ok('error' in kept);
    assert.match(kept.error.message, /ENOTDIR|EEXIST/);
  });
});
