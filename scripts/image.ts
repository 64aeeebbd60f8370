/**
 * `npm run image`: builds Parley's OCI image (Containerfile) with the engine this machine has:
 * docker (when its daemon answers), podman or buildah, in that order, or PARLEY_IMAGE_ENGINE.
 * Tagged `parley:<version of package.json>` and `parley:latest` (buildah and podman name them
 * `localhost/parley:...`). Labels carry the version, the git revision and, when the checkout has a
 * remote, its address as the source.
 *
 * The base (build argument BASE, default node:24-bookworm-slim) is PARLEY_IMAGE_BASE when set.
 * Otherwise the default is pulled; when that fails (no registry reachable) and buildah is here,
 * a local base is made from Debian's packages (scripts/image-base.ts) and used instead.
 * With buildah, RUN steps use `--isolation chroot` (no container runtime needed, the host's network).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureLocalBase } from './image-base.ts';

export const DEFAULT_BASE = 'docker.io/library/node:24-bookworm-slim';
const root = join(import.meta.dirname, '..');

export type Engine = 'docker' | 'podman' | 'buildah';

function works(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** The engine to build with, or null when none is installed. */
export function findEngine(): Engine | null {
  const asked = process.env.PARLEY_IMAGE_ENGINE as Engine | undefined;
  if (asked) return asked;
  if (works('docker', ['info'])) return 'docker';
  if (works('podman', ['--version'])) return 'podman';
  if (works('buildah', ['--version'])) return 'buildah';
  return null;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
}

/** The base to build from: PARLEY_IMAGE_BASE, the default when it can be pulled, else a local one. */
function chooseBase(engine: Engine): string {
  if (process.env.PARLEY_IMAGE_BASE) return process.env.PARLEY_IMAGE_BASE;
  const puller = engine === 'docker' ? 'docker' : engine;
  if (works(puller, ['pull', '-q', DEFAULT_BASE])) return DEFAULT_BASE;
  if (engine === 'docker' || !works('buildah', ['--version'])) {
    throw new Error(
      `${DEFAULT_BASE} cannot be pulled; set PARLEY_IMAGE_BASE to a Node 24 image this engine has.`,
    );
  }
  console.log(`image: ${DEFAULT_BASE} cannot be pulled here; using a base made from Debian's packages.`);
  return ensureLocalBase();
}

/**
 * The certificate authority a TLS-intercepting proxy signs with, when this machine trusts one for
 * Node (NODE_EXTRA_CA_CERTS) or npm (`cafile`): the build's `npm ci` needs it to reach the registry.
 */
function npmCertificateAuthority(): string | undefined {
  const fromEnv = process.env.NODE_EXTRA_CA_CERTS;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const cafile = spawnSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).stdout?.trim();
  return cafile && cafile !== 'null' && cafile !== 'undefined' && existsSync(cafile) ? cafile : undefined;
}

export interface BuiltImage {
  engine: Engine;
  /** The name to run it by (`localhost/parley:<version>` with buildah and podman). */
  image: string;
  version: string;
  base: string;
}

export function buildImage(engine: Engine | null = findEngine()): BuiltImage {
  if (!engine) throw new Error('No image engine found: install docker, podman or buildah.');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const base = chooseBase(engine);
  const name = engine === 'docker' ? 'parley' : 'localhost/parley';
  const args = [
    '--file',
    'Containerfile',
    '--tag',
    `${name}:${version}`,
    '--tag',
    `${name}:latest`,
    '--build-arg',
    `BASE=${base}`,
    '--build-arg',
    `VERSION=${version}`,
    '--build-arg',
    `REVISION=${git(['rev-parse', 'HEAD'])}`,
    '--build-arg',
    `SOURCE=${git(['remote', 'get-url', 'origin']).replace(/^git@([^:]+):/, 'https://$1/')}`,
  ];
  const ca = npmCertificateAuthority();
  if (ca) args.push('--secret', `id=npm-ca,src=${ca}`);
  const command =
    engine === 'buildah'
      ? [
          'buildah',
          'build',
          '--isolation',
          'chroot',
          '--format',
          'docker',
          '--layers',
          '--pull=never',
          ...args,
          '.',
        ]
      : engine === 'podman'
        ? ['podman', 'build', '--format', 'docker', ...args, '.']
        : ['docker', 'build', ...args, '.'];
  console.log(`image: ${command.join(' ')}`);
  execFileSync(command[0]!, command.slice(1), { cwd: root, stdio: 'inherit' });
  return { engine, image: `${name}:${version}`, version, base };
}

if (import.meta.main) {
  try {
    const built = buildImage();
    console.log(`image: built ${built.image} with ${built.engine} (base ${built.base}).`);
  } catch (err) {
    console.error(`image: ${(err as Error).message}`);
    process.exit(1);
  }
}
