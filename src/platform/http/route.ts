import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import type { ConversationView } from '../db/scope.ts';
import type { ApiError, ErrorCode } from '../errors.ts';
import type { Actor } from '../events.ts';
import type { PlanLimits } from '../limits.ts';

/** `OPTIONS` only for hidden routes that answer CORS preflights themselves (the website widget's). */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** Who is calling: resolved from an API key or an inbox session token. */
export interface Auth {
  workspaceId: string;
  workspaceName: string;
  livemode: boolean;
  /** The API key's id, or the session's user id. */
  principalId: string;
  kind: 'api_key' | 'user';
  /** The inbox session's id (users only). */
  sessionId?: string;
  /** The API key's visible prefix (API keys only). */
  keyPrefix?: string;
  scopes: string[];
  /** An inbox session's role's view, when it limits conversations or masks contact details. */
  view?: ConversationView;
  plan: string;
  limits: PlanLimits;
  defaultCountry: string;
  actor: Actor;
}

type AnyObject = z.ZodType<Record<string, unknown>>;

/**
 * One route: its schemas are the validator, the TypeScript types and the OpenAPI entry at once.
 * Handlers return `{ status, body }` or throw an ApiError; none formats its own error JSON.
 */
export interface RouteDef<
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
> {
  method: HttpMethod;
  /** Fastify path syntax: `/v1/contacts/:id`. */
  path: string;
  /** A short phrase for the docs: "Create a contact". */
  summary: string;
  description?: string;
  tags: string[];
  /**
   * `key`: an API key (or inbox session) is required; `admin`: the admin token;
   * `none`: public (provider webhooks verify their own signatures).
   */
  auth: 'key' | 'admin' | 'none';
  /** Scope the key needs, `resource:read` or `resource:write`. */
  scope?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Content types the body may have; default JSON. */
  contentTypes?: string[];
  /**
   * How a body of a content type other than JSON is documented (a CSV, a multipart form): its
   * OpenAPI schema and an example, by content type. Without it such a body is "a binary string".
   */
  otherBodies?: Record<string, { schema: Record<string, unknown>; example: unknown }>;
  /** Said after the 415 for another content type (e.g. where a file upload goes instead). */
  mediaHint?: string;
  /**
   * Body fields whose NUL characters the service judges itself (an import fails only the row that
   * has one); anywhere else in a key or admin route's body or query a NUL is a 400.
   */
  nulAllowedIn?: string[];
  /** Largest body for this route, when it differs from the configured default. */
  bodyLimit?: number | ((config: Config) => number);
  /**
   * How a non-JSON success body is documented (a file, a stream, a CSV, Prometheus text), by
   * status: `{ 'text/csv': { schema: {type: 'string'} } }`.
   */
  rawResponses?: Record<number, Record<string, { schema: Record<string, unknown>; example?: unknown }>>;
  /** Success responses by status. `null` for an empty or non-JSON body. */
  responses: Record<number, z.ZodType | null>;
  /** Error codes this route documents beyond those every authenticated route may answer. */
  errors?: ErrorCode[];
  /** Written to the audit log when it succeeds (besides the changes `audit.ts` audits by scope). */
  audit?: boolean;
  /** Excluded from the OpenAPI document (provider-facing routes document themselves elsewhere). */
  hidden?: boolean;
  /** Marks a deprecated route: it answers with a `Deprecation` header. */
  deprecated?: boolean;
  /**
   * Headers every response carries once the caller is known: success, error (from the handler,
   * validation, scope, rate limit) and idempotent replay. Worked out only when the handler's
   * result or error does not already carry all of `names` (a value it knew costs nothing more).
   */
  responseHeaders?: {
    names: string[];
    of: (ctx: AppContext, auth: Auth) => Promise<Record<string, string>>;
  };
  /**
   * What a link opened in a browser answers when its path or query is malformed (a score edited
   * by hand, a link cut by a mail client): a page instead of the JSON 400. Undefined: the 400.
   */
  invalidPage?: (request: FastifyRequest, err: ApiError) => RouteResult | undefined;
  handler: (req: RouteRequest<Out<P>, Out<Q>, Out<B>>) => Promise<RouteResult>;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteRequest<P, Q, B> {
  ctx: AppContext;
  params: P;
  query: Q;
  body: B;
  /** Set on `auth: 'key'` routes. */
  auth: Auth;
  requestId: string;
  /** The raw request body bytes, for signature checks. */
  rawBody: Buffer | undefined;
  request: FastifyRequest;
  reply: FastifyReply;
}

export type RouteResult =
  | { status: number; body?: unknown; headers?: Record<string, string>; contentType?: string }
  /** The handler wrote the reply itself (streams). */
  | { hijacked: true };

export type AnyRoute = RouteDef<any, any, any>;

export function defineRoute<
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(def: RouteDef<P, Q, B>): AnyRoute {
  return def as AnyRoute;
}

/**
 * What every provider webhook route declares (`...providerWebhook`): no API key, as its handler
 * checks the provider's own signature, and no place in the public API reference.
 */
export const providerWebhook = {
  tags: ['Provider webhooks'],
  auth: 'none',
  hidden: true,
} satisfies Partial<RouteDef>;

/**
 * A handler that answers 200 with what `answer` resolves to, for the many routes whose whole work is
 * one service call: `handler: ok(({ ctx, auth, params }) => getThing(ctx, auth, params.id))`.
 */
export function ok<P, Q, B>(
  answer: (req: RouteRequest<P, Q, B>) => Promise<unknown>,
): (req: RouteRequest<P, Q, B>) => Promise<RouteResult> {
  return async (req) => ({ status: 200, body: await answer(req) });
}

/**
 * A POST on one object (`:id` in the path) that takes no body and answers the object as `act`
 * left it: close, reopen, pause, resume and the like.
 */
export function actionRoute(def: {
  path: string;
  summary: string;
  description: string;
  tags: string[];
  scope: string;
  params: z.ZodType<{ id: string }>;
  response: z.ZodType;
  errors?: ErrorCode[];
  act: (ctx: AppContext, auth: Auth, id: string) => Promise<unknown>;
}): AnyRoute {
  const { act, response, ...rest } = def;
  return defineRoute({
    ...rest,
    method: 'POST',
    auth: 'key',
    responses: { 200: response },
    handler: ok(({ ctx, auth, params }) => act(ctx, auth, params.id)),
  });
}
