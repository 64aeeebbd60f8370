import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { describe } from '../../platform/http/schemas.ts';
import { fromJson } from '../../platform/json.ts';

/**
 * What a call does where the agent's voice settings say nothing. The call engine starts from the
 * same values (voice/engine/session.ts), so what the agents API shows is what a call does.
 */
export const voiceDefaults = {
  endOfTurnSilenceMs: 500,
  silenceTimeoutMs: 10_000,
  maxDurationMs: 600_000,
  minSpeechMs: 300,
  /** Backchannels in English and Hinglish: said while the agent talks, they do not take the turn. */
  backchannels: [
    'hmm',
    'hm',
    'mhm',
    'mm',
    'uh-huh',
    'uh huh',
    'haan',
    'haanji',
    'han',
    'ha',
    'ji',
    'ok',
    'okay',
    'acha',
    'achha',
    'accha',
    'right',
    'yes',
    'yeah',
    'yep',
    'sure',
    'got it',
    'i see',
  ],
};

export const sttProviders = ['sandbox', 'builtin', 'openai', 'openai_compatible', 'deepgram'] as const;
export const ttsProviders = [
  'sandbox',
  'builtin',
  'openai',
  'openai_compatible',
  'deepgram',
  'elevenlabs',
] as const;

const engineFields = {
  model: describe(z.string().trim().min(1).max(200), 'Model name at the provider.', 'whisper-1').optional(),
  language: describe(z.string().trim().min(2).max(20), 'Language code (BCP 47).', 'en-IN').optional(),
  base_url: describe(
    z.string().url().max(500),
    'Base URL of an OpenAI-compatible audio server (speaches, whisper.cpp server, Groq), ending in /v1.',
    'http://localhost:8000/v1',
  )
    .nullable()
    .optional(),
  api_key: describe(
    z.string().min(1).max(500),
    'Key for the provider (write-only: never returned; null removes it).',
    'sk-...',
  )
    .nullable()
    .optional(),
};

/** `voice` on an agent (create and update): how it sounds and listens on calls. */
export const voiceSettingsInput = describe(
  z.strictObject({
    stt: describe(
      z.strictObject({
        provider: describe(z.enum(sttProviders), 'Speech-to-text engine.', 'sandbox'),
        ...engineFields,
      }),
      'Speech-to-text. Default from PARLEY_VOICE_STT (sandbox in test mode).',
    ).optional(),
    tts: describe(
      z.strictObject({
        provider: describe(z.enum(ttsProviders), 'Text-to-speech engine.', 'sandbox'),
        voice: describe(z.string().trim().min(1).max(100), 'Voice name at the provider.', 'alloy').optional(),
        ...engineFields,
      }),
      'Text-to-speech. Default from PARLEY_VOICE_TTS (sandbox in test mode).',
    ).optional(),
    interruptions: describe(
      z.strictObject({
        enabled: describe(
          z.boolean(),
          'Whether the caller can cut the agent off (barge-in).',
          true,
        ).optional(),
        min_speech_ms: describe(
          z.number().int().min(60).max(3000),
          'Caller speech needed before the agent stops talking.',
          300,
        ).optional(),
        backchannel_words: describe(
          z.array(z.string().trim().min(1).max(40)).max(100),
          'Fillers that never stop the agent, added to the English and Hinglish defaults ("hmm", "okay", "haan", "achha", "ji", ...).',
          ['theek hai', 'bilkul'],
        ).optional(),
        ignore_words: describe(
          z.array(z.string().trim().min(1).max(40)).max(100),
          'Older name: backchannels that replace the default list (backchannel_words are added on top).',
          ['ok', 'hmm', 'haan', 'ji'],
        ).optional(),
      }),
      'Barge-in.',
    ).optional(),
    end_of_turn_silence_ms: describe(
      z.number().int().min(200).max(5000),
      'Silence after the caller speaks that ends their turn (a shorter pause does not).',
      500,
    ).optional(),
    silence_timeout_seconds: describe(
      z.number().int().min(2).max(300),
      'No speech this long: one re-prompt, then the call ends (silence_timeout).',
      10,
    ).optional(),
    max_duration_seconds: describe(
      z.number().int().min(10).max(14_400),
      'Longest call; then it ends (max_duration).',
      600,
    ).optional(),
    voicemail: describe(
      z.strictObject({
        action: describe(z.enum(['hangup', 'leave_message']), 'What to do on reaching voicemail.', 'hangup'),
        message: describe(
          z.string().trim().min(1).max(1000),
          'The message left (with {{variables}}).',
          'Hi {{name}}, this is Glow Salon. Please call us back.',
        ).optional(),
      }),
      'Voicemail policy.',
    ).optional(),
    record: describe(
      z.boolean(),
      'Keep a recording of the call (when the carrier provides one).',
      false,
    ).optional(),
    transfer: describe(
      z.strictObject({
        to: describe(
          z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164 form (+14155550100)'),
          'The number the `transfer` tool may send a call to (E.164); null: no transfer to a number.',
          '+919811112222',
        )
          .nullable()
          .optional(),
        mode: describe(
          z.enum(['cold', 'warm']),
          '`cold`: the call is sent to the number at once. `warm`: the caller is put on hold, the number is dialled first and told who is calling (and the summary), then the caller is joined; if nobody takes it the caller is told and the agent carries on.',
          'cold',
        ).optional(),
        summary: describe(
          z.boolean(),
          'Warm transfer: tell the person the reason for the transfer and what the caller said.',
          true,
        ).optional(),
      }),
      'Where the agent may transfer a call, and how.',
    ).optional(),
    call_screener: describe(
      z.strictObject({
        action: describe(
          z.enum(['state_purpose', 'hangup']),
          'An outbound call answered by a call-screening assistant: state who is calling and why, then wait for the person; or hang up (`ended_reason: call_screener`).',
          'state_purpose',
        ),
        message: describe(
          z.string().trim().min(1).max(1000),
          'What the agent tells the screener (with {{variables}}); default: built from the agent name and the call purpose (`purpose` variable).',
          "Hi, this is Glow Salon calling {{name}} about tomorrow's appointment.",
        ).optional(),
      }),
      'Call screening assistants (Google Call Screen, iOS Call Screening, carrier screeners).',
    ).optional(),
  }),
  "The agent's voice settings for calls.",
);
export type VoiceSettingsInput = z.output<typeof voiceSettingsInput>;

