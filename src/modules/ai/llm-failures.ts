/**
 * What a thrown provider failure was, as logged, recorded on the reply and counted: the AI SDK's
 * errors (an APICallError with the HTTP status and headers, a fetch failure, an abort) read once here.
 */
export type FailureReason =
  | 'timeout'
  | 'unreachable'
  | 'rate_limited'
  | 'http_error'
  | 'provider_error'
  | 'malformed_answer'
  | 'no_answer'
  | 'action_failed';

interface SdkError {
  name?: string;
  message?: string;
  statusCode?: unknown;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  cause?: unknown;
}

const unwrap = (err: unknown) => ((err as { lastError?: unknown })?.lastError ?? err) as SdkError;

/** Whether the connection was refused (nothing was sent to the model, so a retry is safe). */
function refused(e: SdkError): boolean {
  for (let c: unknown = e, i = 0; c && i < 4; c = (c as SdkError).cause, i++)
    if ((c as { code?: unknown }).code === 'ECONNREFUSED') return true;
  return false;
}

export function failureOf(err: unknown): { reason: FailureReason; status?: number; message: string } {
  const e = unwrap(err);
  const message = String(e?.message ?? err).slice(0, 200);
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || /timed? ?out/i.test(e?.name ?? ''))
    return { reason: 'timeout', message };
  if (e?.statusCode === 429) return { reason: 'rate_limited', status: 429, message };
  if (typeof e?.statusCode === 'number') return { reason: 'http_error', status: e.statusCode, message };
  if (refused(e)) return { reason: 'unreachable', message };
  return { reason: 'provider_error', message };
}

/**
 * How long to wait before the one retry a failure allows, or null for none: a 429 whose
 * Retry-After fits in the budget left, or a refused connection (after 250 ms).
 */
export function waitBeforeRetry(err: unknown, budgetLeftMs: number): number | null {
  const e = unwrap(err);
  if (e?.statusCode === 429) {
    const header = e.responseHeaders?.['retry-after'];
    if (header === undefined) return null;
    const seconds = Number(header);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
    return Number.isFinite(ms) && ms >= 0 && ms < budgetLeftMs - 500 ? ms : null;
  }
  if (refused(e) && budgetLeftMs > 1000) return 250;
  return null;
}

/** A server that does not take `tools` (Ollama: "does not support tools"): the model is asked again with JSON. */
export function toolsRefused(err: unknown): boolean {
  const e = unwrap(err);
  if (typeof e?.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500 || e.statusCode === 429)
    return false;
  return /\btools?\b|function/i.test(`${e.message ?? ''} ${e.responseBody ?? ''}`);
}
