import { Readable } from 'node:stream';
import { CarrierError, carrierFetch } from '../carrier-error.ts';

/**
 * Twilio Programmable Voice REST: `POST /2010-04-01/Accounts/{sid}/Calls.json` to place a call and
 * `POST .../Calls/{CallSid}.json` to change a live one (hang up, or redirect it with new TwiML for a
 * transfer). Form-encoded, HTTP basic auth AccountSid:AuthToken
 * (https://www.twilio.com/docs/voice/api/call-resource).
 */

export interface TwilioCredentials {
  account_sid: string;
  auth_token: string;
}

export interface PlaceCallRequest {
  to: string;
  from: string;
  /** The TwiML to run on answer (`<Connect><Stream>`); Parley sends TwiML, so no public TwiML URL is needed. */
  twiml: string;
  /** `/hooks/twilio/{ch}/voice-status`: every progress event and the async AMD verdict go here. */
  statusCallbackUrl: string;
  /** Ring time in seconds before `no-answer` (Twilio: default 60, max 600). */
  timeoutSeconds?: number;
  /** Asynchronous answering-machine detection: the verdict (`AnsweredBy`) is POSTed separately. */
  machineDetection?: boolean;
  record?: boolean;
  /** Hard cap on the call's length in seconds (Twilio `TimeLimit`). */
  timeLimitSeconds?: number;
}

export interface PlacedCall {
  callSid: string;
  status: string;
}

/** A recording's audio as Twilio serves it, streamed. */
export interface RecordingAudio {
  content: Readable;
  contentType: string;
  contentLength?: number;
}

/**
 * The path of a Twilio Recording resource (`/2010-04-01/Accounts/{AC}/Recordings/{RE}`, optionally
 * `.wav` or `.mp3`), from a `RecordingUrl` as Twilio's callback gives it; undefined for anything else.
 */
export function recordingPath(recordingUrl: string): { path: string; accountSid: string } | undefined {
  let path: string;
  try {
    path = new URL(recordingUrl).pathname;
  } catch {
    return undefined;
  }
  const m = path.match(
    /^\/2010-04-01\/Accounts\/(AC[0-9a-zA-Z]+)\/Recordings\/RE[0-9a-zA-Z]+(\.(wav|mp3))?$/,
  );
  return m ? { path, accountSid: m[1] } : undefined;
}

export interface TwilioVoiceClientOptions {
  /** `https://api.twilio.com` (a local fake in tests). */
  apiUrl: string;
  timeoutMs?: number;
}

/** Twilio error codes a call create or update can answer with, mapped once to the call's `ended_reason`. */
export function mapTwilioCallError(
  httpStatus: number,
  body: { code?: number; message?: string } | undefined,
  op: 'create' | 'update',
): CarrierError {
  const code = body?.code;
  const providerCode = code === undefined ? `http_${httpStatus}` : String(code);
  const message = `Twilio refused the call ${op === 'create' ? '' : 'update '}(${providerCode}: ${body?.message ?? `HTTP ${httpStatus}`})`;
  const fail = (
    reason: CarrierError['reason'],
    extra: { retryable?: boolean; alreadyEnded?: boolean } = {},
  ) => new CarrierError(reason, message, { providerCode, ...extra });
  if (op === 'update' && (code === 20404 || code === 21220 || httpStatus === 404))
    return fail('provider_error', { alreadyEnded: true });
  switch (code) {
    case 21211: // Invalid 'To' phone number
    case 21217: // Phone number does not appear to be valid
    case 21401: // Invalid phone number
    case 21407: // This phone number type does not support voice
    case 13224: // Dial: invalid phone number
      return fail('invalid_number');
    case 21210: // 'From' phone number not verified
    case 21212: // Invalid caller ID ('From')
    case 21213: // Caller phone number is required
    case 21214: // 'To' phone number cannot be reached
    case 21215: // Geographic permission: account not authorized to call this number
    case 21216: // Account not allowed to call premium numbers
    case 21219: // 'To' number not verified (trial account)
    case 13227: // Geo permission for the destination
      return fail('failed_to_connect');
    case 20003: // Authenticate: wrong credentials
    case 20404: // Account or resource not found
      return fail('provider_error');
    case 20429: // Too many requests
      return fail('provider_error', { retryable: true });
  }
  if (httpStatus === 429 || httpStatus >= 500) return fail('provider_error', { retryable: true });
  return fail('provider_error');
}

export class TwilioVoiceClient {
  readonly #apiUrl: string;
  readonly #timeoutMs: number | undefined;

  constructor(opts: TwilioVoiceClientOptions) {
    this.#apiUrl = opts.apiUrl.replace(/\/$/, '');
    this.#timeoutMs = opts.timeoutMs;
  }

