/**
 * The Containerfile read as text, without building it (the build and a run are
 * test/deploy/image.test.ts, in `npm run test:slow`): it starts the server as `npm start` does,
 * runs it as its own user with the data in a volume, and its health check and stop timeouts agree
 * with compose.yaml and deploy/kubernetes/.
 */
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/server-process.ts';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
/** The instructions of the file, continuation lines joined, comments left out. */
const instructions = read('Containerfile')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const last = (keyword: string) => instructions.filter((l) => l.startsWith(`${keyword} `)).at(-1);
/** The last stage: what runs. */
const runtime = instructions.slice(instructions.findLastIndex((l) => l.startsWith('FROM ')));

describe('Containerfile', () => {
  it('is what Dockerfile names, with a multi-stage build whose base is a build argument', () => {
    assert.equal(realpathSync(join(REPO_ROOT, 'Dockerfile')), realpathSync(join(REPO_ROOT, 'Containerfile')));
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    assert.ok(froms.length >= 2, 'a build stage and a runtime stage');
    for (const from of froms) assert.match(from, /^FROM \$\{BASE\}/);
    assert.match(instructions[0]!, /^ARG BASE=\S+node:24/);
  });

  it('starts the bundle with the flags of `npm start`, as PID 1, so SIGTERM drains as it does there', () => {
    const start = JSON.parse(read('package.json')).scripts.start as string;
    const npmStart = start.split('&&').at(-1)!.trim().split(/\s+/);
    const cmd = JSON.parse(last('CMD')!.slice('CMD '.length)) as string[];
    assert.deepEqual(cmd, npmStart);
    assert.equal(last('ENTRYPOINT'), undefined, 'no shell or wrapper between the engine and node');
    assert.equal(last('STOPSIGNAL'), 'STOPSIGNAL SIGTERM');
  });

  it('runs as a user of its own, with PARLEY_DATA_DIR a volume, and checks itself on /readyz', () => {
    assert.match(runtime.find((l) => l.startsWith('USER '))!, /^USER parley:parley$/);
    assert.ok(runtime.some((l) => /^ENV .*PARLEY_DATA_DIR=\/data\b/.test(l)));
    assert.ok(runtime.includes('VOLUME ["/data"]'));
    assert.match(runtime.find((l) => l.startsWith('HEALTHCHECK '))!, /\/readyz/);
    assert.match(
      runtime.find((l) => l.startsWith('LABEL '))!,
      /org\.opencontainers\.image\.version="\$\{VERSION\}".*org\.opencontainers\.image\.source="\$\{SOURCE\}"/,
    );
  });

  it('gives the same stop timeout everywhere: compose.yaml and both Kubernetes Deployments', () => {
    const compose = parse(read('compose.yaml'), { merge: true }) as {
      services: Record<string, { stop_grace_period?: string }>;
    };
    const grace = (file: string) =>
      (
        parse(read(`deploy/kubernetes/${file}`)) as {
          spec: { template: { spec: { terminationGracePeriodSeconds: number } } };
        }
      ).spec.template.spec.terminationGracePeriodSeconds;
    const seconds = [
      compose.services.api!.stop_grace_period,
      compose.services.worker!.stop_grace_period,
      `${grace('api-deployment.yaml')}s`,
      `${grace('worker-deployment.yaml')}s`,
    ];
    assert.deepEqual(new Set(seconds), new Set(['330s']));
  });
});
