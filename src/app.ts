import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { Module } from './modules/module.ts';
import type { AppContext } from './platform/context.ts';
import { ApiError, errorBody } from './platform/errors.ts';
import { checkMetricsAccess } from './platform/http/metrics-access.ts';
import { buildOpenApi } from './platform/http/openapi.ts';
import { DOCS_HEADERS, SWAGGER_UI_OPTIONS } from './platform/http/page-headers.ts';
import { installPlumbing, registerRoute, sendError } from './platform/http/register.ts';
import { installRequestSpans } from './platform/http/request-spans.ts';
import { type AnyRoute, defineRoute } from './platform/http/route.ts';
import { describe } from './platform/http/schemas.ts';
import { installSockets } from './platform/http/sockets.ts';
import { newId } from './platform/ids.ts';
import { PARLEY_VERSION } from './platform/version.ts';

export const API_VERSION = '0.1.0';

/** Probes and the metrics scrape: their access lines are at debug (they come every few seconds). */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

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
    trustProxy: ctx.config.trustProxy,
    return503OnClosing: true,
    // Slow clients: headers and the whole request must arrive in time (checked every second,
    // not Node's default 30 s), idle keep-alive connections close, and one client address holds
    // a bounded number of connections.
    serverFactory: (handler) => {
      const server = createServer(
        {
          headersTimeout: ctx.config.headersTimeoutMs,
          requestTimeout: ctx.config.requestTimeoutMs,
          keepAliveTimeout: ctx.config.keepAliveTimeoutMs,
          connectionsCheckingInterval: 1000,
        },
        handler as (req: IncomingMessage, res: ServerResponse) => void,
      );
      boundConnectionsPerClient(server, ctx.config.maxConnectionsPerClient);
      return server;
    },
    // What Node's HTTP parser refuses before any route runs answers in the one error shape too.
    clientErrorHandler: (err, socket) => answerClientError(err as NodeJS.ErrnoException, socket as Socket),
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

  const metrics = ctx.metrics.registry;
  const requestsTotal = ctx.metrics.httpRequests;
  const requestDuration = ctx.metrics.httpDuration;

  for (const m of modules) for (const metric of m.metrics?.(ctx) ?? []) metrics.registerMetric(metric);

  installRequestSpans(app, ctx);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    requestsTotal.inc({ method: request.method, route, status: String(reply.statusCode) });
    requestDuration.observe({ method: request.method, route }, seconds);
    // One access line per request: the route's pattern (never the URL, which carries ids and query
    // values), never a header or a body. Probes and scrapes are at debug: they would flood the log.
    const line = {
      reqId: request.id,
      method: request.method,
      route,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(request.workspaceId ? { workspaceId: request.workspaceId } : {}),
    };
    if (reply.statusCode >= 500) request.log.error(line, 'request failed');
    else if (QUIET_ROUTES.has(route)) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
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
  installSockets(
    app.server,
    ctx,
    modules.flatMap((m) => m.sockets ?? []),
  );

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
// An API key an earlier version let Swagger UI keep in localStorage ('authorized') is removed.
const docsInit = `try { localStorage.removeItem('authorized'); } catch {}
window.ui = SwaggerUIBundle(${JSON.stringify(SWAGGER_UI_OPTIONS)});`;

const versionField = describe(z.string(), "Parley's release (package.json's `version`).", '0.1.0');
const healthBody = z.object({
  status: describe(z.literal('ok'), 'Always ok while the process serves.', 'ok'),
  version: versionField,
});
const versionBody = z.object({
  object: describe(z.literal('version'), 'Always `version`.', 'version'),
  version: versionField,
  node: describe(z.string(), 'The Node.js version the server runs on.', '24.11.0'),
  storage: describe(
    z.enum(['sqlite', 'postgres']),
    'Where this server keeps its data: `sqlite` (one file) or `postgres` (DATABASE_URL).',
    'sqlite',
  ),
});
const readyBody = z.object({
  status: describe(
    z.enum(['ready', 'not_ready', 'draining']),
    'Whether the process can serve requests (`draining`: it is shutting down; send new work elsewhere).',
    'ready',
  ),
  checks: describe(z.record(z.string(), z.enum(['ok', 'failing'])), 'Each dependency checked.', {
    database: 'ok',
  }),
  speech: describe(
    z.object({
      stt: describe(z.array(z.string()), 'Speech-to-text engines usable here.', ['sandbox', 'builtin']),
      tts: describe(z.array(z.string()), 'Text-to-speech engines usable here.', ['sandbox', 'builtin']),
    }),
    "Speech engines this server can run for an agent that brings no key of its own: `sandbox` always, `builtin` when pocketsphinx / espeak-ng are installed, a cloud engine when the server has its key or URL. An engine not listed may still work with the agent's own `api_key` or `base_url`.",
  ).optional(),
  warnings: describe(
    z.array(z.string()),
    'Configuration problems that do not stop this server from serving but break a feature (e.g. Twilio voice with a PARLEY_PUBLIC_URL that is not https, or a PARLEY_META_GRAPH_VERSION past the end of life Meta states for it). Absent when there are none.',
    ['PARLEY_PUBLIC_URL (http://parley.example.com) is not https: ...'],
  ).optional(),
});

