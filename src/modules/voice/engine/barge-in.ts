import { falseInterruptionWaitMs, inFirmSentence } from './agent-turn.ts';
import type { CallLog } from './call-log.ts';
import type { CallerSpeech, SessionHooks, SessionParts } from './session-types.ts';
import type { Speaker } from './speaking.ts';
import { isBackchannel } from './speech-text.ts';
import { utterance } from './turn-taking.ts';
import type { Timer } from './types.ts';

type BargeInParts = Pick<SessionParts, 'transport' | 'scheduler' | 'settings' | 'driver'>;
type BargeInHooks = Pick<SessionHooks, 'phase' | 'interrupted' | 'awaitEndOfTurn'>;
/** What barge-in acts on: the agent's turn, which it may pause, resume or cut. */
export type AgentFloor = Pick<Speaker, 'turn' | 'pause' | 'resume' | 'cut'>;

/**
 * The caller cutting in while the agent has the floor (barge-in): sound past the minimum with
 * words interrupts the agent at once, sound with no words yet pauses it until the words (or none)
 * decide, and a backchannel ("mm-hm") or a noise lets it go on (a false interruption: the sentence
 * it was in is played again from where it paused). The session asks it first about every start
 * and end of the caller's speech; what it does not take is turn-taking's (end-of-turn.ts).
 */
export class BargeIn {
  readonly #p: BargeInParts;
  readonly #log: CallLog;
  readonly #agent: AgentFloor;
  readonly #caller: CallerSpeech;
  readonly #hooks: BargeInHooks;
  #timer: Timer | null = null;
  /** A real interruption happened: the agent's next answer counts as a recovery. */
  #recovering = false;

  constructor(
    parts: BargeInParts,
    log: CallLog,
    agent: AgentFloor,
    caller: CallerSpeech,
    hooks: BargeInHooks,
  ) {
    this.#p = parts;
    this.#log = log;
    this.#agent = agent;
    this.#caller = caller;
    this.#hooks = hooks;
  }

  /** The caller started speaking: true when the agent has the floor (barge-in takes it from here). */
  speechStart(text: string | undefined): boolean {
    const u = this.#caller.utterance;
    const held = this.#agent.turn?.paused;
    if (held && u) {
      // More of the sound that paused the agent: still undecided.
      held.timer?.cancel();
      u.end = null;
      if (text) u.texts.push(text);
      return true;
    }
    if (!this.#agentActive()) return false;
    // With barge-in off the agent keeps the floor: what the caller says over it is not a turn.
    const now = this.#p.scheduler.now();
    const on = this.#p.settings.interruptions.enabled && !inFirmSentence(this.#agent.turn, now);
    this.#caller.utterance = utterance(now, on ? text : undefined, !on);
    if (!on) return true;
    this.#timer?.cancel();
    this.#timer = this.#p.scheduler.after(this.#p.settings.interruptions.minSpeechMs, () => this.#check());
    return true;
  }

  /** The caller stopped before the barge-in minimum (a cough, a short "hmm"): true when so. */
  tooShort(): boolean {
    if (!this.#timer) return false;
    this.#timer.cancel();
    this.#timer = null;
    return true;
  }

  /**
   * The sound that paused the agent ended: its words (if any) decide, or a short wait for them.
   * True when decided at once (no recogniser to wait for).
   */
  soundEnded(): boolean {
    const held = this.#agent.turn?.paused;
    if (!held) return false;
    if (!this.#caller.stt) {
      this.settle();
      return true;
    }
    held.timer = this.#p.scheduler.after(falseInterruptionWaitMs, () => this.settle());
    return false;
  }

  /** A paused agent goes on with the sentence it was in (noise, a filler), or is cut (words). */
  settle(limit = false) {
    const turn = this.#agent.turn;
    const caller = this.#caller;
    const u = caller.utterance;
    if (!turn?.paused || (caller.speaking && !limit)) return;
    turn.paused.timer?.cancel();
    turn.paused.limit.cancel();
    if (u && !isBackchannel(u.texts.join(' '), this.#p.settings.interruptions.ignoreWords)) {
      this.interrupt();
      u.awaitingFinal = false;
      return this.#hooks.awaitEndOfTurn();
    }
    // Still no words after the limit (a long noise): the agent goes on; the rest of it is no turn.
    if (u && caller.speaking) u.ignored = true;
    else caller.utterance = null;
    this.#log.event('false_interruptions');
    this.#agent.resume();
  }

  /** Typed words while the agent speaks: true when they cut it (a backchannel or a firm sentence does not). */
  cutsIn(text: string): boolean {
    const turn = this.#agent.turn;
    if (!turn) return true;
    const cut = this.#p.settings.interruptions;
    if (isBackchannel(text, cut.ignoreWords)) return false;
    if (!cut.enabled || inFirmSentence(turn, this.#p.scheduler.now())) return false;
    this.interrupt();
    return true;
  }

  /** Barge-in: the agent stops at once; its turn is kept as far as the caller heard it. */
  interrupt() {
    if (!this.#agent.turn) return;
    this.#p.transport.clear();
    const text = this.#agent.cut();
    this.#log.event('interruptions');
    this.#recovering = true;
    this.#p.driver.interrupted?.(text);
    this.#hooks.interrupted();
  }

  /** The agent answers after an interruption: true once (a recovery). */
  recovered(): boolean {
    if (!this.#recovering) return false;
    this.#recovering = false;
    return true;
  }

  cancel() {
    this.#timer?.cancel();
  }

  #agentActive() {
    const phase = this.#hooks.phase();
    return phase === 'speaking' || phase === 'thinking';
  }

  /** The caller has spoken over the agent for the barge-in minimum: interrupt, pause, or let it go. */
  #check() {
    this.#timer = null;
    const u = this.#caller.utterance;
    if (!u || !this.#agent.turn || !this.#caller.speaking || !this.#agentActive()) return;
    const said = u.texts.join(' ');
    if (said && isBackchannel(said, this.#p.settings.interruptions.ignoreWords)) {
      u.ignored = true;
      this.#log.event('backchannels');
      return;
    }
    if (said) this.interrupt();
    else this.#agent.pause(() => this.settle(true));
  }
}
