import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire, stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { SAME_ORIGIN_DIRECTIVES } from '../../platform/http/page-headers.ts';
import { modelProviders } from '../agents/index.ts';
import { channelKinds } from '../channels/index.ts';
import { automationEvents, conditionFields } from '../teamtools/index.ts';

/**
 * The inbox's files, read once per process: the sources in `web/` (or their copy beside the
 * bundle in `dist/inbox-web/`) plus Preact, its hooks, htm, uPlot and the SDK's browser build
 * (`@parley/sdk`, which makes every API call and holds the event stream). Every asset is
 * served under `/app/a/<version>/`, where the version is a hash of all of them: a change to any
 * file changes every URL, so assets are cached for a year and index.html is revalidated.
 */
export interface Asset {
  body: Buffer;
  gzip: Buffer;
  br: Buffer;
  etag: string;
  type: string;
}

export interface AssetSet {
  version: string;
  /** `/app/a/<version>`: what index.html's URLs start with. */
  base: string;
  index: Asset;
  /** The web-call page (`/app/call/{id}`). */
  call: Asset;
  files: Map<string, Asset>;
}

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/** Where the UI sources are: beside this file when running sources, beside the bundle in dist/. */
export function webDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'web'), join(here, 'inbox-web')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`The inbox files are missing (looked in ${here}/web and ${here}/inbox-web).`);
}

const require = createRequire(import.meta.url);
/** A package's folder (these packages do not export their package.json: walk up from the entry). */
function pkgDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || !dir.endsWith(name)) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`Package ${name} not found.`);
    dir = up;
  }
  return dir;
}

