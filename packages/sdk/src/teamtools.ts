import type { Parley } from './client.ts';
import type { BodyAt, CommonOptions, QueryAt, ResultAt } from './types.ts';

type Call = <T>(
  method: 'get' | 'post' | 'patch' | 'put' | 'delete',
  path: string,
  options?: object,
) => Promise<T>;
const caller =
  (client: Parley): Call =>
  async (method, path, options) =>
    (await client.raw(method, path, options)).data as never;

/** `client.cannedResponses`: saved replies (`/v1/canned-responses`). */
export function cannedResponses(client: Parley) {
  const call = caller(client);
  const one = '/v1/canned-responses/{id}';
  return {
    list: (query?: QueryAt<'/v1/canned-responses', 'get'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/canned-responses', 'get'>>('get', '/v1/canned-responses', { ...options, query }),
    create: (body: BodyAt<'/v1/canned-responses', 'post'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/canned-responses', 'post'>>('post', '/v1/canned-responses', { ...options, body }),
    get: (id: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/canned-responses/{id}', 'get'>>('get', one, { ...options, params: { id } }),
    update: (id: string, body: BodyAt<'/v1/canned-responses/{id}', 'patch'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/canned-responses/{id}', 'patch'>>('patch', one, {
        ...options,
        params: { id },
        body,
      }),
    delete: (id: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/canned-responses/{id}', 'delete'>>('delete', one, { ...options, params: { id } }),
    /** Sends canned response `cannedId` in a conversation, filled in. */
    send: (conversationId: string, cannedId: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/conversations/{id}/reply', 'post'>>('post', '/v1/conversations/{id}/reply', {
        ...options,
        params: { id: conversationId },
        body: { canned_response_id: cannedId },
      }),
  };
}

/** `client.macros`: named action lists run on a conversation. */
export function macros(client: Parley) {
  const call = caller(client);
  const one = '/v1/macros/{id}';
  return {
    list: (query?: QueryAt<'/v1/macros', 'get'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/macros', 'get'>>('get', '/v1/macros', { ...options, query }),
    create: (body: BodyAt<'/v1/macros', 'post'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/macros', 'post'>>('post', '/v1/macros', { ...options, body }),
    get: (id: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/macros/{id}', 'get'>>('get', one, { ...options, params: { id } }),
    update: (id: string, body: BodyAt<'/v1/macros/{id}', 'patch'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/macros/{id}', 'patch'>>('patch', one, { ...options, params: { id }, body }),
    delete: (id: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/macros/{id}', 'delete'>>('delete', one, { ...options, params: { id } }),
    /** Runs a macro on a conversation: one result per action. */
    run: (conversationId: string, macroId: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/conversations/{id}/macros/{macro_id}', 'post'>>(
        'post',
        '/v1/conversations/{id}/macros/{macro_id}',
        { ...options, params: { id: conversationId, macro_id: macroId } },
      ),
  };
}

/** `client.automations`: event, conditions, actions. */
export function automations(client: Parley) {
  const call = caller(client);
  const one = '/v1/automations/{id}';
  return {
    list: (query?: QueryAt<'/v1/automations', 'get'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/automations', 'get'>>('get', '/v1/automations', { ...options, query }),
    create: (body: BodyAt<'/v1/automations', 'post'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/automations', 'post'>>('post', '/v1/automations', { ...options, body }),
    get: (id: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/automations/{id}', 'get'>>('get', one, { ...options, params: { id } }),
    update: (id: string, body: BodyAt<'/v1/automations/{id}', 'patch'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/automations/{id}', 'patch'>>('patch', one, { ...options, params: { id }, body }),
    delete: (id: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/automations/{id}', 'delete'>>('delete', one, { ...options, params: { id } }),
  };
}

/** `client.csat`: survey settings and answers. */
export function csat(client: Parley) {
  const call = caller(client);
  return {
    settings: (query?: QueryAt<'/v1/csat/settings', 'get'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/csat/settings', 'get'>>('get', '/v1/csat/settings', { ...options, query }),
    setSettings: (body: BodyAt<'/v1/csat/settings', 'put'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/csat/settings', 'put'>>('put', '/v1/csat/settings', { ...options, body }),
    answers: (query?: QueryAt<'/v1/csat', 'get'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/csat', 'get'>>('get', '/v1/csat', { ...options, query }),
  };
}
