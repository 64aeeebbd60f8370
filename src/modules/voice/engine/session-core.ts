import type { AgentTurn } from './agent-turn.ts';
import type {
  SessionEnd,
  SessionParts,
  SessionSettings,
  SessionState,
  TranscriptTurn,
} from './session-types.ts';
import { emptyTurnCounts, type TurnEvent, type Utterance } from './turn-taking.ts';
import type { CallTransport, Timer } from './types.ts';

/**
 * A call session's state and its bookkeeping: the transcript (each line stored through the
 * recorder and told to the far end), the turn-taking counts, and segment ids. The session is
 * built up by concern on top of it: speaking (session-speaking.ts), barge-in
 * (session-barge-in.ts), turn-taking (session-turns.ts) and the call's life (session.ts).
 */
export abstract class SessionCore {
  readonly callId: string;
  protected readonly p: SessionParts;
  protected readonly s: SessionSettings;
  protected phase: SessionState = 'connecting';
  /** The agent's turn under way (thinking or speaking), if any. */
  protected turn: AgentTurn | null = null;
  /** The caller's turn being heard, if any. */
  protected utterance: Utterance | null = null;
  protected callerSpeaking = false;
  protected bargeTimer: Timer | null = null;
  protected eotTimer: Timer | null = null;
  protected silenceTimer: Timer | null = null;
  protected maxTimer: Timer | null = null;
  protected reprompted = false;
  protected fillerTurns = 0;
  /** A real interruption happened: the agent's next answer counts as a recovery. */
  protected recovering = false;
  /** A warm transfer dials: the caller is on hold, their words are no turn. */
  protected holding = false;
  protected answeredAt = 0;
  readonly #counts = emptyTurnCounts();
  /** The transcript so far (`transcript` outside). */
  protected readonly lines: TranscriptTurn[] = [];
  #segSeq = 0;

  constructor(parts: SessionParts) {
    this.callId = parts.callId;
    this.p = parts;
    this.s = parts.settings;
  }

  get state() {
    return this.phase;
  }
  get transcript(): readonly TranscriptTurn[] {
    return this.lines;
  }

  /** Turn-taking counts (interruptions, false ones, backchannels, recoveries) so far. */
  get turnCounts() {
    return { ...this.#counts };
  }

  /** Ends the call (idempotent): hangs up the far end and records how it ended. */
  abstract end(end: SessionEnd): Promise<void>;

  /** A line in the transcript saying what happened (`[...]`, as the agent's): screeners, transfers. */
  note(text: string, at = this.rel(this.p.scheduler.now())) {
    if (this.phase !== 'ended')
      this.record({ role: 'agent', text, start_ms: at, end_ms: at, interrupted: false });
  }

  protected event(e: TurnEvent) {
    this.#counts[e]++;
    this.p.recorder.turnEvent?.(e);
  }

  protected nextSegmentId = () => `${this.callId}:${++this.#segSeq}`;

  /** Milliseconds since the call was answered. */
  protected rel(t: number) {
    return Math.max(0, Math.round(t - this.answeredAt));
  }

  protected record(turn: TranscriptTurn) {
    this.lines.push(turn);
    this.notify({
      type: 'transcript',
      role: turn.role,
      text: turn.text,
      final: true,
      ...(turn.interrupted ? { interrupted: true } : {}),
    });
    void this.p.scheduler.track(
      this.p.recorder.turn(turn).catch((err) => {
        this.p.onError?.(err);
      }),
    );
  }

  protected notify(n: Parameters<NonNullable<CallTransport['notify']>>[0]) {
    try {
      this.p.transport.notify?.(n);
    } catch (err) {
      this.p.onError?.(err);
    }
  }
}
