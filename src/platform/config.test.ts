import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, configVariables, loadConfig } from './config.ts';

/** Runs loadConfig and returns its ConfigError, failing when it does not throw one. */
function problemsOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.dataDir, './data');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.redisUrl, undefined);
    assert.equal(c.role, 'all');
    assert.equal(c.adminToken, undefined);
    assert.equal(c.secretKey, undefined);
    assert.equal(c.bodyLimitBytes, 1024 * 1024);
    assert.equal(c.uploadLimitBytes, 50 * 1024 * 1024);
    assert.equal(c.webhookAllowPrivate, false);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.jobPollMs, 250);
    assert.equal(c.metaGraphVersion, 'v26.0');
    assert.equal(c.testing, undefined);
  });

  it('treats an empty value as unset', () => {
    const c = loadConfig({ PORT: '', PARLEY_ROLE: '', DATABASE_URL: '' });
    assert.equal(c.port, 3000);
    assert.equal(c.role, 'all');
    assert.equal(c.databaseUrl, undefined);
  });

  it('parses good values into their types', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgresql://u@db:5432/parley',
      REDIS_URL: 'rediss://cache:6380',
      PARLEY_ROLE: 'worker',
      PARLEY_ADMIN_TOKEN: 'a'.repeat(16),
      PARLEY_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      PARLEY_WEBHOOK_ALLOW_PRIVATE: 'yes',
      PARLEY_LOG_LEVEL: 'silent',
      PARLEY_JOB_POLL_MS: '10',
      PARLEY_PUBLIC_URL: 'https://parley.example.com',
    });
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.databaseUrl, 'postgresql://u@db:5432/parley');
    assert.equal(c.redisUrl, 'rediss://cache:6380');
    assert.equal(c.role, 'worker');
    assert.equal(c.webhookAllowPrivate, true);
    assert.equal(c.logLevel, 'silent');
    assert.equal(c.jobPollMs, 10);
    assert.equal(c.publicUrl, 'https://parley.example.com');
    for (const [raw, expected] of [
      ['1', true],
      ['true', true],
      ['0', false],
      ['no', false],
      ['false', false],
    ] as const) {
      assert.equal(loadConfig({ PARLEY_WEBHOOK_ALLOW_PRIVATE: raw }).webhookAllowPrivate, expected, raw);
    }
  });

  const bad: Array<[keyof typeof configVariables, string, RegExp]> = [
    ['PORT', 'abc', /whole number/],
    ['PORT', '65536', /65535/],
    ['PORT', '-1', /whole number/],
    ['PORT', '80.5', /whole number/],
    ['DATABASE_URL', 'mysql://x', /postgres:\/\/ URL/],
    ['REDIS_URL', 'http://127.0.0.1:6379', /redis:\/\/ URL/],
    ['PARLEY_ROLE', 'boss', /api|worker|all/],
    ['PARLEY_ADMIN_TOKEN', 'short', /at least 16/],
    ['PARLEY_SECRET_KEY', 'c2hvcnQ=', /32 bytes/],
    ['PARLEY_BODY_LIMIT_BYTES', '10', /1024/],
    ['PARLEY_WEBHOOK_ALLOW_PRIVATE', 'maybe', /.+/],
    ['PARLEY_LOG_LEVEL', 'loud', /.+/],
    ['PARLEY_PUBLIC_URL', 'not a url', /.+/],
    ['PARLEY_META_GRAPH_VERSION', '21', /v26\.0/],
    ['PARLEY_JOB_POLL_MS', '5', /10/],
    ['PARLEY_JWT_SECRET', 'too-short', /at least 32/],
  ];
  for (const [name, value, why] of bad) {
    it(`refuses ${name}=${value} with a message naming ${name}`, () => {
      const err = problemsOf({ [name]: value });
      assert.equal(err.problems.length, 1, err.message);
      assert.ok(err.problems[0]!.startsWith(`${name}: `), err.problems[0]);
      assert.match(err.problems[0]!, why);
      assert.ok(err.message.includes(name), err.message);
    });
  }

  it('reports every bad value at once, each by name', () => {
    const err = problemsOf({
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      PARLEY_ROLE: 'boss',
      PARLEY_LOG_LEVEL: 'loud',
      HOST: '127.0.0.1',
    });
    assert.deepEqual(
      err.problems.map((p) => p.split(':')[0]),
      ['PORT', 'DATABASE_URL', 'PARLEY_ROLE', 'PARLEY_LOG_LEVEL'],
    );
    for (const name of ['PORT', 'DATABASE_URL', 'PARLEY_ROLE', 'PARLEY_LOG_LEVEL'])
      assert.ok(err.message.includes(name), err.message);
    assert.ok(!err.message.includes('HOST'), 'a good value is not reported');
  });

  it('documents every variable it reads', () => {
    for (const [name, spec] of Object.entries(configVariables)) {
      assert.ok(spec.doc.length > 10, `${name} has no documentation`);
      assert.match(name, /^[A-Z][A-Z0-9_]*$/);
    }
  });
});
