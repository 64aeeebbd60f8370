import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { speechLikePcm } from '../test/fakes/callee-audio.ts';
import { streamedWavHeader } from '../test/fakes/openai-audio.ts';

/**
 * The voice benchmark's text-to-speech: a local server speaking OpenAI's `POST /v1/audio/speech`
 * (https://platform.openai.com/docs/api-reference/audio/createSpeech), which Parley's
 * `openai_compatible` engine calls. It answers a streamed WAV at 24 kHz 16-bit mono (as OpenAI
 * does, so Parley resamples it to 16 kHz as it would in production), `msPerChar` of a voiced
 * signal per character of `input`, cut from audio made once: it costs the benchmark next to
 * nothing, so the time measured is Parley's.
 */
export class BenchTts {
  readonly rate = 24_000;
  requests = 0;
  transcriptions = 0;
  audioMs = 0;
  /** Requests per distinct text (how often the same words were synthesised again). */
  readonly texts = new Map<string, number>();
  #server: Server | undefined;
  #audio: Buffer;
  url = '';

  readonly msPerChar: number;

  constructor(msPerChar = 60) {
    this.msPerChar = msPerChar;
    // 30 s of a voiced signal (a 140 Hz pitch with harmonics, loudness in syllables).
    const n = this.rate * 30;
    this.#audio = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) {
      const t = i / this.rate;
      let s = 0;
      for (let h = 1; h <= 8; h++) s += Math.sin(2 * Math.PI * 140 * h * t) / h;
      const syllable = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
      this.#audio.writeInt16LE(Math.round(4000 * s * syllable), i * 2);
    }
  }

  async start() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/v1/audio/transcriptions') {
          // The callers' turns: their speech-like signal "says" one fixed question.
          this.transcriptions++;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ text: 'What time do you open tomorrow?' }));
          return;
        }
        if (req.method !== 'POST' || req.url !== '/v1/audio/speech') {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
          return;
        }
        let input = '';
        try {
          input = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).input ?? '');
        } catch {}
        const ms = Math.min(29_000, Math.max(200, input.length * this.msPerChar));
        this.requests++;
        this.audioMs += ms;
        this.texts.set(input, (this.texts.get(input) ?? 0) + 1);
        const bytes = Math.round((ms / 1000) * this.rate) * 2;
        res.writeHead(200, { 'content-type': 'audio/wav', 'transfer-encoding': 'chunked' });
        res.write(streamedWavHeader(this.rate));
        res.end(this.#audio.subarray(0, bytes));
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}/v1`;
    return this;
  }

  async stop() {
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r());
  }
}

/** The caller's audio at 16 kHz: the test callees' speech-like signal (VAD takes it for speech; it says no words). */
export const callerSpeech = (durationMs: number, seed = 1): Int16Array =>
  speechLikePcm(durationMs, seed, 16_000);