const engineOut = (providers: readonly [string, ...string[]], withVoice: boolean) =>
  z
    .object({
      provider: describe(z.enum(providers), 'The engine.', 'sandbox'),
      ...(withVoice
        ? { voice: describe(z.string(), 'Voice name at the provider.', 'alloy').optional() }
        : {}),
      model: describe(z.string(), 'Model name at the provider.', 'whisper-1').optional(),
      language: describe(z.string(), 'Language code.', 'en-IN').optional(),
      base_url: describe(z.string().nullable(), 'Base URL of the engine server.', null).optional(),
      api_key_set: describe(z.boolean(), 'Whether the agent has its own key (never returned).', false),
    })
    .nullable();

/** `voice` as the agents API returns it: every setting with its default, keys as `api_key_set`. */
export const voiceSettingsObject = describe(
  z.object({
    stt: describe(
      engineOut(sttProviders, false),
      'Speech-to-text engine; null: the server default (PARLEY_VOICE_STT, sandbox in test mode).',
    ),
    tts: describe(
      engineOut(ttsProviders, true),
      'Text-to-speech engine; null: the server default (PARLEY_VOICE_TTS, sandbox in test mode).',
    ),
    interruptions: describe(
      z.object({
        enabled: describe(z.boolean(), 'Barge-in allowed.', true),
        min_speech_ms: describe(z.number().int(), 'Caller speech that interrupts the agent.', 300),
        backchannel_words: describe(
          z.array(z.string()),
          "The fillers in effect that never stop the agent (the defaults, or ignore_words, and the agent's own).",
          ['hmm', 'okay', 'haan', 'achha', 'ji'],
        ),
        ignore_words: describe(z.array(z.string()), 'Backchannels that never interrupt.', ['ok', 'haan']),
      }),
      'Barge-in.',
    ),
    end_of_turn_silence_ms: describe(z.number().int(), 'Silence that ends the caller turn.', 500),
    silence_timeout_seconds: describe(z.number().int(), 'Silence before the re-prompt.', 10),
    max_duration_seconds: describe(z.number().int(), 'Longest call.', 600),
    voicemail: describe(
      z.object({
        action: describe(z.enum(['hangup', 'leave_message']), 'On reaching voicemail.', 'hangup'),
        message: describe(z.string().nullable(), 'The message left.', null),
      }),
      'Voicemail policy.',
    ),
    record: describe(z.boolean(), 'Keep a recording when the carrier provides one.', false),
    transfer: describe(
      z.object({
        to: describe(z.string().nullable(), 'The number the `transfer` tool may dial.', null),
        mode: describe(z.enum(['cold', 'warm']), 'Cold (at once) or warm (introduced first).', 'cold'),
        summary: describe(z.boolean(), 'Warm transfer: the person hears the summary.', true),
      }),
      'Where the agent may transfer a call, and how.',
    ),
    call_screener: describe(
      z.object({
        action: describe(
          z.enum(['state_purpose', 'hangup']),
          'On reaching a call screener.',
          'state_purpose',
        ),
        message: describe(
          z.string().nullable(),
          'What the agent tells the screener (null: the default).',
          null,
        ),
      }),
      'Call screening assistants.',
    ),
  }),
  "The agent's voice settings for calls (engine keys are write-only).",
);

