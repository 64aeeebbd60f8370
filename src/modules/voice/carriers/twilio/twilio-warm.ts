import type { WarmDialRequest, WarmDialResult } from '../../engine/types.ts';
import { CarrierError } from '../carrier-error.ts';
import type { TwilioCredentials, TwilioVoiceClient } from './twilio-voice.client.ts';
import { xmlEscape } from './twiml.ts';

/**
 * A warm transfer on Twilio (https://www.twilio.com/docs/voice/twiml/conference and
 * https://www.twilio.com/docs/voice/api/call-resource): the caller stays on Parley's media stream
 * (hearing hold audio) while the person is called as a second leg with `Calls.json`, whose TwiML
 * says the whisper and then puts them in a conference room named for the caller's call. The
 * room's `statusCallback` (`participant-join`) tells Parley the person heard it and is waiting;
 * only then is the caller's call redirected into the same room (`<Dial><Conference>`): joined.
 * The second leg's progress callbacks (`busy`, `no-answer`, `failed`, or `completed` before it
 * joined: declined) end the attempt instead. Both callbacks come to `voice-status` with
 * `leg=transfer` in the URL.
 */

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';

/** The person's leg: the whisper, then the room (its status callback says when they joined). */
export function warmLegTwiml(whisper: string, room: string, callbackUrl: string): string {
  return (
    `${HEAD}<Response><Say>${xmlEscape(whisper)}</Say><Dial><Conference beep="false" ` +
    `startConferenceOnEnter="true" endConferenceOnExit="true" statusCallback="${xmlEscape(callbackUrl)}" ` +
    `statusCallbackMethod="POST" statusCallbackEvent="join leave">${xmlEscape(room)}</Conference></Dial></Response>`
  );
}

/** The caller's call, redirected into the room the person waits in. */
export function joinRoomTwiml(room: string): string {
  return `${HEAD}<Response><Dial><Conference beep="false" startConferenceOnEnter="true" endConferenceOnExit="true">${xmlEscape(room)}</Conference></Dial></Response>`;
}

/** What a `leg=transfer` callback says about the second leg. */
export type WarmLegEvent = 'joined' | 'busy' | 'no_answer' | 'invalid' | 'failed' | 'ended';

/** Reads a callback posted for a warm transfer's leg (a conference event or the leg's progress). */
export function warmLegEvent(form: Record<string, string>): { callSid: string; event: WarmLegEvent } | null {
  const callSid = form.CallSid;
  if (!callSid) return null;
  if (form.StatusCallbackEvent === 'participant-join') return { callSid, event: 'joined' };
  switch (form.CallStatus) {
    case 'busy':
      return { callSid, event: 'busy' };
    case 'no-answer':
      return { callSid, event: 'no_answer' };
    case 'failed':
      // The number does not exist (SIP 404 / 484 / 410): invalid, as for calls.
      return {
        callSid,
        event: ['404', '410', '484'].includes(form.SipResponseCode ?? '') ? 'invalid' : 'failed',
      };
    case 'canceled':
      return { callSid, event: 'failed' };
    case 'completed':
      return { callSid, event: 'ended' };
  }
  if (form.StatusCallbackEvent === 'participant-leave') return { callSid, event: 'ended' };
  return null;
}

/** Hold audio: a soft two-note chime every 2 s (8 kHz μ-law), looped while the caller waits. */
export function holdChime(): Uint8Array {
  const rate = 8000;
  const out = new Uint8Array(rate * 2).fill(0xff);
  const note = (startMs: number, freq: number) => {
    const start = (startMs * rate) / 1000;
    const n = (300 * rate) / 1000;
    for (let i = 0; i < n; i++) {
      const env = Math.sin((Math.PI * i) / n);
      out[start + i] = linearToMulaw(Math.round(3000 * env * Math.sin((2 * Math.PI * freq * i) / rate)));
    }
  };
  note(0, 660);
  note(350, 880);
  return out;
}

function linearToMulaw(sample: number): number {
  const BIAS = 0x84;
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(32635, Math.abs(sample)) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  s = ~(sign | (exponent << 4) | mantissa);
  return s & 0xff;
}

/**
 * Dials the person and waits for their leg's events. `events` is fed by the transport (from the
 * status-callback route, on whichever process); `join` redirects the caller into the room.
 */
export async function dialWarmLeg(opts: {
  client: TwilioVoiceClient;
  creds: TwilioCredentials;
  from: string;
  callSid: string;
  callbackUrl: string;
  request: WarmDialRequest;
  /**
   * Registers the listener for this leg's events (one at a time per call); the transport sends
   * `('*', 'failed')` when the caller's call ends meanwhile, and the leg is hung up at once.
   */
  listen(fn: (callSid: string, event: WarmLegEvent) => void): () => void;
  join(twiml: string): Promise<boolean>;
}): Promise<WarmDialResult> {
  const room = `parley-warm-${opts.callSid}`;
  const url = `${opts.callbackUrl}${opts.callbackUrl.includes('?') ? '&' : '?'}leg=transfer`;
  let legSid = '';
  const early: Array<[string, WarmLegEvent]> = [];
  let settle: ((e: WarmLegEvent) => void) | null = null;
  const unlisten = opts.listen((sid, event) => {
    if (!legSid) early.push([sid, event]);
    else if (sid === legSid || sid === '*') settle?.(event);
  });
  try {
    const placed = await opts.client.placeCall(opts.creds, {
      to: opts.request.to,
      from: opts.from,
      twiml: warmLegTwiml(opts.request.whisper, room, url),
      statusCallbackUrl: url,
      timeoutSeconds: opts.request.ringSeconds,
    });
    legSid = placed.callSid;
  } catch (err) {
    unlisten();
    const invalid = err instanceof CarrierError && err.reason === 'invalid_number';
    return { outcome: invalid ? 'invalid_number' : 'failed' };
  }
  const event = await new Promise<WarmLegEvent>((resolve) => {
    settle = resolve;
    for (const [sid, e] of early) if (sid === legSid || sid === '*') resolve(e);
    // Twilio gives up ringing after `Timeout`; a leg never heard of again counts as not answered.
    setTimeout(() => resolve('no_answer'), (opts.request.ringSeconds + 60) * 1000).unref();
  });
  unlisten();
  const hangLeg = async () => {
    await opts.client.hangup(opts.creds, legSid, 'completed').catch(() => {});
  };
  if (event === 'joined')
    return { outcome: 'answered', join: () => opts.join(joinRoomTwiml(room)), cancel: hangLeg };
  if (event !== 'ended') await hangLeg();
  const outcomes = {
    busy: 'busy',
    no_answer: 'no_answer',
    invalid: 'invalid_number',
    ended: 'declined',
  } as const;
  const outcome = event in outcomes ? outcomes[event as keyof typeof outcomes] : 'failed';
  return { outcome };
}
