import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { auditActor, audited, recordAudit } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { safeEqual } from '../crypto.ts';
import { isStorageUnavailable } from '../db/database.ts';
import { ApiError, errorBody, type FieldError } from '../errors.ts';
import { consumeLimit, rateLimitHeaders } from '../limits.ts';
import { nulFields, wellFormedJson } from '../nul.ts';
import { authenticate, credentialFrom, requireScope } from './auth.ts';
import { knownKeysAt, suggestField, wellPrefixedUnknownId } from './field-hints.ts';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from './idempotency.ts';
import { refuseNul } from './nul-refusal.ts';
import { documentedErrorCodes } from './openapi.ts';
import { operationId } from './operation-ids.ts';
import { bodyForView, replayed } from './partial-view.ts';
import type { AnyRoute, Auth, RouteResult } from './route.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
    /** Body fields holding a NUL character (see platform/nul.ts), when any. */
    nulFields?: string[];
    /** The workspace the request authenticated as (for the access log line), once authenticated. */
    workspaceId?: string;
  }
}

/** JSON can only carry a NUL as this escape, so bodies without it need no walk. */
const NUL_ESCAPE = Buffer.from('\\u0000');

/** A JSON body that did not parse. */
export class InvalidJsonBody {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

export const malformedJson = (reason: string) =>
  new ApiError('validation_failed', `Malformed JSON body: ${reason}`, {
    errors: [{ field: 'body', message: 'is not valid JSON' }],
  });

/** Turns zod issues into the `errors` list: one entry per invalid field, with a plain message. */
export function fieldErrors(error: z.ZodError, prefix = '', schema?: z.ZodType): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  const push = (field: string, message: string) => {
    // One message per field: the first problem found is the one to fix.
    if (seen.has(field)) return;
    seen.add(field);
    out.push({ field, message });
  };
  for (const issue of error.issues) {
    const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || prefix || 'body';
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const hint = suggestField(key, known);
        push(
          field === 'body' ? key : `${field}.${key}`,
          hint ? `is not a known field: did you mean \`${hint}\`?` : 'is not a known field',
        );
      }
      continue;
    }
    push(field, plainMessage(issue));
  }
  return out;
}

const plural = (n: number | bigint, word: string) => `${n} ${word}${Number(n) === 1 ? '' : 's'}`;

