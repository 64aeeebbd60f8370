import { errorFromResponse, ParleyError } from './errors.ts';
import { type LiveEvents, type LiveOptions, liveEvents } from './live.ts';
import { reportsOf } from './reports.ts';
import { parseSse, type SseMessage } from './sse.ts';
import { automations, cannedResponses, csat, macros } from './teamtools.ts';
import { secrets, tools } from './tools.ts';
import type {
  BodyAt,
  CommonOptions,
  HttpMethod,
  ItemOf,
  ListPaths,
  Operation,
  OptionsArg,
  PathsWith,
  QueryAt,
  ResultAt,
  ResultOf,
} from './types.ts';

export const SDK_VERSION = '0.1.0';
export const DEFAULT_BASE_URL = 'http://localhost:3000';

export interface ParleyOptions {
  /**
   * `prl_live_...` or `prl_test_...`; the mode of the key picks the world (live or test). Or a
   * function read on every request, for a credential that changes (a signed-in user's session
   * token in a browser); when it answers nothing, the request goes without `Authorization`.
   */
  apiKey?: string | (() => string | null | undefined);
  /** Where Parley runs; default http://localhost:3000. */
  baseUrl?: string;
  /** Retries of a 429/503 (honouring `Retry-After`); default 2. */
  maxRetries?: number;
  /** A `Retry-After` longer than this (seconds) is not waited out: the error surfaces at once. Default 60. */
  maxRetryWaitSeconds?: number;
  /** Per attempt, until the response headers arrive; default 30 s; 0 waits as long as it takes. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * Default `parley-sdk-node/<version>`, but none in a browser (which owns that header; a
   * cross-origin request with it would need a preflight). `null`: never sent.
   */
  userAgent?: string | null;
  /**
   * Whether POSTs without an `idempotencyKey` get a random one (default true), so a retried POST
   * is never done twice. A client that never retries (`maxRetries: 0`) may turn it off.
   */
  autoIdempotencyKey?: boolean;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Headers;
  requestId: string | undefined;
}

export interface RawOptions extends CommonOptions {
  params?: Record<string, string | number>;
  query?: Record<string, unknown>;
  body?: unknown;
}

/** The event envelope of the event stream and of webhook deliveries (SPEC section 3). */
export interface ParleyEvent {
  id: string;
  event: string;
  timestamp: string;
  api_version: string;
  workspace_id: string;
  livemode: boolean;
  actor: { type: string; id?: string | null };
  data: Record<string, any>;
}

export interface StreamOptions {
  /** Only these event types (client-side filter; `*` or empty means all). */
  types?: string[];
  /** Resume after this event (`Last-Event-ID`). */
  lastEventId?: string;
  query?: Record<string, unknown>;
  signal?: AbortSignal;
  /** Called once the server has accepted the stream (before the first event). */
  onOpen?: () => void;
}

type Page<T> = {
  data: T[];
  meta: { total: number; page: number; per_page: number; total_pages: number; has_more?: boolean };
};

/**
 * The Parley API client. `request`/`get`/`post`/... are typed from the generated OpenAPI schema;
 * the resource helpers (`messages.send`, `conversations.list`, ...) are thin, typed shortcuts.
 */
export class Parley {
  readonly baseUrl: string;
  readonly #apiKey: ParleyOptions['apiKey'];
  readonly #fetch: typeof fetch;
  readonly #maxRetries: number;
  readonly #maxRetryWait: number;
  readonly #timeoutMs: number;
  readonly #userAgent: string | null;
  readonly #autoIdempotencyKey: boolean;

  constructor(opts: ParleyOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.#apiKey = opts.apiKey;
    // Bound: a browser's fetch called as a method of the client throws "Illegal invocation".
    this.#fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.#maxRetries = opts.maxRetries ?? 2;
    this.#maxRetryWait = opts.maxRetryWaitSeconds ?? 60;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#userAgent =
      opts.userAgent === undefined
        ? 'document' in globalThis
          ? null
          : `parley-sdk-node/${SDK_VERSION}`
        : opts.userAgent;
    this.#autoIdempotencyKey = opts.autoIdempotencyKey ?? true;
  }

