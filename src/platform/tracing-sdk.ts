import { context, defaultTextMapGetter, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { PARLEY_VERSION } from './version.ts';

let contextManagerSet = false;

/**
 * An app's tracer provider, exporting OTLP over HTTP (JSON) to `<endpoint>/v1/traces` in batches
 * sent every second. Never registered as the global provider: each app exports its own spans.
 */
export function startTracerProvider(opts: { endpoint: string; serviceName: string }) {
  // The one piece that is process-wide: how the active context follows async calls. It holds no
  // app's state; the first app that traces installs it.
  if (!contextManagerSet) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerSet = true;
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.serviceName,
      [ATTR_SERVICE_VERSION]: PARLEY_VERSION,
    }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${opts.endpoint.replace(/\/+$/, '')}/v1/traces` }),
        scheduledDelayMillis: 1000,
      }),
    ],
  });
  // A caller that traces (a gateway, a service calling the API) sends `traceparent`: the request's
  // span joins its trace.
  const propagator = new W3CTraceContextPropagator();
  return {
    tracer: provider.getTracer('parley', PARLEY_VERSION),
    callerContext: (headers: Record<string, string | string[] | undefined>) =>
      propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter),
    shutdown: () => provider.shutdown(),
  };
}
