/**
 * Type machinery over the generated `paths` (schema.d.ts): every route's path params, query,
 * body and success response come from the OpenAPI document, so a regenerated schema is all a
 * new route needs.
 */
import type { components, paths, webhooks } from './schema.d.ts';

export type { components, paths };
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

type Defined<T> = Exclude<T, undefined>;
type IfNever<T, Yes, No> = [T] extends [never] ? Yes : No;

/** Paths that answer the given method. */
export type PathsWith<M extends HttpMethod> = {
  [P in keyof paths]: IfNever<Defined<paths[P][M]>, never, P>;
}[keyof paths];

export type Operation<P extends keyof paths, M extends HttpMethod> = Defined<paths[P][M]>;

type ParamsOf<O> = O extends { parameters: infer X } ? X : never;
export type PathParamsOf<O> =
  ParamsOf<O> extends { path: infer X } ? IfNever<Defined<X>, never, Defined<X>> : never;
export type QueryOf<O> = ParamsOf<O> extends { query?: infer Q } ? Defined<Q> : never;
export type BodyOf<O> = O extends { requestBody?: infer R }
  ? IfNever<Defined<R>, never, Defined<R> extends { content: { 'application/json': infer B } } ? B : never>
  : never;

type SuccessStatus = 200 | 201 | 202 | 204;
type ResponsesOf<O> = O extends { responses: infer R } ? R : never;
/** The JSON body of the operation's success responses (undefined for a body-less one). */
export type ResultOf<O> = {
  [S in keyof ResponsesOf<O>]: S extends SuccessStatus
    ? ResponsesOf<O>[S] extends { content: { 'application/json': infer B } }
      ? B
      : undefined
    : never;
}[keyof ResponsesOf<O>];

export interface CommonOptions {
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** For POSTs: defaults to a random UUID per call, reused across its retries. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export type RequestOptions<O> = CommonOptions &
  IfNever<PathParamsOf<O>, { params?: undefined }, { params: PathParamsOf<O> }> &
  IfNever<
    QueryOf<O>,
    { query?: undefined },
    object extends QueryOf<O> ? { query?: QueryOf<O> } : { query: QueryOf<O> }
  > &
  IfNever<BodyOf<O>, { body?: undefined }, { body: BodyOf<O> }>;

/** The options argument is optional when nothing in it is required. */
export type OptionsArg<O> =
  object extends RequestOptions<O> ? [options?: RequestOptions<O>] : [options: RequestOptions<O>];

/** GET paths whose success body is a page: `{data: [...], meta: {...}}`. */
export type ListPaths = {
  [P in PathsWith<'get'>]: ResultOf<Operation<P, 'get'>> extends { data: unknown[]; meta: unknown }
    ? P
    : never;
}[PathsWith<'get'>];
export type ItemOf<P extends ListPaths> =
  ResultOf<Operation<P, 'get'>> extends { data: Array<infer T> } ? T : never;

/**
 * For the resource helpers: the typed operation when the route is in the generated schema, the
 * fallback while it is not (a route still being built), so regeneration alone tightens them.
 */
type At<P extends string, M extends HttpMethod> = P extends keyof paths
  ? IfNever<Defined<paths[P][M]>, undefined, Operation<P, M>>
  : undefined;
export type BodyAt<P extends string, M extends HttpMethod, F = Record<string, unknown>> =
  At<P, M> extends undefined ? F : BodyOf<At<P, M>>;
export type QueryAt<
  P extends string,
  M extends HttpMethod,
  F = Record<string, string | number | boolean | undefined>,
> = At<P, M> extends undefined ? F : IfNever<QueryOf<At<P, M>>, never, QueryOf<At<P, M>>>;
export type ResultAt<P extends string, M extends HttpMethod, F = any> =
  At<P, M> extends undefined ? F : ResultOf<At<P, M>>;

export type ApiErrorCode = components['schemas']['Error']['error']['code'];

/** Every event type Parley delivers (webhooks and the live stream). */
export type EventType = keyof webhooks;

/**
 * The payload of one event type, as webhooks deliver it and the stream yields it, with `data`
 * typed as the object it is about (`EventOf<'message.received'>['data']` is a message).
 */
export type EventOf<T extends EventType> = webhooks[T]['post'] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : never;

/** Any event: narrow it on `event`, e.g. `if (e.event === 'lead.captured') e.data.phone`. */
export type WebhookEvent = { [T in EventType]: EventOf<T> }[EventType];
