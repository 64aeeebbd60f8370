import { answerOf } from '../../../platform/json.ts';
/**
 * Why a carrier refused or lost a call, in the call's own words: `reason` is the call's
 * `ended_reason` (the closed list in docs/voice.md), `providerCode` the carrier's code as given.
 */
export type CarrierEndedReason =
  | 'invalid_number'
  | 'failed_to_connect'
  | 'provider_error'
  | 'busy'
  | 'no_answer'
  | 'canceled';

export class CarrierError extends Error {
  readonly reason: CarrierEndedReason;
  readonly providerCode: string;
  /** True when trying again later may work (the carrier was down or asked to slow down). */
  readonly retryable: boolean;
  /** The call is already over at the carrier (Twilio 20404 on an update, LiveKit not_found). */
  readonly alreadyEnded: boolean;

  constructor(
    reason: CarrierEndedReason,
    message: string,
    opts: { providerCode: string; retryable?: boolean; alreadyEnded?: boolean },
  ) {
    super(message);
    this.name = 'CarrierError';
    this.reason = reason;
    this.providerCode = opts.providerCode;
    this.retryable = opts.retryable ?? false;
    this.alreadyEnded = opts.alreadyEnded ?? false;
  }
}

/** POST with a timeout; a carrier that cannot be reached or does not answer is a retryable provider_error. */
export async function carrierFetch(
  carrier: string,
  url: string,
  init: { method?: string; headers: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<{ res: Response; text: string; json: Record<string, any> | undefined }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'POST',
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(init.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    throw new CarrierError(
      'provider_error',
      timedOut ? `${carrier} did not answer in time.` : `Could not reach ${carrier}: ${e.message}`,
      { providerCode: timedOut ? 'timeout' : 'network', retryable: true },
    );
  }
  return { res, ...(await answerOf(res)) };
}

/**
 * Calls per second per channel (Twilio's default is 1 CPS per account; calls above it are queued
 * by Twilio for up to a day, which would make a campaign's timing a lie). `reserve` books the next
 * free slot and says how long to wait for it; slots are handed out in order, so concurrent dials
 * on one channel are spaced `1000 / perSecond` ms apart.
 */
export class CallPacer {
  readonly #next = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  reserve(key: string, perSecond = 1): number {
    const now = this.#now();
    const slot = Math.max(now, this.#next.get(key) ?? 0);
    this.#next.set(key, slot + 1000 / perSecond);
    // Forget keys whose slots have passed so the map does not grow with every channel ever used.
    if (this.#next.size > 1000) for (const [k, t] of this.#next) if (t < now) this.#next.delete(k);
    return slot - now;
  }

  async wait(key: string, perSecond = 1): Promise<void> {
    const ms = this.reserve(key, perSecond);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }
}
