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

/**
 * `client.tools`: requests to the business's own systems that agents make (docs/tools.md), their
 * secrets, the workspace's tool key and the recorded calls. Verify a tool request on your side
 * with `verifyWebhook(toolKey, headers, rawBody)`.
 */
export function tools(client: Parley) {
  const call = caller(client);
  const one = '/v1/tools/{id}';
  return {
    list: (query?: QueryAt<'/v1/tools', 'get'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/tools', 'get'>>('get', '/v1/tools', { ...options, query }),
    create: (body: BodyAt<'/v1/tools', 'post'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/tools', 'post'>>('post', '/v1/tools', { ...options, body }),
    get: (id: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/tools/{id}', 'get'>>('get', one, { ...options, params: { id } }),
    update: (id: string, body: BodyAt<'/v1/tools/{id}', 'patch'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/tools/{id}', 'patch'>>('patch', one, { ...options, params: { id }, body }),
    delete: (id: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/tools/{id}', 'delete'>>('delete', one, { ...options, params: { id } }),
    /** One run: the rendered request (secrets masked), the response and the mapped result. */
    test: (id: string, body: BodyAt<'/v1/tools/{id}/test', 'post'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/tools/{id}/test', 'post'>>('post', '/v1/tools/{id}/test', {
        ...options,
        params: { id },
        body,
      }),
    /** A conversation's tool calls, oldest first. */
    calls: (conversationId: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/conversations/{id}/tool-calls', 'get'>>('get', '/v1/conversations/{id}/tool-calls', {
        ...options,
        params: { id: conversationId },
      }),
    getCall: (id: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/tool-calls/{id}', 'get'>>('get', '/v1/tool-calls/{id}', {
        ...options,
        params: { id },
      }),
    settings: (options?: CommonOptions) =>
      call<ResultAt<'/v1/tool-settings', 'get'>>('get', '/v1/tool-settings', { ...options }),
    updateSettings: (body: BodyAt<'/v1/tool-settings', 'patch'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/tool-settings', 'patch'>>('patch', '/v1/tool-settings', { ...options, body }),
  };
}

/** `client.secrets`: write-only values tools use as `{{secret.<name>}}`. */
export function secrets(client: Parley) {
  const call = caller(client);
  return {
    list: (options?: CommonOptions) =>
      call<ResultAt<'/v1/secrets', 'get'>>('get', '/v1/secrets', { ...options }),
    /** Sets (or replaces) a secret; its value is never shown again. */
    set: (body: BodyAt<'/v1/secrets', 'post'>, options?: CommonOptions) =>
      call<ResultAt<'/v1/secrets', 'post'>>('post', '/v1/secrets', { ...options, body }),
    delete: (name: string, options?: CommonOptions) =>
      call<ResultAt<'/v1/secrets/{name}', 'delete'>>('delete', '/v1/secrets/{name}', {
        ...options,
        params: { name },
      }),
  };
}
