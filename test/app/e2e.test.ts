/**
 * End to end: the real server process, as `npm start` runs it, over real HTTP.
 * Each process takes seconds to start on a busy machine, so each is started once and shared
 * by the steps that need it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createPgDatabase, postgresAvailable } from '../support/harness.ts';
import { freePort, killAll, logLines, type ServerProcess, spawnParley } from '../support/server-process.ts';

const pgOk = process.env.PARLEY_TEST_PG === '0' ? false : await postgresAvailable();
const ADMIN = `e2e-admin-${randomBytes(12).toString('hex')}`;

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const json =
    (res.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : undefined;
  return { status: res.status, headers: res.headers, text, body: json };
}

/** Parses the first-start banner: the workspace and its two keys. */
function bannerKeys(output: string) {
  const workspace = /^ {2}workspace: (ws_[0-9A-Z]{26})$/m.exec(output)?.[1];
  const live = /^ {2}live key: {2}(prl_live_[A-Za-z0-9_-]{20,})$/m.exec(output)?.[1];
  const test = /^ {2}test key: {2}(prl_test_[A-Za-z0-9_-]{20,})$/m.exec(output)?.[1];
  assert.ok(workspace && live && test, `no workspace and keys in the banner:\n${output}`);
  return { workspace, live, test };
}

function assertNotLogged(output: string, secrets: string[], where: string) {
  for (const secret of secrets)
    assert.ok(!output.includes(secret), `${where} contains ${secret.slice(0, 12)}…:\n${output}`);
}

describe('npm start on SQLite', () => {
  // In its describe, not at the top level: the runner may run many files in one process, and a
  // top-level after() would wait for all of them.
  after(killAll);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  let port: number;
  let base: string;
  let first: ServerProcess;
  let keys: { workspace: string; live: string; test: string };
  let adminMade: { live: string; test: string };
  const bogusKey = `prl_test_${randomBytes(24).toString('base64url')}`;

  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('on first start of an empty data dir prints the live and test keys once, with the docs address', async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    first = spawnParley({
      PORT: String(port),
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'info',
      PARLEY_ADMIN_TOKEN: ADMIN,
    });
    await first.waitFor(/^Try: curl .*\/v1\/me$/m);
    const out = first.stdout();
    keys = bannerKeys(out);
    assert.equal(out.match(/First start: created the "Default workspace"/g)?.length, 1, out);
    assert.equal(out.split(keys.live).length - 1, 1, 'the live key is printed exactly once');
    assert.match(out, new RegExp(`API docs: http://localhost:${port}/docs\\b`));
    assert.match(out, /role all, storage SQLite/);
    assert.ok(existsSync(join(dataDir, 'parley.db')), 'SQLite lives under PARLEY_DATA_DIR');
    assert.ok(
      existsSync(join(dataDir, 'secret.key')),
      'the generated secret key lives under PARLEY_DATA_DIR',
    );
    // The same keys, kept for its owner alone in the data directory (a container's log may be lost).
    const keysFile = join(dataDir, 'first-start-keys.env');
    assert.equal(statSync(keysFile).mode & 0o777, 0o600);
    const kept = readFileSync(keysFile, 'utf8');
    assert.match(kept, new RegExp(`^PARLEY_LIVE_KEY=${keys.live}$`, 'm'));
    assert.match(kept, new RegExp(`^PARLEY_TEST_KEY=${keys.test}$`, 'm'));
    assert.match(kept, new RegExp(`^PARLEY_WORKSPACE_ID=${keys.workspace}$`, 'm'));
    assert.match(out, /They are also in .*first-start-keys\.env \(readable by its owner only\)/);

    const ready = await call(base, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.deepEqual(ready.body.checks, { database: 'ok' });
    // The speech engines this server can run (the builtin ones only where Debian's are installed).
    assert.ok(ready.body.speech.stt.includes('sandbox') && ready.body.speech.tts.includes('sandbox'));
    const docs = await call(base, 'GET', '/docs');
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
    const me = await call(base, 'GET', '/v1/me', { authorization: `Bearer ${keys.test}` });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.workspace.id, keys.workspace);
    assert.equal(me.body.workspace.name, 'Default workspace');
    assert.equal(me.body.livemode, false);
    assert.equal(me.body.workspace.plan, 'enterprise', 'the default workspace is on PARLEY_DEFAULT_PLAN');
    assert.equal(me.headers.get('x-ratelimit-limit'), '3000');
    const none = await call(base, 'GET', '/v1/me');
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'unauthorized');
  });

  it('never writes a key or the admin token to its logs, and stops cleanly on SIGTERM', async () => {
    const live = await call(base, 'GET', '/v1/me', { 'x-api-key': keys.live });
    assert.equal(live.status, 200);
    assert.equal(live.body.livemode, true);
    const created = await call(
      base,
      'POST',
      '/v1/admin/workspaces',
      { authorization: `Bearer ${ADMIN}` },
      { name: 'E2E shop', plan: 'growth' },
    );
    assert.equal(created.status, 201, created.text);
    const made = created.body.api_keys as Array<{ mode: string; key: string }>;
    adminMade = {
      live: made.find((k) => k.mode === 'live')!.key,
      test: made.find((k) => k.mode === 'test')!.key,
    };
    const viaHeader = await call(base, 'GET', '/v1/me', { 'x-api-key': adminMade.test });
    assert.equal(viaHeader.status, 200);
    assert.equal(viaHeader.body.workspace.id, created.body.workspace.id);
    assert.equal((await call(base, 'GET', '/v1/me', { authorization: `Bearer ${bogusKey}` })).status, 401);
    const wrongAdmin = await call(
      base,
      'POST',
      '/v1/admin/workspaces',
      { authorization: `Bearer ${ADMIN}-wrong` },
      { name: 'x' },
    );
    assert.equal(wrongAdmin.status, 401);
    const badBody = await call(base, 'POST', '/v1/api-keys', { 'x-api-key': keys.test }, { scopes: 'nope' });
    assert.equal(badBody.status, 400);

    const exit = await first.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });

    const output = first.output();
    const logs = logLines(output).join('\n');
    assert.ok(logs.includes('"msg":"shutting down"'), `the run wrote no JSON logs:\n${output}`);
    for (const line of logLines(output)) JSON.parse(line);
    // The banner shows the first-run keys by design; the logs never do, nor anything else.
    assertNotLogged(logs, [keys.live, keys.test], 'the logs');
    assertNotLogged(output, [ADMIN, adminMade.live, adminMade.test, bogusKey], 'the output');
  });

  it('on a second start of the same data dir prints no keys and the old keys still work', async () => {
    const second = spawnParley({
      PORT: String(port),
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: dataDir,
      // The most verbose level: still no key or token in any record.
      PARLEY_LOG_LEVEL: 'trace',
      PARLEY_ADMIN_TOKEN: ADMIN,
    });
    await second.waitFor(/^API docs: .*\/docs/m);
    const me = await call(base, 'GET', '/v1/me', { authorization: `Bearer ${keys.test}` });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.workspace.id, keys.workspace);
    const made = await call(base, 'GET', '/v1/me', { 'x-api-key': adminMade.live });
    assert.equal(made.status, 200);
    assert.equal(made.body.workspace.plan, 'growth');
    assert.equal((await call(base, 'GET', '/v1/me', { 'x-api-key': bogusKey })).status, 401);
    const admin = await call(base, 'POST', '/v1/admin/workspaces', { authorization: `Bearer ${ADMIN}` }, {});
    assert.equal(admin.status, 400);
    assert.equal((await call(base, 'GET', '/readyz')).status, 200);

    const exit = await second.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
    const output = second.output();
    assert.doesNotMatch(output, /First start/);
    assert.doesNotMatch(output, /prl_(live|test)_/, 'no key is printed on a later start');
    assert.ok(logLines(output).length > 0, `the run wrote no JSON logs:\n${output}`);
    assertNotLogged(
      output,
      [keys.live, keys.test, adminMade.live, adminMade.test, bogusKey, ADMIN],
      'the output',
    );
    // A later start leaves the first start's keys file as it was (the operator deletes it).
    assert.match(readFileSync(join(dataDir, 'first-start-keys.env'), 'utf8'), new RegExp(keys.live));
    // Still one database file: the second start migrated in place rather than starting over.
    assert.deepEqual(
      readdirSync(dataDir).filter((f) => f.endsWith('.db')),
      ['parley.db'],
    );
  });
});