/** Zod's default wording, said the way our docs say it; messages written by a schema are kept. */
function plainMessage(issue: z.core.$ZodIssue): string {
  const m = issue.message;
  switch (issue.code) {
    case 'invalid_type':
      if (/received undefined$/.test(m)) return 'is required';
      if (/received NaN$/.test(m)) return 'must be a number';
      return /^Invalid input/.test(m) ? `must be ${article(issue.expected)}` : m;
    case 'too_small':
    case 'too_big':
      return /^Too (small|big)/.test(m) ? sizeMessage(issue) : m;
    case 'invalid_value':
      return /^Invalid (option|input)/.test(m)
        ? `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
        : m;
    case 'invalid_format':
      return /^Invalid /.test(m) ? `must be a valid ${issue.format === 'regex' ? 'value' : issue.format}` : m;
    case 'invalid_key': {
      // A record's key that its key schema refused: say that schema's rule, not "Invalid key in record".
      const inner = (issue as { issues?: z.core.$ZodIssue[] }).issues?.[0];
      return inner ? `is not an allowed key: ${plainMessage(inner)}` : 'is not an allowed key';
    }
    case 'invalid_union':
      return (m === 'Invalid input' && unionMessage(issue)) || m.replace(/^Invalid input: /, '');
    default:
      return m.replace(/^Invalid input: /, '');
  }
}

const boundWords = {
  too_small: { inclusive: 'at least', exclusive: 'more than' },
  too_big: { inclusive: 'at most', exclusive: 'less than' },
};

/** A length, count or value out of its bounds: "must be at least 3 characters", "must have at most 2 items". */
function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
  const word = boundWords[issue.code][issue.inclusive !== false ? 'inclusive' : 'exclusive'];
  if (issue.origin === 'string') return `must be ${word} ${plural(bound, 'character')}`;
  if (issue.origin === 'array' || issue.origin === 'set') return `must have ${word} ${plural(bound, 'item')}`;
  return `must be ${word} ${bound}`;
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

/** A JSON type as a user writes it: zod's `record` and `object` are both a JSON object. */
const article = (type: string) => {
  const t = type === 'record' ? 'object' : type;
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
};

/**
 * A value that fit none of a union's shapes: when each shape refused only its type, the types it
 * could have been ("must be a string, a number or a boolean"), else zod's own first message.
 */
function unionMessage(issue: z.core.$ZodIssue & { errors?: z.core.$ZodIssue[][] }): string | null {
  const types: string[] = [];
  for (const branch of issue.errors ?? []) {
    const first = branch[0];
    if (branch.length !== 1 || first?.code !== 'invalid_type' || first.path.length) return null;
    const t = article(first.expected);
    if (!types.includes(t)) types.push(t);
  }
  if (!types.length) return null;
  return `must be ${types.length === 1 ? types[0] : `${types.slice(0, -1).join(', ')} or ${types.at(-1)}`}`;
}

function parseOrThrow<T>(
  schema: z.ZodType<T> | undefined,
  value: unknown,
  where: 'path' | 'query' | 'body',
  notFoundOk = true,
): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const unknownIds = result.error.issues.map((issue) => wellPrefixedUnknownId(issue, value));
  if ((where === 'path' || notFoundOk) && unknownIds.every(Boolean)) {
    const fields = result.error.issues.map((issue, i) => `${issue.path.join('.') || 'id'} ${unknownIds[i]}`);
    throw new ApiError('not_found', `Not found: ${fields.join(', ')} does not exist`);
  }
  const errors = fieldErrors(result.error, '', schema);
  const summary = errors
    .slice(0, 3)
    .map((e) => `${e.field}: ${e.message}`)
    .join('; ');
  throw new ApiError(
    where === 'path' ? 'not_found' : 'validation_failed',
    where === 'path' ? `Not found: ${summary}` : summary,
    {
      errors: where === 'path' ? undefined : errors,
    },
  );
}

function mediaType(request: FastifyRequest): string | undefined {
  const ct = request.headers['content-type'];
  return ct ? ct.split(';')[0].trim().toLowerCase() : undefined;
}

/** The request id lives on the request; the error handler and every reply carry it. */
export const requestIdOf = (request: FastifyRequest) => request.id as string;

export function sendError(reply: FastifyReply, err: ApiError) {
  if (err.headers) reply.headers(err.headers);
  return reply.code(err.status).send(errorBody(err.code, err.message, requestIdOf(reply.request), err));
}

/** Installs the parsers, the one error handler and the not-found handler. */
export function installPlumbing(app: FastifyInstance, ctx: AppContext) {
  app.removeAllContentTypeParsers();
  const keepRaw = (request: FastifyRequest, body: Buffer) => {
    request.rawBody = body;
  };
  app.addContentTypeParser(
    ['application/json', 'application/merge-patch+json'],
    { parseAs: 'buffer' },
    (request, body, done) => {
      const buf = body as Buffer;
      keepRaw(request, buf);
      if (buf.length === 0) return done(null, undefined);
      try {
        const text = buf.toString('utf8');
        const value = wellFormedJson(JSON.parse(text), text);
        if (buf.includes(NUL_ESCAPE)) {
          const fields = nulFields(value);
          if (fields.length) request.nulFields = fields;
        }
        done(null, value);
      } catch (e) {
        // Not refused here: a provider webhook must verify its signature before any parse error
        // is reported. Routes with a body schema refuse it as `validation_failed`.
        done(null, new InvalidJsonBody((e as Error).message));
      }
    },
  );
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (request, body, done) => {
      const buf = body as Buffer;
      keepRaw(request, buf);
      const value = Object.fromEntries(new URLSearchParams(buf.toString('utf8')));
      const fields = nulFields(value);
      if (fields.length) request.nulFields = fields;
      done(null, value);
    },
  );
  app.addContentTypeParser(
    ['text/csv', 'text/plain', 'application/csv', 'application/webhook+json', 'application/scim+json'],
    { parseAs: 'buffer' },
    (request, body, done) => {
      const buf = body as Buffer;
      keepRaw(request, buf);
      done(null, buf);
    },
  );
  app.addContentTypeParser(
    ['application/octet-stream', 'message/rfc822'],
    { parseAs: 'buffer' },
    (request, body, done) => {
      keepRaw(request, body as Buffer);
      done(null, body);
    },
  );

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) return sendError(reply, error);
    const fe = error as FastifyError;
    const mapped = mapFrameworkError(fe);
    if (mapped) return sendError(reply, mapped);
    if (isStorageUnavailable(error)) {
      request.log.warn({ err: (error as Error).message, reqId: request.id }, 'database unavailable');
      return sendError(
        reply,
        new ApiError('service_unavailable', 'The database is not reachable right now; retry shortly.', {
          headers: { 'Retry-After': '5' },
        }),
      );
    }
    request.log.error({ err: error, reqId: request.id }, 'unhandled error');
    return sendError(
      reply,
      new ApiError(
        'internal_error',
        'Something went wrong on our side. Quote the request_id if you contact support.',
      ),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new ApiError(
        'not_found',
        `No route ${request.method} ${request.url.split('?')[0]}. See /docs for the API.`,
      ),
    ),
  );
  void ctx;
}

function mapFrameworkError(e: FastifyError): ApiError | undefined {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'The request body is larger than this route accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'Unsupported Content-Type; send application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('validation_failed', 'The Content-Length header does not match the body.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('validation_failed', 'The JSON body is empty.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('validation_failed', 'Malformed JSON body.');
  }
  if (e.statusCode === 413) return new ApiError('payload_too_large', 'The request body is too large.');
  if (e.statusCode === 415) return new ApiError('unsupported_media_type', e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
    return new ApiError('validation_failed', e.message);
  return undefined;
}

function checkAdmin(ctx: AppContext, request: FastifyRequest) {
  // Without an admin token configured the admin route does not exist.
  if (!ctx.config.adminToken)
    throw new ApiError('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`);
  const given = credentialFrom(request.headers);
  if (!given || !safeEqual(given, ctx.config.adminToken))
    throw new ApiError('unauthorized', 'Invalid admin token.');
}

