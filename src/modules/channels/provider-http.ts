import { ChannelSendError } from './channel-adapter.ts';

export interface ProviderResponse {
  res: Response;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  json: Record<string, any> | undefined;
}

/**
 * POSTs to a provider's REST API with a timeout. A provider that cannot be reached or does not
 * answer in time is a retryable ChannelSendError; what its answer means is the adapter's to say.
 */
export async function postToProvider(
  provider: string,
  url: string,
  init: { headers: Record<string, string>; body: string; timeoutMs?: number },
): Promise<ProviderResponse> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(init.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    throw new ChannelSendError(
      'provider_error',
      timedOut ? `${provider} did not answer in time.` : `Could not reach ${provider}: ${e.message}`,
      { retryable: true, providerCode: timedOut ? 'timeout' : 'network' },
    );
  }
  const text = await res.text();
  let json: Record<string, any> | undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { res, json };
}
