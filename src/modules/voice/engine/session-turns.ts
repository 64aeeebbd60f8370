import { falseInterruptionWaitMs, inFirmSentence } from './agent-turn.ts';
import { BargeInSession } from './session-barge-in.ts';
import { isBackchannel } from './speech-text.ts';
import { endOfTurnMs, fillerTurnsLimit, utterance } from './turn-taking.ts';
import type { CallerTurn, SttStream } from './types.ts';

/**
 * Turn-taking: the caller's speech (from the VAD, or recognised by the transport) makes an
 * utterance; its end waits for the end-of-turn silence (longer when they trail off, shorter after
 * a question) and the recogniser's final words, then the turn is committed and answered. Typed
 * text and keypad digits are turns at once; silence while listening re-prompts once, then ends.
 */
export abstract class TurnTakingSession extends BargeInSession {
  /** The call's speech-to-text stream, once audio has opened it. */
  protected stt: SttStream | null = null;

  protected speechStart(text: string | undefined) {
    if (this.phase === 'ended') return;
    this.callerSpeaking = true;
    this.silenceTimer?.cancel();
    this.eotTimer?.cancel();
    const now = this.p.scheduler.now();
    const agentActive = this.phase === 'speaking' || this.phase === 'thinking';
    const held = this.turn?.paused;
    if (held && this.utterance) {
      // More of the sound that paused the agent: still undecided.
      held.timer?.cancel();
      this.utterance.end = null;
      if (text) this.utterance.texts.push(text);
      return;
    }
    if (agentActive) {
      // With barge-in off the agent keeps the floor: what the caller says over it is not a turn.
      const on = this.s.interruptions.enabled && !inFirmSentence(this.turn, now);
      this.utterance = utterance(now, on ? text : undefined, !on);
      if (!on) return;
      this.bargeTimer?.cancel();
      this.bargeTimer = this.p.scheduler.after(this.s.interruptions.minSpeechMs, () => this.checkBargeIn());
      return;
    }
    if (this.utterance && !this.utterance.ignored && this.utterance.end !== null) {
      // A pause shorter than the end-of-turn silence: the same turn goes on.
      this.utterance.end = null;
      this.utterance.eotDone = false;
      if (text) this.utterance.texts.push(text);
      return;
    }
    this.utterance = utterance(now, text);
  }

  protected speechEnd() {
    if (this.phase === 'ended') return;
    this.callerSpeaking = false;
    const u = this.utterance;
    if (!u) return;
    u.end = this.p.scheduler.now();
    u.eotDone = false;
    if (this.bargeTimer) {
      // Shorter than the barge-in minimum while the agent spoke: a cough, a short "hmm".
      this.bargeTimer.cancel();
      this.bargeTimer = null;
      this.utterance = null;
      this.stt?.finalize();
      return;
    }
    if (u.ignored) {
      this.utterance = null;
      this.stt?.finalize();
      if (this.phase === 'listening') this.armSilence();
      return;
    }
    const held = this.turn?.paused;
    if (held) {
      // The sound that paused the agent ended: its words (if any) decide, or a short wait for them.
      if (!this.stt) return this.settlePause();
      held.timer = this.p.scheduler.after(falseInterruptionWaitMs, () => this.settlePause());
    }
    if (this.phase === 'listening') this.armEndOfTurn();
    if (this.stt) {
      u.awaitingFinal = true;
      this.stt.finalize();
    }
  }

  /** Waits for the end of the caller's turn: longer when they trail off, shorter after a question. */
  protected armEndOfTurn() {
    this.eotTimer?.cancel();
    const u = this.utterance;
    const now = this.p.scheduler.now();
    const rules = { baseMs: this.s.endOfTurnSilenceMs, heuristic: this.s.endOfTurnHeuristic };
    const waitMs = endOfTurnMs(u?.texts.join(' ') ?? '', rules) - (now - (u?.end ?? now));
    this.eotTimer = this.p.scheduler.after(Math.max(0, waitMs), () => {
      this.eotTimer = null;
      if (this.utterance) this.utterance.eotDone = true;
      this.#maybeCommit();
    });
  }

