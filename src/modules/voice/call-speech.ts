import type { AppContext } from '../../platform/context.ts';
import { type Scope, scopeOf } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import { fromJson } from '../../platform/json.ts';
import { type AgentsTable, getAgentRow } from '../agents/index.ts';
import { SpeechUnavailable, speechFor } from './speech/index.ts';
import type { StoredVoiceSettings } from './voice.settings.ts';
import type { CallRow } from './voice.tables.ts';

/** An agent's stored voice settings (none for a voice flow's call). */
export function agentVoice(row: AgentsTable | undefined): StoredVoiceSettings {
  const raw = (row as (AgentsTable & { voice?: string | null }) | undefined)?.voice;
  return fromJson<StoredVoiceSettings>(raw ?? null, {});
}

/** An engine choice with its key opened, for the engine to use. */
export function decryptChoice(ctx: AppContext, e: StoredVoiceSettings['stt']) {
  if (!e) return undefined;
  return { ...e, api_key: e.api_key ? ctx.secrets.open(e.api_key) : null };
}

/** The engines of a call with this agent (`web`: a client joins over the media WebSocket). */
export function callSpeech(ctx: AppContext, livemode: boolean, agent: AgentsTable | undefined, web: boolean) {
  const stored = agentVoice(agent);
  return speechFor(
    ctx,
    livemode,
    { stt: decryptChoice(ctx, stored.stt), tts: decryptChoice(ctx, stored.tts) },
    { web },
  );
}

/** What a web call's caller can expect, told in the `POST /v1/calls` answer (`speech`). */
export interface WebCallSpeech {
  stt: string;
  tts: string;
  /** The caller's audio is transcribed (else only `{"type": "text"}` turns are heard). */
  hears_audio: boolean;
  /** The agent's turns come as audio frames (else as `agent_text` events only). */
  speaks_audio: boolean;
  /** In plain words, what does not work and how to make it work. */
  warnings: string[];
}

const NO_STT =
  'No speech-to-text engine is available for this call: the caller\'s audio is not understood (and never answered as a turn); send typed turns ({"type": "text", "text": "..."}), or install pocketsphinx and pocketsphinx-en-us (Debian) or set the agent\'s voice.stt.';
const NO_TTS =
  "No text-to-speech engine is available for this call: the agent's turns come as agent_text events, with no audio; install espeak-ng (Debian) or set the agent's voice.tts.";

/**
 * The engines a web call will run with, checked when it is created: an engine the agent chose
 * that this server cannot run is a 422 (the call could never speak); the sandbox engines (no
 * audio understood, none spoken) are named in `warnings`.
 */
export function webCallSpeech(
  ctx: AppContext,
  livemode: boolean,
  agent: AgentsTable | undefined,
): WebCallSpeech {
  let speech: ReturnType<typeof speechFor>;
  try {
    speech = callSpeech(ctx, livemode, agent, true);
  } catch (err) {
    if (err instanceof SpeechUnavailable)
      throw new ApiError('unprocessable', `This web call could not speak or listen: ${err.message}`);
    throw err;
  }
  const hears = speech.stt.name !== 'sandbox';
  const speaks = speech.tts.name !== 'sandbox';
  return {
    stt: speech.stt.name,
    tts: speech.tts.name,
    hears_audio: hears,
    speaks_audio: speaks,
    warnings: [...(hears ? [] : [NO_STT]), ...(speaks ? [] : [NO_TTS])],
  };
}

/** The message a web client gets when it joins a call that cannot understand audio. */
export const noSttNotice = NO_STT;

/** `speech` for a web call's entry in the `POST /v1/calls` answer (nothing for a phone call). */
export async function speechOf(ctx: AppContext, call: CallRow): Promise<{ speech?: WebCallSpeech }> {
  if (call.transport !== 'web') return {};
  const agent = call.agent_id ? await getAgentRow(ctx.db, scopeOf(call), call.agent_id) : undefined;
  return { speech: webCallSpeech(ctx, call.livemode === 1, agent) };
}

/** At a web call's creation: a 422 `unprocessable` when its engines cannot be set up at all. */
export async function checkWebCall(ctx: AppContext, livemode: boolean, scope: Scope, agentId?: string) {
  webCallSpeech(ctx, livemode, agentId ? await getAgentRow(ctx.db, scope, agentId) : undefined);
}