const systemRoutes: AnyRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness',
    description:
      'Answers 200 `{"status": "ok", "version": "..."}` while the process serves HTTP; no authentication. Use it as a liveness probe (it does not touch the database: `/readyz` does).',
    tags: ['System'],
    auth: 'none',
    responses: { 200: healthBody },
    handler: async () => ({ status: 200, body: { status: 'ok', version: PARLEY_VERSION } }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/version',
    summary: 'Server version',
    description:
      "Parley's release, the Node.js version and the storage this server runs on; no authentication (as `/healthz`), so an operator or a client can tell which release answers before an upgrade or when reporting a problem.",
    tags: ['System'],
    auth: 'none',
    responses: { 200: versionBody },
    handler: async ({ ctx }) => ({
      status: 200,
      body: {
        object: 'version' as const,
        version: PARLEY_VERSION,
        node: process.versions.node,
        storage: ctx.dialect === 'postgres' ? ('postgres' as const) : ('sqlite' as const),
      },
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/readyz',
    summary: 'Readiness (checks the database)',
    description:
      "Checks the database with one query: 200 `ready` when it answers, 503 `not_ready` otherwise (503 `draining` while the process shuts down after SIGTERM), with each check's state in `checks`; `speech` lists the speech engines this server can run (informative: a missing one does not make it not ready); `warnings` lists configuration problems that break a feature without making the server not ready (Twilio voice with a PARLEY_PUBLIC_URL that is not https; a PARLEY_META_GRAPH_VERSION past the end of life Meta states for it). Use it as a readiness probe for load balancers.",
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
      const ok = database === 'ok' && !ctx.draining;
      // A module adds its warnings as `warnings:<name>` (a list, or undefined when none); they are
      // listed together under `warnings`.
      const reports: Record<string, unknown> = {};
      const warnings: string[] = [];
      for (const [name, report] of ctx.readyReports) {
        const value = report();
        if (name === 'warnings' || name.startsWith('warnings:')) {
          if (Array.isArray(value)) warnings.push(...value.map(String));
        } else reports[name] = value;
      }
      if (warnings.length) reports.warnings = warnings;
      const status = ctx.draining ? 'draining' : ok ? 'ready' : 'not_ready';
      return { status: ok ? 200 : 503, body: { status, checks: { database }, ...reports } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tags: ['System'],
    auth: 'none',
    description:
      "Prometheus text format: process and HTTP metrics plus the product's own (messages by channel and status, queue depth and oldest job age per kind, webhook deliveries by outcome and latency, AI reply latency, handoffs, active calls); docs/metrics.md lists every metric. With `PARLEY_METRICS_TOKEN` set it needs `Authorization: Bearer <token>`. Without it only clients on the loopback interface that come straight in are answered: a request carrying a forwarding header (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`, ...) is refused (403), and with `PARLEY_TRUST_PROXY` on the token is required.",
    responses: { 200: null },
    rawResponses: {
      200: {
        'text/plain; version=0.0.4': {
          schema: { type: 'string', description: 'Prometheus text exposition format.' },
          example:
            '# HELP parley_messages_total Messages by channel and status.\n# TYPE parley_messages_total counter\nparley_messages_total{channel="whatsapp",status="sent"} 42\n',
        },
      },
    },
    errors: ['unauthorized', 'forbidden'],
    handler: async ({ ctx, request }) => {
      checkMetricsAccess(ctx, request);
      const registry = request.server.parley.metrics;
      return { status: 200, body: await registry.metrics(), contentType: registry.contentType };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/openapi.json',
    summary: 'The OpenAPI 3.1 document of this API',
    description:
      'This document: OpenAPI 3.1, generated from the same zod schemas that validate requests, with an example request and response on every operation and the webhook events under `webhooks`. `GET /docs` renders it.',
    tags: ['System'],
    auth: 'none',
    responses: { 200: null },
    rawResponses: {
      200: { 'application/json': { schema: { type: 'object', description: 'An OpenAPI 3.1 document.' } } },
    },
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
    handler: async () => ({
      status: 200,
      body: docsPage,
      contentType: 'text/html; charset=utf-8',
      headers: DOCS_HEADERS,
    }),
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
        return {
          status: 200,
          body: docsInit,
          contentType: 'application/javascript; charset=utf-8',
          headers: DOCS_HEADERS,
        };
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
        headers: { ...DOCS_HEADERS, 'Cache-Control': 'public, max-age=86400' },
      };
    },
  }),
];

function boundConnectionsPerClient(server: import('node:http').Server, max: number) {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

const clientErrors: Record<string, { status: number; reason: string; error: ApiError }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    error: new ApiError('request_timeout', 'The request did not arrive in time; the connection is closed.'),
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    error: new ApiError('headers_too_large', 'The request line and headers are too large.'),
  },
};

/** Answers a request Node's HTTP parser refused (or timed out) in the documented error shape. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket) {
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const known = clientErrors[err.code ?? ''];
  const status = known?.status ?? 400;
  const apiError =
    known?.error ??
    new ApiError('validation_failed', 'The HTTP request is malformed and could not be parsed.');
  const requestId = newId('req');
  const body = JSON.stringify(errorBody(apiError.code, apiError.message, requestId, apiError));
  socket.end(
    `HTTP/1.1 ${status} ${known?.reason ?? 'Bad Request'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