describe('a bad configuration', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['PORT', { PORT: 'abc' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['PARLEY_ROLE', { PARLEY_ROLE: 'boss' }],
    ['PARLEY_DB_POOL_SIZE', { PARLEY_DB_POOL_SIZE: '1' }],
    // PostgreSQL without a shared secret key: refused before any connection is made.
    ['PARLEY_SECRET_KEY', { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/parley_never_created' }],
  ];
  it('stops the start with a message naming the variable (PORT, DATABASE_URL, PARLEY_ROLE, PARLEY_DB_POOL_SIZE, PARLEY_SECRET_KEY)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-bad-'));
    try {
      const runs = cases.map(([name, env]) => ({
        name,
        proc: spawnParley({ PORT: '0', HOST: '127.0.0.1', PARLEY_DATA_DIR: dataDir, ...env }),
      }));
      for (const { name, proc } of runs) {
        const timer = setTimeout(() => proc.child.kill('SIGKILL'), 30_000);
        const exit = await proc.exited;
        clearTimeout(timer);
        assert.equal(exit.signal, null, `${name}: killed, it did not stop by itself:\n${proc.output()}`);
        assert.notEqual(exit.code, 0);
        assert.match(proc.stderr(), new RegExp(`Parley cannot start[\\s\\S]*${name}: `));
        assert.doesNotMatch(proc.stdout(), /listening/);
      }
      assert.deepEqual(readdirSync(dataDir), [], 'nothing is created before the configuration is valid');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('npm start on PostgreSQL', {
  skip: pgOk ? false : 'PostgreSQL not reachable (PARLEY_TEST_PG=0)',
}, () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>> | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-pg-'));
  after(async () => {
    await killAll();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the same server on DATABASE_URL, migrating on start', async () => {
    db = await createPgDatabase();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = spawnParley({
      PORT: String(port),
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
    });
    await proc.waitFor(/^Try: curl .*\/v1\/me$/m);
    assert.match(proc.stdout(), /storage PostgreSQL/);
    const keys = bannerKeys(proc.stdout());
    const me = await call(base, 'GET', '/v1/me', { authorization: `Bearer ${keys.test}` });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.workspace.id, keys.workspace);
    assert.equal((await call(base, 'GET', '/readyz')).status, 200);

    // The workspace is in PostgreSQL; only the first start's keys went to the data directory.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = await client.query('select id from workspaces');
      assert.deepEqual(
        rows.rows.map((r) => r.id),
        [keys.workspace],
      );
    } finally {
      await client.end();
    }
    assert.deepEqual(readdirSync(dataDir), ['first-start-keys.env']);
    assert.deepEqual(await proc.stop('SIGTERM'), { code: 0, signal: null });
    assertNotLogged(logLines(proc.output()).join('\n'), [keys.live, keys.test], 'the logs');
  });
});
