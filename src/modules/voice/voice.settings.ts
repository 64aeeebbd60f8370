import { backchannelList, type StoredVoiceSettings } from '../agents/index.ts';
import { defaultSessionSettings, type SessionSettings } from './engine/session.ts';

export type { EngineChoice, StoredVoiceSettings } from '../agents/index.ts';

export function sessionSettingsOf(stored: StoredVoiceSettings): SessionSettings {
  return {
    endOfTurnSilenceMs: stored.end_of_turn_silence_ms ?? defaultSessionSettings.endOfTurnSilenceMs,
    silenceTimeoutMs: (stored.silence_timeout_seconds ?? 10) * 1000,
    maxDurationMs: (stored.max_duration_seconds ?? 600) * 1000,
    interruptions: {
      enabled: stored.interruptions?.enabled ?? true,
      minSpeechMs: stored.interruptions?.min_speech_ms ?? defaultSessionSettings.interruptions.minSpeechMs,
      ignoreWords: backchannelList(stored.interruptions),
    },
    language: stored.stt?.language ?? stored.tts?.language,
    voice: stored.tts?.voice,
  };
}
