import { MulawDecoder16k, MulawEncoder16k } from '../../audio/codec.ts';
import type { OutSegment, TransportSink, WarmDialRequest, WarmDialResult } from '../../engine/types.ts';
import type { TakeoverTransport } from '../voicemail.ts';
import type { TwilioMediaStream } from './media-stream.ts';
import type { TwilioCredentials, TwilioVoiceClient } from './twilio-voice.client.ts';
import { dialWarmLeg, holdChime, type WarmLegEvent } from './twilio-warm.ts';
import { transferTwiml } from './twiml.ts';

/**
 * A Twilio call as the engine sees it: caller audio (μ-law 8 kHz) decoded to 16 kHz PCM, agent
 * speech encoded back and paced out with a `mark` after each segment (the segment counts as
 * played when its mark returns; a segment streamed in pieces gets its mark at `finish`), `clear` on barge-in, DTMF, and hangup / transfer through the
 * REST call update.
 */
export class TwilioTransport implements TakeoverTransport {
  readonly kind = 'twilio';
  readonly #stream: TwilioMediaStream;
  readonly #client: TwilioVoiceClient;
  readonly #creds: TwilioCredentials;
  readonly #callSid: string;
  readonly #from: string;
  readonly #onLog: (msg: string, err?: unknown) => void;
  readonly #dec = new MulawDecoder16k();
  readonly #enc = new MulawEncoder16k();
  #sink: TransportSink | null = null;
  #early: Array<(sink: TransportSink) => void> = [];
  /** Twilio ended the call (stop, or a completed callback): nothing to hang up. */
  #carrierEnded = false;
  #hungUp = false;
  #takenOver = false;
  /** A transfer's redirect is under way: the stream stopping then is the redirect, not the caller. */
  #transferring = false;
  #stoppedDuringTransfer = false;
  /** The segment being streamed in pieces (`append` until `finish`). */
  #open: string | null = null;
  /** `/hooks/twilio/{ch}/voice-status?call_id=...`: a warm transfer's leg reports there. */
  readonly #callbackUrl: string | undefined;
  #hold: NodeJS.Timeout | null = null;
  #legListener: ((callSid: string, event: WarmLegEvent) => void) | null = null;

  constructor(opts: {
    stream: TwilioMediaStream;
    client: TwilioVoiceClient;
    creds: TwilioCredentials;
    callSid: string;
    from: string;
    onLog: (msg: string, err?: unknown) => void;
    callbackUrl?: string;
  }) {
    this.#callbackUrl = opts.callbackUrl;
    this.#stream = opts.stream;
    this.#client = opts.client;
    this.#creds = opts.creds;
    this.#callSid = opts.callSid;
    this.#from = opts.from;
    this.#onLog = opts.onLog;
  }

