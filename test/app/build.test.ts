import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, REPO_ROOT, spawnParley } from '../support/server-process.ts';

/** `npm start` builds dist/ and runs it with the flags in package.json: that artifact must work. */
describe('the built server (what npm start runs)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-build-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('builds, starts on an empty data directory, serves the API and the docs, and stops cleanly', async () => {
    const build = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/build.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    assert.equal(build.status, 0, build.stderr);
    const start = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts.start as string;
    assert.match(start, /^npm run build --silent && node .*dist\/main\.js$/);
    const nodeArgs = start.split('&& node ')[1].trim().split(/\s+/);

    const port = await freePort();
    const server = spawnParley(
      { PORT: String(port), PARLEY_DATA_DIR: dataDir, PARLEY_LOG_LEVEL: 'warn' },
      nodeArgs,
    );
    const [, testKey] = await server.waitFor(/test key:\s+(\S+)/);
    assert.match(server.stdout(), /API docs: http:\/\/localhost:\d+\/docs/);

    // Two more `npm start` in the same checkout while this one runs (the API + worker shape): both
    // builds succeed side by side, and neither rewrites or removes the files this server runs from.
    const main = realpathSync(join(REPO_ROOT, 'dist/main.js'));
    const before = statSync(main).mtimeMs;
    const builds = await Promise.all(
      [1, 2].map(
        () =>
          new Promise<number | null>((resolve) =>
            spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/build.ts'], {
              cwd: REPO_ROOT,
              stdio: 'ignore',
            }).on('exit', resolve),
          ),
      ),
    );
    assert.deepEqual(builds, [0, 0]);
    assert.equal(statSync(main).mtimeMs, before, "the running server's bundle was rewritten");
    assert.equal(realpathSync(join(REPO_ROOT, 'dist/main.js')), main);

    const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${testKey}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { api_key: { mode: string } }).api_key.mode, 'test');
    // A message goes through the queue and the sandbox (lazy chunks and workers load from dist/),
    // once the customer has written (test mode enforces WhatsApp's 24-hour window).
    const inbound = await fetch(`${server.url}/v1/sandbox/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+919876543210', text: 'Hi' }),
    });
    assert.equal(inbound.status, 200);
    const sent = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+919876543210', type: 'text', text: 'Namaste' }),
    });
    assert.equal(sent.status, 201);
    const { id } = (await sent.json()) as { id: string };
    let status = 'queued';
    for (let i = 0; i < 100 && status !== 'read'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const m = await fetch(`${server.url}/v1/messages/${id}`, {
        headers: { authorization: `Bearer ${testKey}` },
      });
      status = ((await m.json()) as { status: string }).status;
    }
    assert.equal(status, 'read');
    const asset = await fetch(`${server.url}/docs/swagger-ui-bundle.js`);
    assert.equal(asset.status, 200);
    assert.ok((await asset.arrayBuffer()).byteLength > 100_000);
    // The inbox is served from the bundle too: its page, its modules and the vendored Preact.
    const inbox = await fetch(`${server.url}/app/c/conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D`);
    assert.equal(inbox.status, 200);
    const base = /src="(\/app\/a\/[0-9a-f]{12})\/b\/main\.js"/.exec(await inbox.text())?.[1];
    assert.ok(base, 'the page loads the bundled inbox');
    for (const file of [
      'b/main.js',
      'main.js',
      'inbox.js',
      'vendor/preact.mjs',
      'vendor/hooks.mjs',
      'app.css',
    ]) {
      const res = await fetch(`${server.url}${base}/${file}`);
      assert.equal(res.status, 200, file);
    }

    const exit = await server.stop('SIGTERM');
    assert.equal(exit.code, 0);
  });
});
