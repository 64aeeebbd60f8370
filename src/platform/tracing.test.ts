import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadConfig } from './config.ts';
import { childSpan, createTracing, rootSpan } from './tracing.ts';

it('is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set, and then spans cost nothing but the call', async () => {
  const config = loadConfig({});
  assert.equal(config.otlpEndpoint, undefined);
  assert.equal(config.otelServiceName, 'parley');
  const tracing = await createTracing({ endpoint: config.otlpEndpoint, serviceName: config.otelServiceName });
  assert.equal(tracing.enabled, false);
  const seen = await rootSpan(tracing, 'job x', {}, 'conv_1', () =>
    childSpan('llm m', {}, async (span) => span),
  );
  assert.equal(seen, undefined, 'no span is made below an untraced job');
  assert.throws(
    () => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }),
    /OTEL_EXPORTER_OTLP_ENDPOINT/,
  );
});
