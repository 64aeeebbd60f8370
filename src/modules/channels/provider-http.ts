import { answerOf } from '../../platform/json.ts';
import { ChannelSendError, type ProviderFile } from './channel-adapter.ts';

export interface ProviderResponse {
  res: Response;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  json: Record<string, any> | undefined;
}

/** Connection failures that happen before any byte of the request is sent: safe to try again. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * A send that got no answer. When the connection never opened, nothing was sent: retryable.
 * When the request went out and the answer did not come (a timeout, a connection cut mid-way),
 * the provider may have taken the message: the outcome is unknown, and sending again could
 * deliver it twice, so it is not retried (see docs/channels.md, "Send timeouts").
 */
function sendFailure(provider: string, e: Error): ChannelSendError {
  const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
  const cause = (e as Error & { cause?: { code?: string } }).cause?.code;
  if (!timedOut && cause && NEVER_SENT.has(cause))
    return new ChannelSendError('provider_error', `Could not reach ${provider}: ${cause}`, {
      retryable: true,
      providerCode: 'network',
    });
  return new ChannelSendError(
    'send_outcome_unknown',
    timedOut
      ? `${provider} did not answer in time: the message may or may not have been sent, so Parley did not send it again.`
      : `The connection to ${provider} broke before it answered (${cause ?? e.message}): the message may or may not have been sent, so Parley did not send it again.`,
    { providerCode: timedOut ? 'timeout' : 'network', outcomeUnknown: true },
  );
}

/**
 * POSTs to a provider's REST API with a timeout. A provider that cannot be reached or does not
 * answer in time is a ChannelSendError (retryable when nothing was sent, outcome unknown when the
 * request went out); what its answer means is the adapter's to say.
 */
export async function postToProvider(
  provider: string,
  url: string,
  init: { headers: Record<string, string>; body: string | FormData; timeoutMs?: number },
): Promise<ProviderResponse> {
  const res = await fetchFromProvider(provider, url, {
    method: 'POST',
    headers: init.headers,
    body: init.body,
    signal: AbortSignal.timeout(init.timeoutMs ?? 15_000),
  });
  const { json } = await answerOf(res);
  return { res, json };
}

/**
 * GETs a file from a provider with its credentials. Unreachable or slow is a retryable
 * ChannelSendError; a refusal says the provider's status (an expired media URL is a 404 there).
 */
export async function getFromProvider(
  provider: string,
  url: string,
  init: { headers: Record<string, string>; timeoutMs?: number },
): Promise<Response> {
  return fetchFromProvider(provider, url, {
    headers: init.headers,
    redirect: 'follow',
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
}

/** `fetch`, where a provider that cannot be reached or does not answer in time is a ChannelSendError. */
async function fetchFromProvider(provider: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw sendFailure(provider, err as Error);
  }
}

export async function fileOf(res: Response, fallbackType?: string): Promise<ProviderFile> {
  const content = Buffer.from(await res.arrayBuffer());
  const mimeType =
    res.headers.get('content-type')?.split(';')[0].trim() || fallbackType || 'application/octet-stream';
  const disposition = res.headers.get('content-disposition') ?? '';
  const filename = disposition.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i)?.[1];
  return { content, mimeType, ...(filename ? { filename: decodeURIComponent(filename) } : {}) };
}
