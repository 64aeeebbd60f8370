/**
 * The SDK and the CLI as a user installs them: `npm pack` on each (which builds dist/ through the
 * `prepare` script), both tarballs installed into a fresh project outside the repository (their
 * dependencies as the lockfile pins them), then a plain JavaScript script importing `@parley/sdk`,
 * the installed `parley` binary and its `parley mcp` run against a real Parley server started here.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startServer, type TestServer } from './support/server.ts';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// npm and the scripts it runs must not see the test runner's --conditions=parley-source.
const env = { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'production' };

const SCRIPT = `
import { Parley, ParleyError, signWebhook, verifyWebhook } from '@parley/sdk';

const client = new Parley({ apiKey: process.env.PARLEY_API_KEY, baseUrl: process.env.PARLEY_BASE_URL });
const me = await client.me();
let error = null;
try {
  await client.contacts.create({ phone: 'not a phone', name: 'X' });
} catch (err) {
  error = { parleyError: err instanceof ParleyError, status: err.status, code: err.code, requestId: err.requestId };
}
const body = JSON.stringify({ id: 'evt_1', event: 'contact.created', created_at: new Date().toISOString(), data: {} });
const secret = 'whsec_package_test_secret';
const event = verifyWebhook(secret, signWebhook(secret, { id: 'msg_1', body }), body);
console.log(JSON.stringify({ workspace: me.workspace.id, error, event: event.event }));
`;

/**
 * package.json and package-lock.json of a project depending on the two tarballs (in ../packed),
 * their dependencies locked as the repository's lockfile locks them, with registry URLs, so that
 * `npm ci` takes the exact versions, from npm's cache by their integrity when it holds them
 * (without a lockfile, npm would resolve the ranges again from each package's registry metadata).
 */
function writeProjectLock(project: string, tarballs: string[]) {
  const read = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));
  const packages = read('package-lock.json').packages as Record<string, any>;
  const cli = read('packages/cli/package.json');
  const sdk = read('packages/sdk/package.json');
  const locked: Record<string, any> = {};
  // Resolves `name` as node does from the package at `from`, and locks it and its dependencies.
  const lock = (from: string, name: string, optional: boolean) => {
    if (name === sdk.name) return;
    for (let base = from; ; ) {
      const key = `${base ? `${base}/` : ''}node_modules/${name}`;
      const entry = packages[key];
      if (entry) {
        if (key in locked) return;
        const file = `${name.split('/').pop()}-${entry.version}.tgz`;
        locked[key] = { resolved: `https://registry.npmjs.org/${name}/-/${file}`, ...entry };
        for (const d of Object.keys(entry.dependencies ?? {})) lock(key, d, false);
        for (const d of Object.keys({ ...entry.optionalDependencies, ...entry.peerDependencies })) {
          lock(key, d, true);
        }
        return;
      }
      if (!base) {
        if (optional) return;
        throw new Error(`${name} (needed by ${from || 'the CLI'}) is not in package-lock.json`);
      }
      const i = base.lastIndexOf('/node_modules/');
      base = i < 0 ? '' : base.slice(0, i);
    }
  };
  for (const d of Object.keys(cli.dependencies)) lock('', d, false);
  const tarball = (pkg: { name: string }) =>
    `file:../packed/${tarballs.find((t) => t.startsWith(pkg.name.replace('@', '').replace('/', '-')))}`;
  const dependencies = { [cli.name]: tarball(cli), [sdk.name]: tarball(sdk) };
  const name = 'parley-pkg-test';
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name, private: true, type: 'module', dependencies }),
  );
  writeFileSync(
    join(project, 'package-lock.json'),
    JSON.stringify({
      name,
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name, dependencies },
        [`node_modules/${cli.name}`]: {
          version: cli.version,
          resolved: dependencies[cli.name],
          dependencies: cli.dependencies,
          bin: cli.bin,
          engines: cli.engines,
        },
        [`node_modules/${sdk.name}`]: {
          version: sdk.version,
          resolved: dependencies[sdk.name],
          engines: sdk.engines,
        },
        ...locked,
      },
    }),
  );
}

