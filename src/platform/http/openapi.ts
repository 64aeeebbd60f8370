import { z } from 'zod';
import { errorCodes } from '../errors.ts';
import { eventTypes } from '../events.ts';
import { eventDataSchema, eventNotes, eventObjects } from './openapi-events.ts';
import { headerComponents, nameObjectSchemas, responseHeadersOf } from './openapi-parts.ts';
import { operationId } from './operation-ids.ts';
import type { AnyRoute } from './route.ts';
import { errorResponse } from './schemas.ts';

type Json = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): Json => {
  const out = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
    reused: 'inline',
  }) as Json;
  delete out.$schema;
  // A schema's own top-level examples (a body whose fields exclude one another) are kept even
  // where the conversion drops them.
  const own = z.globalRegistry.get(schema)?.examples;
  if (own && out.examples === undefined) out.examples = own;
  return out;
};

/**
 * An example value built from a JSON Schema's own examples (every field has one: `describe`).
 * A request example holds the required fields and the optional ones that have an example of
 * their own; a response example holds every field.
 */
export function exampleOf(schema: Json | undefined, mode: 'request' | 'response'): unknown {
  if (!schema || typeof schema !== 'object') return undefined;
  const given = declaredExample(schema) ?? unionExample(schema, mode);
  if (given) return given.value;
  if (Array.isArray(schema.allOf)) return exampleOf((schema.allOf as Json[])[0], mode);
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : schema.type;
  if (type === 'object' || schema.properties) return objectExample(schema, mode);
  if (type === 'array') {
    const item = exampleOf(schema.items as Json | undefined, mode);
    return item === undefined ? [] : [item];
  }
  if (type === 'string') return 'string';
  if (type === 'integer' || type === 'number') return typeof schema.minimum === 'number' ? schema.minimum : 0;
  if (type === 'boolean') return false;
  return undefined;
}

/** The value a schema names itself: its first example, `example`, `const`, first enum member or default. */
function declaredExample(schema: Json): { value: unknown } | null {
  const examples = schema.examples as unknown[] | undefined;
  if (examples?.length) return { value: examples[0] };
  if ('example' in schema) return { value: schema.example };
  if ('const' in schema) return { value: schema.const };
  if (Array.isArray(schema.enum)) return { value: schema.enum[0] };
  if ('default' in schema && schema.default !== undefined) return { value: schema.default };
  return null;
}

/**
 * A union's example: its first non-null member's that has one (null when null is its only
 * member). Null when the schema is no union.
 */
function unionExample(schema: Json, mode: 'request' | 'response'): { value: unknown } | null {
  const members = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (!members) return null;
  const real = members.filter((m) => m.type !== 'null');
  for (const m of real) {
    const v = exampleOf(m, mode);
    if (v !== undefined) return { value: v };
  }
  return { value: real.length ? undefined : null };
}

/** An object's example: a request's holds required fields and those with examples of their own. */
function objectExample(schema: Json, mode: 'request' | 'response'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [name, prop] of Object.entries((schema.properties as Record<string, Json>) ?? {})) {
    const own = (prop.examples as unknown[] | undefined)?.length;
    if (mode === 'request' && !required.has(name) && !own) continue;
    const v = exampleOf(prop, mode);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** `/v1/contacts/:id` → `/v1/contacts/{id}` */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');

const commonKeyErrors = ['unauthorized', 'forbidden', 'rate_limited'] as const;
/** What any route may answer whatever it does: the body was refused before the route ran, or a dependency is down. */
const commonErrors = [
  'request_timeout',
  'headers_too_large',
  'payload_too_large',
  'unsupported_media_type',
  'service_unavailable',
  'internal_error',
] as const;

/**
 * The error codes a route documents: those of its kind of authentication, the ones it lists, and
 * those its parameters and body imply. The OpenAPI document lists them; in tests a route that
 * answers any other code fails (`register.ts`).
 */
export function documentedErrorCodes(route: AnyRoute): Set<string> {
  const codes = new Set<string>([
    ...commonErrors,
    ...(route.auth === 'key' ? commonKeyErrors : []),
    ...(route.auth === 'admin' ? ['unauthorized', 'not_found'] : []),
    ...(route.errors ?? []),
  ]);
  if (route.params) codes.add('not_found');
  if (route.body || route.query) codes.add('validation_failed');
  // A keyed POST reads an Idempotency-Key, and refuses one that is empty or too long.
  if (route.method === 'POST' && route.auth === 'key') {
    codes.add('idempotency_conflict');
    codes.add('validation_failed');
  }
  return codes;
}

/** A route's path and query parameters, and the Idempotency-Key header of a keyed POST. */
function parametersOf(route: AnyRoute): Json[] {
  const parameters: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const js = toSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      const { description, examples, ...rest } = prop as Json & { examples?: unknown[] };
      parameters.push({
        name,
        in: where,
        required: where === 'path' || (js.required ?? []).includes(name),
        description,
        schema: rest,
        ...(examples?.length ? { example: examples[0] } : {}),
      });
    }
  }
  if (route.method === 'POST' && route.auth === 'key') {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Replays the first response when the same key is sent again with the same body within 24 hours.',
      schema: { type: 'string', maxLength: 255 },
      example: 'order-1042-confirmation',
    });
  }
  return parameters;
}

