/**
 * One timer for the outbound audio of every web call in the process. Each call's frames are due
 * 20 ms apart on its own clock; instead of a timer per call per frame (50 a second a call), the
 * pacer wakes at most every `GRANULE_MS` and sends every frame that is due by then, so a process
 * with 500 calls wakes about 250 times a second, not 25,000. A frame goes out at most
 * `SLACK_MS` early or about a granule late, well inside a client's jitter buffer.
 */
export interface Paced {
  /** Sends what is due by `now` (+ slack); returns when it next has a frame due, or null when idle. */
  pace(now: number): number | null;
}

export const GRANULE_MS = 4;
export const SLACK_MS = 2;

class Pacer {
  readonly #active = new Set<Paced>();
  #timer: NodeJS.Timeout | null = null;
  /** When the timer fires (performance.now() ms). */
  #at = Number.POSITIVE_INFINITY;

  /** `p` has a frame due at `due`: make sure the pacer wakes for it. */
  wake(p: Paced, due: number) {
    this.#active.add(p);
    const now = performance.now();
    if (due <= now + SLACK_MS && !this.#running) {
      // Due now (a turn's first frame): sent at once, not a granule later.
      const next = p.pace(now);
      if (next === null) {
        this.#active.delete(p);
        return;
      }
      due = next;
    }
    if (this.#timer && due >= this.#at - GRANULE_MS) return;
    this.#schedule(Math.max(due, now), now);
  }

  /** `p` has nothing more to send (cleared, closed). */
  remove(p: Paced) {
    this.#active.delete(p);
    if (this.#active.size === 0 && this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
      this.#at = Number.POSITIVE_INFINITY;
    }
  }

  get size() {
    return this.#active.size;
  }

  #running = false;

  #schedule(at: number, now: number) {
    if (this.#timer) clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = setTimeout(this.#run, Math.max(0, at - now - SLACK_MS));
  }

  #run = () => {
    this.#timer = null;
    this.#at = Number.POSITIVE_INFINITY;
    this.#running = true;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    try {
      for (const p of this.#active) {
        const due = p.pace(now);
        if (due === null) this.#active.delete(p);
        else if (due < next) next = due;
      }
    } finally {
      this.#running = false;
    }
    if (next !== Number.POSITIVE_INFINITY && !this.#timer)
      this.#schedule(Math.max(next, now + GRANULE_MS), now);
  };
}

/** The process's pacer (it holds no app state: only the transports with audio to send). */
export const pacer = new Pacer();
