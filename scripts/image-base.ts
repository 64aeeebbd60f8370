/**
 * A local stand-in for the image's default base (`node:24-bookworm-slim`), for a machine that
 * cannot pull from a public registry but has buildah and a Debian mirror: Debian bookworm from
 * debootstrap (`--variant=minbase`, the mirror apt uses), plus the Node 24 binary this checkout
 * already has (the `node` dev dependency) and the npm of the machine, committed as
 * `localhost/parley-base:bookworm-node24`. `npm run image` uses it when the default base cannot be
 * pulled. The debootstrapped tree is kept under PARLEY_IMAGE_CACHE (default
 * /var/cache/parley-image-base, outside the clone), so a second run takes seconds.
 *
 * Needs root (debootstrap, buildah's storage). Run alone: `node scripts/image-base.ts`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const LOCAL_BASE = 'localhost/parley-base:bookworm-node24';

const root = join(import.meta.dirname, '..');

/** The Debian mirror apt uses (deb822 `URIs:` or a `deb` line), else deb.debian.org. */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list'];
  if (existsSync('/etc/apt/sources.list.d'))
    files.push(
      ...readdirSync('/etc/apt/sources.list.d')
        .filter((n) => n.endsWith('.sources') || n.endsWith('.list'))
        .map((n) => join('/etc/apt/sources.list.d', n)),
    );
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822) return deb822[1]!;
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\b/m.exec(text);
    if (line) return line[1]!;
  }
  return 'http://deb.debian.org/debian';
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export function hasImage(name: string): boolean {
  try {
    execFileSync('buildah', ['inspect', '--type', 'image', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Debian bookworm's minimal tree, made once into the cache folder. */
function rootfs(cache: string): string {
  const dir = join(cache, 'bookworm-minbase');
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(cache, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const mirror = debianMirror();
  console.log(`image base: debootstrap --variant=minbase bookworm from ${mirror} (a few minutes, once)`);
  execFileSync('debootstrap', ['--variant=minbase', 'bookworm', tmp, mirror], { stdio: 'inherit' });
  // apt's downloaded packages are not part of an image.
  rmSync(join(tmp, 'var/cache/apt/archives'), { recursive: true, force: true });
  mkdirSync(join(tmp, 'var/cache/apt/archives/partial'), { recursive: true });
  execFileSync('touch', [join(tmp, '.complete')]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

/** Builds `localhost/parley-base:bookworm-node24` unless it exists; returns its name. */
export function ensureLocalBase(): string {
  if (hasImage(LOCAL_BASE)) return LOCAL_BASE;
  const cache = process.env.PARLEY_IMAGE_CACHE ?? '/var/cache/parley-image-base';
  const tree = rootfs(cache);
  const node = realpathSync(join(root, 'node_modules/node/bin/node'));
  const npm = dirname(
    dirname(realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim())),
  );
  const ctr = run('buildah', ['from', 'scratch']);
  try {
    const mnt = run('buildah', ['mount', ctr]);
    execFileSync('cp', ['-a', `${tree}/.`, mnt]);
    rmSync(join(mnt, '.complete'));
    execFileSync('install', ['-m', '0755', node, join(mnt, 'usr/local/bin/node')]);
    mkdirSync(join(mnt, 'usr/local/lib/node_modules'), { recursive: true });
    execFileSync('cp', ['-a', npm, join(mnt, 'usr/local/lib/node_modules/npm')]);
    for (const bin of ['npm', 'npx'])
      execFileSync('ln', [
        '-s',
        `../lib/node_modules/npm/bin/${bin}-cli.js`,
        join(mnt, `usr/local/bin/${bin}`),
      ]);
    run('buildah', ['umount', ctr]);
    run('buildah', [
      'config',
      '--env',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--cmd',
      'node',
      '--label',
      'org.opencontainers.image.description=Debian bookworm (debootstrap minbase) with Node 24, a local stand-in for node:24-bookworm-slim',
      ctr,
    ]);
    run('buildah', ['commit', '--quiet', ctr, LOCAL_BASE]);
  } finally {
    execFileSync('buildah', ['rm', ctr], { stdio: 'ignore' });
  }
  console.log(`image base: made ${LOCAL_BASE}`);
  return LOCAL_BASE;
}

if (import.meta.main) ensureLocalBase();