  /** Calls any route of the API, typed by its method and path template. */
  async request<M extends HttpMethod, P extends PathsWith<M>>(
    method: M,
    path: P,
    ...[options]: OptionsArg<Operation<P, M>>
  ): Promise<ResultOf<Operation<P, M>>> {
    const res = await this.raw(method, path, options as RawOptions | undefined);
    return res.data as ResultOf<Operation<P, M>>;
  }

  get<P extends PathsWith<'get'>>(path: P, ...options: OptionsArg<Operation<P, 'get'>>) {
    return this.request('get', path, ...options);
  }
  post<P extends PathsWith<'post'>>(path: P, ...options: OptionsArg<Operation<P, 'post'>>) {
    return this.request('post', path, ...options);
  }
  put<P extends PathsWith<'put'>>(path: P, ...options: OptionsArg<Operation<P, 'put'>>) {
    return this.request('put', path, ...options);
  }
  patch<P extends PathsWith<'patch'>>(path: P, ...options: OptionsArg<Operation<P, 'patch'>>) {
    return this.request('patch', path, ...options);
  }
  delete<P extends PathsWith<'delete'>>(path: P, ...options: OptionsArg<Operation<P, 'delete'>>) {
    return this.request('delete', path, ...options);
  }

  /** Every item of a list route, page after page: `for await (const c of client.paginate('/v1/contacts'))`. */
  paginate<P extends ListPaths>(
    path: P,
    options: {
      params?: Record<string, string>;
      query?: Record<string, unknown>;
      perPage?: number;
      signal?: AbortSignal;
    } = {},
  ): AsyncGenerator<ItemOf<P>> {
    return this.pages(path, options) as AsyncGenerator<ItemOf<P>>;
  }

  /** `paginate` for any path (untyped), e.g. a route newer than this SDK's schema. */
  async *pages(
    path: string,
    options: {
      params?: Record<string, string>;
      query?: Record<string, unknown>;
      perPage?: number;
      signal?: AbortSignal;
    },
  ): AsyncGenerator<unknown> {
    const perPage = options.perPage ?? 100;
    // By cursor (`starting_after` the last item read), so items created or deleted while the list
    // is read neither repeat nor go missing; by page number from a given page, or when the server
    // answers no `has_more` (a version before cursors).
    let page = Number(options.query?.page ?? 1);
    let cursor = page > 1 ? undefined : (options.query?.starting_after as string | undefined);
    let byPage = page > 1;
    for (;;) {
      const { data } = await this.raw<Page<unknown>>('get', path, {
        params: options.params,
        query: {
          ...options.query,
          page: byPage ? page : undefined,
          starting_after: byPage ? undefined : cursor,
          per_page: perPage,
          limit: undefined,
        },
        signal: options.signal,
      });
      yield* data.data;
      if (data.data.length === 0) return;
      if (!byPage && data.meta.has_more === undefined) byPage = true;
      if (byPage) {
        if (page >= data.meta.total_pages) return;
        page++;
        continue;
      }
      const last = data.data.at(-1) as { id?: unknown };
      if (!data.meta.has_more || typeof last?.id !== 'string') return;
      cursor = last.id;
    }
  }

