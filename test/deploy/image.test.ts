/**
 * `npm run image:smoke`: builds the OCI image (scripts/image.ts), starts it, waits for `/readyz`,
 * follows the README's quick start through the sandbox channel (an agent, a customer's message,
 * the AI's answer), runs the image's HEALTHCHECK command, then stops it with SIGTERM and expects a
 * clean exit. Part of `npm run test:slow` (CI), not of `npm test`: the build takes minutes.
 *
 * Where no container runtime may run (this CI's sandbox refuses `podman run`), the image is run
 * with buildah: `buildah from` makes a working container of it and `buildah run --isolation chroot
 * --network host` runs its command with the image's user, working directory and environment on
 * the host's network. buildah keeps the image's `/data` volume with its working container (a `-v`
 * does not replace it), so the test reads the keys file with `buildah run ... cat`. buildah does
 * not pass SIGTERM on to what it runs, so the test sends it to the server process itself.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BuiltImage, buildImage, type Engine, findEngine } from '../../scripts/image.ts';
import { hasImage, LOCAL_BASE } from '../../scripts/image-base.ts';
import { eventually } from '../support/harness.ts';
import { freePort, REPO_ROOT, startTimeoutMs } from '../support/server-process.ts';

// buildah first when it is here: it also runs the image where a container runtime may not run.
const engine =
  (process.env.PARLEY_IMAGE_ENGINE as Engine | undefined) ??
  (spawnSync('buildah', ['--version'], { stdio: 'ignore' }).status === 0 ? 'buildah' : findEngine());
const isRoot = process.getuid?.() === 0;
// Without registry access (this sandbox) the base is made with debootstrap, unless it was made
// before (the local base image, or debootstrap's cached tree).
const cache = process.env.PARLEY_IMAGE_CACHE ?? '/var/cache/parley-image-base';
const baseUnmakeable = () =>
  spawnSync('debootstrap', ['--version'], { stdio: 'ignore' }).status !== 0 &&
  !existsSync(join(cache, 'bookworm-minbase', '.complete')) &&
  !(engine === 'buildah' && hasImage(LOCAL_BASE));
const skip =
  process.env.CI === 'true'
    ? false
    : !engine
      ? 'no image engine (docker, podman or buildah) is installed (apt-get install buildah)'
      : engine !== 'docker' && !isRoot
        ? 'building with buildah or podman here needs root'
        : engine !== 'docker' && baseUnmakeable()
          ? 'debootstrap is not installed, and without registry access the base image is made with it (apt-get install debootstrap)'
          : false;

/** The pids under `pid` (the server process sits below buildah and its chroot helper). */
function descendants(pid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      found.push(c);
      walk(c);
    }
  };
  walk(pid);
  return found;
}

/** The image's configuration (Docker's schema: HEALTHCHECK has no place in an OCI image's). */
function imageConfig(built: BuiltImage): {
  Labels: Record<string, string>;
  User: string;
  Volumes: Record<string, unknown>;
  Env: string[];
  Cmd: string[];
  Healthcheck: { Test: string[] };
} {
  if (built.engine === 'buildah') {
    const out = execFileSync('buildah', ['inspect', '--type', 'image', built.image], { encoding: 'utf8' });
    return JSON.parse(out).Docker.config;
  }
  const out = execFileSync(built.engine, ['image', 'inspect', built.image], { encoding: 'utf8' });
  return JSON.parse(out)[0].Config;
}

