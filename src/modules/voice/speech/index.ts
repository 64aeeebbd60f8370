import { createHash } from 'node:crypto';
import type { AppContext } from '../../../platform/context.ts';
import type { SttEngine, TtsEngine } from '../engine/types.ts';
import { voiceRuntime } from '../voice.runtime.ts';
import type { EngineChoice } from '../voice.settings.ts';
import { espeakTts, pocketsphinxStt } from './builtin.ts';
import { type CloudEngineConfig, deepgramStt, deepgramTts, elevenLabsTts } from './cloud.ts';
import { type OpenAiAudioConfig, openAiStt, openAiTts } from './openai-audio.ts';
import { sandboxStt, sandboxTts } from './sandbox.ts';

/** A cloud engine's key and base URL: the agent's own, else the server's (PARLEY_DEEPGRAM_*, PARLEY_ELEVENLABS_*). */
function cloudConfig(
  ctx: AppContext,
  stage: 'stt' | 'tts',
  provider: 'deepgram' | 'elevenlabs',
  choice: EngineChoice | undefined,
): CloudEngineConfig {
  const own = choice?.provider === provider ? choice : undefined;
  const apiKey =
    own?.api_key ?? (provider === 'deepgram' ? ctx.config.deepgramApiKey : ctx.config.elevenLabsApiKey);
  if (!apiKey)
    throw new SpeechUnavailable(
      stage,
      `The ${provider} engine needs an api_key (on the agent's voice settings, or ${provider === 'deepgram' ? 'PARLEY_DEEPGRAM_API_KEY' : 'PARLEY_ELEVENLABS_API_KEY'}).`,
    );
  return {
    apiKey,
    baseUrl: own?.base_url ?? (provider === 'deepgram' ? ctx.config.deepgramUrl : ctx.config.elevenLabsUrl),
    model: own?.model,
    voice: own?.voice,
    language: own?.language,
  };
}

const OPENAI_URL = 'https://api.openai.com/v1';

/** OpenAI's own audio API (key: the agent's, else OPENAI_API_KEY), or any server speaking it (`base_url`, else PARLEY_VOICE_SPEECH_URL). */
function openAiConfig(
  ctx: AppContext,
  stage: 'stt' | 'tts',
  name: 'openai' | 'openai_compatible',
  choice: EngineChoice | undefined,
): OpenAiAudioConfig {
  const own = choice?.provider === name ? choice : undefined;
  const baseUrl = own?.base_url ?? (name === 'openai' ? OPENAI_URL : ctx.config.voice.speechUrl);
  if (!baseUrl)
    throw new SpeechUnavailable(
      stage,
      "The openai_compatible engine needs a base_url (on the agent's voice settings, or PARLEY_VOICE_SPEECH_URL).",
    );
  const apiKey = own?.api_key ?? (name === 'openai' ? ctx.config.openaiApiKey : undefined);
  if (name === 'openai' && !apiKey)
    throw new SpeechUnavailable(
      stage,
      "The openai engine needs an api_key (on the agent's voice settings, or OPENAI_API_KEY).",
    );
  return { name, baseUrl, apiKey, model: own?.model, voice: own?.voice, language: own?.language };
}

/** A speech engine the call cannot start without: the call ends with stt_error / tts_error. */
export class SpeechUnavailable extends Error {
  readonly stage: 'stt' | 'tts';
  constructor(stage: 'stt' | 'tts', message: string) {
    super(message);
    this.stage = stage;
  }
}

/**
 * The engines of a call: the agent's choice, else the server default (PARLEY_VOICE_STT/TTS),
 * else in live mode the builtin engines when installed. A test-mode phone call uses the sandbox
 * engines (its simulated callee speaks text); a test-mode web call has a real person on the
 * other end, so it uses the builtin engines when installed, else the sandbox ones.
 */
export function speechFor(
  ctx: AppContext,
  livemode: boolean,
  choice: { stt?: EngineChoice; tts?: EngineChoice },
  opts: { web?: boolean } = {},
): { stt: SttEngine; tts: TtsEngine } {
  const builtin = voiceRuntime(ctx).builtinEngines();
  const fallback = (installed: boolean) =>
    installed && (livemode || opts.web) ? 'builtin' : livemode ? undefined : 'sandbox';
  const sttName = choice.stt?.provider ?? ctx.config.voice.stt ?? fallback(!!builtin.pocketsphinx);
  const ttsName = choice.tts?.provider ?? ctx.config.voice.tts ?? fallback(!!builtin.espeak);
  return { stt: sttEngine(ctx, sttName, choice.stt), tts: keptTts(ctx, ttsName, choice.tts) };
}

