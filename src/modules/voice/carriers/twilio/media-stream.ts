import type { WebSocket } from 'ws';
import { MULAW_FRAME_BYTES } from '../../audio/codec.ts';

/**
 * Twilio Media Streams, bidirectional (`<Connect><Stream>`), as documented at
 * https://www.twilio.com/docs/voice/media-streams/websocket-messages.
 *
 * In: `connected`, `start` (call sid, stream sid, custom parameters), `media` (base64 μ-law 8 kHz,
 * 20 ms frames), `dtmf`, `mark` (echoed once the audio sent before it has played, or when a `clear`
 * dropped it), `stop`. Out: `media`, `mark`, `clear`.
 *
 * Every message after `connected` carries `sequenceNumber` (a string, "1" for `start`, then +1 per
 * message) and each `media` its `chunk` number. A media or dtmf message whose sequence number is
 * not above the last one seen is a repeat or arrived late: it is dropped (its audio already
 * passed, or was already heard). A jump in the numbers is a gap: noted in `inbound` (missing
 * messages), the stream goes on from the new number. Marks are numbered in the same series.
 *
 * Outbound audio is paced here in real time, a little ahead of the clock (`leadMs`), rather than
 * sent as fast as it is synthesised: Twilio would buffer it all, and then a barge-in's `clear`
 * and the marks would be the only idea of what the caller heard. Paced, the buffer at Twilio stays
 * short and what is still queued here can be dropped without a round trip.
 */

export interface StreamStart {
  streamSid: string;
  callSid: string;
  accountSid: string;
  customParameters: Record<string, string>;
  tracks: string[];
}

export interface MediaStreamHandlers {
  /** The `start` message. Return false to refuse the stream (the socket is closed with 1008). */
  onStart(start: StreamStart): boolean | Promise<boolean>;
  /** One inbound frame: μ-law 8 kHz bytes (normally 160 = 20 ms). */
  onAudio?(mulaw: Uint8Array, timestampMs: number): void;
  onDtmf?(digit: string): void;
  /** A mark came back: `played` is false when a `clear` dropped the audio before it. */
  onMark?(name: string, played: boolean): void;
  /** The stream ended: Twilio's `stop`, the socket closing, or a protocol error. */
  onStop?(reason: 'stop' | 'closed' | 'protocol_error' | 'refused', detail?: string): void;
  /** Every outbound frame as it is written, with how late it was against its due time (the benchmark). */
  onFrameSent?(lateMs: number): void;
}

export interface MediaStreamOptions {
  /** How far ahead of real time outbound audio is written (default 80 ms). */
  leadMs?: number;
  now?: () => number;
  /** A `start` must arrive within this time of the socket opening, else the socket is closed (default 10 s). */
  startTimeoutMs?: number;
}

/** What came in on the stream: frames passed on, repeats or stale messages dropped, messages missing. */
export interface InboundStats {
  frames: number;
  dropped: number;
  missing: number;
}

type Outbound = { kind: 'audio'; frame: Uint8Array } | { kind: 'mark'; name: string };

const FRAME_MS = 20;

export class TwilioMediaStream {
  readonly #socket: WebSocket;
  readonly #handlers: MediaStreamHandlers;
  readonly #leadMs: number;
  readonly #now: () => number;
  #start: StreamStart | undefined;
  #state: 'waiting' | 'starting' | 'open' | 'ended' = 'waiting';
  #queue: Outbound[] = [];
  #partial: Uint8Array = new Uint8Array(0);
  /** When the next outbound frame is due to start playing (ms, our clock); 0 when idle. */
  #playhead = 0;
  /** When the line last went from idle to playing: frames due before it are on time when sent then. */
  #burstStart = 0;
  #timer: NodeJS.Timeout | undefined;
  #mediaPrefix: string | undefined;
  #startTimer: NodeJS.Timeout | undefined;
  /** Marks sent to Twilio and not yet echoed; true once a `clear` has dropped their audio. */
  readonly #outstanding = new Map<string, boolean>();
  /** The highest `sequenceNumber` seen (0: none yet). */
  #lastSeq = 0;
  readonly #inbound: InboundStats = { frames: 0, dropped: 0, missing: 0 };

