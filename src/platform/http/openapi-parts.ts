import type { AnyRoute } from './route.ts';

type Json = Record<string, unknown>;

/**
 * The response headers Parley sends, as OpenAPI components (`#/components/headers/...`). Which
 * response carries which is decided in `responseHeadersOf` from what the server does
 * (src/app.ts, register.ts, limits.ts, idempotency.ts, voice/calls.*).
 */
export const headerComponents: Record<string, Json> = {
  RequestId: {
    description:
      'The id of this request (also `error.request_id` in an error); quote it when asking for help.',
    schema: { type: 'string', examples: ['req_01JD5Z8Q4X3N2M1K0H9G8F7E6D'] },
  },
  RateLimitLimit: {
    description:
      "Requests per minute this key's plan allows (on a 429, the limit that was reached). Absent when the plan sets no per-minute limit.",
    schema: { type: 'integer', examples: [600] },
  },
  RateLimitRemaining: {
    description: 'Requests left in the current window.',
    schema: { type: 'integer', examples: [599] },
  },
  RateLimitReset: {
    description: 'When the current window ends (Unix time, seconds).',
    schema: { type: 'integer', examples: [1778401440] },
  },
  RetryAfter: {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', examples: [30] },
  },
  ConcurrencyLimit: {
    description: "The workspace's concurrent-call limit for this mode (`unlimited` when there is none).",
    schema: { type: 'string', examples: ['10'] },
  },
  ConcurrencyRemaining: {
    description: 'Calls that can still be placed now (`unlimited` when there is no limit).',
    schema: { type: 'string', examples: ['7'] },
  },
  IdempotentReplayed: {
    description:
      '`true` when this answer is the stored answer to an earlier request with the same `Idempotency-Key` (nothing was done again).',
    schema: { type: 'string', enum: ['true'] },
  },
  Location: {
    description: 'Where the resource is.',
    schema: { type: 'string', examples: ['https://cdn.example.com/menu.pdf'] },
  },
};

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** The headers a response of `route` with `status` carries. */
export function responseHeadersOf(route: AnyRoute, status: number): Json {
  const out: Json = { 'X-Request-Id': ref('RequestId') };
  if (route.auth === 'key') {
    out['X-RateLimit-Limit'] = ref('RateLimitLimit');
    out['X-RateLimit-Remaining'] = ref('RateLimitRemaining');
    out['X-RateLimit-Reset'] = ref('RateLimitReset');
  }
  for (const name of route.responseHeaders?.names ?? []) {
    const component = name.replace(/^X-/, '').replace(/-/g, '');
    if (headerComponents[component]) out[name] = ref(component);
  }
  // 429 (a rate or concurrency limit), 503 (a dependency down), 409 (an idempotent request still
  // running), 423 (a locked sign-in).
  if ([409, 423, 429, 503].includes(status)) out['Retry-After'] = ref('RetryAfter');
  if (status < 300 && route.method === 'POST' && route.auth === 'key')
    out['Idempotent-Replayed'] = ref('IdempotentReplayed');
  if (status === 302) out.Location = ref('Location');
  return out;
}

const pascal = (s: string) =>
  s
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/**
 * Names the object schemas (`Contact`, `Conversation`, `Call`, ...): each is moved to
 * `components.schemas` and every identical copy in the document (a response, a list's items, an
 * embedded object, an event's data) becomes a `$ref` to it, so generated clients get named types.
 */
export function nameObjectSchemas(doc: Json, objectSchemas: Map<string, Json>): Record<string, Json> {
  const named: Record<string, Json> = {};
  const byText = new Map<string, string>();
  for (const [object, schema] of [...objectSchemas].sort(([a], [b]) => a.localeCompare(b))) {
    const name = pascal(object);
    named[name] = schema;
    byText.set(JSON.stringify(schema), name);
  }
  const replace = (node: unknown, top: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => replace(n, false));
    if (!node || typeof node !== 'object') return node;
    const name = top ? undefined : byText.get(JSON.stringify(node));
    if (name) return { $ref: `#/components/schemas/${name}` };
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = replace(v, false);
    return out;
  };
  for (const key of ['paths', 'webhooks'] as const) doc[key] = replace(doc[key], false);
  // A named schema's own fields may hold another named object (a conversation's contact).
  for (const [name, schema] of Object.entries(named)) named[name] = replace(schema, true) as Json;
  return named;
}
