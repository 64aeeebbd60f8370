import type { CallerSpeech, SessionHooks, SessionParts } from './session-types.ts';
import { isBackchannel } from './speech-text.ts';
import { fillerTurnsLimit } from './turn-taking.ts';
import type { Timer } from './types.ts';

type SilenceParts = Pick<SessionParts, 'scheduler' | 'settings' | 'driver'>;
type SilenceHooks = Pick<SessionHooks, 'phase' | 'speak' | 'end'>;

/**
 * Silence while the agent listens: none from the caller for the silence timeout gets one
 * re-prompt, a second ends the call `silence_timeout` (a driver with its own silence rules, a
 * voice flow's ask node, sets the wait and is asked every time). Caller turns of fillers only,
 * three in a row, count as silence too.
 */
export class Silence {
  readonly #p: SilenceParts;
  readonly #caller: Pick<CallerSpeech, 'speaking'>;
  readonly #hooks: SilenceHooks;
  #timer: Timer | null = null;
  #reprompted = false;
  #fillerTurns = 0;

  constructor(parts: SilenceParts, caller: Pick<CallerSpeech, 'speaking'>, hooks: SilenceHooks) {
    this.#p = parts;
    this.#caller = caller;
    this.#hooks = hooks;
  }

  /** The agent listens and nobody speaks: the wait starts. */
  arm() {
    this.#timer?.cancel();
    const own = this.#p.driver.handlesSilence?.() ?? null;
    this.#timer = this.#p.scheduler.after(own?.timeoutMs ?? this.#p.settings.silenceTimeoutMs, () => {
      this.#timer = null;
      if (this.#hooks.phase() === 'listening' && !this.#caller.speaking) this.#fire(own);
    });
  }

  cancel() {
    this.#timer?.cancel();
  }

  /**
   * A caller turn was said: true when it counts as silence (fillers only, the third in a row; the
   * silence is handled), else the re-prompt is owed again on the next silence.
   */
  fillerTurn(text: string): boolean {
    const filler = isBackchannel(text, this.#p.settings.interruptions.ignoreWords);
    this.#fillerTurns = filler ? this.#fillerTurns + 1 : 0;
    if (this.#fillerTurns >= fillerTurnsLimit) {
      this.#fire(this.#p.driver.handlesSilence?.() ?? null);
      return true;
    }
    this.#reprompted = false;
    return false;
  }

  #fire(own: { timeoutMs: number } | null) {
    if (this.#reprompted && !own) {
      void this.#hooks.end({ reason: 'silence_timeout', status: 'completed' });
      return;
    }
    this.#reprompted = true;
    this.#hooks.speak(this.#p.driver.reprompt(new AbortController().signal), null);
  }
}
