import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SttEngine, TtsEngine } from '../engine/types.ts';
import { wavHeaderOf, wavStreamPcm } from './builtin.ts';
import { utteranceStream } from './utterances.ts';

/**
 * OpenAI's audio endpoints, which OpenAI, Groq, speaches and whisper.cpp's server also speak
 * (https://platform.openai.com/docs/api-reference/audio):
 * - speech-to-text: `POST {base}/audio/transcriptions`, multipart `file` (one utterance as WAV),
 *   `model`, `language?`, `prompt?` (the caller's likely phrases), `response_format=json` → `{text}`;
 * - text-to-speech: `POST {base}/audio/speech` `{model, input, voice, response_format: "wav"}`,
 *   read as it streams; the WAV header gives the rate (OpenAI: 24 kHz), resampled to the engine's.
 * Recognition is per utterance (these endpoints are not streaming): the turn's audio is sent
 * when the call engine's VAD hears the caller stop.
 */
export interface OpenAiAudioConfig {
  name: 'openai' | 'openai_compatible';
  /** Ends in `/v1`. */
  baseUrl: string;
  apiKey?: string | null;
  model?: string;
  voice?: string;
  language?: string;
  /** Longest wait for a transcript, or for speech's first bytes (ms). */
  timeoutMs?: number;
}

const url = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;
const auth = (key: string | null | undefined): Record<string, string> =>
  key ? { authorization: `Bearer ${key}` } : {};

async function failure(res: Response, what: string): Promise<Error> {
  const body = (await res.text().catch(() => '')).slice(0, 200);
  return new Error(`${what} answered ${res.status}${body ? `: ${body}` : ''}`);
}

/**
 * The transcription request's multipart body (`file` as turn.wav, then the fields), made in one
 * buffer with one copy of the audio: fetch's `FormData` with a `Blob` copies the audio three times
 * and streams it through web streams in small chunks, about 2 ms of CPU per utterance. The same
 * parts as `FormData` encodes them (string values' line breaks as CRLF).
 */
export function transcriptionForm(
  pcm: Int16Array,
  rate: number,
  fields: ReadonlyArray<readonly [string, string]>,
): { body: Buffer; type: string } {
  const boundary = `----ParleyFormBoundary${randomUUID().replaceAll('-', '')}`;
  const part = (name: string, extra = '') =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n`;
  let tail = '\r\n';
  for (const [name, value] of fields) tail += `${part(name)}${value.replace(/\r\n|\r|\n/g, '\r\n')}\r\n`;
  tail += `--${boundary}--\r\n`;
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const head = Buffer.from(part('file', '; filename="turn.wav"\r\nContent-Type: audio/wav'));
  return {
    body: Buffer.concat([head, wavHeaderOf(data.length, rate), data, Buffer.from(tail)]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

/**
 * POSTs `body` and reads the whole answer as text, over node:http(s) (the global agent keeps
 * connections alive): fetch's request, header and response objects, body copies and web streams
 * cost several times the CPU for one small JSON answer per utterance.
 */
function post(
  target: string,
  headers: Record<string, string>,
  body: Buffer,
  signal: AbortSignal,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(target);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      u,
      { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
        res.on('close', () => {
          if (!res.complete) reject(signal.reason ?? new Error('The answer was cut off.'));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function openAiStt(cfg: OpenAiAudioConfig): SttEngine {
  return {
    name: cfg.name,
    open(options, listener) {
      const inflight = new AbortController();
      const language = (options.language ?? cfg.language)?.split('-')[0];
      const hints = [...(options.hints?.phrases ?? []), ...(options.hints?.keywords ?? [])];

      const transcribe = async (pcm: Int16Array): Promise<string> => {
        const form = transcriptionForm(pcm, options.sampleRate, [
          ['model', cfg.model ?? 'whisper-1'],
          ['response_format', 'json'],
          ...(language ? [['language', language] as const] : []),
          ...(hints.length ? [['prompt', hints.join(', ').slice(0, 800)] as const] : []),
        ]);
        const signal = AbortSignal.any([inflight.signal, AbortSignal.timeout(cfg.timeoutMs ?? 15_000)]);
        const target = url(cfg.baseUrl, '/audio/transcriptions');
        const headers = { ...auth(cfg.apiKey), 'content-type': form.type };
        let res = await post(target, headers, form.body, signal);
        // A redirect (rare for an API) is followed as fetch would.
        if (res.status >= 300 && res.status < 400 && res.status !== 304) {
          const r = await fetch(target, { method: 'POST', headers, body: form.body, signal });
          res = { status: r.status, text: await r.text() };
        }
        if (res.status < 200 || res.status >= 300)
          throw new Error(
            `Speech-to-text (${cfg.name}) answered ${res.status}${res.text ? `: ${res.text.slice(0, 200)}` : ''}`,
          );
        const body = JSON.parse(res.text) as { text?: unknown };
        if (typeof body.text !== 'string') throw new Error(`Speech-to-text (${cfg.name}) gave no text.`);
        return body.text.trim();
      };

      return utteranceStream(listener, transcribe, () => inflight.abort());
    },
  };
}

export function openAiTts(cfg: OpenAiAudioConfig): TtsEngine {
  return {
    name: cfg.name,
    async *synthesize(text, options) {
      const timeout = AbortSignal.timeout(cfg.timeoutMs ?? 10_000);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      const res = await fetch(url(cfg.baseUrl, '/audio/speech'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth(cfg.apiKey) },
        body: JSON.stringify({
          model: cfg.model ?? 'tts-1',
          input: text,
          voice: options.voice ?? cfg.voice ?? 'alloy',
          response_format: 'wav',
        }),
        signal,
      });
      if (!res.ok || !res.body) throw await failure(res, `Text-to-speech (${cfg.name})`);
      // The chunks are the stream's own (fetch hands each out once).
      yield* wavStreamPcm(
        res.body as unknown as AsyncIterable<Uint8Array>,
        options.sampleRate,
        `Text-to-speech (${cfg.name}) did not send WAV audio.`,
      );
    },
  };
}
