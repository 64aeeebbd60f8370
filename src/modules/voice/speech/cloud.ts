import { pcm16FromLE } from '../audio/codec.ts';
import type { SttEngine, TtsEngine } from '../engine/types.ts';
import { DeepgramSttStream, deepgramSpeak } from './deepgram.ts';
import { elevenLabsSpeak } from './elevenlabs.ts';

/**
 * The cloud engines behind the call engine's speech interfaces. The engine hands 16 kHz PCM in
 * and wants PCM out; Deepgram is asked for linear16 at that rate and ElevenLabs for `pcm_16000`,
 * so nothing is resampled on the way. (A Twilio leg then re-encodes to μ-law 8 kHz; the raw
 * `deepgramSpeak`/`elevenLabsSpeak` also give μ-law 8 kHz directly.)
 */

export interface CloudEngineConfig {
  apiKey: string;
  baseUrl?: string;
  model?: string;
  voice?: string;
  language?: string;
  /** First byte / stall limit for speech (ms). */
  timeoutMs?: number;
}

/**
 * Deepgram streaming recognition. Deepgram finalises segments as it goes (`is_final`); the engine
 * asks for the turn's transcript with `finalize()` when its VAD hears the caller stop, and gets
 * every final segment since the last turn joined, once Deepgram has answered the `Finalize`
 * (or after `finalizeWaitMs`, with what it has).
 */
export function deepgramStt(cfg: CloudEngineConfig & { finalizeWaitMs?: number }): SttEngine {
  return {
    name: 'deepgram',
    open(options, listener) {
      const stream = new DeepgramSttStream({
        apiKey: cfg.apiKey,
        baseUrl: cfg.baseUrl,
        model: cfg.model,
        language: options.language ?? cfg.language,
        encoding: 'linear16',
        sampleRate: options.sampleRate,
        keywords: options.hints?.keywords ?? options.hints?.phrases,
      });
      let segments: string[] = [];
      let waiting: NodeJS.Timeout | undefined;
      let failed = false;
      const flush = () => {
        clearTimeout(waiting);
        waiting = undefined;
        const text = segments.join(' ').replace(/\s+/g, ' ').trim();
        segments = [];
        listener.final(text);
      };
      stream.on('partial', (r) => listener.partial?.([...segments, r.text].join(' ').trim()));
      stream.on('final', (r) => {
        if (r.text) segments.push(r.text);
        if (waiting && r.fromFinalize) flush();
      });
      stream.on('error', (err) => {
        if (failed) return;
        failed = true;
        clearTimeout(waiting);
        listener.error(err);
      });
      stream.ready().catch(() => {}); // reported through 'error'
      return {
        push: (pcm) => stream.push(pcm),
        finalize: () => {
          if (waiting || failed) return;
          stream.finalize();
          waiting = setTimeout(flush, cfg.finalizeWaitMs ?? 1500);
        },
        close: () => {
          clearTimeout(waiting);
          stream.close();
        },
      };
    },
  };
}

/** Little-endian 16-bit PCM bytes, in chunks that may split a sample, as samples. */
async function* pcmSamples(bytes: AsyncIterable<Uint8Array>): AsyncIterable<Int16Array> {
  let carry: number | undefined;
  for await (const chunk of bytes) {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (carry !== undefined) buf = Buffer.concat([Buffer.from([carry]), buf]);
    carry = buf.length % 2 ? buf[buf.length - 1] : undefined;
    const n = buf.length >> 1;
    if (!n) continue;
    yield pcm16FromLE(buf, n);
  }
}

export function deepgramTts(cfg: CloudEngineConfig): TtsEngine {
  return {
    name: 'deepgram',
    synthesize(text, options) {
      return pcmSamples(
        deepgramSpeak(text, {
          apiKey: cfg.apiKey,
          baseUrl: cfg.baseUrl,
          voice: options.voice ?? cfg.voice ?? cfg.model,
          encoding: 'linear16',
          sampleRate: options.sampleRate,
          timeoutMs: cfg.timeoutMs,
          signal: options.signal,
        }),
      );
    },
  };
}

export function elevenLabsTts(cfg: CloudEngineConfig): TtsEngine {
  return {
    name: 'elevenlabs',
    synthesize(text, options) {
      if (options.sampleRate !== 16_000)
        throw new Error(`ElevenLabs PCM output is used at 16 kHz here, not ${options.sampleRate} Hz.`);
      return pcmSamples(
        elevenLabsSpeak(text, {
          apiKey: cfg.apiKey,
          baseUrl: cfg.baseUrl,
          voiceId: options.voice ?? cfg.voice,
          model: cfg.model,
          language: options.language ?? cfg.language,
          outputFormat: 'pcm_16000',
          timeoutMs: cfg.timeoutMs,
          signal: options.signal,
        }),
      );
    },
  };
}
