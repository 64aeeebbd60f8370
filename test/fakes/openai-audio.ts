import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for OpenAI's audio endpoints as documented
 * (https://platform.openai.com/docs/api-reference/audio), the protocol speaches, Groq and
 * whisper.cpp's server also speak:
 * - `POST /v1/audio/transcriptions`: multipart form with `file`, `model`, optional `language`,
 *   `prompt`, `response_format`; answers `{"text": ...}` (the scripted transcripts, in order;
 *   when none is left, how long the audio was).
 * - `POST /v1/audio/speech`: JSON `{model, input, voice, response_format}`; answers a WAV
 *   (24 kHz, 16-bit mono, as OpenAI's) streamed in chunks, 60 ms of a tone per character.
 * `Authorization: Bearer <key>` is checked when the fake has a key; `mode: 'down'` answers 503.
 */
export class FakeOpenAiAudio {
  readonly key = `sk-${randomBytes(12).toString('hex')}`;
  requireKey = true;
  mode: 'ok' | 'down' = 'ok';
  readonly transcripts: string[] = [];
  readonly transcriptions: Array<{
    model: string;
    language: string | null;
    prompt: string | null;
    wavBytes: number;
    rate: number;
  }> = [];
  readonly speeches: Array<{ model: string; input: string; voice: string; response_format: string }> = [];
  #server: Server | undefined;
  url = '';

  async start() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        this.#handle(req, res, Buffer.concat(chunks)).catch((err) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: String(err) } }));
        });
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}/v1`;
    return this;
  }

  async close() {
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r());
  }

  async #handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (this.mode === 'down') return json(503, { error: { message: 'overloaded', type: 'server_error' } });
    if (this.requireKey && req.headers.authorization !== `Bearer ${this.key}`)
      return json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });

    if (req.method === 'POST' && req.url === '/v1/audio/transcriptions') {
      const form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': String(req.headers['content-type']) },
        body,
      }).formData();
      const file = form.get('file');
      if (!(file instanceof Blob)) return json(400, { error: { message: 'file is required' } });
      const wav = Buffer.from(await file.arrayBuffer());
      if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE')
        return json(400, { error: { message: 'Invalid file format.' } });
      const rate = wav.readUInt32LE(24);
      this.transcriptions.push({
        model: String(form.get('model')),
        language: (form.get('language') as string | null) ?? null,
        prompt: (form.get('prompt') as string | null) ?? null,
        wavBytes: wav.length,
        rate,
      });
      const seconds = (wav.length - 44) / 2 / rate;
      return json(200, { text: this.transcripts.shift() ?? `audio of ${seconds.toFixed(1)} seconds` });
    }

    if (req.method === 'POST' && req.url === '/v1/audio/speech') {
      const p = JSON.parse(body.toString('utf8'));
      if (typeof p.input !== 'string' || !p.model || !p.voice)
        return json(400, { error: { message: 'input, model and voice are required' } });
      this.speeches.push({
        model: p.model,
        input: p.input,
        voice: p.voice,
        response_format: p.response_format,
      });
      const rate = 24_000;
      const samples = Math.round(rate * 0.06 * p.input.length);
      const pcm = Buffer.alloc(samples * 2);
      for (let i = 0; i < samples; i++)
        pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / rate)), i * 2);
      const header = streamedWavHeader(rate);
      res.writeHead(200, { 'content-type': 'audio/wav', 'transfer-encoding': 'chunked' });
      const all = Buffer.concat([header, pcm]);
      // Odd chunk sizes: a sample and the header may be split across chunks.
      for (let off = 0; off < all.length; off += 4801) res.write(all.subarray(off, off + 4801));
      res.end();
      return;
    }
    json(404, { error: { message: `no route ${req.method} ${req.url}` } });
  }
}

/** A streamed WAV's header, 16-bit mono PCM, sizes unknown (0xffffffff), as OpenAI sends them. */
export function streamedWavHeader(rate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(0xffffffff, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(0xffffffff, 40);
  return h;
}
