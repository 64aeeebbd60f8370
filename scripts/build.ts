/**
 * `npm run build`: bundles the server into dist/ (what `npm start` runs). Node could run the
 * TypeScript sources directly, but a bundle of plain JavaScript starts with about 35 MB less
 * memory (no type stripping, one module graph). Packages stay external, loaded from node_modules;
 * dynamically imported modules (PostgreSQL queue, Redis bus, LLM engine) become lazy chunks.
 * Source maps are written beside the bundle but `npm start` does not load them: Node parses a
 * loaded map whole at start (about 20 MB of memory for this bundle). To read stack traces against
 * src/, start with `NODE_OPTIONS=--enable-source-maps npm start`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const outdir = new URL('../dist/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
// The locales (src/modules/ai/locales/<code>/) are read at start from beside the bundle.
cpSync(new URL('../src/modules/ai/locales/', import.meta.url).pathname, `${outdir}locales`, {
  recursive: true,
});
await build({
  entryPoints: [new URL('../src/main.ts', import.meta.url).pathname],
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
cpSync(new URL('../src/modules/inbox/web/', import.meta.url).pathname, `${outdir}inbox-web`, {
  recursive: true,
});
// The website widget's loader and UI, bundled now: the server finds them beside itself (widget-web/)
// and needs no esbuild at run time.
{
  const { buildWidgetFiles } = await import('../src/modules/widget/widget.assets.ts');
  const files = buildWidgetFiles();
  mkdirSync(`${outdir}widget-web`, { recursive: true });
  writeFileSync(`${outdir}widget-web/loader.js`, files.loader);
  writeFileSync(`${outdir}widget-web/ui.js`, files.ui);
}

// The inbox loads the SDK's browser build (packages/sdk/dist, made by `npm install`); after a pull
// that changed the SDK's sources, that build is made again here, so `npm start` never serves an old one.
const sdk = new URL('../packages/sdk/', import.meta.url).pathname;
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
