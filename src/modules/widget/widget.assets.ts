import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import type { RouteResult } from '../../platform/http/route.ts';

/**
 * The widget's two files: the loader (`/widget.js`, only the launcher, kept under 10 KB gzipped)
 * and the conversation UI (Preact and htm bundled with it, `/widget/a/<version>/ui.js`, loaded on
 * the first click). Bundled by esbuild once per process from `web/`, as the inbox is; `npm run
 * build` writes them beside the server bundle (`widget-web/`) for installs without esbuild.
 */
export interface WidgetAsset {
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

export interface WidgetAssets {
  version: string;
  loader: WidgetAsset;
  ui: WidgetAsset;
}

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function asset(body: Buffer): WidgetAsset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, gzip: gzipSync(body, { level: 9 }), etag };
}

/** The loader and the UI, minified: from esbuild over the sources, else the build's copies. */
export function buildWidgetFiles(): { loader: string; ui: string } {
  const built = join(here, 'widget-web');
  if (existsSync(join(built, 'ui.js')))
    return {
      loader: readFileSync(join(built, 'loader.js'), 'utf8'),
      ui: readFileSync(join(built, 'ui.js'), 'utf8'),
    };
  const esbuild = require('esbuild') as typeof import('esbuild');
  const web = join(here, 'web');
  const one = (entry: string, format: 'iife' | 'esm') =>
    esbuild.buildSync({
      entryPoints: [join(web, entry)],
      bundle: true,
      format,
      target: 'es2020',
      minify: true,
      legalComments: 'none',
      write: false,
      logLevel: 'silent',
    }).outputFiles[0].text;
  return { loader: one('loader.js', 'iife'), ui: one('ui.js', 'esm') };
}

let loaded: WidgetAssets | undefined;

export function widgetAssets(): WidgetAssets {
  if (loaded) return loaded;
  const files = buildWidgetFiles();
  const version = createHash('sha256').update(files.ui).digest('hex').slice(0, 12);
  loaded = {
    version,
    loader: asset(Buffer.from(files.loader.replaceAll('__VERSION__', version))),
    ui: asset(Buffer.from(files.ui)),
  };
  return loaded;
}

/** A widget file for any page's `<script>` (any origin may load it; only the API routes check origins). */
export function serveAsset(request: FastifyRequest, file: WidgetAsset, cacheControl: string): RouteResult {
  const headers: Record<string, string> = {
    'Cache-Control': cacheControl,
    ETag: file.etag,
    Vary: 'Accept-Encoding',
    'Access-Control-Allow-Origin': '*',
    // Pages may measure what the widget weighs (the size check in Chromium reads encodedBodySize).
    'Timing-Allow-Origin': '*',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'X-Content-Type-Options': 'nosniff',
  };
  const match = request.headers['if-none-match'];
  if (match?.split(/\s*,\s*/).some((t) => t.replace(/^W\//, '').replace(/-gzip"$/, '"') === file.etag))
    return { status: 304, headers };
  const type = 'text/javascript; charset=utf-8';
  if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
    headers['Content-Encoding'] = 'gzip';
    headers.ETag = file.etag.replace(/"$/, '-gzip"');
    return { status: 200, body: file.gzip, headers, contentType: type };
  }
  return { status: 200, body: file.body, headers, contentType: type };
}
