import type { SessionEnd, SessionRecorder, TranscriptTurn } from './session-types.ts';

/**
 * A session recorder for unit tests: keeps the turns as they are recorded and how the call ended
 * (what the calls module would write to the call's row).
 */
export function memoryRecorder() {
  const transcript: TranscriptTurn[] = [];
  let end: SessionEnd | null = null;
  const recorder: SessionRecorder = {
    async turn(t) {
      transcript.push(t);
    },
    latency() {},
    async ended(e) {
      end = e;
    },
  };
  return { recorder, transcript, end: () => end };
}
