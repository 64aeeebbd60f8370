/**
 * Send pacing by reservation (GCRA, the "virtual scheduling" form of a token bucket).
 *
 * `reserve(now)` answers 0 (send now) or the wait in ms. A wait *holds* a slot: the caller (the
 * send job, re-scheduled for that long) comes back and then takes a held slot that has come due,
 * so asking again never pushes the message further back and no slot is booked twice. Held slots
 * nobody came back for are dropped after `staleMs`. Over any period the sends granted never
 * exceed `burst + elapsed / interval`, whatever the order callers come back in.
 */
export class Pacer {
  readonly intervalMs: number;
  readonly burst: number;
  /** Theoretical arrival time of the next conforming send. */
  #tat = 0;
  #held: number[] = [];
  readonly #staleMs: number;

  constructor(intervalMs: number, burst = 1, staleMs = 10 * 60_000) {
    this.intervalMs = intervalMs;
    this.burst = Math.max(1, burst);
    this.#staleMs = staleMs;
  }

  reserve(now: number): number {
    const due = this.#takeDue(now);
    if (due) return 0;
    const tau = (this.burst - 1) * this.intervalMs;
    const earliest = Math.max(now, this.#tat - tau);
    this.#tat = Math.max(this.#tat, now) + this.intervalMs;
    if (earliest <= now) return 0;
    this.#held.push(earliest);
    return Math.ceil(earliest - now);
  }

  /** Returns a slot granted at `now` that the caller could not use (another limit made it wait until `at`). */
  giveBack(at: number) {
    this.#held.push(at);
  }

  /** True while nothing is held or booked ahead, so an idle pacer can be forgotten. */
  idle(now: number): boolean {
    return this.#held.length === 0 && this.#tat <= now;
  }

  #takeDue(now: number): boolean {
    if (this.#held.length === 0) return false;
    let at = -1;
    for (let i = 0; i < this.#held.length; i++) {
      const t = this.#held[i];
      if (t < now - this.#staleMs) {
        this.#held.splice(i, 1);
        i--;
        continue;
      }
      if (t <= now && (at === -1 || t < this.#held[at])) at = i;
    }
    if (at === -1) return false;
    this.#held.splice(at, 1);
    return true;
  }
}

/**
 * WhatsApp pacing for one process: per business number at most `messages_per_second` (default
 * 80, Meta's standard throughput), strictly spaced; per customer a burst of
 * `CUSTOMER_BURST` messages, then one every 6 seconds (Meta's pair rate limit, error 131056,
 * tolerates short bursts; we stay well inside it).
 */
export const DEFAULT_MESSAGES_PER_SECOND = 80;
export const CUSTOMER_INTERVAL_MS = 6000;
export const CUSTOMER_BURST = 5;

export class SendPacing {
  readonly #numbers = new Map<string, Pacer>();
  readonly #pairs = new Map<string, Pacer>();
  #sweptAt = 0;

  reserve(numberKey: string, messagesPerSecond: number, recipient: string, now: number): number {
    this.#sweep(now);
    const pairKey = `${numberKey}\u0000${recipient}`;
    let pair = this.#pairs.get(pairKey);
    if (!pair) {
      pair = new Pacer(CUSTOMER_INTERVAL_MS, CUSTOMER_BURST);
      this.#pairs.set(pairKey, pair);
    }
    const pairWait = pair.reserve(now);
    // A customer-paced message does not book number capacity it cannot use yet.
    if (pairWait > 0) return pairWait;

    const interval = 1000 / Math.max(0.01, messagesPerSecond);
    let number = this.#numbers.get(numberKey);
    if (!number || number.intervalMs !== interval) {
      number = new Pacer(interval, 1);
      this.#numbers.set(numberKey, number);
    }
    const numberWait = number.reserve(now);
    if (numberWait > 0) pair.giveBack(now + numberWait);
    return numberWait;
  }

  #sweep(now: number) {
    if (now - this.#sweptAt < 60_000) return;
    this.#sweptAt = now;
    for (const [k, p] of this.#pairs) if (p.idle(now)) this.#pairs.delete(k);
    for (const [k, p] of this.#numbers) if (p.idle(now)) this.#numbers.delete(k);
  }
}
