import { context, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { CONVERSATION_ATTR, contextFor } from '../tracing.ts';

/** The conversation a request is about, when its path names one. */
function conversationOf(request: FastifyRequest): string | undefined {
  const route = request.routeOptions.url ?? '';
  const id = (request.params as Record<string, unknown> | undefined)?.id;
  return route.startsWith('/v1/conversations/:id') && typeof id === 'string' ? id : undefined;
}

/**
 * A span per HTTP request, named by method and route pattern (never the URL, which carries ids and
 * query values), with OpenTelemetry's HTTP server attributes (written out: a server that does not
 * trace loads no more than the API package). The rest of the request (hooks, handler, what they
 * await) runs in the span's context, so the spans made below it nest under it. Only when tracing
 * is on; a caller's `traceparent` makes it a child of the caller's span.
 */
export function installRequestSpans(app: FastifyInstance, ctx: AppContext) {
  if (!ctx.tracing.enabled) return;
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const caller = ctx.tracing.callerContext(request.headers);
    const span = ctx.tracing.tracer.startSpan(
      `${request.method} ${route ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          ...(route ? { 'http.route': route } : {}),
          'parley.request_id': request.id,
        },
      },
      caller,
    );
    spans.set(request, span);
    // `done` starts the rest of the request's hooks and its handler: inside this context.
    context.with(contextFor(ctx.tracing, span, conversationOf(request)), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    const conversationId = conversationOf(request);
    if (conversationId) span.setAttribute(CONVERSATION_ATTR, conversationId);
    if (request.workspaceId) span.setAttribute('parley.workspace_id', request.workspaceId);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