  constructor(socket: WebSocket, handlers: MediaStreamHandlers, opts: MediaStreamOptions = {}) {
    this.#socket = socket;
    this.#handlers = handlers;
    this.#leadMs = opts.leadMs ?? 80;
    this.#now = opts.now ?? (() => performance.now());
    this.#startTimer = setTimeout(
      () => this.#end('protocol_error', 'no start message', 1008),
      opts.startTimeoutMs ?? 10_000,
    );
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.#end('protocol_error', 'binary frame', 1003);
      // Nothing a peer sends may throw out of here (it would end the process).
      try {
        this.#receive(data.toString());
      } catch {
        this.#end('protocol_error', 'message could not be handled', 1011);
      }
    });
    socket.on('close', () => this.#end('closed'));
    socket.on('error', () => this.#end('closed'));
  }

  get start(): StreamStart | undefined {
    return this.#start;
  }

  get ended(): boolean {
    return this.#state === 'ended';
  }

  get inbound(): InboundStats {
    return { ...this.#inbound };
  }

  /** Audio not yet written to Twilio, in ms (what a `clear` would drop here). */
  get queuedMs(): number {
    let frames = 0;
    for (const item of this.#queue) if (item.kind === 'audio') frames++;
    return frames * FRAME_MS;
  }

  #receive(text: string) {
    if (this.#state === 'ended') return;
    let msg: any;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.#end('protocol_error', 'not JSON', 1003);
    }
    switch (msg?.event) {
      case 'connected':
        return;
      case 'start':
        return void this.#onStart(msg);
      case 'media': {
        if (this.#state !== 'open') return;
        const m = msg.media;
        // Only the caller's audio: a stream started with both tracks also carries our own.
        if (!m || typeof m.payload !== 'string' || (m.track && m.track !== 'inbound')) return;
        if (!this.#inOrder(msg.sequenceNumber)) return;
        this.#inbound.frames++;
        this.#handlers.onAudio?.(Buffer.from(m.payload, 'base64'), Number(m.timestamp) || 0);
        return;
      }
      case 'dtmf': {
        const digit = msg.dtmf?.digit;
        if (this.#state === 'open' && typeof digit === 'string' && /^[0-9*#A-D]$/.test(digit)) {
          if (!this.#inOrder(msg.sequenceNumber)) return;
          this.#handlers.onDtmf?.(digit);
        }
        return;
      }
      case 'mark': {
        // Marks are numbered too (kept in step; a repeated one is answered once by the lookup below).
        this.#inOrder(msg.sequenceNumber, false);
        const name = msg.mark?.name;
        if (typeof name !== 'string' || !this.#outstanding.has(name)) return;
        const cleared = this.#outstanding.get(name)!;
        this.#outstanding.delete(name);
        this.#handlers.onMark?.(name, !cleared);
        return;
      }
      case 'stop':
        return this.#end('stop', undefined, 1000);
      default:
        return; // Unknown events are ignored, as Twilio may add new ones.
    }
  }

  async #onStart(msg: any) {
    if (this.#state !== 'waiting') return;
    const s = msg.start;
    const streamSid = msg.streamSid ?? s?.streamSid;
    if (!s || typeof streamSid !== 'string' || typeof s.callSid !== 'string')
      return this.#end('protocol_error', 'start without streamSid or callSid', 1008);
    const format = s.mediaFormat;
    if (format && (format.encoding !== 'audio/x-mulaw' || Number(format.sampleRate) !== 8000))
      return this.#end(
        'protocol_error',
        `unsupported media format ${format.encoding}/${format.sampleRate}`,
        1003,
      );
    clearTimeout(this.#startTimer);
    this.#state = 'starting';
    this.#lastSeq = seqOf(msg.sequenceNumber) ?? 0;
    const start: StreamStart = {
      streamSid,
      callSid: s.callSid,
      accountSid: String(s.accountSid ?? ''),
      customParameters: isStringRecord(s.customParameters) ? s.customParameters : {},
      tracks: Array.isArray(s.tracks) ? s.tracks.map(String) : ['inbound'],
    };
    this.#start = start;
    let accepted = false;
    try {
      accepted = await this.#handlers.onStart(start);
    } catch {
      accepted = false;
    }
    if (this.#state !== 'starting') return;
    if (!accepted) return this.#end('refused', 'unknown call or bad token', 1008);
    this.#state = 'open';
    this.#pump();
  }

  /** False for a repeated or stale message (dropped); notes a gap. No number: taken as it comes. */
  #inOrder(raw: unknown, drops = true): boolean {
    const seq = seqOf(raw);
    if (seq === undefined) return true;
    if (seq <= this.#lastSeq) {
      if (drops) this.#inbound.dropped++;
      return false;
    }
    // Numbers skipped: messages Twilio sent that never arrived (every numbered message counts).
    if (this.#lastSeq > 0 && seq > this.#lastSeq + 1) this.#inbound.missing += seq - this.#lastSeq - 1;
    this.#lastSeq = seq;
    return true;
  }

  /** Queues μ-law 8 kHz audio to be played after what is already queued. */
  sendAudio(mulaw: Uint8Array) {
    if (this.#state === 'ended') return;
    let bytes = mulaw;
    if (this.#partial.length) {
      bytes = new Uint8Array(this.#partial.length + mulaw.length);
      bytes.set(this.#partial);
      bytes.set(mulaw, this.#partial.length);
      this.#partial = new Uint8Array(0);
    }
    let i = 0;
    for (; i + MULAW_FRAME_BYTES <= bytes.length; i += MULAW_FRAME_BYTES)
      this.#queue.push({ kind: 'audio', frame: bytes.subarray(i, i + MULAW_FRAME_BYTES) });
    if (i < bytes.length) this.#partial = bytes.slice(i);
    this.#pump();
  }

  /**
   * Marks the end of a spoken segment: the mark goes to Twilio right after the segment's last
   * frame and comes back (onMark, played) when the caller has heard it all.
   */
  mark(name: string) {
    if (this.#state === 'ended') return;
    this.#flushPartial();
    this.#queue.push({ kind: 'mark', name });
    this.#pump();
  }

  /**
   * Barge-in: drops what is queued here, and tells Twilio to drop its buffer. Marks not yet
   * sent are reported unplayed at once; those Twilio holds come back unplayed.
   */
  clear() {
    if (this.#state === 'ended') return;
    const dropped = this.#queue;
    this.#queue = [];
    this.#partial = new Uint8Array(0);
    this.#playhead = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const name of this.#outstanding.keys()) this.#outstanding.set(name, true);
    if (this.#state === 'open') this.#write({ event: 'clear', streamSid: this.#start!.streamSid });
    for (const item of dropped) if (item.kind === 'mark') this.#handlers.onMark?.(item.name, false);
  }

  /** Closes the stream from our side (the call is over). */
  close(code = 1000) {
    this.#end('closed', undefined, code);
  }

  #flushPartial() {
    if (!this.#partial.length) return;
    const frame = new Uint8Array(MULAW_FRAME_BYTES).fill(0xff); // μ-law silence
    frame.set(this.#partial);
    this.#partial = new Uint8Array(0);
    this.#queue.push({ kind: 'audio', frame });
  }

  #pump(waitedFor?: number) {
    if (this.#state !== 'open' || this.#timer) return;
    const now = this.#now();
    // The frame the timer waited for, when the timer fired so late that its play time passed (a
    // stalled event loop): the line ran dry at Twilio. It goes out now, late by that much.
    let underrun = 0;
    if (this.#playhead < now) {
      if (waitedFor !== undefined) underrun = now - waitedFor;
      // Idle line (or one that ran dry): play from now; the first `leadMs` of audio go out at once.
      this.#playhead = now;
      this.#burstStart = now;
    }
    while (this.#queue.length) {
      const item = this.#queue[0];
      if (item.kind === 'mark') {
        this.#queue.shift();
        this.#outstanding.set(item.name, false);
        this.#write({ event: 'mark', streamSid: this.#start!.streamSid, mark: { name: item.name } });
        continue;
      }
      // A frame is due `leadMs` before it starts playing.
      const due = this.#playhead - this.#leadMs;
      if (due > now) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump(due);
        }, due - now);
        return;
      }
      this.#queue.shift();
      // The one message sent 50 times a second: its JSON is put together from a prefix made once.
      this.#mediaPrefix ??= `{"event":"media","streamSid":${JSON.stringify(this.#start!.streamSid)},"media":{"payload":"`;
      const payload = Buffer.from(item.frame.buffer, item.frame.byteOffset, item.frame.byteLength);
      this.#writeRaw(`${this.#mediaPrefix}${payload.toString('base64')}"}}`);
      this.#handlers.onFrameSent?.(underrun || Math.max(0, now - Math.max(due, this.#burstStart)));
      underrun = 0;
      this.#playhead += FRAME_MS;
    }
  }

  #write(message: object) {
    this.#writeRaw(JSON.stringify(message));
  }

  #writeRaw(text: string) {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(text);
  }

  #end(reason: 'stop' | 'closed' | 'protocol_error' | 'refused', detail?: string, code?: number) {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    clearTimeout(this.#startTimer);
    clearTimeout(this.#timer);
    this.#queue = [];
    if (code !== undefined && this.#socket.readyState === this.#socket.OPEN) this.#socket.close(code, detail);
    this.#handlers.onStop?.(reason, detail);
  }
}

/** Twilio's `sequenceNumber`: a string of digits. */
function seqOf(raw: unknown): number | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return !!v && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'string');
}
