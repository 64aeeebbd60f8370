import { speechPost, streamBody } from './deepgram.ts';

/**
 * ElevenLabs streaming speech: `POST /v1/text-to-speech/{voice_id}/stream?output_format=ulaw_8000`
 * with the `xi-api-key` header and `{"text", "model_id"}`; audio streams back as it is made
 * (https://elevenlabs.io/docs/api-reference/text-to-speech/stream). `ulaw_8000` is what a Twilio
 * leg plays; `pcm_16000` is 16 kHz 16-bit PCM for other legs.
 */
export async function* elevenLabsSpeak(
  text: string,
  opts: {
    apiKey: string;
    /** `https://api.elevenlabs.io` (a local fake in tests). */
    baseUrl?: string;
    voiceId?: string;
    model?: string;
    language?: string;
    outputFormat: 'ulaw_8000' | 'pcm_16000';
    timeoutMs?: number;
    signal?: AbortSignal;
  },
): AsyncIterable<Uint8Array> {
  const base = (opts.baseUrl ?? 'https://api.elevenlabs.io').replace(/\/$/, '');
  // "Rachel", the voice ElevenLabs' own examples use, when the agent names none.
  const voice = encodeURIComponent(opts.voiceId ?? '21m00Tcm4TlvDq8ikWAM');
  const q = new URLSearchParams({ output_format: opts.outputFormat, optimize_streaming_latency: '3' });
  const body: Record<string, string> = { text, model_id: opts.model ?? 'eleven_flash_v2_5' };
  if (opts.language) body.language_code = opts.language.split('-')[0];
  const { res, controller } = await speechPost(
    'ElevenLabs',
    `${base}/v1/text-to-speech/${voice}/stream?${q}`,
    {
      headers: { 'xi-api-key': opts.apiKey, 'content-type': 'application/json', accept: 'audio/basic' },
      body: JSON.stringify(body),
      timeoutMs: opts.timeoutMs ?? 5000,
      signal: opts.signal,
    },
  );
  yield* streamBody('ElevenLabs', res, controller, opts.timeoutMs ?? 5000);
}
