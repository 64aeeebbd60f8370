import type { WebSocket } from 'ws';
import type { CallTransport, OutSegment, SessionNotice, TransportSink } from './types.ts';
import { FRAME_SAMPLES } from './types.ts';

const FRAME_MS = 20;

interface Queued {
  id: string;
  audio?: Int16Array;
  offset: number;
  /** Text-only segments play for their estimated duration. */
  silentMs: number;
}

/**
 * A caller on Parley's media WebSocket (a browser, `parley call`, a test): binary frames are
 * 16 kHz 16-bit little-endian PCM both ways; JSON text frames carry events. The client sends
 * `{"type": "text", "text"}` (a typed turn), `{"type": "dtmf", "digit"}` and `{"type": "hangup"}`;
 * the server sends `status`, `transcript`, `agent_text`, `listening`, `clear` and `ended`.
 * Agent audio goes out paced in real time, one 20 ms frame per tick, so `clear` stops it at once.
 */
export class WebSocketTransport implements CallTransport {
  readonly kind = 'web';
  readonly #ws: WebSocket;
  #sink: TransportSink | null = null;
  #queue: Queued[] = [];
  #timer: NodeJS.Timeout | null = null;
  #nextDue = 0;
  #closed = false;

  constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  attach(sink: TransportSink) {
    this.#sink = sink;
    this.#ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
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
      // Copy into an aligned buffer: a Buffer's offset into its pool may be odd.
      const pcm = new Int16Array(Math.floor(data.length / 2));
      for (let i = 0; i < pcm.length; i++) pcm[i] = data.readInt16LE(i * 2);
      sink.audio(pcm);
      return;
    }
    let msg: { type?: unknown; text?: unknown; digit?: unknown };
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      this.#send({
        type: 'error',
        message: 'Text frames must be JSON, e.g. {"type": "text", "text": "Hi"}.',
      });
      return;
    }
    if (msg.type === 'text' && typeof msg.text === 'string' && msg.text.trim())
      sink.text(msg.text.slice(0, 4000));
    else if (msg.type === 'dtmf' && typeof msg.digit === 'string' && /^[0-9*#]$/.test(msg.digit))
      sink.dtmf(msg.digit);
    else if (msg.type === 'hangup') sink.hungUp();
    else
      this.#send({
        type: 'error',
        message:
          'Unknown message: send {"type": "text", "text"}, {"type": "dtmf", "digit"} or {"type": "hangup"}.',
      });
  }

  play(segment: OutSegment) {
    if (this.#closed) return;
    this.#queue.push({
      id: segment.id,
      audio: segment.audio,
      offset: 0,
      silentMs: segment.audio ? 0 : segment.durationMs,
    });
    if (!this.#timer) {
      this.#nextDue = performance.now();
      this.#tick();
    }
  }

  /** Sends the frames that are due, then sleeps until the next one (drift-corrected). */
  #tick = () => {
    this.#timer = null;
    const now = performance.now();
    while (this.#queue.length && this.#nextDue <= now + 1) {
      const q = this.#queue[0];
      if (q.audio && q.offset < q.audio.length) {
        const frame = q.audio.subarray(q.offset, q.offset + FRAME_SAMPLES);
        q.offset += FRAME_SAMPLES;
        this.#ws.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), { binary: true });
        this.#nextDue += FRAME_MS;
      } else if (!q.audio && q.silentMs > 0) {
        const step = Math.min(FRAME_MS, q.silentMs);
        q.silentMs -= step;
        this.#nextDue += step;
      }
      if ((q.audio && q.offset >= q.audio.length) || (!q.audio && q.silentMs <= 0)) {
        this.#queue.shift();
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