describe('the OCI image', { skip }, () => {
  let built: BuiltImage;
  let container = '';
  let server: ChildProcess | undefined;
  let output = '';
  let exited: Promise<number | null>;
  let base = '';
  /** Runs a command in the started container (its data volume is the image's own `/data`). */
  const inContainer = (command: string[]) =>
    built.engine === 'buildah'
      ? execFileSync(
          'buildah',
          ['run', '--isolation', 'chroot', '--network', 'host', container, '--', ...command],
          {
            encoding: 'utf8',
          },
        )
      : execFileSync(built.engine, ['exec', container, ...command], { encoding: 'utf8' });

  before(() => {
    built = buildImage(engine);
  });
  after(async () => {
    if (server && server.exitCode === null) {
      // A test failed before the server stopped: SIGKILL to buildah alone would leave the server
      // (its grandchild) running, holding its port.
      for (const pid of descendants(server.pid!).reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
      server.kill('SIGKILL');
      await exited;
    }
    if (container && built.engine === 'buildah')
      execFileSync('buildah', ['rm', container], { stdio: 'ignore' });
  });

  it('carries its version, a user of its own, a data volume and a HEALTHCHECK on /readyz', () => {
    const config = imageConfig(built);
    const version = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    assert.equal(config.Labels['org.opencontainers.image.version'], version);
    assert.equal(config.User, 'parley:parley');
    assert.deepEqual(Object.keys(config.Volumes), ['/data']);
    assert.match(config.Healthcheck.Test.join(' '), /\/readyz/);
    assert.ok(config.Env.includes('PARLEY_DATA_DIR=/data'));
    assert.deepEqual(config.Cmd.slice(-1), ['dist/main.js']);
  });

  it('starts, answers /readyz, and keeps the first start keys in its data volume for its own user', async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = ['-e', `PORT=${port}`, '-e', 'HOST=127.0.0.1'];
    if (built.engine === 'buildah') {
      container = execFileSync('buildah', ['from', '--pull=never', built.image], { encoding: 'utf8' }).trim();
      const run = ['run', '--isolation', 'chroot', '--network', 'host', ...env];
      server = spawn('buildah', [...run, container, '--', ...imageConfig(built).Cmd]);
    } else {
      container = `parley-smoke-${process.pid}`;
      server = spawn(built.engine, [
        'run',
        '--rm',
        '--name',
        container,
        '--network',
        'host',
        ...env,
        built.image,
      ]);
    }
    server.stdout!.on('data', (b) => (output += b));
    server.stderr!.on('data', (b) => (output += b));
    exited = new Promise((resolve) => server!.on('exit', (code) => resolve(code)));

    // Polled until it answers 200; a server that exits fails the test at once.
    const ready = await Promise.race([
      eventually(async () => {
        const res = await fetch(`${base}/readyz`);
        return res.status === 200 ? ((await res.json()) as { status: string }) : undefined;
      }, startTimeoutMs(60_000)),
      exited.then((code) => {
        throw new Error(`the image's server exited (${code}) before it was ready:\n${output}`);
      }),
    ]);
    assert.equal(ready.status, 'ready');
    assert.match(output, /role all, storage SQLite \(\/data\)/);
    // What the bundle reads from beside itself and from its packages: the inbox, the API docs.
    for (const path of ['/app', '/docs', '/openapi.json']) {
      assert.equal((await fetch(`${base}${path}`)).status, 200, path);
    }

    // Mode, owner: readable by the image's user alone, which is who the server runs as (not root).
    assert.equal(
      inContainer(['stat', '--format', '%a %U', '/data/first-start-keys.env']).trim(),
      '600 parley',
    );
  });

  it("follows the quick start: a customer's message through the sandbox gets the AI's answer", async () => {
    const testKey = /^PARLEY_TEST_KEY=(\S+)$/m.exec(inContainer(['cat', '/data/first-start-keys.env']))?.[1];
    assert.ok(testKey, 'the keys file holds the test key');
    const headers = { authorization: `Bearer ${testKey}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      const json = (await res.json()) as Record<string, unknown>;
      assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const agent = await post('/v1/agents', { name: 'Glow Salon', greeting: 'Welcome to Glow Salon!' });
    await post(`/v1/agents/${agent.id}/knowledge`, {
      title: 'FAQ',
      doc_type: 'faq',
      faqs: [{ question: 'Do you do keratin?', answer: 'Yes, keratin is Rs 2500.' }],
    });
    const inbound = await post('/v1/sandbox/inbound', { from: '+919811112222', text: 'Do you do keratin?' });
    const conversation = inbound.conversation_id as string;
    assert.match(conversation, /^conv_/);

    type Message = { direction: string; sender?: { type: string }; text?: string | null };
    const answer = await eventually(async () => {
      const res = await fetch(`${base}/v1/conversations/${conversation}/messages`, { headers });
      const { data } = (await res.json()) as { data: Message[] };
      return data.find((m) => m.sender?.type === 'ai' && m.text);
    });
    assert.equal(answer.direction, 'outbound');
    assert.match(answer.text!, /2500/, `the answer comes from the knowledge: ${answer.text}`);
  });

  it('passes its own HEALTHCHECK, then drains and exits 0 on SIGTERM', {
    skip: engine !== 'buildah' && 'run with buildah only',
  }, async () => {
    const healthcheck = imageConfig(built).Healthcheck.Test;
    assert.equal(healthcheck[0], 'CMD');
    const port = new URL(base).port;
    execFileSync('buildah', [
      'run',
      '--isolation',
      'chroot',
      '--network',
      'host',
      '-e',
      `PORT=${port}`,
      container,
      '--',
      ...healthcheck.slice(1),
    ]);

    const node = descendants(server!.pid!).find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.endsWith('/node'),
    );
    assert.ok(node, 'the server process is found below buildah');
    process.kill(node, 'SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(
      output,
      /"signal":"SIGTERM".*"msg":"shutting down"|"msg":"shutting down".*"signal":"SIGTERM"/,
    );
    assert.match(output, /draining: no new calls here/);
  });
});
