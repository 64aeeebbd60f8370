import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { speechLikeMulaw, speechLikePcm8k } from './callee-audio.ts';

/**
 * Local stand-ins for the cloud speech engines, speaking their documented protocols:
 * - Deepgram streaming recognition: WebSocket `/v1/listen` with `Authorization: Token <key>`, binary
 *   audio in; `Results` (interim and final, `speech_final`), `SpeechStarted`, `UtteranceEnd` and
 *   `Metadata` out; `KeepAlive`, `Finalize`, `CloseStream` understood
 *   (https://developers.deepgram.com/reference/speech-to-text/listen-streaming). The transcript of
 *   each utterance is scripted; an utterance is "heard" after `bytesPerUtterance` of audio.
 * - Deepgram speech: `POST /v1/speak?model&encoding&sample_rate&container=none` with `{"text"}`.
 * - ElevenLabs: `POST /v1/text-to-speech/{voice_id}/stream?output_format=ulaw_8000`, `xi-api-key`.
 * Both speech routes stream the asked format back (μ-law 8 kHz or 16-bit PCM 16 kHz) in chunks,
 * `msPerChar` of audio per character (25 ms, about a real voice's pace, unless a test sets less).
 */
export class FakeSpeech {
  readonly deepgramKey = randomBytes(12).toString('hex');
  readonly elevenLabsKey = randomBytes(12).toString('hex');
  /** Transcripts, one per utterance, in order. */
  readonly transcripts: string[] = [];
  /** How much caller audio makes one scripted utterance (a final result with speech_final). */
  msPerUtterance = 1000;
  /**
   * Audio per character of synthesized text (25: about a real voice). A call on a real-time line
   * plays every ms of it, so a test whose point is not the audio's length may set it lower.
   */
  msPerChar = 25;
  /**
   * `down`: refuse everything with 503; `slow`: accept, then stall (no bytes) after the first chunk;
   * `hold`: send the first chunk, then the rest only once `release()` is called.
   */
  mode: 'ok' | 'down' | 'slow' | 'hold' = 'ok';
  /** Speech responses sent their first chunk and are waiting for `release()` (mode `hold`). */
  held = 0;
  /** Held speech responses the client closed before their end (the synthesis was canceled). */
  canceled = 0;
  #holds: Array<() => void> = [];
  readonly listenQueries: URLSearchParams[] = [];
  readonly speakRequests: { engine: string; query: URLSearchParams; body: any; path: string }[] = [];
  readonly controlMessages: string[] = [];
  #server: Server | undefined;
  #wss = new WebSocketServer({ noServer: true });
  url = '';

  async start() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.#http(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    this.#server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (this.mode === 'down') return socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      if (url.pathname !== '/v1/listen' || req.headers.authorization !== `Token ${this.deepgramKey}`)
        return socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      this.listenQueries.push(url.searchParams);
      const bytesPerMs =
        (url.searchParams.get('encoding') === 'linear16' ? 2 : 1) *
        (Number(url.searchParams.get('sample_rate') ?? 8000) / 1000);
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        let receivedMs = 0;
        let utterance = 0;
        let offsetMs = 0;
        let speaking = false;
        const s = (ms: number) => ms / 1000;
        const finish = (fromFinalize: boolean) => {
          const text = receivedMs > 0 ? (this.transcripts[utterance] ?? '') : '';
          ws.send(
            JSON.stringify(results(text, true, !fromFinalize, s(offsetMs), s(receivedMs), fromFinalize)),
          );
          if (!fromFinalize)
            ws.send(
              JSON.stringify({
                type: 'UtteranceEnd',
                channel: [0, 1],
                last_word_end: s(offsetMs + receivedMs),
              }),
            );
          if (receivedMs > 0) utterance++;
          offsetMs += receivedMs;
          receivedMs = 0;
          speaking = false;
        };
        ws.send(
          JSON.stringify({ type: 'Metadata', request_id: randomBytes(8).toString('hex'), channels: 1 }),
        );
        ws.on('message', (data, isBinary) => {
          if (!isBinary) {
            const msg = JSON.parse(data.toString());
            this.controlMessages.push(msg.type);
            if (msg.type === 'Finalize') finish(true);
            if (msg.type === 'CloseStream') ws.close(1000);
            return;
          }
          if (this.mode === 'slow') return;
          const ms = (data as Buffer).length / bytesPerMs;
          if (!speaking) {
            speaking = true;
            ws.send(JSON.stringify({ type: 'SpeechStarted', channel: [0], timestamp: s(offsetMs) }));
          }
          const before = receivedMs;
          receivedMs += ms;
          const text = this.transcripts[utterance];
          if (text === undefined) return;
          const half = this.msPerUtterance / 2;
          if (before < half && receivedMs >= half)
            ws.send(
              JSON.stringify(results(text.split(' ').slice(0, 2).join(' '), false, false, s(offsetMs), 0.5)),
            );
          if (receivedMs >= this.msPerUtterance) finish(false);
        });
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop() {
    for (const ws of this.#wss.clients) ws.terminate();
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r());
  }