describe('@parley/sdk and @parley/cli from their packed tarballs [sqlite]', () => {
  let server: TestServer;
  let ws: { id: string; live: string; test: string };
  let dir: string;
  let project: string;

  // Packing builds both packages and installing copies ~100 packages: slow on a busy machine.
  before(
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'parley-pkg-test-'));
      project = join(dir, 'project');
      const packed = join(dir, 'packed');
      mkdirSync(packed);
      mkdirSync(project);
      const packing = run(
        npm,
        ['pack', '--pack-destination', packed, '-w', '@parley/sdk', '-w', '@parley/cli'],
        {
          cwd: root,
          env,
        },
      );
      server = await startServer();
      ws = await server.workspace();
      await packing;
      const tarballs = readdirSync(packed);
      assert.equal(tarballs.length, 2, `two tarballs: ${tarballs.join(', ')}`);
      // The CLI's own dependencies (the MCP SDK, ajv) are installed at the versions the repository's
      // package-lock.json pins, from npm's cache (filled by `npm install` at the root) and from the
      // registry for any tarball the cache no longer holds.
      writeProjectLock(project, tarballs);
      await run(npm, ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: project,
        env,
      });
      writeFileSync(join(project, 'use-sdk.mjs'), SCRIPT);
    },
    { timeout: 600_000 },
  );
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the tarball holds the built JavaScript and declarations, not the TypeScript source', async () => {
    const { stdout } = await run(
      npm,
      ['pack', '--dry-run', '--json', '--ignore-scripts', '-w', '@parley/sdk'],
      {
        cwd: root,
        env,
      },
    );
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map(
      (f) => f.path,
    );
    for (const f of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/browser.js',
      'dist/schema.d.ts',
      'package.json',
    ]) {
      assert.ok(files.includes(f), `${f} is packed (${files.join(', ')})`);
    }
    assert.ok(!files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no .ts source is packed');
  });

  it('every file the packed manifests name (exports, imports, main, types, bin) is in its tarball', async () => {
    for (const tarball of readdirSync(join(dir, 'packed'))) {
      const path = join(dir, 'packed', tarball);
      const listed = (await run('tar', ['-tzf', path])).stdout
        .split('\n')
        .filter(Boolean)
        .map((f) => f.replace(/^package\//, ''));
      const manifest = JSON.parse((await run('tar', ['-xzOf', path, 'package/package.json'])).stdout);
      const targets: string[] = [];
      const collect = (v: unknown) => {
        if (typeof v === 'string') targets.push(v);
        else if (v && typeof v === 'object') for (const x of Object.values(v)) collect(x);
      };
      for (const field of ['exports', 'imports', 'main', 'types', 'bin']) collect(manifest[field]);
      assert.ok(targets.length > 0, tarball);
      for (const target of targets)
        assert.ok(
          listed.includes(target.replace(/^\.\//, '')),
          `${tarball}: ${target} is named but not packed`,
        );
      assert.ok(
        !JSON.stringify([manifest.exports, manifest.imports]).includes('parley-source'),
        `${tarball}: no repository-only condition`,
      );
    }
    // Packing put the repository's manifests back as they were.
    for (const pkg of ['sdk', 'cli'])
      assert.match(readFileSync(join(root, `packages/${pkg}/package.json`), 'utf8'), /parley-source/);
  });

  it('a plain JavaScript project calls the API, and an API error keeps its code and request id', async () => {
    const { stdout } = await run(process.execPath, ['use-sdk.mjs'], {
      cwd: project,
      env: { ...env, PARLEY_API_KEY: ws.test, PARLEY_BASE_URL: server.url },
    });
    const out = JSON.parse(stdout) as {
      workspace: string;
      error: { parleyError: boolean; status: number; code: string; requestId: string } | null;
      event: string;
    };
    assert.equal(out.workspace, ws.id);
    assert.ok(out.error, 'creating a contact with a bad phone fails');
    assert.equal(out.error.parleyError, true);
    assert.equal(out.error.status, 400);
    assert.equal(out.error.code, 'validation_failed');
    assert.match(out.error.requestId, /^req_/);
    assert.equal(out.event, 'contact.created');
  });

  it('the installed parley binary runs from the tarball', async () => {
    const bin = join(project, 'node_modules/.bin/parley');
    const cliEnv = { ...env, PARLEY_API_KEY: ws.test, PARLEY_BASE_URL: server.url, HOME: dir };
    const { stdout } = await run(process.execPath, [bin, 'me', '--json'], { cwd: project, env: cliEnv });
    assert.equal((JSON.parse(stdout) as { workspace: { id: string } }).workspace.id, ws.id);
    await assert.rejects(
      run(process.execPath, [bin, 'conversations', 'show', 'conv_doesnotexist', '--json'], {
        cwd: project,
        env: cliEnv,
      }),
      (err: { code: number; stdout: string; stderr: string }) => {
        assert.notEqual(err.code, 0);
        assert.match(`${err.stdout}${err.stderr}`, /not_found/);
        assert.match(`${err.stdout}${err.stderr}`, /req_/);
        return true;
      },
    );
  });

  it('the installed `parley mcp` serves its tools over stdio', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(project, 'node_modules/.bin/parley'), 'mcp'],
      cwd: project,
      env: { PATH: process.env.PATH ?? '', HOME: dir, PARLEY_API_KEY: ws.test, PARLEY_BASE_URL: server.url },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'parley-pkg-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'list_conversations'));
      const result = await client.callTool({ name: 'list_conversations', arguments: { status: 'active' } });
      assert.ok(!result.isError, JSON.stringify(result.content));
      assert.deepEqual((result.structuredContent as { data: unknown[] }).data, []);
      const refused = await client.callTool({ name: 'list_conversations', arguments: { status: 'nope' } });
      assert.equal(refused.isError, true);
      assert.equal(
        (refused.structuredContent as { error: { code: string } }).error.code,
        'validation_failed',
      );
    } finally {
      await client.close();
    }
  });
});