/**
 * The text-to-speech engine with its sentences kept in the process's cache (speech/tts-cache.ts),
 * shared by the engines that sound the same: the same provider, URL, model, voice and language,
 * and the same key (by its hash: one account's audio is not played to another's calls unasked).
 */
function keptTts(ctx: AppContext, name: string | undefined, choice: EngineChoice | undefined): TtsEngine {
  const engine = ttsEngine(ctx, name, choice);
  if (engine === sandboxTts) return engine;
  const own = choice?.provider === name ? choice : undefined;
  const key = own?.api_key ? createHash('sha256').update(own.api_key).digest('hex').slice(0, 16) : '';
  const identity = [
    name,
    own?.base_url ?? '',
    own?.model ?? '',
    own?.voice ?? '',
    own?.language ?? '',
    key,
  ].join('|');
  return voiceRuntime(ctx).ttsCache(ctx.config.voice.ttsCacheMb).wrap(engine, identity);
}

function sttEngine(ctx: AppContext, name: string | undefined, choice: EngineChoice | undefined): SttEngine {
  if (name === 'sandbox') return sandboxStt;
  if (name === 'deepgram') return deepgramStt(cloudConfig(ctx, 'stt', 'deepgram', choice));
  if (name === 'openai' || name === 'openai_compatible')
    return openAiStt(openAiConfig(ctx, 'stt', name, choice));
  if (name === 'builtin') {
    const rt = voiceRuntime(ctx);
    const bin = rt.builtinEngines().pocketsphinx;
    if (!bin)
      throw new SpeechUnavailable(
        'stt',
        'The builtin speech-to-text engine needs pocketsphinx and its US English model (Debian: apt install pocketsphinx pocketsphinx-en-us).',
      );
    rt.builtinSttSlots.max = ctx.config.voice.builtinSttMax;
    return pocketsphinxStt(bin, { slots: rt.builtinSttSlots });
  }
  throw new SpeechUnavailable(
    'stt',
    name
      ? `The ${name} speech-to-text engine is not available on this server.`
      : "No speech-to-text engine is configured for live calls: set the agent's voice.stt or PARLEY_VOICE_STT.",
  );
}

function ttsEngine(ctx: AppContext, name: string | undefined, choice: EngineChoice | undefined): TtsEngine {
  if (name === 'sandbox') return sandboxTts;
  if (name === 'deepgram') return deepgramTts(cloudConfig(ctx, 'tts', 'deepgram', choice));
  if (name === 'elevenlabs') return elevenLabsTts(cloudConfig(ctx, 'tts', 'elevenlabs', choice));
  if (name === 'openai' || name === 'openai_compatible')
    return openAiTts(openAiConfig(ctx, 'tts', name, choice));
  if (name === 'builtin') {
    const bin = voiceRuntime(ctx).builtinEngines().espeak;
    if (!bin)
      throw new SpeechUnavailable(
        'tts',
        'The builtin text-to-speech engine needs espeak-ng (Debian: apt install espeak-ng).',
      );
    return espeakTts(bin, { voice: choice?.voice, language: choice?.language });
  }
  throw new SpeechUnavailable(
    'tts',
    name
      ? `The ${name} text-to-speech engine is not available on this server.`
      : "No text-to-speech engine is configured for live calls: set the agent's voice.tts or PARLEY_VOICE_TTS.",
  );
}

/**
 * The engines this server can run for an agent that brings no key or URL of its own (`/readyz`):
 * sandbox always, builtin when its programs are installed, cloud engines with a server key or URL.
 */
export function availableSpeechEngines(ctx: AppContext): { stt: string[]; tts: string[] } {
  const builtin = voiceRuntime(ctx).builtinEngines();
  const c = ctx.config;
  const stt = ['sandbox'];
  const tts = ['sandbox'];
  if (builtin.pocketsphinx) stt.push('builtin');
  if (builtin.espeak) tts.push('builtin');
  if (c.openaiApiKey) {
    stt.push('openai');
    tts.push('openai');
  }
  if (c.voice.speechUrl) {
    stt.push('openai_compatible');
    tts.push('openai_compatible');
  }
  if (c.deepgramApiKey) {
    stt.push('deepgram');
    tts.push('deepgram');
  }
  if (c.elevenLabsApiKey) tts.push('elevenlabs');
  return { stt, tts };
}
