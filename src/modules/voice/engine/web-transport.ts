import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { parseJsonObject } from '../../../platform/http/socket-guard.ts';
import { pcm16FromLE } from '../audio/codec.ts';
import { readBinaryFramesDirectly } from './fast-inbound.ts';
import {
  DEFAULT_MEDIA_LIMITS,
  type MediaLimits,
  type MediaStats,
  mediaLimitClose,
  noMediaStats,
} from './media-limits.ts';
import { type Paced, pacer, SLACK_MS } from './pacer.ts';
import type { CallTransport, OutSegment, SessionNotice, TransportSink } from './types.ts';
import { FRAME_SAMPLES } from './types.ts';

/** Samples of 16 kHz audio per millisecond: the real-time rate a client's audio is held to. */
const SAMPLES_PER_MS = 16;

const FRAME_MS = 20;
/** An outbound frame's payload: at most one 20 ms frame of samples. */
const MAX_FRAME_BYTES = FRAME_SAMPLES * 2;
/** An outbound WebSocket frame's room in the write buffer: a 4-byte header and the samples. */
const SLOT_BYTES = 4 + MAX_FRAME_BYTES;
/**
 * Agent frames sent per socket write: the frame that is due and the one after it (20 ms early),
 * so a speaking call costs 25 writes a second, not 50. A client plays frames from a jitter buffer
 * (the browser's holds 50 ms), so a frame 20 ms early is queued, not heard early; `clear` still
 * stops what it holds.
 */
export const FRAMES_PER_WRITE = 2;
const AHEAD_MS = (FRAMES_PER_WRITE - 1) * FRAME_MS;

/** The samples of each frame slot of an outbound write buffer, past its 4 header bytes (Node's pool aligns it to 8). */
const pcmViews = (out: Buffer) =>
  Array.from(
    { length: FRAMES_PER_WRITE },
    (_, k) => new Int16Array(out.buffer, out.byteOffset + k * SLOT_BYTES + 4, FRAME_SAMPLES),
  );

interface Queued {
  id: string;
  /** Audio not yet sent, in the pieces it came in (the first one read from `offset`). */
  pieces: Int16Array[];
  offset: number;
  /** Samples in `pieces` past `offset`. */
  available: number;
  hasAudio: boolean;
  /** More audio is coming (`append`) until `finish`. */
  open: boolean;
  /** Text-only segments play for their estimated duration. */
  silentMs: number;
}

/**
 * A caller on Parley's media WebSocket (a browser, `parley call`, a test): binary frames are
 * 16 kHz 16-bit little-endian PCM both ways; JSON text frames carry events. The client sends
 * `{"type": "text", "text"}` (a typed turn), `{"type": "dtmf", "digit"}` and `{"type": "hangup"}`;
 * the server sends `status`, `transcript`, `agent_text`, `listening`, `clear` and `ended`.
 * Agent audio goes out paced in real time, 20 ms frames two at a time, 40 ms apart (the process's
 * one pacer sends every call's due frames together), so `clear` stops it at once. A segment can arrive in
 * pieces as it is synthesised (`append`, `finish`): its frames go out as they come, and it counts
 * as played once its last frame has gone.
 *
 * The socket is bounded (media-limits.ts): audio faster than real time past a burst is dropped
 * and, if it goes on, closed 4429; frames of odd size or over a second are dropped; agent audio
 * to a client that does not read is dropped past a send buffer and, if it goes on, closed 4408;
 * a socket that sends nothing for `idleMs` is closed 4408.
 */
export class WebSocketTransport implements CallTransport, Paced {
  readonly kind = 'web';
  readonly #ws: WebSocket;
  #sink: TransportSink | null = null;
  #queue: Queued[] = [];
  #pacing = false;
  #nextDue = 0;
  #closed = false;
  /** Per segment: ms of it sent to the caller so far (what they can have heard when cut). */
  readonly #sentMs = new Map<string, number>();