  #headers(creds: TwilioCredentials) {
    return {
      authorization: `Basic ${Buffer.from(`${creds.account_sid}:${creds.auth_token}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    };
  }

  #callsUrl(creds: TwilioCredentials, callSid?: string) {
    const base = `${this.#apiUrl}/2010-04-01/Accounts/${encodeURIComponent(creds.account_sid)}/Calls`;
    return callSid ? `${base}/${encodeURIComponent(callSid)}.json` : `${base}.json`;
  }

  /** Places an outbound call; the callee's answer runs `twiml`. */
  async placeCall(creds: TwilioCredentials, call: PlaceCallRequest): Promise<PlacedCall> {
    const form = new URLSearchParams();
    form.set('To', call.to);
    form.set('From', call.from);
    form.set('Twiml', call.twiml);
    form.set('StatusCallback', call.statusCallbackUrl);
    form.set('StatusCallbackMethod', 'POST');
    for (const event of ['initiated', 'ringing', 'answered', 'completed'])
      form.append('StatusCallbackEvent', event);
    form.set('Timeout', String(call.timeoutSeconds ?? 25));
    if (call.machineDetection) {
      form.set('MachineDetection', 'DetectMessageEnd');
      form.set('AsyncAmd', 'true');
      form.set('AsyncAmdStatusCallback', call.statusCallbackUrl);
      form.set('AsyncAmdStatusCallbackMethod', 'POST');
    }
    if (call.record) {
      form.set('Record', 'true');
      form.set('RecordingChannels', 'dual');
      form.set('RecordingStatusCallback', call.statusCallbackUrl);
      form.set('RecordingStatusCallbackEvent', 'completed');
    }
    if (call.timeLimitSeconds) form.set('TimeLimit', String(call.timeLimitSeconds));
    const { res, json } = await carrierFetch('Twilio', this.#callsUrl(creds), {
      headers: this.#headers(creds),
      body: form.toString(),
      timeoutMs: this.#timeoutMs,
    });
    if (!res.ok) throw mapTwilioCallError(res.status, json, 'create');
    if (typeof json?.sid !== 'string')
      throw new CarrierError('provider_error', 'Twilio answered without a call sid.', {
        providerCode: 'no_sid',
        retryable: true,
      });
    return { callSid: json.sid, status: String(json.status ?? 'queued') };
  }

  /**
   * Ends a call: `completed` for a call that was answered, `canceled` for one still queued or
   * ringing. A call that is already over is not an error here: the wanted outcome holds.
   */
  async hangup(creds: TwilioCredentials, callSid: string, status: 'completed' | 'canceled' = 'completed') {
    try {
      await this.#update(creds, callSid, { Status: status });
      return { alreadyEnded: false };
    } catch (err) {
      if (err instanceof CarrierError && err.alreadyEnded) return { alreadyEnded: true };
      throw err;
    }
  }

  /** Redirects a live call to new TwiML (a transfer's `<Dial>`). */
  async redirect(creds: TwilioCredentials, callSid: string, twiml: string): Promise<void> {
    await this.#update(creds, callSid, { Twiml: twiml });
  }

  /**
   * Streams a recording's audio: Twilio serves WAV (`audio/x-wav`) from the resource's URL as
   * given and MP3 when it ends in `.mp3` (https://www.twilio.com/docs/voice/api/recording#fetch-a-recording-media-file).
   * Only the path of `recordingUrl` is used, on this client's API base, so the account's
   * credentials go nowhere else. The timeout covers the answer's headers, not the audio.
   */
  async fetchRecording(creds: TwilioCredentials, recordingUrl: string): Promise<RecordingAudio> {
    const resource = recordingPath(recordingUrl);
    if (!resource || resource.accountSid !== creds.account_sid)
      throw new CarrierError(
        'provider_error',
        "The recording URL is not one of this channel's Twilio recordings.",
        {
          providerCode: 'bad_recording_url',
        },
      );
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.#timeoutMs ?? 15_000);
    let res: Response;
    try {
      res = await fetch(`${this.#apiUrl}${resource.path}`, {
        headers: { authorization: this.#headers(creds).authorization },
        signal: abort.signal,
      });
    } catch (err) {
      const timedOut = abort.signal.aborted;
      throw new CarrierError(
        'provider_error',
        timedOut ? 'Twilio did not answer in time.' : `Could not reach Twilio: ${(err as Error).message}`,
        { providerCode: timedOut ? 'timeout' : 'network', retryable: true },
      );
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      let body: { code?: number; message?: string } | undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const providerCode = body?.code === undefined ? `http_${res.status}` : String(body.code);
      throw new CarrierError(
        'provider_error',
        `Twilio did not serve the recording (${providerCode}: ${body?.message ?? `HTTP ${res.status}`}).`,
        { providerCode, retryable: res.status === 429 || res.status >= 500 },
      );
    }
    const length = Number(res.headers.get('content-length'));
    return {
      content: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      contentType:
        res.headers.get('content-type') ?? (resource.path.endsWith('.mp3') ? 'audio/mpeg' : 'audio/x-wav'),
      ...(Number.isFinite(length) && length > 0 ? { contentLength: length } : {}),
    };
  }

  async #update(creds: TwilioCredentials, callSid: string, fields: Record<string, string>) {
    const { res, json } = await carrierFetch('Twilio', this.#callsUrl(creds, callSid), {
      headers: this.#headers(creds),
      body: new URLSearchParams(fields).toString(),
      timeoutMs: this.#timeoutMs,
    });
    if (!res.ok) throw mapTwilioCallError(res.status, json, 'update');
  }
}