/** Registers one route with authentication, scope, rate limits, validation and idempotency. */
export function registerRoute(app: FastifyInstance, ctx: AppContext, route: AnyRoute) {
  const validateResponses = ctx.config.testing?.validateResponses === true;

  const documented = validateResponses ? documentedErrorCodes(route) : undefined;
  // An id with the right prefix that cannot exist is a 404 where the route may answer one.
  const answersNotFound = documentedErrorCodes(route).has('not_found');
  const auditable = audited(route);
  app.route({
    method: route.method,
    url: route.path,
    bodyLimit:
      typeof route.bodyLimit === 'function'
        ? route.bodyLimit(ctx.config)
        : (route.bodyLimit ?? ctx.config.bodyLimitBytes),
    // In tests, an error code the route's OpenAPI entry does not list fails the request, so the
    // documented statuses cannot drift from what the code answers.
    errorHandler: documented
      ? (error, request, reply) => {
          if (error instanceof ApiError && !documented.has(error.code)) {
            const msg = `${route.method} ${route.path} answered ${error.status} ${error.code}, which its OpenAPI entry does not list (add it to the route's errors)`;
            request.log.error({ err: error }, msg);
            return sendError(reply, new ApiError('internal_error', msg));
          }
          throw error;
        }
      : undefined,
    handler: async (request, reply) => {
      let auth: Auth = undefined as unknown as Auth;
      if (route.auth === 'admin') checkAdmin(ctx, request);
      if (route.auth === 'key') {
        auth = await authenticate(ctx, request.headers);
        request.workspaceId = auth.workspaceId;
      }
      if (!route.responseHeaders || !auth) return serve(request, reply, auth);
      try {
        return await serve(request, reply, auth);
      } catch (err) {
        // With the database down the headers cannot be worked out: answer the 503 at once.
        if (isStorageUnavailable(err)) throw err;
        await addResponseHeaders(route, ctx, auth, reply, err instanceof ApiError ? err.headers : undefined);
        throw err;
      }
    },
  });

  async function serve(request: FastifyRequest, reply: FastifyReply, auth: Auth) {
    if (route.auth === 'key') await admitKeyRequest(ctx, route, auth, reply);
    if (route.deprecated) reply.header('Deprecation', 'true');

    if (route.auth !== 'none') refuseNul(route, request);
    const input = pathAndQuery(route, request);
    if ('page' in input) return sendResult(route, ctx, auth, reply, input.page);
    const { params, query } = input;
    const body = parsedBody(route, request, answersNotFound);

    const idempotencyKey = idempotencyKeyOf(route, request);
    if (idempotencyKey !== undefined) {
      const claim = await claimIdempotencyKey(ctx, auth, idempotencyKey, requestFingerprint(route, request));
      if (claim.kind === 'replay') {
        reply.header('Idempotent-Replayed', 'true');
        // The stored answer is replayed; headers that say the current state are current.
        await addResponseHeaders(route, ctx, auth, reply, undefined);
        return reply.code(claim.response.status).send(replayed(auth, claim.response.body));
      }
    }

    let result: RouteResult;
    try {
      result = await route.handler({
        ctx,
        params,
        query,
        body,
        auth,
        requestId: requestIdOf(request),
        rawBody: request.rawBody,
        request,
        reply,
      } as never);
    } catch (err) {
      // A refused request (4xx from the service's own checks) or a failure does not hold its
      // key: the caller may correct the request and retry with the same key, as at Stripe.
      // Nothing was written: a refusal rolls its transaction back.
      if (idempotencyKey !== undefined) await releaseIdempotencyKey(ctx, auth, idempotencyKey);
      throw err;
    }
    if ('hijacked' in result) return reply;

    await afterHandler(ctx, route, auth, request, params, result, { validateResponses, auditable });
    if (idempotencyKey !== undefined) {
      await completeIdempotencyKey(ctx, auth, idempotencyKey, {
        status: result.status,
        body: result.body ?? null,
      });
    }
    return sendResult(route, ctx, auth, reply, result);
  }
}

