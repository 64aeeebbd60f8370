/**
 * The voice module's public surface: what other modules (phone lines, voice flows, campaigns,
 * the inbox) use. See docs/voice.md for how the pieces fit.
 */

export { createCalls } from './calls.admission.ts';
export { endedCallIds, setCallAnalysis } from './calls.analysis.ts';
export { advanceCall, hangupCall, mergeCallVariables } from './calls.lifecycle.ts';
export { connectCall } from './calls.live.ts';
export { verifyMediaToken } from './calls.media.ts';
export {
  type CallPageQuery,
  callAnalyses,
  type ExportCall,
  exportCallPage,
  type ReportCall,
  reportCallPage,
} from './calls.report.ts';
export { callObject, mediaSessionObject } from './calls.schemas.ts';
export type { TranscriptEntry } from './calls.service.ts';
export {
  type CallObject,
  concurrencyOf,
  countActive,
  type EndedReason,
  endedReasons,
  findCallRow,
  findCampaignCall,
  getCallRow,
  isTerminal,
  presentCall,
} from './calls.service.ts';
export type { Caller, CallItem } from './calls.write.ts';
export { CallSession, type SessionSettings } from './engine/session.ts';
export { isBackchannel, sentences, speakable } from './engine/speech-text.ts';
export type * from './engine/types.ts';
export { ENGINE_SAMPLE_RATE, FRAME_SAMPLES } from './engine/types.ts';
export { VoiceActivityDetector } from './engine/vad.ts';
export { callIdsOfContact, liveCallIdsOfContact } from './voice.erase.ts';
export { voiceModule } from './voice.module.ts';
export { type VoiceRuntime, voiceRuntime } from './voice.runtime.ts';
export type { CallRow, CallStatus } from './voice.tables.ts';
export { callStatuses } from './voice.tables.ts';
