import {
  context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
} from '@opentelemetry/semantic-conventions';
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
 * query values), with the status. The rest of the request (hooks, handler, what they await) runs
 * in the span's context, so the spans made below it nest under it. Only when tracing is on.
 */
export function installRequestSpans(app: FastifyInstance, ctx: AppContext) {
  if (!ctx.tracing.enabled) return;
  const spans = new WeakMap<FastifyRequest, Span>();
  // A caller that traces (a gateway, a service calling the API) sends `traceparent`: the request's
  // span joins its trace.
  const propagator = new W3CTraceContextPropagator();
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const caller = propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const span = ctx.tracing.tracer.startSpan(
      `${request.method} ${route ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}),
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
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
    const conversationId = conversationOf(request);
    if (conversationId) span.setAttribute(CONVERSATION_ATTR, conversationId);
    if (request.workspaceId) span.setAttribute('parley.workspace_id', request.workspaceId);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
