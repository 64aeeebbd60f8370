import type { Scheduler, Timer } from './types.ts';

/** Wall-clock time. */
export class RealScheduler implements Scheduler {
  readonly #start = performance.now();
  readonly #timers = new Set<NodeJS.Timeout>();
  now() {
    return performance.now() - this.#start;
  }
  after(ms: number, fn: () => void): Timer {
    const t = setTimeout(
      () => {
        this.#timers.delete(t);
        fn();
      },
      Math.max(0, ms),
    );
    this.#timers.add(t);
    return {
      cancel: () => {
        clearTimeout(t);
        this.#timers.delete(t);
      },
    };
  }
  track<T>(work: Promise<T>) {
    return work;
  }
  dispose() {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time for simulated calls: whenever no tracked work is under way, time jumps to the
 * next timer and runs it. Everything the session awaits goes through `track`, so a reply being
 * computed (or written) holds the clock still, as the caller would be waiting in real life.
 */
export class VirtualScheduler implements Scheduler {
  #now = 0;
  #seq = 0;
  #busy = 0;
  #queue: Pending[] = [];
  #scheduled = false;
  #disposed = false;

  now() {
    return this.#now;
  }

  after(ms: number, fn: () => void): Timer {
    const p: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#queue.push(p);
    this.#queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.#kick();
    return {
      cancel: () => {
        p.cancelled = true;
      },
    };
  }

  async track<T>(work: Promise<T>): Promise<T> {
    this.#busy++;
    try {
      return await work;
    } finally {
      this.#busy--;
      this.#kick();
    }
  }

  dispose() {
    this.#disposed = true;
    this.#queue = [];
  }

  #kick() {
    if (this.#scheduled || this.#disposed) return;
    this.#scheduled = true;
    // setImmediate lets promise continuations (which may start tracked work) run first.
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#busy > 0 || this.#disposed) return;
      const next = this.#queue.shift();
      if (!next) return;
      if (!next.cancelled) {
        this.#now = Math.max(this.#now, next.at);
        next.fn();
      }
      this.#kick();
    });
  }
}