  /** Lets every held speech response go on (and later ones stream at once). */
  release() {
    this.mode = 'ok';
    for (const go of this.#holds.splice(0)) go();
  }

  #http(req: IncomingMessage, res: ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', 'http://x');
    const dg = url.pathname === '/v1/speak';
    const el = url.pathname.match(/^\/v1\/text-to-speech\/([^/]+)\/stream$/);
    if (req.method !== 'POST' || (!dg && !el)) return void res.writeHead(404).end();
    if (this.mode === 'down')
      return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"err_msg":"down"}');
    if (dg && req.headers.authorization !== `Token ${this.deepgramKey}`) return void res.writeHead(401).end();
    if (el && req.headers['xi-api-key'] !== this.elevenLabsKey)
      return void res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"detail":{"status":"invalid_api_key"}}');
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      return void res.writeHead(400).end();
    }
    this.speakRequests.push({
      engine: dg ? 'deepgram' : 'elevenlabs',
      query: url.searchParams,
      body,
      path: url.pathname,
    });
    const format = dg
      ? `${url.searchParams.get('encoding')}/${url.searchParams.get('sample_rate')}`
      : url.searchParams.get('output_format');
    const ms = Math.max(100, String(body.text ?? '').length * this.msPerChar);
    let audio: Uint8Array;
    if (format === 'mulaw/8000' || format === 'ulaw_8000') audio = speechLikeMulaw(ms);
    else if (format === 'linear16/16000' || format === 'pcm_16000') {
      const pcm = speechLikePcm8k(ms);
      const wide = new Int16Array(pcm.length * 2);
      for (let i = 0; i < pcm.length; i++) wide[2 * i] = wide[2 * i + 1] = pcm[i];
      audio = new Uint8Array(wide.buffer);
    } else return void res.writeHead(400).end('unsupported format in this fake');
    res.writeHead(200, { 'content-type': 'audio/basic', 'transfer-encoding': 'chunked' });
    const chunks = Array.from({ length: Math.ceil(audio.length / 800) }, (_, i) =>
      audio.subarray(i * 800, i * 800 + 800),
    );
    res.write(chunks.shift());
    if (this.mode === 'slow') return; // stalls with the response open
    const next = () => {
      const c = chunks.shift();
      if (!c) return void res.end();
      res.write(c);
      setImmediate(next);
    };
    if (this.mode === 'hold') {
      res.on('close', () => {
        if (!res.writableEnded) this.canceled++;
      });
      this.held++;
      this.#holds.push(() => {
        this.held--;
        next();
      });
      return;
    }
    next();
  }
}

function results(
  transcript: string,
  isFinal: boolean,
  speechFinal: boolean,
  start: number,
  duration: number,
  fromFinalize = false,
) {
  return {
    type: 'Results',
    ...(fromFinalize ? { from_finalize: true } : {}),
    channel_index: [0, 1],
    duration,
    start,
    is_final: isFinal,
    speech_final: speechFinal,
    channel: {
      alternatives: [
        {
          transcript,
          confidence: 0.98,
          words: transcript.split(' ').map((w, i) => ({
            word: w.toLowerCase(),
            start: start + i * 0.2,
            end: start + i * 0.2 + 0.18,
            confidence: 0.98,
          })),
        },
      ],
    },
    metadata: { request_id: 'fake', model_info: { name: 'nova-3' } },
  };
}
