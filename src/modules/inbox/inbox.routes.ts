import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { PAGE_HEADERS } from '../../platform/http/page-headers.ts';
import { type AnyRoute, defineRoute, type RouteResult } from '../../platform/http/route.ts';
import { verifyMediaToken } from '../voice/index.ts';
import {
  type Asset,
  type AssetSet,
  CONTENT_SECURITY_POLICY,
  loadAssets,
  manifestAsset,
} from './inbox.assets.ts';

/** The files never change while the process runs: read and compressed on the first request. */
const loaded: { assets?: AssetSet; manifest?: Asset } = {};
const assets = () => {
  loaded.assets ??= loadAssets();
  return loaded.assets;
};

const securityHeaders = { ...PAGE_HEADERS, 'Content-Security-Policy': CONTENT_SECURITY_POLICY };

function serve(request: FastifyRequest, file: Asset, cacheControl: string): RouteResult {
  const headers: Record<string, string> = {
    ...securityHeaders,
    'Cache-Control': cacheControl,
    ETag: file.etag,
    Vary: 'Accept-Encoding',
  };
  const match = request.headers['if-none-match'];
  if (match?.split(/\s*,\s*/).some((t) => t.replace(/^W\//, '').replace(/-(br|gzip)"$/, '"') === file.etag))
    return { status: 304, headers };
  const accepts = String(request.headers['accept-encoding'] ?? '');
  if (/\bbr\b/.test(accepts)) {
    headers['Content-Encoding'] = 'br';
    headers.ETag = file.etag.replace(/"$/, '-br"');
    return { status: 200, body: file.br, headers, contentType: file.type };
  }
  if (/\bgzip\b/.test(accepts)) {
    headers['Content-Encoding'] = 'gzip';
    headers.ETag = file.etag.replace(/"$/, '-gzip"');
    return { status: 200, body: file.gzip, headers, contentType: file.type };
  }
  return { status: 200, body: file.body, headers, contentType: file.type };
}

/**
 * The web-call page for a call's client: 401 (the page says why) without a valid media token
 * for that call (`?token=`, from the call's `media_session`). Never cached: the URL holds a secret.
 */
async function callPage(ctx: AppContext, request: FastifyRequest, id: string): Promise<RouteResult> {
  const token = new URL(request.url, 'http://x').searchParams.get('token');
  const ok = token ? await verifyMediaToken(ctx, id, token) : null;
  const file = assets().call;
  const headers = { ...securityHeaders, 'Cache-Control': 'no-store' };
  return { status: ok ? 200 : 401, body: file.body, headers, contentType: file.type };
}

/** The inbox as an installable app (a PWA): its name, start page and icon. */
const manifest = () => {
  loaded.manifest ??= manifestAsset(assets());
  return loaded.manifest;
};

/** index.html for every inbox path that is not an asset, so deep links (/app/c/conv_...) open. */
const page = (request: FastifyRequest) => serve(request, assets().index, 'no-cache');

export const inboxRoutes: AnyRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/app',
    summary: 'The web inbox',
    tags: ['Inbox'],
    auth: 'none',
    hidden: true,
    responses: { 200: null, 304: null },
    handler: async ({ request }) => page(request),
  }),
  defineRoute({
    method: 'GET',
    path: '/app/*',
    summary: 'The web inbox: assets and deep links',
    tags: ['Inbox'],
    auth: 'none',
    hidden: true,
    params: z.object({ '*': z.string() }),
    responses: { 200: null, 302: null, 304: null, 401: null },
    handler: async ({ ctx, request, params }) => {
      const path = params['*'];
      const call = /^call\/([0-9A-Za-z_]+)$/.exec(path);
      if (call) return callPage(ctx, request, call[1]);
      // The API's name for a conversation's page is the inbox's too: /app/conversations/{id} opens
      // it at its own address, /app/c/{id} (which was documented nowhere; the list opened empty).
      const conversation = /^conversations\/(conv_[0-9A-Za-z]+)\/?$/.exec(path);
      if (conversation) {
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
        return { status: 302, body: '', headers: { location: `/app/c/${conversation[1]}${query}` } };
      }
      // The service worker and the manifest keep one address (a worker's scope is its folder, /app/).
      if (path === 'sw.js') return serve(request, assets().files.get('sw.js')!, 'no-cache');
      if (path === 'manifest.webmanifest') return serve(request, manifest(), 'no-cache');
      if (path === 'icon.svg')
        return serve(request, assets().files.get('icon.svg')!, 'public, max-age=86400');
      const m = /^a\/([0-9a-f]{12})\/(.+)$/.exec(path);
      if (!m) return page(request);
      const set = assets();
      const file = set.files.get(m[2]);
      if (!file) throw new ApiError('not_found', `No inbox file ${m[2].slice(0, 100)}.`);
      // A page loaded before a restart may ask for an older version: it gets the current file, briefly cached.
      return serve(request, file, m[1] === set.version ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  }),
];