/**
 * A route's own answers (a JSON body with its example, or a raw one, or none). The object
 * schema of a `GET .../{id}` answer is kept in `objectSchemas` by its `object` name.
 */
function successResponses(route: AnyRoute, objectSchemas: Map<string, Json>): Record<string, Json> {
  const responses: Record<string, Json> = {};
  for (const [status, schema] of Object.entries(route.responses)) {
    const headers = responseHeadersOf(route, Number(status));
    if (!schema) {
      const raw = route.rawResponses?.[Number(status)];
      responses[status] = {
        description: Number(status) === 302 ? 'Redirect.' : 'Success.',
        headers,
        ...(raw ? { content: raw } : {}),
      };
      continue;
    }
    const js = toSchema(schema, 'output');
    responses[status] = {
      description: 'Success.',
      headers,
      content: { 'application/json': { schema: js, example: exampleOf(js, 'response') } },
    };
    const object = (js.properties as Record<string, Json> | undefined)?.object?.const;
    if (route.method === 'GET' && route.params && typeof object === 'string') objectSchemas.set(object, js);
  }
  return responses;
}

/**
 * The route's documented error codes, one response per status (its codes listed, the first as
 * the example); a status the route answers already keeps its schema and names the codes too.
 */
function addErrorResponses(route: AnyRoute, responses: Record<string, Json>): void {
  const byStatus = new Map<number, string[]>();
  for (const code of documentedErrorCodes(route)) {
    const status = errorCodes[code as keyof typeof errorCodes].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const codesText = list.map((c) => `\`${c}\``).join(', ');
    const existing = responses[String(status)];
    if (existing) {
      // A documented answer with this status (e.g. readiness' 503) keeps its own schema.
      existing.description = `${existing.description} Or an error: ${codesText}.`;
      continue;
    }
    const code = list[0]!;
    responses[String(status)] = {
      description: `Error: ${codesText}.`,
      headers: responseHeadersOf(route, status),
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/Error' },
          example: {
            error: {
              code,
              message: errorCodes[code as keyof typeof errorCodes].doc,
              request_id: 'req_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
            },
          },
        },
      },
    };
  }
}

/** The security schemes a route's kind of authentication accepts. */
function securityOf(route: AnyRoute): Json[] {
  if (route.auth === 'key') return [{ bearerAuth: [] }, { apiKeyHeader: [] }];
  if (route.auth === 'admin') return [{ adminToken: [] }];
  return [];
}

/**
 * A route's request body, by content type: another body's own schema, the JSON body's schema
 * (with a request example) for JSON types, else binary.
 */
function requestBodyOf(route: AnyRoute): Json | undefined {
  if (!route.body && !route.otherBodies) return undefined;
  const content: Json = {};
  const json = route.body ? toSchema(route.body, 'input') : undefined;
  for (const type of route.contentTypes ?? ['application/json']) {
    const other = route.otherBodies?.[type];
    if (other) content[type] = { schema: other.schema, example: other.example };
    else if (json && (type === 'application/json' || type.endsWith('+json')))
      content[type] = { schema: json, example: exampleOf(json, 'request') };
    else content[type] = { schema: { type: 'string', format: 'binary' } };
  }
  return { required: true, content };
}

/** One route's operation object. */
function operationOf(route: AnyRoute, objectSchemas: Map<string, Json>): Json {
  const parameters = parametersOf(route);
  const responses = successResponses(route, objectSchemas);
  addErrorResponses(route, responses);
  const operation: Json = {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
    ...(route.deprecated ? { deprecated: true } : {}),
    security: securityOf(route),
    ...(route.scope ? { 'x-scope': route.scope } : {}),
    ...(parameters.length ? { parameters } : {}),
    responses,
  };
  const requestBody = requestBodyOf(route);
  if (requestBody) operation.requestBody = requestBody;
  return operation;
}

