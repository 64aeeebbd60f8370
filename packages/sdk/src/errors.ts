import type { ApiErrorCode } from './types.ts';

/** Codes the client itself raises when no Parley error body came back. */
export type ClientErrorCode = 'connection_failed' | 'timeout' | 'unexpected_response';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * Every failure of a Parley call: the API's error (code, message, request id, field errors) or,
 * with status 0, a client-side one (the server could not be reached or did not answer as Parley).
 */
export class ParleyError extends Error {
  readonly code: ApiErrorCode | ClientErrorCode;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly fieldErrors: FieldError[];
  /** Extra machine-readable details of the error body (e.g. `existing_id`, `required_scope`). */
  readonly details: Record<string, unknown>;
  /** Seconds to wait, from `Retry-After` (429 and 503). */
  readonly retryAfter: number | undefined;

  constructor(init: {
    code: ApiErrorCode | ClientErrorCode;
    message: string;
    status: number;
    requestId?: string;
    fieldErrors?: FieldError[];
    details?: Record<string, unknown>;
    retryAfter?: number;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ParleyError';
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.fieldErrors = init.fieldErrors ?? [];
    this.details = init.details ?? {};
    this.retryAfter = init.retryAfter;
  }
}

/** Builds the error from a non-2xx response body (`{"error": {...}}`), or says it was not Parley's. */
export function errorFromResponse(status: number, headers: Headers, body: unknown, url: string): ParleyError {
  const retryAfter = parseRetryAfter(headers.get('retry-after'));
  const err = (body as { error?: Record<string, unknown> } | null)?.error;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.message === 'string') {
    const { code, message, request_id, errors, ...details } = err;
    return new ParleyError({
      code: code as ApiErrorCode,
      message,
      status,
      requestId: typeof request_id === 'string' ? request_id : (headers.get('x-request-id') ?? undefined),
      fieldErrors: Array.isArray(errors) ? (errors as FieldError[]) : [],
      details,
      retryAfter,
    });
  }
  return new ParleyError({
    code: 'unexpected_response',
    message: `${url} answered HTTP ${status} without a Parley error body; is the base URL a Parley server?`,
    status,
    requestId: headers.get('x-request-id') ?? undefined,
    retryAfter,
  });
}

/** `Retry-After` as seconds: an integer or an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
