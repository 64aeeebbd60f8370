import { EventEmitter } from 'node:events';
import WebSocket from 'ws';

/**
 * Deepgram: streaming recognition over a WebSocket (`/v1/listen`, raw audio in as binary frames,
 * `Results` / `UtteranceEnd` / `SpeechStarted` JSON out) and speech synthesis over HTTP
 * (`POST /v1/speak`, audio streamed back, μ-law 8 kHz on request), as documented at
 * https://developers.deepgram.com/reference/speech-to-text/listen-streaming and
 * https://developers.deepgram.com/reference/text-to-speech-api/speak.
 */

export interface DeepgramOptions {
  apiKey: string;
  /** `https://api.deepgram.com` (a local fake in tests); the WebSocket uses the same host. */
  baseUrl?: string;
  model?: string;
  language?: string;
  /** Ms to wait for the socket to open before the engine counts as down (default 5 s). */
  connectTimeoutMs?: number;
}

export interface SttResult {
  text: string;
  confidence: number;
  /** The segment will not change any more. */
  isFinal: boolean;
  /** Deepgram's endpointer saw the speaker pause: the end of a turn, as far as it knows. */
  speechFinal: boolean;
  /** The answer to a `Finalize` request (the last results of what was sent before it). */
  fromFinalize: boolean;
  startMs: number;
  endMs: number;
}

export interface SttStreamEvents {
  partial: [SttResult];
  final: [SttResult];
  speech_started: [number];
  utterance_end: [number];
  error: [Error];
  close: [];
}

const DEFAULT_BASE = 'https://api.deepgram.com';

function wsBase(base: string) {
  return base
    .replace(/^https:/, 'wss:')
    .replace(/^http:/, 'ws:')
    .replace(/\/$/, '');
}

/**
 * One streaming recognition session. Audio is μ-law 8 kHz (a Twilio leg's bytes go through
 * untouched) or 16-bit PCM; results come back as events. An engine that cannot be reached, drops
 * the socket, or sends an error emits `error` once: the call ends with `stt_error`.
 */
export class DeepgramSttStream extends EventEmitter<SttStreamEvents> {
  readonly #socket: WebSocket;
  readonly #opened: Promise<void>;
  #closed = false;
  #failed = false;
  #keepAlive: NodeJS.Timeout | undefined;

  constructor(
    opts: DeepgramOptions & {
      encoding: 'mulaw' | 'linear16';
      sampleRate: number;
      endpointingMs?: number;
      utteranceEndMs?: number;
      keywords?: string[];
    },
  ) {
    super();
    const q = new URLSearchParams({
      model: opts.model ?? 'nova-3',
      encoding: opts.encoding,
      sample_rate: String(opts.sampleRate),
      channels: '1',
      interim_results: 'true',
      endpointing: String(opts.endpointingMs ?? 300),
      utterance_end_ms: String(opts.utteranceEndMs ?? 1000),
      vad_events: 'true',
      smart_format: 'true',
      punctuate: 'true',
    });
    if (opts.language) q.set('language', opts.language);
    for (const k of opts.keywords ?? []) q.append('keyterm', k);
    this.#socket = new WebSocket(`${wsBase(opts.baseUrl ?? DEFAULT_BASE)}/v1/listen?${q}`, {
      headers: { authorization: `Token ${opts.apiKey}` },
      handshakeTimeout: opts.connectTimeoutMs ?? 5000,
    });
    this.#opened = new Promise((resolve, reject) => {
      this.#socket.once('open', () => resolve());
      this.#socket.once('error', reject);
      this.#socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`Deepgram refused the stream: HTTP ${res.statusCode}`)),
      );
    });
    this.#opened.then(
      () => {
        // Deepgram closes a stream that gets no audio for 10 s; KeepAlive holds it during long agent turns.
        this.#keepAlive = setInterval(() => this.#sendJson({ type: 'KeepAlive' }), 5000);
      },
      (err) => this.#fail(err),
    );
    this.#socket.on('message', (data, isBinary) => {
      if (!isBinary) this.#receive(data.toString());
    });
    this.#socket.on('close', (code, reason) => {
      clearInterval(this.#keepAlive);
      if (!this.#closed && code !== 1000)
        this.#fail(new Error(`Deepgram closed the stream (${code} ${reason.toString()})`));
      this.#closed = true;
      this.emit('close');
    });
    this.#socket.on('error', (err) => this.#fail(err));
  }

  /** Resolves once the socket is open; rejects when Deepgram is down or refuses the key. */
  ready(): Promise<void> {
    return this.#opened;
  }

  #fail(err: Error) {
    if (this.#failed || this.#closed) return;
    this.#failed = true;
    this.emit('error', err);
  }

  #receive(text: string) {
    let msg: any;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    switch (msg?.type) {
      case 'Results': {
        const alt = msg.channel?.alternatives?.[0];
        const result: SttResult = {
          text: String(alt?.transcript ?? ''),
          confidence: Number(alt?.confidence ?? 0),
          isFinal: msg.is_final === true,
          speechFinal: msg.speech_final === true,
          fromFinalize: msg.from_finalize === true,
          startMs: Math.round(Number(msg.start ?? 0) * 1000),
          endMs: Math.round((Number(msg.start ?? 0) + Number(msg.duration ?? 0)) * 1000),
        };
        if (result.isFinal) this.emit('final', result);
        else if (result.text) this.emit('partial', result);
        return;
      }
      case 'UtteranceEnd':
        this.emit('utterance_end', Math.round(Number(msg.last_word_end ?? 0) * 1000));
        return;
      case 'SpeechStarted':
        this.emit('speech_started', Math.round(Number(msg.timestamp ?? 0) * 1000));
        return;
      case 'Error':
        this.#fail(new Error(`Deepgram: ${msg.description ?? msg.message ?? 'error'}`));
        return;
      default:
        return; // Metadata and anything new
    }
  }

  #sendJson(message: object) {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  /** Audio is dropped until the socket is open (a call's first 100 ms), never buffered without bound. */
  push(audio: Uint8Array | Int16Array) {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    this.#socket.send(
      audio instanceof Int16Array ? Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength) : audio,
    );
  }

  /** Asks for the final result of what was said so far now (the caller pressed a key, the line went quiet). */
  finalize() {
    this.#sendJson({ type: 'Finalize' });
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    if (this.#socket.readyState === WebSocket.OPEN) {
      this.#sendJson({ type: 'CloseStream' });
      this.#socket.close(1000);
    } else this.#socket.terminate();
  }
}

