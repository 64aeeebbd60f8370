import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { parseJsonObject, safeHandler } from '../../../platform/http/socket-guard.ts';
import { pcm16FromLE } from '../audio/codec.ts';
import type { CallTransport, OutSegment, SessionNotice, TransportSink } from './types.ts';
import { FRAME_SAMPLES } from './types.ts';

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
 * Agent audio goes out paced in real time, one 20 ms frame per tick, so `clear` stops it at once.
 * A segment can arrive in pieces as it is synthesised (`append`, `finish`): its frames go out as
 * they come, and it counts as played once its last frame has gone.
 */
export class WebSocketTransport implements CallTransport {
  readonly kind = 'web';
  readonly #ws: WebSocket;
  #sink: TransportSink | null = null;
  #queue: Queued[] = [];
  #timer: NodeJS.Timeout | null = null;
  #nextDue = 0;
  #closed = false;
  /** Per segment: ms of it sent to the caller so far (what they can have heard when cut). */
  readonly #sentMs = new Map<string, number>();

  readonly #logger: Logger | undefined;

  constructor(ws: WebSocket, logger?: Logger) {
    this.#ws = ws;
    this.#logger = logger;
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
      if (this.#closed) return;
      this.#closed = true;
      this.#stopPacing();
      sink.hungUp();
    });
  }

  #onMessage(data: Buffer, isBinary: boolean) {
    const sink = this.#sink;
    if (!sink) return;
    if (isBinary) {
      if (data.length < 2) return;
      sink.audio(pcm16FromLE(data));
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
    if (!this.#timer) {
      this.#nextDue = performance.now();
      this.#tick();
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
    if (this.#timer || this.#closed) return;
    this.#nextDue = Math.max(this.#nextDue, performance.now());
    this.#tick();
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

  /** Sends the frames that are due, then sleeps until the next one (drift-corrected). */
  #tick = () => {
    this.#timer = null;
    const now = performance.now();
    while (this.#queue.length && this.#nextDue <= now + 1) {
      const q = this.#queue[0];
      if (q.hasAudio) {
        const frame = this.#takeFrame(q);
        if (frame) {
          this.#ws.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), { binary: true });
          this.#nextDue += FRAME_MS;
          this.#sentMs.set(q.id, (this.#sentMs.get(q.id) ?? 0) + (frame.length / FRAME_SAMPLES) * FRAME_MS);
        } else if (q.open) return; // the speech engine is behind: `append` or `finish` resumes
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
    if (this.#queue.length && !this.#closed) {
      this.#timer = setTimeout(this.#tick, Math.max(0, this.#nextDue - performance.now()));
    }
  };

  #stopPacing() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
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
    this.#ws.close(1000, 'call ended');
  }
}
