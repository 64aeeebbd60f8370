import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { sql } from 'kysely';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import type { Module } from './modules/module.ts';
import type { AppContext } from './platform/context.ts';
import { ApiError } from './platform/errors.ts';
import { buildOpenApi } from './platform/http/openapi.ts';
import { installPlumbing, registerRoute, sendError } from './platform/http/register.ts';
import { type AnyRoute, defineRoute } from './platform/http/route.ts';
import { describe } from './platform/http/schemas.ts';
import { newId } from './platform/ids.ts';

export const API_VERSION = '0.1.0';

export interface BuiltApp {
  app: FastifyInstance;
  routes: AnyRoute[];
}

/** Every route of every module plus the system routes; the OpenAPI document is built from this list. */
export function collectRoutes(modules: Module[]): AnyRoute[] {
  return [...systemRoutes, ...modules.flatMap((m) => m.routes ?? [])];
}

/** Builds the HTTP application. It does not listen; `main.ts` does, tests call `app.inject()`. */
export async function buildApp(ctx: AppContext, modules: Module[]): Promise<BuiltApp> {
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    // Requests are logged by our own onResponse hook (without headers, so never a key).
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (a measurable cost on every call): our log lines carry the
    // request id themselves.
    childLoggerFactory: (logger) => logger,
    genReqId: () => newId('req'),
    requestIdHeader: false,
    bodyLimit: ctx.config.bodyLimitBytes,
    trustProxy: true,
    return503OnClosing: true,
    // Live event streams never end by themselves; shutting down must not wait for them.
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Errors the router raises before any route runs still answer in the one error shape.
    frameworkErrors: (error, request, reply) => {
      const notFound = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const err = notFound
        ? new ApiError(
            'not_found',
            `No object matches ${request.url.split('?')[0].slice(0, 80)}...: the id is too long.`,
          )
        : new ApiError('validation_failed', 'The request URL is malformed.');
      reply.header('X-Request-Id', request.id);
      return sendError(reply, err);
    },
  });

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'parley_' });
  const requestsTotal = new Counter({
    name: 'parley_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [metrics],
  });
  const requestDuration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP request duration by method and route.',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics],
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    requestsTotal.inc({ method: request.method, route, status: String(reply.statusCode) });
    requestDuration.observe({ method: request.method, route }, seconds);
    const line = {
      reqId: request.id,
      method: request.method,
      route,
      status: reply.statusCode,
      ms: reply.elapsedTime,
    };
    if (reply.statusCode >= 500) request.log.error(line, 'request failed');
    else request.log.debug(line, 'request');
  });

  installPlumbing(app, ctx);
  await app.register(multipart, { limits: { fileSize: ctx.config.uploadLimitBytes, files: 1 } });

  const routes = collectRoutes(modules);
  // Built on first request, not at start: it walks every schema, and most processes never serve it.
  let openapiJson: string | undefined;
  const openapi = () => {
    openapiJson ??= JSON.stringify(buildOpenApi(routes, { version: API_VERSION }));
    return openapiJson;
  };
  app.decorate('parley', { ctx, openapi, metrics });
  for (const route of routes) registerRoute(app, ctx, route);

  return { app, routes };
}

declare module 'fastify' {
  interface FastifyInstance {
    parley: { ctx: AppContext; openapi: () => string; metrics: Registry };
  }
}

const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const docAssets: Record<string, { file: string; type: string }> = {
  'swagger-ui.css': { file: 'swagger-ui.css', type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { file: 'swagger-ui-bundle.js', type: 'application/javascript; charset=utf-8' },
};
const assetCache = new Map<string, Buffer>();

const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;
const docsInit = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true, persistAuthorization: true });`;

const healthBody = z.object({
  status: describe(z.literal('ok'), 'Always ok while the process serves.', 'ok'),
});
const readyBody = z.object({
  status: describe(z.enum(['ready', 'not_ready']), 'Whether the process can serve requests.', 'ready'),
  checks: describe(z.record(z.string(), z.enum(['ok', 'failing'])), 'Each dependency checked.', {
    database: 'ok',
  }),
});

const systemRoutes: AnyRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness',
    tags: ['System'],
    auth: 'none',
    responses: { 200: healthBody },
    handler: async () => ({ status: 200, body: { status: 'ok' } }),
  }),
  defineRoute({
    method: 'GET',
    path: '/readyz',
    summary: 'Readiness (checks the database)',
    tags: ['System'],
    auth: 'none',
    responses: { 200: readyBody, 503: readyBody },
    handler: async ({ ctx }) => {
      let database: 'ok' | 'failing' = 'ok';
      try {
        await sql`select 1`.execute(ctx.db);
      } catch {
        database = 'failing';
      }
      const ok = database === 'ok';
      return { status: ok ? 200 : 503, body: { status: ok ? 'ready' : 'not_ready', checks: { database } } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tags: ['System'],
    auth: 'none',
    responses: { 200: null },
    handler: async ({ request }) => {
      const registry = request.server.parley.metrics;
      return { status: 200, body: await registry.metrics(), contentType: registry.contentType };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/openapi.json',
    summary: 'The OpenAPI 3.1 document of this API',
    tags: ['System'],
    auth: 'none',
    responses: { 200: null },
    handler: async ({ request }) => ({
      status: 200,
      body: request.server.parley.openapi(),
      contentType: 'application/json; charset=utf-8',
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/docs',
    summary: 'API reference (rendered from /openapi.json)',
    tags: ['System'],
    auth: 'none',
    hidden: true,
    responses: { 200: null },
    handler: async () => ({ status: 200, body: docsPage, contentType: 'text/html; charset=utf-8' }),
  }),
  defineRoute({
    method: 'GET',
    path: '/docs/:asset',
    summary: 'API reference assets',
    tags: ['System'],
    auth: 'none',
    hidden: true,
    params: z.object({ asset: z.string() }),
    responses: { 200: null },
    handler: async ({ params }) => {
      if (params.asset === 'init.js')
        return { status: 200, body: docsInit, contentType: 'application/javascript; charset=utf-8' };
      const asset = docAssets[params.asset];
      if (!asset) throw new ApiError('not_found', `No docs asset ${params.asset}.`);
      let buf = assetCache.get(asset.file);
      if (!buf) {
        buf = readFileSync(join(swaggerDir, asset.file));
        assetCache.set(asset.file, buf);
      }
      return {
        status: 200,
        body: buf,
        contentType: asset.type,
        headers: { 'Cache-Control': 'public, max-age=86400' },
      };
    },
  }),
];