  /**
   * The untyped core: any method and path (with `{param}` placeholders), returning the parsed
   * body and the response. 429/503 are retried after `Retry-After`, with the same idempotency key.
   */
  async raw<T = unknown>(
    method: HttpMethod,
    path: string,
    options: RawOptions = {},
  ): Promise<ApiResponse<T>> {
    const url = this.url(path, options.params, options.query);
    const headers = this.#headers(options.headers);
    if (method === 'post' && (options.idempotencyKey || this.#autoIdempotencyKey))
      headers['idempotency-key'] = options.idempotencyKey ?? globalThis.crypto.randomUUID();
    let body: RequestInit['body'];
    if (isRawBody(options.body)) {
      // A form (a file upload) or bytes go as they are: fetch sets the multipart boundary.
      body = options.body;
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    for (let attempt = 0; ; attempt++) {
      const res = await this.#fetchWithTimeout(
        url,
        { method: method.toUpperCase(), headers, body },
        options.signal,
      );
      const text = await res.text();
      const parsed = parseBody(res, text);
      if (res.ok) {
        if (parsed === NOT_JSON && text.length) {
          throw new ParleyError({
            code: 'unexpected_response',
            message: `${url} answered with ${res.headers.get('content-type') ?? 'no content type'}, not JSON; is the base URL a Parley server?`,
            status: res.status,
          });
        }
        return {
          data: (parsed === NOT_JSON ? undefined : parsed) as T,
          status: res.status,
          headers: res.headers,
          requestId: res.headers.get('x-request-id') ?? undefined,
        };
      }
      const err = errorFromResponse(res.status, res.headers, parsed === NOT_JSON ? null : parsed, url);
      const retryable = (res.status === 429 && err.code !== 'concurrency_limited') || res.status === 503;
      const wait = err.retryAfter ?? 2 ** attempt / 2;
      if (!retryable || attempt >= this.#maxRetries || wait > this.#maxRetryWait) throw err;
      await sleep(wait * 1000, options.signal);
    }
  }

  /** A GET whose reply is not JSON (CSV exports): the body as a stream of bytes, read as it arrives. */
  async download(path: string, query?: Record<string, unknown>, signal?: AbortSignal) {
    const url = this.url(path, undefined, query);
    const res = await this.#fetchWithTimeout(
      url,
      { method: 'GET', headers: this.#headers({ accept: '*/*' }) },
      signal,
    );
    if (res.ok && res.body) return res.body;
    const text = await res.text();
    const parsed = parseBody(res, text);
    throw errorFromResponse(res.status, res.headers, parsed === NOT_JSON ? null : parsed, url);
  }

  /** Opens an SSE route and yields its messages until the server closes it or `signal` aborts. */
  async *stream(
    path: string,
    options: {
      query?: Record<string, unknown>;
      lastEventId?: string;
      signal?: AbortSignal;
      onOpen?: () => void;
      /**
       * Silence longer than this (not a byte, heartbeats included) breaks the stream as
       * `connection_failed`: a connection can die without closing. Default: none.
       */
      idleMs?: number;
    } = {},
  ): AsyncGenerator<SseMessage> {
    const url = this.url(path, undefined, options.query);
    const headers = this.#headers({ accept: 'text/event-stream' });
    if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
    const idle = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
    const res = await this.#fetchWithTimeout(url, { method: 'GET', headers }, signal);
    if (!res.ok) {
      const text = await res.text();
      const parsed = parseBody(res, text);
      throw errorFromResponse(res.status, res.headers, parsed === NOT_JSON ? null : parsed, url);
    }
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream') || !res.body) {
      await res.body?.cancel();
      throw new ParleyError({
        code: 'unexpected_response',
        message: `${url} did not answer with an event stream.`,
        status: res.status,
      });
    }
    options.onOpen?.();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idleMs = options.idleMs ?? 0;
    const arm = () => {
      clearTimeout(timer);
      if (idleMs > 0) {
        timer = setTimeout(() => idle.abort(new Error(`nothing arrived for ${idleMs} ms`)), idleMs);
      }
    };
    try {
      arm();
      yield* parseSse(res.body, arm);
    } catch (err) {
      if (options.signal?.aborted) return;
      const why = idle.signal.aborted ? (idle.signal.reason as Error) : (err as Error);
      throw new ParleyError({
        code: 'connection_failed',
        message: `The event stream from ${this.baseUrl} broke: ${why.message}`,
        status: 0,
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  url(path: string, params?: Record<string, string | number>, query?: Record<string, unknown>): string {
    const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const v = params?.[name];
      if (v === undefined || v === '') throw new TypeError(`Missing path parameter "${name}" for ${path}`);
      return encodeURIComponent(String(v));
    });
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null) continue;
      for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
    }
    const q = qs.toString();
    return `${this.baseUrl}${filled}${q ? `?${q}` : ''}`;
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#userAgent) headers['user-agent'] = this.#userAgent;
    const key = typeof this.#apiKey === 'function' ? this.#apiKey() : this.#apiKey;
    if (key) headers.authorization = `Bearer ${key}`;
    for (const [k, v] of Object.entries(extra)) headers[k.toLowerCase()] = v;
    return headers;
  }

  async #fetchWithTimeout(
    url: string,
    init: RequestInit,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const timeout = new AbortController();
    const timer = this.#timeoutMs > 0 ? setTimeout(() => timeout.abort(), this.#timeoutMs) : undefined;
    try {
      return await this.#fetch(url, {
        ...init,
        signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (timeout.signal.aborted) {
        throw new ParleyError({
          code: 'timeout',
          message: `${this.baseUrl} did not answer within ${this.#timeoutMs} ms.`,
          status: 0,
          cause: err,
        });
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new ParleyError({
        code: 'connection_failed',
        message: `Could not reach Parley at ${this.baseUrl} (${why}).`,
        status: 0,
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- Resource helpers: shortcuts over the typed routes. ----

  /** The workspace and key of this client. */
  me(options?: CommonOptions) {
    return this.#call<ResultAt<'/v1/me', 'get'>>('get', '/v1/me', options);
  }

  readonly messages = {
    /** Sends a message (`{to, type: 'text', text}`); answers `{id, status: 'queued', ...}`. */
    send: (body: BodyAt<'/v1/messages', 'post'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/messages', 'post'>>('post', '/v1/messages', { ...options, body }),
    get: (id: string, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/messages/{id}', 'get'>>('get', '/v1/messages/{id}', {
        ...options,
        params: { id },
      }),
  };

  readonly conversations = {
    list: (query?: QueryAt<'/v1/conversations', 'get'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/conversations', 'get'>>('get', '/v1/conversations', {
        ...options,
        query: query as Record<string, unknown>,
      }),
    /** Every conversation matching the filters, across pages. */
    iterate: (query?: QueryAt<'/v1/conversations', 'get'>, options?: { signal?: AbortSignal }) =>
      this.pages('/v1/conversations', {
        query: query as Record<string, unknown>,
        signal: options?.signal,
      }) as AsyncGenerator<PageItem<ResultAt<'/v1/conversations', 'get'>>>,
    get: (id: string, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/conversations/{id}', 'get'>>('get', '/v1/conversations/{id}', {
        ...options,
        params: { id },
      }),
    messages: (
      id: string,
      query?: QueryAt<'/v1/conversations/{id}/messages', 'get'>,
      options?: CommonOptions,
    ) =>
      this.#call<ResultAt<'/v1/conversations/{id}/messages', 'get'>>(
        'get',
        '/v1/conversations/{id}/messages',
        {
          ...options,
          params: { id },
          query: query as Record<string, unknown>,
        },
      ),
    /** Every message of the conversation, across pages. */
    iterateMessages: (id: string, options?: { signal?: AbortSignal }) =>
      this.pages('/v1/conversations/{id}/messages', {
        params: { id },
        signal: options?.signal,
      }) as AsyncGenerator<PageItem<ResultAt<'/v1/conversations/{id}/messages', 'get'>>>,
    /** Sends on the conversation's own channel (`{text}` or `{template}` ...). */
    reply: (id: string, body: BodyAt<'/v1/conversations/{id}/reply', 'post'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/conversations/{id}/reply', 'post'>>('post', '/v1/conversations/{id}/reply', {
        ...options,
        params: { id },
        body,
      }),
  };

  readonly cannedResponses = cannedResponses(this);
  readonly macros = macros(this);
  readonly automations = automations(this);
  readonly csat = csat(this);
  readonly tools = tools(this);
  readonly secrets = secrets(this);

  readonly contacts = {
    list: (query?: QueryAt<'/v1/contacts', 'get'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/contacts', 'get'>>('get', '/v1/contacts', {
        ...options,
        query: query as Record<string, unknown>,
      }),
    iterate: (query?: QueryAt<'/v1/contacts', 'get'>, options?: { signal?: AbortSignal }) =>
      this.pages('/v1/contacts', {
        query: query as Record<string, unknown>,
        signal: options?.signal,
      }) as AsyncGenerator<PageItem<ResultAt<'/v1/contacts', 'get'>>>,
    create: (body: BodyAt<'/v1/contacts', 'post'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/contacts', 'post'>>('post', '/v1/contacts', { ...options, body }),
    get: (id: string, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/contacts/{id}', 'get'>>('get', '/v1/contacts/{id}', {
        ...options,
        params: { id },
      }),
    update: (id: string, body: BodyAt<'/v1/contacts/{id}', 'patch'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/contacts/{id}', 'patch'>>('patch', '/v1/contacts/{id}', {
        ...options,
        params: { id },
        body,
      }),
    delete: (id: string, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/contacts/{id}', 'delete'>>('delete', '/v1/contacts/{id}', {
        ...options,
        params: { id },
      }),
  };

  readonly agents = {
    list: (query?: QueryAt<'/v1/agents', 'get'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/agents', 'get'>>('get', '/v1/agents', {
        ...options,
        query: query as Record<string, unknown>,
      }),
    get: (id: string, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/agents/{id}', 'get'>>('get', '/v1/agents/{id}', {
        ...options,
        params: { id },
      }),
  };

  /** Team operations: teams' queues, availability, the handoff policy and SLA policies. */
  readonly teams = {
    queue: (id: string, query?: QueryAt<'/v1/teams/{id}/queue', 'get'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/teams/{id}/queue', 'get'>>('get', '/v1/teams/{id}/queue', {
        ...options,
        params: { id },
        query: query as Record<string, unknown>,
      }),
    update: (id: string, body: BodyAt<'/v1/teams/{id}', 'patch'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/teams/{id}', 'patch'>>('patch', '/v1/teams/{id}', {
        ...options,
        params: { id },
        body,
      }),
  };

  readonly availability = {
    get: (options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/me/availability', 'get'>>('get', '/v1/me/availability', { ...options }),
    set: (body: BodyAt<'/v1/me/availability', 'put'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/me/availability', 'put'>>('put', '/v1/me/availability', { ...options, body }),
  };

  readonly handoffPolicy = {
    get: (options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/handoff-policy', 'get'>>('get', '/v1/handoff-policy', { ...options }),
    set: (body: BodyAt<'/v1/handoff-policy', 'put'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/handoff-policy', 'put'>>('put', '/v1/handoff-policy', { ...options, body }),
  };

  readonly slaPolicies = {
    list: (query?: QueryAt<'/v1/sla-policies', 'get'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/sla-policies', 'get'>>('get', '/v1/sla-policies', {
        ...options,
        query: query as Record<string, unknown>,
      }),
    create: (body: BodyAt<'/v1/sla-policies', 'post'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/sla-policies', 'post'>>('post', '/v1/sla-policies', { ...options, body }),
    get: (id: string, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/sla-policies/{id}', 'get'>>('get', '/v1/sla-policies/{id}', {
        ...options,
        params: { id },
      }),
    update: (id: string, body: BodyAt<'/v1/sla-policies/{id}', 'patch'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/sla-policies/{id}', 'patch'>>('patch', '/v1/sla-policies/{id}', {
        ...options,
        params: { id },
        body,
      }),
    delete: (id: string, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/sla-policies/{id}', 'delete'>>('delete', '/v1/sla-policies/{id}', {
        ...options,
        params: { id },
      }),
  };

  readonly knowledge = {
    list: (agentId: string, query?: QueryAt<'/v1/agents/{id}/knowledge', 'get'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/agents/{id}/knowledge', 'get'>>('get', '/v1/agents/{id}/knowledge', {
        ...options,
        params: { id: agentId },
        query: query as Record<string, unknown>,
      }),
    create: (agentId: string, body: BodyAt<'/v1/agents/{id}/knowledge', 'post'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/agents/{id}/knowledge', 'post'>>('post', '/v1/agents/{id}/knowledge', {
        ...options,
        params: { id: agentId },
        body,
      }),
    update: (
      agentId: string,
      docId: string,
      body: BodyAt<'/v1/agents/{id}/knowledge/{doc_id}', 'put'>,
      options?: CommonOptions,
    ) =>
      this.#call<ResultAt<'/v1/agents/{id}/knowledge/{doc_id}', 'put'>>(
        'put',
        '/v1/agents/{id}/knowledge/{doc_id}',
        {
          ...options,
          params: { id: agentId, doc_id: docId },
          body,
        },
      ),
    /**
     * Pushes a document by title: replaces the agent's document with the same title, or adds it.
     * Pushing the same file twice leaves one document.
     */
    push: async (
      agentId: string,
      doc: BodyAt<'/v1/agents/{id}/knowledge', 'post'> & { title: string },
      options?: CommonOptions,
    ): Promise<{ created: boolean; document: ResultAt<'/v1/agents/{id}/knowledge', 'post'> }> => {
      for await (const existing of this.pages('/v1/agents/{id}/knowledge', {
        params: { id: agentId },
        signal: options?.signal,
      })) {
        const e = existing as { id: string; title?: string };
        if (e.title === doc.title) {
          const document = await this.#call<any>('put', '/v1/agents/{id}/knowledge/{doc_id}', {
            ...options,
            params: { id: agentId, doc_id: e.id },
            body: doc,
          });
          return { created: false, document };
        }
      }
      const document = await this.#call<any>('post', '/v1/agents/{id}/knowledge', {
        ...options,
        params: { id: agentId },
        body: doc,
      });
      return { created: true, document };
    },
  };

  readonly webhooks = {
    list: (query?: QueryAt<'/v1/webhooks', 'get'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/webhooks', 'get'>>('get', '/v1/webhooks', {
        ...options,
        query: query as Record<string, unknown>,
      }),
    /** The answer carries the `whsec_...` secret, shown only this once. */
    create: (body: BodyAt<'/v1/webhooks', 'post'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/webhooks', 'post'>>('post', '/v1/webhooks', { ...options, body }),
    get: (id: string, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/webhooks/{id}', 'get'>>('get', '/v1/webhooks/{id}', {
        ...options,
        params: { id },
      }),
    update: (id: string, body: BodyAt<'/v1/webhooks/{id}', 'patch'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/webhooks/{id}', 'patch'>>('patch', '/v1/webhooks/{id}', {
        ...options,
        params: { id },
        body,
      }),
    delete: (id: string, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/webhooks/{id}', 'delete'>>('delete', '/v1/webhooks/{id}', {
        ...options,
        params: { id },
      }),
  };

  readonly sandbox = {
    /** Makes a customer message arrive as if from the provider (test keys only). */
    inbound: (body: BodyAt<'/v1/sandbox/inbound', 'post'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/sandbox/inbound', 'post'>>('post', '/v1/sandbox/inbound', {
        ...options,
        body,
      }),
  };

  /** Reports and CSV exports (docs/reports.md defines every figure). */
  readonly reports = reportsOf(this);

  readonly events = {
    list: (query?: QueryAt<'/v1/events', 'get'>, options?: CommonOptions) =>
      this.#call<ResultAt<'/v1/events', 'get'>>('get', '/v1/events', {
        ...options,
        query: query as Record<string, unknown>,
      }),
    /** Live events from `GET /v1/events/stream` (SSE) until the server closes it or `signal` aborts. */
    stream: (options: StreamOptions = {}) => this.#events(options),
    /**
     * Live events that keep coming: the stream reconnects with backoff and resumes where it broke
     * (`Last-Event-ID`) until `stop()` or a 401. For a screen that shows what happens as it happens.
     */
    live: (options: LiveOptions): LiveEvents =>
      liveEvents((o) => this.stream('/v1/events/stream', o), options),
  };

  async *#events(options: StreamOptions): AsyncGenerator<ParleyEvent> {
    const wanted = options.types?.filter((t) => t !== '*') ?? [];
    // Exact types are filtered by the server too; patterns such as `message.*` only here.
    const exact = wanted.length > 0 && wanted.every((t) => !t.includes('*'));
    const query = { ...options.query, ...(exact ? { type: wanted.join(',') } : {}) };
    for await (const msg of this.stream('/v1/events/stream', { ...options, query })) {
      let event: ParleyEvent;
      try {
        event = JSON.parse(msg.data) as ParleyEvent;
      } catch {
        continue; // not an event (e.g. a hello/ping message in plain text)
      }
      if (!event || typeof event.event !== 'string' || typeof event.id !== 'string') continue;
      if (wanted.length && !wanted.some((t) => matchesType(t, event.event))) continue;
      yield event;
    }
  }

  async #call<T>(method: HttpMethod, path: string, options?: RawOptions): Promise<T> {
    return (await this.raw<T>(method, path, options)).data;
  }
}

type PageItem<R> = R extends { data: Array<infer T> } ? T : any;

/** `message.*` matches every message event. */
function matchesType(pattern: string, type: string): boolean {
  return pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

/** Bodies sent as they are, not as JSON. */
function isRawBody(
  body: unknown,
): body is FormData | Blob | URLSearchParams | ArrayBuffer | Uint8Array<ArrayBuffer> {
  return (
    (typeof FormData !== 'undefined' && body instanceof FormData) ||
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    body instanceof Uint8Array
  );
}

const NOT_JSON = Symbol('not json');
function parseBody(res: Response, text: string): unknown {
  if (!text.length || !(res.headers.get('content-type') ?? '').includes('json')) return NOT_JSON;
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
