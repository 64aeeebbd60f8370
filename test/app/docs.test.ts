import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { API_VERSION, collectRoutes } from '../../src/app.ts';
import { modules } from '../../src/modules/index.ts';
import { configVariables } from '../../src/platform/config.ts';
import { errorCodes } from '../../src/platform/errors.ts';
import { eventTypes } from '../../src/platform/events.ts';
import { buildOpenApi } from '../../src/platform/http/openapi.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Rows of the markdown table whose first cell is a `code` span. */
function tableRows(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    const m = /^\| `([^`]+)` \|(.*)\|$/.exec(line.trim());
    if (m)
      rows.set(
        m[1],
        m[2].split('|').map((c) => c.trim()),
      );
  }
  return rows;
}

describe('documentation agrees with the code', () => {
  it('docs/errors.md lists exactly the error codes, with their statuses', () => {
    const rows = tableRows(read('docs/errors.md'));
    assert.deepEqual([...rows.keys()].sort(), Object.keys(errorCodes).sort());
    for (const [code, spec] of Object.entries(errorCodes)) {
      assert.equal(rows.get(code)?.[0], String(spec.status), `status of ${code}`);
    }
  });

  it('docs/configuration.md lists exactly the environment variables', () => {
    const rows = tableRows(read('docs/configuration.md'));
    assert.deepEqual([...rows.keys()].sort(), Object.keys(configVariables).sort());
  });

  it('the committed openapi.json is the one the code generates (run `npm run openapi`)', () => {
    const generated = buildOpenApi(collectRoutes(modules), { version: API_VERSION });
    const committed = JSON.parse(read('openapi.json'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(generated)));
  });

  it('every operation, parameter and field of the OpenAPI document is described', () => {
    const doc = buildOpenApi(collectRoutes(modules), { version: API_VERSION }) as any;
    const missing: string[] = [];
    const walk = (schema: any, where: string) => {
      if (!schema || typeof schema !== 'object') return;
      for (const [name, prop] of Object.entries<any>(schema.properties ?? {})) {
        // `describe(x).nullable()` puts the description on the non-null member.
        const described =
          prop.description ||
          prop.$ref ||
          [...(prop.anyOf ?? []), ...(prop.oneOf ?? [])].some((m: any) => m.description);
        if (!described) missing.push(`${where}.${name}`);
        walk(prop, `${where}.${name}`);
      }
      if (schema.items) walk(schema.items, `${where}[]`);
      for (const key of ['anyOf', 'oneOf', 'allOf'] as const)
        for (const s of schema[key] ?? []) walk(s, where);
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
        walk(schema.additionalProperties, `${where}{}`);
    };
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) walk(schema, name);
    for (const [name, header] of Object.entries<any>(doc.components.headers))
      if (!header.description) missing.push(`header ${name}`);
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const at = `${method.toUpperCase()} ${path}`;
        if (!op.summary) missing.push(`${at} (summary)`);
        for (const p of op.parameters ?? []) if (!p.description) missing.push(`${at} parameter ${p.name}`);
        walk(op.requestBody?.content?.['application/json']?.schema, `${at} body`);
        for (const [status, r] of Object.entries<any>(op.responses))
          walk(r.content?.['application/json']?.schema, `${at} ${status}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('every operation has a description and an example request and response that its schemas accept', () => {
    const routes = collectRoutes(modules);
    const doc = buildOpenApi(routes, { version: API_VERSION }) as any;
    const problems: string[] = [];
    for (const route of routes) {
      if (route.hidden) continue;
      const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      const op = doc.paths[path][route.method.toLowerCase()];
      const at = `${route.method} ${path}`;
      if (!op.description || op.description.length < 30) problems.push(`${at}: no description`);
      const body = op.requestBody?.content?.['application/json'];
      if (route.body && body) {
        if (body.example === undefined) problems.push(`${at}: no example request`);
        else {
          const parsed = route.body.safeParse(body.example);
          if (!parsed.success)
            problems.push(`${at}: example request refused: ${JSON.stringify(parsed.error.issues[0])}`);
        }
      }
      for (const [status, schema] of Object.entries(route.responses)) {
        if (!schema) continue;
        const example = op.responses[status].content['application/json'].example;
        if (example === undefined) problems.push(`${at} ${status}: no example response`);
        else {
          const parsed = schema.safeParse(example);
          if (!parsed.success)
            problems.push(
              `${at} ${status}: example response refused: ${JSON.stringify(parsed.error.issues[0])}`,
            );
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('documents every event as an OpenAPI 3.1 webhook with the schema of its data', () => {
    const doc = buildOpenApi(collectRoutes(modules), { version: API_VERSION }) as any;
    assert.deepEqual(Object.keys(doc.webhooks).sort(), [...eventTypes].sort());
    for (const type of eventTypes) {
      const content = doc.webhooks[type].post.requestBody.content['application/json'];
      assert.equal(content.schema.properties.event.const, type);
      assert.equal(content.example.event, type);
      if (
        !['webhook.test', 'webhook_endpoint.disabled', 'contact.deleted', 'contact.erased'].includes(type)
      ) {
        // The data is the object's own schema (named, or that schema with the event's own fields).
        const [data] = content.schema.properties.data.allOf;
        const schema = data.$ref ? doc.components.schemas[data.$ref.split('/').pop()] : data;
        assert.ok(schema.properties?.id, `${type}: data has the object's fields`);
        assert.ok(schema.properties?.object?.const, `${type}: data names its object`);
      }
    }
  });

  it('operations have stable, unique camelCase operationIds and objects have named schemas', () => {
    const doc = buildOpenApi(collectRoutes(modules), { version: API_VERSION }) as any;
    const ids: string[] = [];
    for (const ops of Object.values<any>(doc.paths))
      for (const op of Object.values<any>(ops)) ids.push(op.operationId);
    for (const entry of Object.values<any>(doc.webhooks)) ids.push(entry.post.operationId);
    assert.deepEqual(
      ids.filter((id) => !/^[a-z][A-Za-z0-9]*$/.test(id)),
      [],
      'camelCase',
    );
    assert.deepEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
      'unique',
    );
    assert.equal(doc.paths['/v1/contacts'].get.operationId, 'listContacts');
    assert.equal(doc.paths['/v1/calls'].post.operationId, 'createCall');
    for (const name of [
      'Contact',
      'Conversation',
      'Message',
      'Call',
      'Campaign',
      'Booking',
      'Agent',
      'Error',
    ])
      assert.ok(doc.components.schemas[name], `${name} is a named schema`);
    assert.deepEqual(doc.paths['/v1/contacts/{id}'].get.responses['200'].content['application/json'].schema, {
      $ref: '#/components/schemas/Contact',
    });
  });

  it('documents the response headers, 408 and 431, and the non-JSON bodies', () => {
    const doc = buildOpenApi(collectRoutes(modules), { version: API_VERSION }) as any;
    const list = doc.paths['/v1/contacts'].get.responses;
    assert.ok(list['200'].headers['X-RateLimit-Remaining']);
    assert.ok(list['200'].headers['X-Request-Id']);
    assert.ok(list['429'].headers['Retry-After']);
    assert.ok(list['408'] && list['431'], '408 and 431 are listed');
    assert.ok(doc.paths['/v1/calls'].post.responses['201'].headers['X-Concurrency-Remaining']);
    assert.ok(doc.paths['/v1/contacts'].post.responses['201'].headers['Idempotent-Replayed']);
    assert.ok(
      doc.paths['/v1/agents/{id}/knowledge/upload'].post.requestBody.content['multipart/form-data'].schema
        .properties.file,
    );
    assert.ok(doc.paths['/v1/events/stream'].get.responses['200'].content['text/event-stream']);
    assert.ok(doc.paths['/v1/calls/{id}/recording'].get.responses['200'].content['audio/x-wav']);
    assert.ok(doc.paths['/v1/messages/{id}/media'].get.responses['200'].content['*/*']);
    assert.ok(doc.paths['/metrics'].get.responses['200'].content['text/plain; version=0.0.4']);
    for (const entry of Object.values<any>(doc.webhooks)) assert.deepEqual(entry.post.security, []);
  });
});
