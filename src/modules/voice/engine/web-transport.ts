import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { parseJsonObject, safeHandler } from '../../../platform/http/socket-guard.ts';
import { pcm16FromLE } from '../audio/codec.ts';
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
 * Agent audio goes out paced in real time, one 20 ms frame at a time (the process's one pacer
 * sends every call's due frames together), so `clear` stops it at once. A segment can arrive in
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
    const onMessage = (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary);
    this.#ws.on(
      'message',
      this.#logger
        ? safeHandler(this.#logger, 'call-media', onMessage, () =>
            this.#send({ type: 'error', message: 'The message could not be handled.' }),
          )
        : onMessage,
    );
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
  #admit(data: Buffer): Int16Array | null {
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
    const now = performance.now();
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
    this.#lastInAt = performance.now();
    if (isBinary) {
      const pcm = this.#admit(data);
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
    if (!q || !q.open || !pcm.length) return;
    q.pieces.push(pcm);
    q.available += pcm.length;
    this.#resume();
  }

  finish(segmentId: string) {
    const q = this.#queue.find((s) => s.id === segmentId);
    if (!q || !q.open) return;
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

  /** The next frame of a segment (the last one may be short), or null when it must wait for more. */
  #takeFrame(q: Queued): Int16Array | null {
    if (q.available < FRAME_SAMPLES && (q.open || q.available === 0)) return null;
    const n = Math.min(FRAME_SAMPLES, q.available);
    const head = q.pieces[0];
    let frame: Int16Array;
    if (head.length - q.offset >= n) {
      frame = head.subarray(q.offset, q.offset + n);
      q.offset += n;
    } else {
      frame = new Int16Array(n);
      let filled = 0;
      while (filled < n) {
        const piece = q.pieces[0];
        const take = Math.min(n - filled, piece.length - q.offset);
        frame.set(piece.subarray(q.offset, q.offset + take), filled);
        filled += take;
        q.offset += take;
        if (q.offset >= piece.length) {
          q.pieces.shift();
          q.offset = 0;
        }
      }
    }
    if (q.pieces.length && q.offset >= q.pieces[0].length) {
      q.pieces.shift();
      q.offset = 0;
    }
    q.available -= n;
    return frame;
  }

  /**
   * Sends the frames due by `now` (the pacer's clock); returns when the next one is due, or null
   * when there is nothing to send until `play`, `append` or `finish` (drift-corrected: each
   * frame's time is the previous one's + 20 ms, not the time it was sent).
   */
  pace(now: number): number | null {
    while (this.#queue.length && this.#nextDue <= now + SLACK_MS) {
      const q = this.#queue[0];
      if (q.hasAudio) {
        const frame = this.#takeFrame(q);
        if (frame) {
          this.#sendAudio(frame, now);
          this.#nextDue += FRAME_MS;
          this.#sentMs.set(q.id, (this.#sentMs.get(q.id) ?? 0) + (frame.length / FRAME_SAMPLES) * FRAME_MS);
        } else if (q.open) {
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
        this.#queue.shift();
        this.#sentMs.delete(q.id);
        this.#sink?.played(q.id);
      }
    }
    if (this.#queue.length && !this.#closed && this.#pacing) return this.#nextDue;
    this.#pacing = false;
    return null;
  }

  /**
   * One frame of agent audio to the client, unless it is not reading: past `sendBufferBytes`
   * waiting to be sent the frame is dropped (its time passes all the same), and after
   * `slowReaderCloseMs` of that the socket is closed.
   */
  #sendAudio(frame: Int16Array, now: number) {
    const ws = this.#ws;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.#limits.sendBufferBytes) {
      this.#stats.dropped('slow_reader');
      if (!this.#slowSince) this.#slowSince = now;
      else if (now - this.#slowSince >= this.#limits.slowReaderCloseMs)
        this.#closeFor(
          mediaLimitClose.timeout,
          'slow reader: the audio sent was not read for too long.',
          'slow_reader',
        );
      return;
    }
    this.#slowSince = 0;
    ws.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), { binary: true });
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