/**
 * The request's path parameters and query, checked; a malformed link opened in a browser gets the
 * route's page for it instead of the error, where the route has one (`invalidPage`).
 */
function pathAndQuery(
  route: AnyRoute,
  request: FastifyRequest,
): { params: unknown; query: unknown } | { page: Exclude<RouteResult, { hijacked: true }> } {
  try {
    return {
      params: parseOrThrow(route.params, request.params, 'path'),
      query: parseOrThrow(route.query, request.query ?? {}, 'query', false),
    };
  } catch (err) {
    const page = err instanceof ApiError ? route.invalidPage?.(request, err) : undefined;
    if (!page || 'hijacked' in page) throw err;
    return { page };
  }
}

/** A handler's answer sent: its status, headers and type, the route's response headers, its body. */
async function sendResult(
  route: AnyRoute,
  ctx: AppContext,
  auth: Auth,
  reply: FastifyReply,
  result: Exclude<RouteResult, { hijacked: true }>,
) {
  if (result.headers) reply.headers(result.headers);
  if (result.contentType) reply.type(result.contentType);
  reply.code(result.status);
  await addResponseHeaders(route, ctx, auth, reply, reply.getHeaders());
  if (result.body === undefined) return reply.send();
  if (!auth?.view) return reply.send(result.body);
  const type = String(reply.getHeader('content-type') ?? 'application/json');
  const reads = route.method === 'GET' || String(route.scope).endsWith(':read');
  return reply.send(await bodyForView(ctx, reads, auth, result.body, type, reply.request.url));
}

/** A keyed request counts against its key's limits (per minute, then per day); the key must have the route's scope. */
async function admitKeyRequest(ctx: AppContext, route: AnyRoute, auth: Auth, reply: FastifyReply) {
  const now = ctx.clock.now().getTime();
  const minute = await consumeLimit(
    ctx.rateLimits,
    auth.principalId,
    'requests_per_minute',
    auth.limits,
    1,
    now,
  );
  if (minute) reply.headers(rateLimitHeaders(minute));
  await consumeLimit(ctx.rateLimits, auth.principalId, 'requests_per_day', auth.limits, 1, now);
  if (route.scope) requireScope(auth, route.scope);
}

/**
 * The request's body, checked against the route's body schema (undefined for a route without
 * one): malformed JSON and a Content-Type the route does not accept are refused first.
 */
function parsedBody(route: AnyRoute, request: FastifyRequest, answersNotFound: boolean): unknown {
  if (!route.body) return undefined;
  if (request.body instanceof InvalidJsonBody) throw malformedJson(request.body.reason);
  const accepted = route.contentTypes ?? ['application/json'];
  const type = mediaType(request);
  const hasBody = request.body !== undefined && request.body !== null;
  // A form upload to a JSON route is refused whether or not its parts parsed into a body.
  if (type && !accepted.includes(type) && (hasBody || type === 'multipart/form-data')) {
    throw new ApiError(
      'unsupported_media_type',
      `Content-Type ${type} is not accepted here; send ${accepted.join(' or ')}.${route.mediaHint ? ` ${route.mediaHint}` : ''}`,
    );
  }
  // A body that is JSON `null` is no object: refused, never read as "no change" (an empty body is).
  if (request.body === null && request.rawBody !== undefined)
    throw new ApiError('validation_failed', 'The body is JSON null; send a JSON object.', {
      errors: [{ field: 'body', message: 'must be a JSON object, not null' }],
    });
  return parseOrThrow(route.body, request.body ?? {}, 'body', answersNotFound);
}

