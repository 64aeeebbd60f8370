import { type AgentTurn, falseInterruptionMaxMs, replayFrom } from './agent-turn.ts';
import { currentSegment, heardText } from './heard-text.ts';
import { SpeakingSession } from './session-speaking.ts';
import { isBackchannel } from './speech-text.ts';

/**
 * The caller cutting in while the agent speaks (barge-in): sound past the minimum with words
 * interrupts the agent at once, sound with no words yet pauses it until the words (or none)
 * decide, and a backchannel ("mm-hm") or a noise lets it go on (a false interruption: the
 * sentence it was in is played again from where it paused).
 */
export abstract class BargeInSession extends SpeakingSession {
  /** Waits for the end of the caller's turn (session-turns.ts). */
  protected abstract armEndOfTurn(): void;

  /** The caller has spoken over the agent for the barge-in minimum: interrupt, pause, or let it go. */
  protected checkBargeIn() {
    this.bargeTimer = null;
    const u = this.utterance;
    const turn = this.turn;
    if (!u || !turn || !this.callerSpeaking || (this.phase !== 'speaking' && this.phase !== 'thinking'))
      return;
    const said = u.texts.join(' ');
    if (said && isBackchannel(said, this.s.interruptions.ignoreWords)) {
      u.ignored = true;
      this.event('backchannels');
      return;
    }
    if (said) this.interrupt();
    else this.#pause(turn);
  }

  /** Sound with no words yet: the agent holds its speech until the words (or none) decide. */
  #pause(turn: AgentTurn) {
    this.p.transport.clear();
    const at = this.p.scheduler.now();
    const limit = this.p.scheduler.after(falseInterruptionMaxMs, () => this.settlePause(true));
    turn.paused = { at, index: currentSegment(turn.segments, at), timer: null, limit };
  }

  /** A paused agent goes on with the sentence it was in (noise, a filler), or is cut (words). */
  protected settlePause(limit = false) {
    const turn = this.turn;
    const u = this.utterance;
    if (!turn?.paused || (this.callerSpeaking && !limit)) return;
    turn.paused.timer?.cancel();
    turn.paused.limit.cancel();
    if (u && !isBackchannel(u.texts.join(' '), this.s.interruptions.ignoreWords)) {
      this.interrupt();
      u.awaitingFinal = false;
      return this.armEndOfTurn();
    }
    // Still no words after the limit (a long noise): the agent goes on; the rest of it is no turn.
    if (u && this.callerSpeaking) u.ignored = true;
    else this.utterance = null;
    this.event('false_interruptions');
    const { index } = turn.paused;
    turn.paused = null;
    replayFrom(turn, index, this.p.scheduler.now(), this.p.transport, () => this.nextSegmentId());
    this.maybeFinishTurn(turn);
  }

  /** Barge-in: the agent stops at once; its turn is kept as far as the caller heard it. */
  protected interrupt() {
    const turn = this.turn;
    if (!turn) return;
    this.p.transport.clear();
    const text = this.cutTurn(turn);
    this.event('interruptions');
    this.recovering = true;
    this.p.driver.interrupted?.(text);
    this.phase = 'listening';
    this.notify({ type: 'listening' });
  }

  /** Stops an agent turn and records what the caller heard of it (interrupted); returns that text. */
  protected cutTurn(turn: AgentTurn): string {
    turn.abort.abort();
    turn.finished = true;
    turn.paused?.timer?.cancel();
    turn.paused?.limit.cancel();
    if (this.turn === turn) this.turn = null;
    // Cut where it stopped (a paused turn: when it paused), as far as the transport played it.
    const now = turn.paused?.at ?? this.p.scheduler.now();
    const { text } = heardText(turn.segments, now, (id) => this.p.transport.heardMs?.(id));
    if (turn.firstPlay !== null && text) {
      this.record({
        role: 'agent',
        text,
        start_ms: this.rel(turn.firstPlay),
        end_ms: this.rel(now),
        interrupted: true,
      });
    }
    return text;
  }
}
