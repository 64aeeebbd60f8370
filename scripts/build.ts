/**
 * `npm run build`: bundles the server into dist/ (what `npm start` runs). Node could run the
 * TypeScript sources directly, but a bundle of plain JavaScript starts with about 35 MB less
 * memory (no type stripping, one module graph). Packages stay external, loaded from node_modules;
 * dynamically imported modules (PostgreSQL queue, Redis bus, LLM engine) become lazy chunks.
 * Source maps are written beside the bundle but `npm start` does not load them: Node parses a
 * loaded map whole at start (about 20 MB of memory for this bundle). To read stack traces against
 * src/, start with `NODE_OPTIONS=--enable-source-maps npm start`.
 *
 * Several `npm start` in one checkout (the API and a worker) must not break each other: each build
 * is kept under `.builds/<digest of its inputs>/`, made in a folder of its own and renamed into
 * place when complete, and `dist` is a symbolic link switched to it in one rename. A build whose
 * inputs are unchanged is not made again; a running server keeps reading the folder it started
 * from (Node resolves `dist/main.js` to its real path), which stays until three newer builds exist.
 */

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url).pathname;
const builds = join(root, '.builds');
/** Builds kept besides the current one (a server started from an older one may still be running). */
const KEEP = 3;

/** Every file a build is made of, as a digest: the sources, this script and the locked packages. */
function inputsDigest(): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(path, name));
      return;
    }
    hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  };
  for (const p of ['src', 'scripts/build.ts', 'package-lock.json']) add(join(root, p));
  return hash.digest('hex').slice(0, 20);
}

async function bundle(outdir: string) {
  // The locales (src/modules/ai/locales/<code>/) are read at start from beside the bundle.
  cpSync(join(root, 'src/modules/ai/locales/'), join(outdir, 'locales'), { recursive: true });
  await build({
    // parley-server.js: the package's `bin` (the server, `backup`, `restore`; docs/backup.md).
    entryPoints: [join(root, 'src/main.ts'), join(root, 'src/parley-server.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    packages: 'external',
    sourcemap: true,
    // The map points at src/; the sources' text need not be copied into it.
    sourcesContent: false,
    logLevel: 'warning',
  });
  // The inbox's files are served as they are (no build step); the bundle finds them beside itself.
  cpSync(join(root, 'src/modules/inbox/web/'), join(outdir, 'inbox-web'), { recursive: true });
  // The website widget's loader and UI, bundled now: the server finds them beside itself
  // (widget-web/) and needs no esbuild at run time.
  const { buildWidgetFiles } = await import('../src/modules/widget/widget.assets.ts');
  const files = buildWidgetFiles();
  mkdirSync(join(outdir, 'widget-web'), { recursive: true });
  writeFileSync(join(outdir, 'widget-web/loader.js'), files.loader);
  writeFileSync(join(outdir, 'widget-web/ui.js'), files.ui);
  writeFileSync(join(outdir, '.complete'), new Date().toISOString());
}

const digest = inputsDigest();
const target = join(builds, digest);
mkdirSync(builds, { recursive: true });
if (!existsSync(join(target, '.complete'))) {
  const tmp = join(builds, `.tmp-${digest}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await bundle(tmp);
    try {
      renameSync(tmp, target);
    } catch (err) {
      // Another `npm start` made the same build meanwhile: theirs is as good as ours.
      if (!existsSync(join(target, '.complete'))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// dist → .builds/<digest>, switched in one rename (a dist/ folder of an older checkout goes first).
const dist = join(root, 'dist');
const isLink = (() => {
  try {
    return lstatSync(dist).isSymbolicLink();
  } catch {
    return null;
  }
})();
if (isLink === false) rmSync(dist, { recursive: true, force: true });
const link = join(root, `.dist-${process.pid}-${randomBytes(4).toString('hex')}`);
symlinkSync(process.platform === 'win32' ? target : relative(root, target), link, 'junction');
renameSync(link, dist);

// Older builds beyond the newest KEEP go; the current one always stays.
const others = readdirSync(builds)
  .filter((n) => n !== digest && !n.startsWith('.'))
  .map((n) => ({ n, t: statSync(join(builds, n)).mtimeMs }))
  .sort((a, b) => b.t - a.t);
for (const { n } of others.slice(KEEP)) rmSync(join(builds, n), { recursive: true, force: true });
// Leftovers of a build that was killed half way (an hour old: nobody is still writing them).
for (const n of readdirSync(builds).filter((n) => n.startsWith('.tmp-'))) {
  const p = join(builds, n);
  if (Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
}

// The inbox loads the SDK's browser build (packages/sdk/dist, made by `npm install`); after a pull
// that changed the SDK's sources, that build is made again here, so `npm start` never serves an old one.
const sdk = join(root, 'packages/sdk/');
const newest = (dir: string): number =>
  Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
const built = join(sdk, 'dist/browser.js');
if (!existsSync(built) || newest(join(sdk, 'src')) > statSync(built).mtimeMs) {
  execFileSync(process.execPath, [join(sdk, 'scripts/build.mjs')], { cwd: sdk, stdio: 'inherit' });
}
