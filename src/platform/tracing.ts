import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/**
 * Traces (OpenTelemetry), off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/traces.md). Each app
 * has its own tracer provider, never registered globally: two apps in one process export apart.
 * A request's or a job's span puts the app's tracer in the active context, and the spans made
 * below it (provider sends, LLM calls, tool calls: `childSpan`) take it from there, so code deep
 * in a module needs no handle on the app to trace, and makes no span outside a traced request or job.
 */
const TRACER = createContextKey('parley.tracer');
const CONVERSATION = createContextKey('parley.conversation_id');

/** Attribute naming the conversation a span is about (on every span below one that knows it). */
export const CONVERSATION_ATTR = 'parley.conversation_id';

export interface Tracing {
  readonly enabled: boolean;
  /** The app's tracer (a no-op one when off). */
  readonly tracer: Tracer;
  /** The context of a caller's trace, from its W3C `traceparent` header (ROOT_CONTEXT when none). */
  callerContext(headers: Record<string, string | string[] | undefined>): Context;
  /** Sends what is still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * The app's tracing. Off, only the small API package is loaded; on, the SDK and the exporter are
 * loaded then (tracing-sdk.ts), so a server that does not trace never pays for them at start.
 */
export async function createTracing(opts: {
  endpoint: string | undefined;
  serviceName: string;
}): Promise<Tracing> {
  if (!opts.endpoint)
    return {
      enabled: false,
      tracer: trace.getTracer('parley'),
      callerContext: () => ROOT_CONTEXT,
      shutdown: async () => {},
    };
  const { startTracerProvider } = await import('./tracing-sdk.ts');
  return {
    enabled: true,
    ...startTracerProvider({ endpoint: opts.endpoint, serviceName: opts.serviceName }),
  };
}

/** The active context with the app's tracer and, when known, the conversation, for the spans below. */
export function contextFor(tracing: Tracing, span: Span, conversationId?: string) {
  let ctx = trace.setSpan(context.active(), span).setValue(TRACER, tracing.tracer);
  if (conversationId) ctx = ctx.setValue(CONVERSATION, conversationId);
  return ctx;
}

/** Ends a span, marked failed when `err` is given. */
export function endSpan(span: Span, err?: unknown) {
  if (err !== undefined) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}

async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  kind: SpanKind,
  conversationId: string | undefined,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, { attributes, kind });
  if (conversationId) span.setAttribute(CONVERSATION_ATTR, conversationId);
  let ctx = trace.setSpan(context.active(), span).setValue(TRACER, tracer);
  if (conversationId) ctx = ctx.setValue(CONVERSATION, conversationId);
  try {
    const out = await context.with(ctx, () => fn(span));
    endSpan(span);
    return out;
  } catch (err) {
    endSpan(span, err);
    throw err;
  }
}

/** Runs a job (or any root of work outside a request) in a span of the app's tracer. */
export function rootSpan<T>(
  tracing: Tracing,
  name: string,
  attributes: Attributes,
  conversationId: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  if (!tracing.enabled) return fn();
  return inSpan(tracing.tracer, name, attributes, SpanKind.CONSUMER, conversationId, fn);
}

/**
 * Runs `fn` in a span below the active request's or job's span (a provider send, an LLM call, a
 * tool call), with the conversation id it carries unless `attributes` names one; outside a
 * traced request or job it only runs `fn`.
 */
export function childSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined) => Promise<T>,
  kind: SpanKind = SpanKind.CLIENT,
): Promise<T> {
  const active = context.active();
  const tracer = active.getValue(TRACER) as Tracer | undefined;
  if (!tracer) return fn(undefined);
  const conversationId =
    (attributes[CONVERSATION_ATTR] as string | undefined) ??
    (active.getValue(CONVERSATION) as string | undefined);
  return inSpan(tracer, name, attributes, kind, conversationId, fn);
}