  readonly #logger: Logger | undefined;
  readonly #limits: MediaLimits;
  readonly #stats: MediaStats;
  /** Audio (samples) the client may still send ahead of real time, and when that was reckoned. */
  #tokens: number;
  #tokensAt = performance.now();
  /** Samples dropped for coming faster than real time. */
  #overrun = 0;
  #badSizeTold = false;
  /** Since when the client has been too slow reading (a send buffer over the bound), or 0. */
  #slowSince = 0;
  #lastInAt = performance.now();
  #idleTimer: NodeJS.Timeout | null = null;
  /** The outbound write: `FRAMES_PER_WRITE` slots of 4 header bytes and a 20 ms frame's samples (`#outFrame`). */
  #out = Buffer.allocUnsafe(FRAMES_PER_WRITE * SLOT_BYTES);
  #outPcm = pcmViews(this.#out);
  /** Samples in each slot of the write being built. */
  readonly #lens = new Int32Array(FRAMES_PER_WRITE);

  constructor(
    ws: WebSocket,
    logger?: Logger,
    opts: { limits?: Partial<MediaLimits>; stats?: MediaStats } = {},
  ) {
    this.#ws = ws;
    this.#logger = logger;
    this.#limits = { ...DEFAULT_MEDIA_LIMITS, ...opts.limits };
    this.#stats = opts.stats ?? noMediaStats;
    this.#tokens = this.#limits.burstSeconds * 16_000;
    // A frame `ws` refuses (not UTF-8, over maxPayload) is an `error` event: it closes the socket.
    if (ws.listenerCount('error') === 0) ws.on('error', () => ws.terminate());
  }

  attach(sink: TransportSink) {
    this.#sink = sink;
    const logger = this.#logger;
    // Nothing a client sends throws out of the handler (as platform/http's `safeHandler`, with
    // fixed arguments: no rest array made per frame).
    const onMessage = logger
      ? (data: Buffer, isBinary: boolean) => {
          try {
            this.#onMessage(data, isBinary);
          } catch (err) {
            logger.warn(
              { err: (err as Error).message, socket: 'call-media' },
              'websocket message handler failed',
            );
            this.#send({ type: 'error', message: 'The message could not be handled.' });
          }
        }
      : (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary);
    this.#ws.on('message', onMessage);
    // A served socket's audio frames skip `ws`'s parser (fast-inbound.ts); the rest come as messages.
    readBinaryFramesDirectly(this.#ws, (payload) => onMessage(payload, true));
    this.#ws.on('close', () => {
      this.#stopIdle();
      if (this.#closed) return;
      this.#closed = true;
      this.#stopPacing();
      sink.hungUp();
    });
    this.#armIdle();
  }

  /** Closes the socket for a bound it went over (the close frame, then the connection). */
  #closeFor(code: number, reason: string, stat: 'too_fast' | 'idle' | 'slow_reader') {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#stats.closed(stat);
    this.#logger?.info({ code, reason }, 'media socket closed: over a bound');
    this.#send({ type: 'error', code, message: reason });
    this.#ws.close(code, reason);
    // A client that does not read never answers the close: the connection goes after a moment.
    setTimeout(() => this.#ws.terminate(), 2_000).unref();
  }