/** The vendored libraries: their bare `preact` import becomes a relative one, so no import map is needed. */
function vendorFiles(): Array<[string, string]> {
  const preact = pkgDir('preact');
  const read = (path: string) => readFileSync(path, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  return [
    ['vendor/preact.mjs', read(join(preact, 'dist/preact.mjs'))],
    [
      'vendor/hooks.mjs',
      read(join(preact, 'hooks/dist/hooks.mjs')).replace(/from\s*"preact"/g, 'from"./preact.mjs"'),
    ],
    ['vendor/htm.mjs', read(join(pkgDir('htm'), 'dist/htm.mjs'))],
    // The Reports page's charts: imported only by charts.js, which the page loads on first use.
    ['vendor/uplot.mjs', read(join(pkgDir('uplot'), 'dist/uPlot.esm.js'))],
    ['vendor/uplot.css', read(join(pkgDir('uplot'), 'dist/uPlot.min.css'))],
    ...sdkFiles(),
    vocabularyFile(),
  ];
}

/**
 * The server's own lists that the pages offer as choices, as `vendor/vocabulary.mjs`, so a page
 * never keeps a copy that could fall behind what the API accepts.
 */
function vocabularyFile(): [string, string] {
  const lists = {
    automationEvents,
    channelKinds: Object.keys(channelKinds),
    channelLabels: Object.fromEntries(
      Object.entries(channelKinds).map(([k, v]) => [k, { label: v.label, badge: v.badge }]),
    ),
    conversationStatuses: ['active', 'snoozed', 'closed'],
    priorities: ['low', 'normal', 'high', 'urgent'],
    conditionFields: conditionFields.filter((f) => !f.endsWith('*')),
    modelProviders,
  };
  const text = Object.entries(lists)
    .map(([name, list]) => `export const ${name} = ${JSON.stringify(list)};\n`)
    .join('');
  return ['vendor/vocabulary.mjs', text];
}

/**
 * The SDK's browser entry and the modules it imports, as `vendor/sdk/*.js`: from its dist/ when
 * the server resolves the package to it; from its TypeScript sources with the types stripped under
 * the `parley-source` condition (tests, development), so an SDK change is served without a build.
 * A Node built-in or any other package imported there is an error: the browser could not load it.
 */
export function sdkFiles(): Array<[string, string]> {
  const entry = fileURLToPath(import.meta.resolve('@parley/sdk'));
  const source = entry.endsWith('.ts');
  const dir = dirname(entry);
  const ext = source ? '.ts' : '.js';
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const path = join(dir, `${name}${ext}`);
    if (!existsSync(path))
      throw new Error(`${path} is missing: build the SDK (npm run build -w @parley/sdk).`);
    let text = readFileSync(path, 'utf8');
    if (source) text = stripTypeScriptTypes(text).replace(/(from\s*'\.\/[\w-]+)\.ts'/g, "$1.js'");
    text = text.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const local = /^\.\/([\w-]+)\.js$/.exec(m[1]);
      if (!local)
        throw new Error(`The SDK's browser build imports ${m[1]} (${name}${ext}): a browser cannot.`);
      visit(local[1]);
    }
    out.push([`vendor/sdk/${name}.js`, text]);
  };
  visit('browser');
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

function asset(body: Buffer, type: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return {
    body,
    gzip: gzipSync(body, { level: 9 }),
    br: brotliCompressSync(body, {
      params: {
        [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
    etag,
    type,
  };
}

export function loadAssets(dir = webDir()): AssetSet {
  const sources = new Map<string, Buffer>();
  for (const path of walk(dir)) {
    const name = relative(dir, path).split(sep).join('/');
    if (name.endsWith('.html') || name.endsWith('.test.js') || name === 'tsconfig.json') continue;
    sources.set(name, readFileSync(path));
  }
  for (const [name, text] of vendorFiles()) sources.set(name, Buffer.from(text));
  const hash = createHash('sha256');
  for (const name of [...sources.keys()].sort()) hash.update(name).update('\0').update(sources.get(name)!);
  const indexSource = readFileSync(join(dir, 'index.html'), 'utf8');
  const callSource = readFileSync(join(dir, 'call.html'), 'utf8');
  hash.update(indexSource).update(callSource);
  const version = hash.digest('hex').slice(0, 12);
  const base = `/app/a/${version}`;
  const files = new Map<string, Asset>();
  for (const [name, body] of sources) {
    files.set(name, asset(body, types[extname(name)] ?? 'application/octet-stream'));
  }
  const bundle = bundleInbox(sources);
  for (const [name, body] of bundle?.files ?? []) files.set(name, asset(body, types['.js']));
  const scripts = bundle ? bundle.scripts : unbundledScripts(sources);
  const page = (source: string) =>
    asset(Buffer.from(source.replaceAll('%SCRIPTS%', scripts).replaceAll('%BASE%', base)), types['.html']);
  return { version, base, index: page(indexSource), call: page(callSource), files };
}

/** The strictest policy the inbox works with: no inline script or style, no other origin. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  ...SAME_ORIGIN_DIRECTIVES,
].join('; ');

/** The web app manifest (installable inbox): served at /app/manifest.webmanifest. */
export function manifestAsset(set: AssetSet): Asset {
  const manifest = {
    name: 'Parley inbox',
    short_name: 'Parley',
    description: 'Customer conversations: the AI answers, your team takes over.',
    start_url: '/app',
    scope: '/app/',
    display: 'standalone',
    background_color: '#ffffff',
    theme_color: '#3b5bdb',
    icons: [{ src: `${set.base}/icon.svg`, sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
  };
  const a = asset(Buffer.from(JSON.stringify(manifest)), 'application/manifest+json; charset=utf-8');
  return a;
}

/** The inbox's modules as they are, each its own request (when the bundler is not installed). */
function unbundledScripts(sources: Map<string, Buffer>): string {
  const preload = ['vendor/preact.mjs', 'vendor/hooks.mjs', 'vendor/htm.mjs', 'lib.js', 'inbox.js']
    .concat([...sources.keys()].filter((name) => name.startsWith('vendor/sdk/')))
    .map((name) => `<link rel="modulepreload" href="%BASE%/${name}">`);
  return [...preload, '<script type="module" src="%BASE%/main.js"></script>'].join('\n');
}

/**
 * The inbox's first load in few requests: its modules, Preact, htm and the SDK bundled by esbuild
 * (the bundler the server's own build uses) into `b/main.js` and the chunks its pages share, the
 * pages loaded on demand (manage, reports, queues, notifications) split into chunks of their own.
 * Made once per process from the same sources the unbundled files come from. Without esbuild
 * (an install without dev dependencies) the modules are served one by one, as before.
 */
function bundleInbox(sources: Map<string, Buffer>): { files: Map<string, Buffer>; scripts: string } | null {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = require('esbuild');
  } catch {
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'parley-inbox-'));
  try {
    for (const [name, body] of sources) {
      if (!/\.(m?js)$/.test(name) || name === 'sw.js') continue;
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), body);
    }
    const out = join(dir, 'out');
    const result = esbuild.buildSync({
      entryPoints: [join(dir, 'main.js')],
      bundle: true,
      splitting: true,
      format: 'esm',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      outdir: out,
      entryNames: '[name]',
      chunkNames: 'c-[hash]',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const files = new Map<string, Buffer>();
    for (const f of result.outputFiles)
      files.set(`b/${relative(out, f.path).split(sep).join('/')}`, Buffer.from(f.contents));
    // The chunks main.js imports at once are preloaded with it (not found one level at a time).
    const mainOut = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint)?.[1];
    const preload = (mainOut?.imports ?? [])
      .filter((i) => i.kind === 'import-statement')
      .map(
        (i) =>
          `<link rel="modulepreload" href="%BASE%/b/${relative(out, join(process.cwd(), i.path)).split(sep).join('/')}">`,
      );
    return {
      files,
      scripts: [...preload, '<script type="module" src="%BASE%/b/main.js"></script>'].join('\n'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