  /** Wired to the media stream's handlers by the hook that opened it. */
  readonly handlers = {
    audio: (mulaw: Uint8Array) => this.#emit((s) => s.audio(this.#dec.decode(mulaw))),
    dtmf: (digit: string) => this.#emit((s) => s.dtmf(digit)),
    mark: (name: string, played: boolean) => {
      if (played) this.#emit((s) => s.played(name));
    },
    stop: () => {
      this.#carrierEnded = true;
      // Redirecting the call ends its <Connect> (Twilio sends `stop`), often before the REST
      // update answers: that is the transfer, not the caller hanging up.
      if (this.#transferring) this.#stoppedDuringTransfer = true;
      else {
        this.#legListener?.('*', 'failed'); // a warm transfer's leg still ringing is dropped
        this.#emit((s) => s.hungUp());
      }
    },
  };

  #emit(fn: (sink: TransportSink) => void) {
    if (this.#sink) fn(this.#sink);
    else if (this.#early.length < 500) this.#early.push(fn);
  }

  attach(sink: TransportSink) {
    this.#sink = sink;
    const early = this.#early;
    this.#early = [];
    for (const fn of early) fn(sink);
  }

  play(segment: OutSegment) {
    if (segment.audio?.length) this.#stream.sendAudio(this.#enc.encode(segment.audio));
    if (segment.open) {
      // The rest comes through `append`; the mark goes after its last frame (`finish`).
      this.#open = segment.id;
      return;
    }
    if (!segment.audio?.length) {
      // No audio (a text-only engine): the line stays silent for the segment's speaking time.
      this.#stream.sendAudio(new Uint8Array(Math.round(segment.durationMs * 8)).fill(0xff));
    }
    this.#stream.mark(segment.id);
  }

  append(segmentId: string, pcm: Int16Array) {
    if (this.#open !== segmentId || !pcm.length) return;
    this.#stream.sendAudio(this.#enc.encode(pcm));
  }

  finish(segmentId: string) {
    if (this.#open !== segmentId) return;
    this.#open = null;
    this.#stream.mark(segmentId);
  }

  clear() {
    this.#open = null;
    this.#stream.clear();
  }

  /** The carrier ended the call (a status callback on any process): close the stream, no REST call. */
  carrierEnded() {
    this.#carrierEnded = true;
    this.#stream.close();
  }

  takeOver() {
    this.#takenOver = true;
  }

  async endCall() {
    this.#takenOver = false;
    await this.hangup();
  }

  async hangup() {
    if (this.#hold) clearInterval(this.#hold);
    this.#legListener?.('*', 'failed');
    if (this.#takenOver || this.#hungUp) return;
    this.#hungUp = true;
    const needed = !this.#carrierEnded;
    this.#stream.close();
    if (!needed) return;
    try {
      await this.#client.hangup(this.#creds, this.#callSid, 'completed');
    } catch (err) {
      this.#onLog('Twilio hangup failed', err);
    }
  }

  /** Hold audio, queued a second ahead on the stream until hold ends (then cleared at once). */
  hold(on: boolean) {
    if (this.#hold) clearInterval(this.#hold);
    this.#hold = null;
    if (!on) {
      this.#stream.clear();
      return;
    }
    const chime = holdChime();
    this.#stream.sendAudio(chime);
    this.#hold = setInterval(() => this.#stream.sendAudio(chime), 2000);
    this.#hold.unref();
  }

  /** A warm transfer's second leg (twilio-warm.ts); its callbacks arrive through `legEvent`. */
  async dialWarm(request: WarmDialRequest): Promise<WarmDialResult> {
    if (!this.#callbackUrl) return { outcome: 'failed' };
    return dialWarmLeg({
      client: this.#client,
      creds: this.#creds,
      from: this.#from,
      callSid: this.#callSid,
      callbackUrl: this.#callbackUrl,
      request,
      listen: (fn) => {
        this.#legListener = fn;
        return () => {
          if (this.#legListener === fn) this.#legListener = null;
        };
      },
      join: (twiml) => this.#redirect(twiml),
    });
  }

  /** A status callback about a warm transfer's leg (delivered by the hooks, from any process). */
  legEvent(callSid: string, event: WarmLegEvent) {
    this.#legListener?.(callSid, event);
  }

  async transfer(to: string): Promise<boolean> {
    return this.#redirect(transferTwiml(to, { callerId: this.#from, timeoutSeconds: 30 }));
  }

  /** Sends the live call to new TwiML: its `<Connect>` (our stream) ends; true when Twilio took it. */
  async #redirect(twiml: string): Promise<boolean> {
    this.#transferring = true;
    try {
      await this.#client.redirect(this.#creds, this.#callSid, twiml);
      if (this.#hold) clearInterval(this.#hold);
      this.#carrierEnded = true; // the <Connect> ends; the call goes on without us
      this.#stream.close();
      return true;
    } catch (err) {
      this.#onLog('Twilio transfer failed', err);
      // The redirect failed and the stream stopped meanwhile: the caller hung up.
      if (this.#stoppedDuringTransfer) this.#emit((s) => s.hungUp());
      return false;
    } finally {
      this.#transferring = false;
    }
  }
}
