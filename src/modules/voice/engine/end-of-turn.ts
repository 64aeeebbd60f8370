import type { CallLog } from './call-log.ts';
import type { CallerSpeech, SessionHooks, SessionParts } from './session-types.ts';
import { endOfTurnMs, utterance } from './turn-taking.ts';
import type { Timer } from './types.ts';

type EndOfTurnParts = Pick<SessionParts, 'scheduler' | 'settings'>;
type EndOfTurnHooks = Pick<SessionHooks, 'phase' | 'said' | 'answer' | 'quiet'>;

/**
 * Turn-taking while the caller has the floor: their speech makes an utterance; its end waits for
 * the end-of-turn silence (longer when they trail off, shorter after a question, turn-taking.ts)
 * and the recogniser's final words, then the turn is written down and handed on (`said`). Typed
 * text and keypad digits are turns at once.
 */
export class EndOfTurn {
  readonly #p: EndOfTurnParts;
  readonly #log: CallLog;
  readonly #caller: CallerSpeech;
  readonly #hooks: EndOfTurnHooks;
  #timer: Timer | null = null;

  constructor(parts: EndOfTurnParts, log: CallLog, caller: CallerSpeech, hooks: EndOfTurnHooks) {
    this.#p = parts;
    this.#log = log;
    this.#caller = caller;
    this.#hooks = hooks;
  }

  /** The caller speaks with the floor theirs: a pause shorter than the end-of-turn silence is the same turn. */
  speechStart(text: string | undefined) {
    const u = this.#caller.utterance;
    if (u && !u.ignored && u.end !== null) {
      u.end = null;
      u.eotDone = false;
      if (text) u.texts.push(text);
      return;
    }
    this.#caller.utterance = utterance(this.#p.scheduler.now(), text);
  }

  /** Waits for the end of the caller's turn: longer when they trail off, shorter after a question. */
  arm() {
    this.#timer?.cancel();
    const u = this.#caller.utterance;
    const now = this.#p.scheduler.now();
    const s = this.#p.settings;
    const rules = { baseMs: s.endOfTurnSilenceMs, heuristic: s.endOfTurnHeuristic };
    const waitMs = endOfTurnMs(u?.texts.join(' ') ?? '', rules) - (now - (u?.end ?? now));
    this.#timer = this.#p.scheduler.after(Math.max(0, waitMs), () => {
      this.#timer = null;
      if (this.#caller.utterance) this.#caller.utterance.eotDone = true;
      this.#maybeCommit();
    });
  }

  cancel() {
    this.#timer?.cancel();
  }

  /** The recogniser's words so far (partial): they replace the provisional ones. */
  partial(text: string) {
    if (this.#caller.utterance) this.#caller.utterance.texts = [text];
  }

  /** The recogniser's final words for the utterance: false when there is none to take them. */
  final(text: string): boolean {
    const u = this.#caller.utterance;
    if (!u || u.ignored) return false;
    u.awaitingFinal = false;
    // The final result replaces the provisional (partial) text it completes.
    if (text.trim()) u.texts = [...u.texts.filter((t) => t !== text && !text.startsWith(t)), text];
    return true;
  }

  /** The words are known: the end-of-turn wait is measured again from when the caller stopped. */
  wordsKnown() {
    const u = this.#caller.utterance;
    if (this.#hooks.phase() === 'listening' && u?.end != null && !this.#caller.speaking) this.arm();
  }

  /** A whole turn typed as text: taken at once. */
  typed(text: string) {
    const now = this.#p.scheduler.now();
    this.#caller.utterance = { ...utterance(now, text.trim()), end: now, eotDone: true };
    this.#commit();
  }

  /** Keys pressed: a turn at once. */
  pressed(digit: string) {
    const now = this.#p.scheduler.now();
    this.#caller.utterance = null;
    const at = this.#log.rel(now);
    this.#log.record({
      role: 'customer',
      text: `[pressed ${digit}]`,
      start_ms: at,
      end_ms: at,
      interrupted: false,
    });
    this.#hooks.answer({ text: '', dtmf: digit }, now, 0);
  }

  #maybeCommit() {
    const u = this.#caller.utterance;
    if (!u?.eotDone || this.#caller.speaking || u.awaitingFinal || this.#hooks.phase() !== 'listening')
      return;
    this.#commit();
  }

  #commit() {
    const u = this.#caller.utterance;
    this.#caller.utterance = null;
    if (!u) return;
    const text = u.texts.join(' ').replace(/\s+/g, ' ').trim();
    const now = this.#p.scheduler.now();
    if (!text) return this.#hooks.quiet();
    const end = u.end ?? now;
    this.#log.record({
      role: 'customer',
      text,
      start_ms: this.#log.rel(u.start),
      end_ms: this.#log.rel(end),
      interrupted: false,
    });
    this.#hooks.said(text, end, Math.max(0, now - end));
  }
}