/** The OpenAPI 3.1 document, generated from the same schemas that validate requests. */
export function buildOpenApi(routes: AnyRoute[], info: { version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  // The object schemas of `GET .../{id}` answers, by `object` name: the `data` of the events.
  const objectSchemas = new Map<string, Json>();
  for (const route of routes) {
    if (route.hidden) continue;
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operationOf(route, objectSchemas);
  }

  const doc: Json = {
    openapi: '3.1.0',
    info: {
      title: 'Parley API',
      version: info.version,
      description:
        'Self-hostable AI customer conversations: WhatsApp, SMS, email and voice, AI agents, a shared inbox, signed webhooks.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.filter((r) => !r.hidden).flatMap((r) => r.tags))].map((name) => ({ name })),
    paths,
    webhooks: webhookDocs(objectSchemas),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key (`prl_live_...` or `prl_test_...`).',
        },
        apiKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description: 'The same API key, in a header of its own.',
        },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The PARLEY_ADMIN_TOKEN of this server.' },
      },
      headers: headerComponents,
      schemas: { Error: toSchema(errorResponse, 'output') },
    },
    'x-error-codes': Object.fromEntries(
      Object.entries(errorCodes).map(([code, v]) => [code, { status: v.status, description: v.doc }]),
    ),
    'x-event-types': [...eventTypes],
  };
  const named = nameObjectSchemas(doc, objectSchemas);
  const components = doc.components as { schemas: Record<string, Json> };
  components.schemas = { ...components.schemas, ...named };
  return doc;
}

/**
 * OpenAPI 3.1 `webhooks`: one entry per event type, with the envelope every delivery has and the
 * schema of its `data` (the object's state, as `GET` on the object answers it).
 */
function webhookDocs(objectSchemas: Map<string, Json>): Json {
  const out: Json = {};
  for (const type of eventTypes) {
    const object = eventObjects[type.split('.')[0]!];
    const data = eventDataSchema(
      type,
      (object ? objectSchemas.get(object) : undefined) ?? {
        type: 'object',
        description: 'The object the event is about.',
      },
    );
    const envelope: Json = {
      type: 'object',
      required: [
        'id',
        'object',
        'event',
        'timestamp',
        'api_version',
        'workspace_id',
        'livemode',
        'actor',
        'data',
      ],
      properties: {
        id: {
          type: 'string',
          description: 'The event id; also the `webhook-id` header of every attempt.',
          examples: ['evt_01JD5Z8Q4X3N2M1K0H9G8F7E6D'],
        },
        object: { const: 'event', description: 'The type of this object.' },
        event: { const: type, description: 'The event type.' },
        timestamp: {
          type: 'string',
          description: 'When it happened (ISO 8601, UTC).',
          examples: ['2026-05-10T08:23:41.000Z'],
        },
        api_version: { const: 'v1', description: 'API version of the payload.' },
        workspace_id: {
          type: 'string',
          description: 'The workspace.',
          examples: ['ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D'],
        },
        livemode: {
          type: 'boolean',
          description: 'True for live-mode events, false for test-mode ones.',
          examples: [true],
        },
        actor: {
          type: 'object',
          description: 'Who caused it.',
          properties: {
            type: {
              enum: ['api_key', 'user', 'ai', 'customer', 'system', 'rule', 'automation'],
              description: 'Kind of actor.',
            },
            id: {
              type: ['string', 'null'],
              description: 'The key or user id (null for others).',
              examples: [null],
            },
          },
          required: ['type', 'id'],
        },
        data: {
          description: `The ${object ?? 'object'}'s state when the event was recorded.`,
          allOf: [data],
        },
      },
    };
    out[type] = {
      post: {
        summary: type,
        description: `Delivered to endpoints subscribed to \`${type}\` (or \`*\`), signed with the \`webhook-id\`, \`webhook-timestamp\`, \`webhook-signature\` (Standard Webhooks) and \`X-Parley-Signature\` headers; see docs/webhooks.md.${eventNotes[type] ? ` ${eventNotes[type]}` : ''}`,
        operationId: `on${type
          .split(/[._]/)
          .map((w) => w[0]!.toUpperCase() + w.slice(1))
          .join('')}`,
        // Parley signs each delivery; the receiver checks the signature, not a credential.
        security: [],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: envelope, example: exampleOf(envelope, 'response') } },
        },
        responses: {
          '200': {
            description:
              'Any 2xx within 10 seconds acknowledges the delivery; 410 disables the endpoint; anything else is retried.',
          },
        },
      },
    };
  }
  return out;
}
