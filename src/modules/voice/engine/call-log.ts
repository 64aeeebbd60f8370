import type { SessionParts, TranscriptTurn } from './session-types.ts';
import { emptyTurnCounts, type TurnEvent } from './turn-taking.ts';
import type { SessionNotice } from './types.ts';

type LogParts = Pick<SessionParts, 'callId' | 'transport' | 'scheduler' | 'recorder' | 'onError'>;

/**
 * What a call writes down and tells the far end: the transcript (each line stored through the
 * recorder and told to the far end as it is said), the turn-taking counts, the notices, and the
 * ids of the agent's segments. Times in the transcript are relative to when the call was answered.
 */
export class CallLog {
  readonly #p: LogParts;
  readonly #counts = emptyTurnCounts();
  readonly lines: TranscriptTurn[] = [];
  #segSeq = 0;
  /** When the call was answered (scheduler time). */
  answeredAt = 0;

  constructor(parts: LogParts) {
    this.#p = parts;
  }

  /** Turn-taking counts (interruptions, false ones, backchannels, recoveries) so far. */
  get counts() {
    return { ...this.#counts };
  }

  event(e: TurnEvent) {
    this.#counts[e]++;
    this.#p.recorder.turnEvent?.(e);
  }

  nextSegmentId = () => `${this.#p.callId}:${++this.#segSeq}`;

  /** Milliseconds since the call was answered. */
  rel(t: number) {
    return Math.max(0, Math.round(t - this.answeredAt));
  }

  /** Now, in milliseconds since the call was answered. */
  relNow() {
    return this.rel(this.#p.scheduler.now());
  }

  record(turn: TranscriptTurn) {
    this.lines.push(turn);
    this.notify({
      type: 'transcript',
      role: turn.role,
      text: turn.text,
      final: true,
      ...(turn.interrupted ? { interrupted: true } : {}),
    });
    void this.#p.scheduler.track(
      this.#p.recorder.turn(turn).catch((err) => {
        this.#p.onError?.(err);
      }),
    );
  }

  notify(n: SessionNotice) {
    try {
      this.#p.transport.notify?.(n);
    } catch (err) {
      this.#p.onError?.(err);
    }
  }
}