export interface EngineChoice {
  provider: string;
  model?: string;
  language?: string;
  voice?: string;
  base_url?: string | null;
  /** Sealed (SecretBox) in storage. */
  api_key?: string | null;
}

export interface StoredVoiceSettings extends Omit<VoiceSettingsInput, 'stt' | 'tts'> {
  stt?: EngineChoice;
  tts?: EngineChoice;
}

/**
 * The backchannels a call uses: the English and Hinglish defaults (or `ignore_words`, the older
 * field, which replaces them) with the agent's `backchannel_words` on top.
 */
export function backchannelList(i: { ignore_words?: string[]; backchannel_words?: string[] } | undefined) {
  const words = [...(i?.ignore_words ?? voiceDefaults.backchannels), ...(i?.backchannel_words ?? [])];
  return [...new Set(words.map((w) => w.trim().toLowerCase()).filter(Boolean))];
}

/** The agent's settings as the API shows them: keys replaced by `api_key_set`. */
export function presentVoiceSettings(raw: string | null | undefined) {
  const s = fromJson<StoredVoiceSettings>(raw ?? null, {});
  const engine = (e: EngineChoice | undefined) => {
    if (!e) return null;
    const { api_key, ...rest } = e;
    return { ...rest, api_key_set: Boolean(api_key) };
  };
  return {
    stt: engine(s.stt),
    tts: engine(s.tts),
    interruptions: {
      enabled: s.interruptions?.enabled ?? true,
      min_speech_ms: s.interruptions?.min_speech_ms ?? voiceDefaults.minSpeechMs,
      ignore_words: s.interruptions?.ignore_words ?? voiceDefaults.backchannels,
      backchannel_words: backchannelList(s.interruptions),
    },
    end_of_turn_silence_ms: s.end_of_turn_silence_ms ?? voiceDefaults.endOfTurnSilenceMs,
    silence_timeout_seconds: s.silence_timeout_seconds ?? voiceDefaults.silenceTimeoutMs / 1000,
    max_duration_seconds: s.max_duration_seconds ?? voiceDefaults.maxDurationMs / 1000,
    voicemail: { action: s.voicemail?.action ?? 'hangup', message: s.voicemail?.message ?? null },
    record: s.record ?? false,
    transfer: {
      to: s.transfer?.to ?? null,
      mode: s.transfer?.mode ?? 'cold',
      summary: s.transfer?.summary ?? true,
    },
    call_screener: {
      action: s.call_screener?.action ?? 'state_purpose',
      message: s.call_screener?.message ?? null,
    },
  };
}

/** Merges an update into stored settings; keys are sealed, `null` removes one, absent keeps it. */
export function mergeVoiceSettings(
  ctx: AppContext,
  previous: string | null | undefined,
  input: VoiceSettingsInput,
): StoredVoiceSettings {
  const prev = fromJson<StoredVoiceSettings>(previous ?? null, {});
  const engine = (
    given: VoiceSettingsInput['stt'] | VoiceSettingsInput['tts'],
    old: EngineChoice | undefined,
  ) => {
    if (!given) return old;
    const same = old?.provider === given.provider;
    const { api_key, ...rest } = given;
    const key =
      api_key === null
        ? null
        : api_key !== undefined
          ? ctx.secrets.seal(api_key)
          : same
            ? (old?.api_key ?? null)
            : null;
    return { ...rest, api_key: key };
  };
  return {
    ...prev,
    ...input,
    interruptions: input.interruptions
      ? { ...prev.interruptions, ...input.interruptions }
      : prev.interruptions,
    voicemail: input.voicemail ? { ...prev.voicemail, ...input.voicemail } : prev.voicemail,
    transfer: input.transfer ? { ...prev.transfer, ...input.transfer } : prev.transfer,
    call_screener: input.call_screener
      ? { ...prev.call_screener, ...input.call_screener }
      : prev.call_screener,
    stt: engine(input.stt, prev.stt),
    tts: engine(input.tts, prev.tts),
  };
}