  /** The recogniser's words so far (partial): they replace the provisional ones. */
  protected onPartial(text: string) {
    if (this.utterance) this.utterance.texts = [text];
  }

  protected onFinal(text: string) {
    const u = this.utterance;
    if (!u || u.ignored) return;
    u.awaitingFinal = false;
    // The final result replaces the provisional (partial) text it completes.
    if (text.trim()) u.texts = [...u.texts.filter((t) => t !== text && !text.startsWith(t)), text];
    if (this.turn?.paused) this.settlePause();
    // The words are known: the end-of-turn wait is measured again from when the caller stopped.
    else if (this.phase === 'listening' && u.end !== null && !this.callerSpeaking) this.armEndOfTurn();
  }

  protected onText(text: string) {
    if (this.phase === 'ended' || this.holding || !text.trim()) return;
    if (this.turn) {
      if (isBackchannel(text, this.s.interruptions.ignoreWords)) return;
      if (!this.s.interruptions.enabled || inFirmSentence(this.turn, this.p.scheduler.now())) return;
      this.interrupt();
    }
    this.silenceTimer?.cancel();
    const now = this.p.scheduler.now();
    this.utterance = { ...utterance(now, text.trim()), end: now, eotDone: true };
    this.#commit();
  }

  protected onDtmf(digit: string) {
    if (this.phase === 'ended' || this.holding) return;
    if (this.turn) this.interrupt();
    this.silenceTimer?.cancel();
    const now = this.p.scheduler.now();
    this.utterance = null;
    this.record({
      role: 'customer',
      text: `[pressed ${digit}]`,
      start_ms: this.rel(now),
      end_ms: this.rel(now),
      interrupted: false,
    });
    this.#respond({ text: '', dtmf: digit }, now, 0);
  }

  #maybeCommit() {
    const u = this.utterance;
    if (!u?.eotDone || this.callerSpeaking || u.awaitingFinal || this.phase !== 'listening') return;
    this.#commit();
  }

  #commit() {
    const u = this.utterance;
    this.utterance = null;
    if (!u) return;
    const text = u.texts.join(' ').replace(/\s+/g, ' ').trim();
    const now = this.p.scheduler.now();
    if (!text) {
      this.armSilence();
      return;
    }
    const end = u.end ?? now;
    this.record({
      role: 'customer',
      text,
      start_ms: this.rel(u.start),
      end_ms: this.rel(end),
      interrupted: false,
    });
    // Fillers only, turn after turn: from the third in a row they count as silence (re-prompt, then end).
    const filler = isBackchannel(text, this.s.interruptions.ignoreWords);
    this.fillerTurns = filler ? this.fillerTurns + 1 : 0;
    if (this.fillerTurns >= fillerTurnsLimit)
      return this.#onSilence(this.p.driver.handlesSilence?.() ?? null);
    this.reprompted = false;
    this.#respond({ text }, end, Math.max(0, now - end));
  }

  #respond(turn: CallerTurn, speechEnd: number, eouMs: number) {
    const abort = new AbortController();
    this.speak(this.p.driver.reply(turn, abort.signal), { speechEnd, eouMs, abort });
  }

  protected listen() {
    if (this.phase === 'ended') return;
    this.phase = 'listening';
    this.notify({ type: 'listening' });
    const u = this.utterance;
    if (u && !u.ignored) {
      // The caller started talking while the agent finished: their turn goes on.
      if (u.end !== null && !this.callerSpeaking) this.armEndOfTurn();
      return;
    }
    this.utterance = null;
    if (!this.callerSpeaking) this.armSilence();
  }

  protected armSilence() {
    this.silenceTimer?.cancel();
    const own = this.p.driver.handlesSilence?.() ?? null;
    this.silenceTimer = this.p.scheduler.after(own?.timeoutMs ?? this.s.silenceTimeoutMs, () => {
      this.silenceTimer = null;
      if (this.phase === 'listening' && !this.callerSpeaking) this.#onSilence(own);
    });
  }

  #onSilence(own: { timeoutMs: number } | null) {
    if (this.reprompted && !own) return void this.end({ reason: 'silence_timeout', status: 'completed' });
    this.reprompted = true;
    this.speak(this.p.driver.reprompt(new AbortController().signal), null);
  }
}
