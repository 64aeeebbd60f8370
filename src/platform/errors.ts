/**
 * The closed list of error codes. Every error response carries one of these; docs/errors.md
 * documents each and a test fails when the two disagree. Add a code here and there together.
 */
export const errorCodes = {
  validation_failed: {
    status: 400,
    doc: 'The request is malformed or a field is invalid; `errors` lists every invalid field.',
  },
  unauthorized: { status: 401, doc: 'No API key, an unknown key, or a revoked key.' },
  invalid_signature: { status: 401, doc: "A provider webhook's signature is missing or does not match." },
  forbidden: { status: 403, doc: 'The key is valid but lacks the scope this route needs.' },
  not_found: {
    status: 404,
    doc: 'The route or the object does not exist (objects of another workspace or mode are not found).',
  },
  conflict: {
    status: 409,
    doc: 'The request conflicts with the current state (a duplicate, a closed object, a taken slot).',
  },
  idempotency_conflict: {
    status: 409,
    doc: 'The Idempotency-Key was used with a different request body, or its first request is still running.',
  },
  request_timeout: {
    status: 408,
    doc: 'The request (its headers or its body) did not arrive within the configured time; the connection is closed. Retry.',
  },
  payload_too_large: { status: 413, doc: 'The request body is larger than the configured limit.' },
  unsupported_media_type: { status: 415, doc: 'The Content-Type is not one this route accepts.' },
  whatsapp_outside_24h_window: {
    status: 422,
    doc: 'Free-form WhatsApp content outside the 24-hour customer service window; send an approved template instead.',
  },
  human_agent_only: {
    status: 422,
    doc: "Messenger or Instagram, 24 hours after the customer's last message: only a person's reply may still go out (Meta's `HUMAN_AGENT` tag, up to 7 days); AI, API-key and automation sends are refused.",
  },
  meta_outside_messaging_window: {
    status: 422,
    doc: 'Messenger or Instagram: the customer has not written in the last 7 days, so Meta accepts no message until they write again.',
  },
  channel_not_configured: { status: 422, doc: 'No channel is configured for this route in live mode.' },
  template_not_approved: {
    status: 422,
    doc: 'No template with that name and language is approved (variables that do not fit the template are a 400 `validation_failed`).',
  },
  contact_opted_out: {
    status: 422,
    doc: 'The contact opted out (or is on do-not-disturb) and gets no business-initiated message.',
  },
  contact_dnd: {
    status: 422,
    doc: 'The contact is on do-not-disturb; a call to them needs `ignore_dnd: true` (transactional or service calls).',
  },
  unprocessable: {
    status: 422,
    doc: 'The request is well-formed but cannot be carried out in the current state.',
  },
  headers_too_large: {
    status: 431,
    doc: 'The request line and headers together are larger than the server accepts (16 KB).',
  },
  rate_limited: {
    status: 429,
    doc: "A rate limit of the workspace's plan is exhausted; retry after `Retry-After` seconds.",
  },
  concurrency_limited: { status: 429, doc: "The workspace's concurrent-call limit is reached." },
  provider_error: {
    status: 502,
    doc: 'An upstream provider (Meta, Twilio, an LLM) failed or refused the request.',
  },
  internal_error: {
    status: 500,
    doc: 'An unexpected failure on our side; the request_id helps us find it. No details leak.',
  },
  service_unavailable: { status: 503, doc: 'A dependency (the database) is not reachable; retry later.' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface FieldError {
  field: string;
  message: string;
}

/** A failure the API reports to its caller. Thrown by services; mapped to the error shape in one place. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;
  /** Extra machine-readable details merged into the error object (e.g. `existing_id`). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      details?: Record<string, unknown>;
      status?: number;
    } = {},
  ) {
    super(message);
    this.code = code;
    this.status = opts.status ?? errorCodes[code].status;
    this.errors = opts.errors;
    this.headers = opts.headers;
    this.details = opts.details;
  }
}

export const notFound = (what: string, id?: string) =>
  new ApiError('not_found', id ? `No ${what} with id ${id}.` : `No such ${what}.`);

export const validationFailed = (errors: FieldError[], message?: string) =>
  new ApiError('validation_failed', message ?? errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
    errors,
  });

export const invalidField = (field: string, message: string) => validationFailed([{ field, message }]);

export function errorBody(
  code: ErrorCode,
  message: string,
  requestId: string,
  extra: Partial<ApiError> = {},
) {
  return {
    error: {
      code,
      message,
      request_id: requestId,
      ...(extra.errors ? { errors: extra.errors } : {}),
      ...(extra.details ?? {}),
    },
  };
}