export class SpeechEngineError extends Error {
  readonly engine: string;
  constructor(engine: string, message: string) {
    super(message);
    this.name = 'SpeechEngineError';
    this.engine = engine;
  }
}

/** Reads a streamed HTTP body chunk by chunk; a stall longer than `idleMs` fails it. */
export async function* streamBody(
  engine: string,
  res: Response,
  controller: AbortController,
  idleMs: number,
): AsyncIterable<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  try {
    while (true) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Rejected before the abort, so the race ends with this error rather than the abort's.
          reject(new SpeechEngineError(engine, `${engine} stopped sending audio for ${idleMs} ms.`));
          controller.abort();
        }, idleMs);
      });
      let chunk: { done: boolean; value?: Uint8Array };
      try {
        chunk = await Promise.race([reader.read(), stalled]);
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) return;
      if (chunk.value?.length) yield chunk.value;
    }
  } finally {
    reader.releaseLock();
    controller.abort();
  }
}

/** POSTs to a speech engine with a first-byte timeout; failures are SpeechEngineError. */
export async function speechPost(
  engine: string,
  url: string,
  init: { headers: Record<string, string>; body: string; timeoutMs: number; signal?: AbortSignal },
): Promise<{ res: Response; controller: AbortController }> {
  const controller = new AbortController();
  init.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const timer = setTimeout(() => controller.abort(), init.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: init.headers,
      body: init.body,
      signal: controller.signal,
    });
  } catch (err) {
    const e = err as Error;
    throw new SpeechEngineError(
      engine,
      e.name === 'AbortError'
        ? `${engine} did not answer within ${init.timeoutMs} ms.`
        : `Could not reach ${engine}: ${e.message}`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok) {
    const detail = (await res.text().catch(() => '')).slice(0, 300);
    throw new SpeechEngineError(
      engine,
      `${engine} answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`,
    );
  }
  return { res, controller };
}

/**
 * Deepgram speech: `POST /v1/speak?model=&encoding=mulaw&sample_rate=8000&container=none` with
 * `{"text"}`; the μ-law bytes stream back ready for a Twilio leg (or 16 kHz linear16 for others).
 */
export async function* deepgramSpeak(
  text: string,
  opts: DeepgramOptions & {
    voice?: string;
    encoding: 'mulaw' | 'linear16';
    sampleRate: number;
    timeoutMs?: number;
    signal?: AbortSignal;
  },
): AsyncIterable<Uint8Array> {
  const q = new URLSearchParams({
    model: opts.voice ?? opts.model ?? 'aura-2-thalia-en',
    encoding: opts.encoding,
    sample_rate: String(opts.sampleRate),
    container: 'none',
  });
  const { res, controller } = await speechPost(
    'Deepgram',
    `${(opts.baseUrl ?? DEFAULT_BASE).replace(/\/$/, '')}/v1/speak?${q}`,
    {
      headers: { authorization: `Token ${opts.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      timeoutMs: opts.timeoutMs ?? 5000,
      signal: opts.signal,
    },
  );
  yield* streamBody('Deepgram', res, controller, opts.timeoutMs ?? 5000);
}
