import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configPath, readConfig, resolveSettings, writeConfig } from '../src/config.ts';

describe('CLI config', () => {
  it('lives under XDG_CONFIG_HOME, else ~/.config', () => {
    assert.equal(configPath({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/a' }), '/x/cfg/parley/config.json');
    assert.equal(configPath({ HOME: '/home/a' }), '/home/a/.config/parley/config.json');
  });

  it('is written with mode 0600, even over a looser existing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cfg-'));
    try {
      const env = { XDG_CONFIG_HOME: dir };
      assert.deepEqual(readConfig(env), {});
      mkdirSync(join(dir, 'parley'));
      writeFileSync(join(dir, 'parley', 'config.json'), '{}', { mode: 0o644 });
      const file = writeConfig(env, { api_key: 'prl_test_abc', base_url: 'http://h:1' });
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(readConfig(env), { api_key: 'prl_test_abc', base_url: 'http://h:1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves flag, then environment, then config, then the default', () => {
    const config = { api_key: 'cfg-key', base_url: 'http://cfg:1' };
    assert.deepEqual(
      resolveSettings({ apiKey: 'flag', baseUrl: 'http://flag:1/' }, { PARLEY_API_KEY: 'env' }, config),
      {
        apiKey: 'flag',
        baseUrl: 'http://flag:1',
      },
    );
    assert.deepEqual(
      resolveSettings({}, { PARLEY_API_KEY: 'env', PARLEY_BASE_URL: 'http://env:1' }, config),
      {
        apiKey: 'env',
        baseUrl: 'http://env:1',
      },
    );
    assert.deepEqual(resolveSettings({}, {}, config), { apiKey: 'cfg-key', baseUrl: 'http://cfg:1' });
    assert.deepEqual(resolveSettings({}, {}, {}), { apiKey: undefined, baseUrl: 'http://localhost:3000' });
  });
});