/** The Idempotency-Key of a POST with an API key (other requests have none). */
function idempotencyKeyOf(route: AnyRoute, request: FastifyRequest): string | undefined {
  if (route.method !== 'POST' || route.auth !== 'key') return undefined;
  const key = request.headers['idempotency-key'];
  return typeof key === 'string' ? key : undefined;
}

/**
 * What makes a retry the same request: method, URL and body (the same JSON with its keys in
 * another order is the same request; any other body as its bytes).
 */
function requestFingerprint(route: AnyRoute, request: FastifyRequest): string {
  const json =
    request.body !== null &&
    typeof request.body === 'object' &&
    !Buffer.isBuffer(request.body) &&
    !(request.body instanceof InvalidJsonBody);
  const payload = json ? canonicalJson(request.body) : (request.rawBody?.toString('utf8') ?? '');
  return `${route.method} ${request.url}\n${payload}`;
}

/**
 * Sets a route's `responseHeaders` on the reply unless `known` (the headers already set, or an
 * error's own) carries all of them. On an error path a failure to work them out (the database is
 * down) leaves them off rather than replacing the error being answered.
 */
async function addResponseHeaders(
  route: AnyRoute,
  ctx: AppContext,
  auth: Auth,
  reply: FastifyReply,
  known: Record<string, unknown> | undefined,
) {
  const spec = route.responseHeaders;
  if (!spec || !auth) return;
  const has = (name: string) =>
    known !== undefined && Object.keys(known).some((k) => k.toLowerCase() === name.toLowerCase());
  if (spec.names.every(has)) return;
  try {
    reply.headers(await spec.of(ctx, auth));
  } catch (err) {
    reply.log.warn({ err: (err as Error).message, route: route.path }, 'response headers not worked out');
  }
}

/** In tests, every response must match what the route documents, so the docs cannot drift. */
function checkResponse(route: AnyRoute, result: { status: number; body?: unknown; contentType?: string }) {
  if (!(result.status in route.responses)) {
    throw new Error(`${route.method} ${route.path} answered ${result.status}, which it does not document`);
  }
  const schema = route.responses[result.status];
  if (!schema) return;
  const parsed = schema.safeParse(result.body);
  if (!parsed.success) {
    throw new Error(
      `${route.method} ${route.path} answered a body that does not match its documented ${result.status} schema: ${JSON.stringify(parsed.error.issues.slice(0, 5))}`,
    );
  }
}

/** What follows a handler's answer: its check against the docs (tests) and the audit log. */
async function afterHandler(
  ctx: AppContext,
  route: AnyRoute,
  auth: Auth,
  request: FastifyRequest,
  params: unknown,
  result: Exclude<RouteResult, { hijacked: true }>,
  opts: { validateResponses: boolean; auditable: boolean },
) {
  if (opts.validateResponses) checkResponse(route, result);
  if (opts.auditable) await auditCall(ctx, route, auth, request, params, result);
}

/** A successful audited call, in the audit log: who, what (the operation), which object, from where. */
async function auditCall(
  ctx: AppContext,
  route: AnyRoute,
  auth: Auth,
  request: FastifyRequest,
  params: unknown,
  result: Exclude<RouteResult, { hijacked: true }>,
) {
  if (!auth || result.status >= 400) return;
  const body =
    'body' in result && result.body && typeof result.body === 'object'
      ? (result.body as Record<string, unknown>)
      : {};
  const p = (params ?? {}) as Record<string, unknown>;
  const objectId = typeof p.id === 'string' ? p.id : typeof body.id === 'string' ? body.id : null;
  await recordAudit(ctx.db, {
    workspaceId: auth.workspaceId,
    livemode: auth.livemode,
    actor: auditActor(auth),
    action: operationId(route),
    objectType: typeof body.object === 'string' ? body.object : null,
    objectId,
    ip: request.ip,
    details: { method: route.method, path: request.url.split('?')[0], status: result.status },
    at: ctx.clock.now().toISOString(),
  });
}