  #armIdle() {
    const idle = this.#limits.idleMs;
    if (idle <= 0 || this.#idleTimer) return;
    const check = () => {
      this.#idleTimer = null;
      const quiet = performance.now() - this.#lastInAt;
      if (quiet >= idle) {
        this.#closeFor(
          mediaLimitClose.timeout,
          `idle: nothing received for ${Math.round(idle / 1000)} s.`,
          'idle',
        );
        return;
      }
      this.#idleTimer = setTimeout(check, idle - quiet);
      this.#idleTimer.unref();
    };
    this.#idleTimer = setTimeout(check, idle);
    this.#idleTimer.unref();
  }

  #stopIdle() {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  /**
   * A binary frame's samples, or null when it is dropped: an odd size or over `maxFrameBytes`
   * (the client is told once), or audio beyond real time past the burst (closed 4429 if it goes
   * on). The samples are a view of the frame's bytes when they are aligned (no copy): the
   * session uses them at once, and what keeps audio (a recogniser) copies it.
   */
  #admit(data: Buffer, now: number): Int16Array | null {
    const bytes = data.length;
    if (bytes < 2 || bytes % 2 !== 0 || bytes > this.#limits.maxFrameBytes) {
      this.#stats.dropped('bad_size');
      if (!this.#badSizeTold) {
        this.#badSizeTold = true;
        this.#send({
          type: 'error',
          message: `Audio frames must be 16 kHz 16-bit PCM: an even number of bytes, at most ${this.#limits.maxFrameBytes} (20 ms is 640). Frames of other sizes are dropped.`,
        });
      }
      return null;
    }
    const samples = bytes >> 1;
    const cap = this.#limits.burstSeconds * 16_000;
    this.#tokens = Math.min(cap, this.#tokens + (now - this.#tokensAt) * SAMPLES_PER_MS);
    this.#tokensAt = now;
    if (this.#tokens < samples) {
      this.#stats.dropped('over_rate');
      this.#overrun += samples;
      if (this.#overrun >= this.#limits.overrunCloseSeconds * 16_000)
        this.#closeFor(
          mediaLimitClose.tooFast,
          'too fast: audio was sent faster than real time for too long.',
          'too_fast',
        );
      return null;
    }
    this.#tokens -= samples;
    return data.byteOffset % 2 === 0
      ? new Int16Array(data.buffer, data.byteOffset, samples)
      : pcm16FromLE(data, samples);
  }

  #onMessage(data: Buffer, isBinary: boolean) {
    const sink = this.#sink;
    if (!sink) return;
    const now = performance.now();
    this.#lastInAt = now;
    if (isBinary) {
      const pcm = this.#admit(data, now);
      if (pcm) sink.audio(pcm);
      return;
    }
    const msg = parseJsonObject(data.toString('utf8'));
    if (!msg) {
      this.#send({
        type: 'error',
        message: 'Text frames must be a JSON object, e.g. {"type": "text", "text": "Hi"}.',
      });
      return;
    }
    if (msg.type === 'text') {
      if (typeof msg.text === 'string' && msg.text.trim()) sink.text(msg.text.slice(0, 4000));
      else this.#send({ type: 'error', message: 'A text message needs "text": a non-empty string.' });
    } else if (msg.type === 'dtmf') {
      if (typeof msg.digit === 'string' && /^[0-9*#]$/.test(msg.digit)) sink.dtmf(msg.digit);
      else
        this.#send({
          type: 'error',
          message:
            'A dtmf message needs "digit": one key of 0-9, * or #, e.g. {"type": "dtmf", "digit": "1"}.',
        });
    } else if (msg.type === 'hangup') sink.hungUp();
    else
      this.#send({
        type: 'error',
        message:
          'Unknown message: send {"type": "text", "text"}, {"type": "dtmf", "digit"} or {"type": "hangup"}.',
      });
  }

  play(segment: OutSegment) {
    if (this.#closed) return;
    const audio = segment.audio?.length ? segment.audio : undefined;
    this.#sentMs.set(segment.id, 0);
    this.#queue.push({
      id: segment.id,
      pieces: audio ? [audio] : [],
      offset: 0,
      available: audio?.length ?? 0,
      hasAudio: !!audio || segment.open === true,
      open: segment.open === true,
      silentMs: audio || segment.open ? 0 : segment.durationMs,
    });
    if (!this.#pacing) {
      this.#nextDue = performance.now();
      this.#startPacing();
    }
  }

  append(segmentId: string, pcm: Int16Array) {
    const q = this.#queue.find((s) => s.id === segmentId);
    if (!q?.open || !pcm.length) return;
    q.pieces.push(pcm);
    q.available += pcm.length;
    this.#resume();
  }

  finish(segmentId: string) {
    const q = this.#queue.find((s) => s.id === segmentId);
    if (!q?.open) return;
    q.open = false;
    this.#resume();
  }

  /** More to send for a segment the pacing was waiting on: go on from where the line is. */
  #resume() {
    if (this.#pacing || this.#closed) return;
    this.#nextDue = Math.max(this.#nextDue, performance.now());
    this.#startPacing();
  }

  #startPacing() {
    this.#pacing = true;
    pacer.wake(this, this.#nextDue);
  }

  /**
   * Copies the next frame of a segment (the last one may be short) into `into`; returns its
   * samples, or 0 when it must wait for more. The samples go straight from the synthesised pieces
   * into the frame buffer the socket is written from (no frame array is made).
   */
  #takeFrame(q: Queued, into: Int16Array): number {
    if (q.available < FRAME_SAMPLES && (q.open || q.available === 0)) return 0;
    const n = Math.min(FRAME_SAMPLES, q.available);
    let filled = 0;
    while (filled < n) {
      const piece = q.pieces[0];
      const take = Math.min(n - filled, piece.length - q.offset);
      // A view to copy from (a few ns to make) is faster than copying sample by sample.
      into.set(take === piece.length ? piece : piece.subarray(q.offset, q.offset + take), filled);
      filled += take;
      q.offset += take;
      if (q.offset >= piece.length) {
        q.pieces.shift();
        q.offset = 0;
      }
    }
    q.available -= n;
    return n;
  }

  /**
   * Sends the frames due by `now` (the pacer's clock), each with the one after it in the same
   * write (`FRAMES_PER_WRITE`); returns when the next one is due, or null when there is nothing to
   * send until `play`, `append` or `finish` (drift-corrected: each frame's time is the previous
   * one's + 20 ms, not the time it was sent).
   */
  pace(now: number): number | null {
    let n = 0;
    while (this.#queue.length && this.#nextDue <= now + SLACK_MS + (n ? AHEAD_MS : 0)) {
      const q = this.#queue[0];
      if (q.hasAudio) {
        n = this.#paceAudio(q, n, now);
        if (n < 0) {
          this.#pacing = false; // the speech engine is behind: `append` or `finish` resumes
          return null;
        }
      } else if (q.silentMs > 0) {
        const step = Math.min(FRAME_MS, q.silentMs);
        q.silentMs -= step;
        this.#nextDue += step;
        this.#sentMs.set(q.id, (this.#sentMs.get(q.id) ?? 0) + step);
      }
      if (q.hasAudio ? !q.open && q.available === 0 : q.silentMs <= 0) {
        // Its last frames go out before it counts as played (what follows may be a `listening`).
        n = this.#sendAudio(n, now);
        this.#queue.shift();
        this.#sentMs.delete(q.id);
        this.#sink?.played(q.id);
      }
    }
    this.#sendAudio(n, now);
    if (this.#queue.length && !this.#closed && this.#pacing) return this.#nextDue;
    this.#pacing = false;
    return null;
  }

  /**
   * The segment's next frame into slot `n` of the write (sent once the write is full); returns the
   * frames now in the write, or -1 when the segment waits for more audio (what was built is sent).
   */
  #paceAudio(q: Queued, n: number, now: number): number {
    const samples = this.#takeFrame(q, n ? this.#outPcm[n]! : this.#outFrame());
    if (!samples) {
      if (!q.open) return n;
      this.#sendAudio(n, now);
      return -1;
    }
    this.#lens[n++] = samples;
    this.#nextDue += FRAME_MS;
    this.#sentMs.set(q.id, (this.#sentMs.get(q.id) ?? 0) + (samples / FRAME_SAMPLES) * FRAME_MS);
    return n === FRAMES_PER_WRITE ? this.#sendAudio(n, now) : n;
  }

  /**
   * The samples of the first frame of a write about to be sent, in the transport's write buffer:
   * one buffer holds the whole write (each WebSocket frame's header and payload), so a write is
   * one system call (ws's `send` corks a header it makes per message and the payload into a
   * two-buffer `writev`, per frame). The buffer is reused while the socket has written everything
   * it was given; a write that had to wait keeps its buffer, and the next write gets a new one.
   */
  #outFrame(): Int16Array {
    const raw = this.#raw();
    if (raw && raw.writableLength > 0) {
      this.#out = Buffer.allocUnsafe(FRAMES_PER_WRITE * SLOT_BYTES);
      this.#outPcm = pcmViews(this.#out);
    }
    return this.#outPcm[0]!;
  }

  /** The TCP socket under a served `ws` socket, while it is writable (a test's stand-in has none). */
  #raw(): Socket | null {
    const raw = (this.#ws as unknown as { _socket?: Socket | null })._socket;
    return raw && !raw.destroyed && raw.writable ? raw : null;
  }

  /**
   * The `frames` frames of agent audio built in the write buffer (`#lens`: samples in each) to the
   * client in one write, unless it is not reading: past `sendBufferBytes` waiting to be sent the
   * frames are dropped (their time passes all the same), and after `slowReaderCloseMs` of that the
   * socket is closed. Returns 0 (the slots are free again).
   */
  #sendAudio(frames: number, now: number): 0 {
    if (!frames) return 0;
    const ws = this.#ws;
    if (ws.readyState !== ws.OPEN) return 0;
    if (ws.bufferedAmount > this.#limits.sendBufferBytes) {
      for (let k = 0; k < frames; k++) this.#stats.dropped('slow_reader');
      if (!this.#slowSince) this.#slowSince = now;
      else if (now - this.#slowSince >= this.#limits.slowReaderCloseMs)
        this.#closeFor(
          mediaLimitClose.timeout,
          'slow reader: the audio sent was not read for too long.',
          'slow_reader',
        );
      return 0;
    }
    this.#slowSince = 0;
    const out = this.#out;
    const raw = this.#raw();
    if (!raw) {
      // A stand-in socket (tests): through ws as any message, frame by frame (a copy: the buffer is reused).
      for (let k = 0; k < frames; k++) {
        const at = k * SLOT_BYTES + 4;
        ws.send(Buffer.from(out.subarray(at, at + this.#lens[k]! * 2)), { binary: true });
      }
      return 0;
    }
    // Each frame's header just before its samples: FIN + binary, then the length (7 bits under 126
    // bytes, else 126 and 16 bits; the server's frames are not masked, and the media socket has no
    // compression, so a frame is its header and the samples as they are, little-endian). A frame
    // after a short one (a segment's last) moves down to follow it: the write is one run of bytes.
    const start = this.#header(0);
    let end = 4 + this.#lens[0]! * 2;
    for (let k = 1; k < frames; k++) {
      const from = this.#header(k);
      const to = k * SLOT_BYTES + 4 + this.#lens[k]! * 2;
      if (from !== end) out.copyWithin(end, from, to);
      end += to - from;
    }
    raw.write(start === 0 && end === out.length ? out : out.subarray(start, end));
    return 0;
  }

  /** Writes slot `k`'s header in front of its samples; returns where the frame starts. */
  #header(k: number): number {
    const out = this.#out;
    const len = this.#lens[k]! * 2;
    const at = k * SLOT_BYTES;
    if (len < 126) {
      out[at + 2] = 0x82;
      out[at + 3] = len;
      return at + 2;
    }
    out[at] = 0x82;
    out[at + 1] = 126;
    out[at + 2] = len >> 8;
    out[at + 3] = len & 0xff;
    return at;
  }

  #stopPacing() {
    if (this.#pacing) pacer.remove(this);
    this.#pacing = false;
    this.#queue = [];
  }

  heardMs(segmentId: string): number | null {
    return this.#sentMs.get(segmentId) ?? null;
  }

  clear() {
    this.#stopPacing();
    this.#send({ type: 'clear' });
  }

  notify(n: SessionNotice) {
    this.#send(n);
  }

  #send(msg: Record<string, unknown>) {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(JSON.stringify(msg));
  }

  async hangup() {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopPacing();
    this.#stopIdle();
    this.#ws.close(1000, 'call ended');
  }
}
