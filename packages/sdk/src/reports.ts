import type { Parley } from './client.ts';
import type { CommonOptions, QueryAt, ResultAt } from './types.ts';

const asQuery = (q: unknown) => q as Record<string, unknown> | undefined;

/** `parley.reports`: the report routes, typed, and the CSV exports as byte streams. */
export function reportsOf(client: Parley) {
  return {
    /** Totals and a series over the conversations created in the range (`interval` hour|day|week). */
    overview: async (query?: QueryAt<'/v1/reports/overview', 'get'>, options?: CommonOptions) =>
      (
        await client.raw<ResultAt<'/v1/reports/overview', 'get'>>('get', '/v1/reports/overview', {
          ...options,
          query: asQuery(query),
        })
      ).data,
    calls: async (query?: QueryAt<'/v1/reports/calls', 'get'>, options?: CommonOptions) =>
      (
        await client.raw<ResultAt<'/v1/reports/calls', 'get'>>('get', '/v1/reports/calls', {
          ...options,
          query: asQuery(query),
        })
      ).data,
    users: async (query?: QueryAt<'/v1/reports/users', 'get'>, options?: CommonOptions) =>
      (
        await client.raw<ResultAt<'/v1/reports/users', 'get'>>('get', '/v1/reports/users', {
          ...options,
          query: asQuery(query),
        })
      ).data,
    campaign: async (id: string, options?: CommonOptions) =>
      (
        await client.raw<ResultAt<'/v1/reports/campaigns/{id}', 'get'>>('get', '/v1/reports/campaigns/{id}', {
          ...options,
          params: { id },
        })
      ).data,
    /** `conversations.csv` or `calls.csv` as a stream of bytes (pipe it to a file). */
    export: (
      what: 'conversations' | 'calls',
      query?: QueryAt<'/v1/reports/conversations.csv', 'get'>,
      options?: { signal?: AbortSignal },
    ) => client.download(`/v1/reports/${what}.csv`, asQuery(query), options?.signal),
  };
}
