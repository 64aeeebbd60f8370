import { z } from 'zod';
import { errorCodes } from '../errors.ts';
import { eventTypes } from '../events.ts';
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
  return out;
};

/** `/v1/contacts/:id` → `/v1/contacts/{id}` */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');

const commonKeyErrors = ['unauthorized', 'forbidden', 'rate_limited'] as const;

/** The OpenAPI 3.1 document, generated from the same schemas that validate requests. */
export function buildOpenApi(routes: AnyRoute[], info: { version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    if (route.hidden) continue;
    const path = openApiPath(route.path);
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

    const responses: Record<string, Json> = {};
    for (const [status, schema] of Object.entries(route.responses)) {
      responses[status] = schema
        ? { description: 'Success.', content: { 'application/json': { schema: toSchema(schema, 'output') } } }
        : { description: 'Success.' };
    }
    const codes = new Set<string>([
      ...(route.auth === 'key' ? commonKeyErrors : []),
      ...(route.errors ?? []),
    ]);
    if (route.params) codes.add('not_found');
    if (route.body || route.query) codes.add('validation_failed');
    const byStatus = new Map<number, string[]>();
    for (const code of codes) {
      const status = errorCodes[code as keyof typeof errorCodes].status;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      responses[String(status)] = {
        description: `Error: ${list.map((c) => `\`${c}\``).join(', ')}.`,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }

    const operation: Json = {
      operationId: operationId(route),
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      ...(route.deprecated ? { deprecated: true } : {}),
      security:
        route.auth === 'key'
          ? [{ bearerAuth: [] }, { apiKeyHeader: [] }]
          : route.auth === 'admin'
            ? [{ adminToken: [] }]
            : [],
      ...(route.scope ? { 'x-scope': route.scope } : {}),
      ...(parameters.length ? { parameters } : {}),
      responses,
    };
    if (route.body) {
      const content: Json = {};
      for (const type of route.contentTypes ?? ['application/json']) {
        content[type] =
          type === 'application/json'
            ? { schema: toSchema(route.body, 'input') }
            : { schema: { type: 'string', format: 'binary' } };
      }
      operation.requestBody = { required: true, content };
    }
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation;
  }

  return {
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
      schemas: { Error: toSchema(errorResponse, 'output') },
    },
    'x-error-codes': Object.fromEntries(
      Object.entries(errorCodes).map(([code, v]) => [code, { status: v.status, description: v.doc }]),
    ),
    'x-event-types': [...eventTypes],
  };
}

function operationId(route: AnyRoute): string {
  const parts = route.path
    .replace(/^\/v1\//, '')
    .split('/')
    .filter(Boolean)
    .map((p) => (p.startsWith(':') ? `by_${p.slice(1)}` : p.replace(/-/g, '_')));
  return `${route.method.toLowerCase()}_${parts.join('_')}`;
}
