/** One item's result from a group's writer: its value, or the error that item alone meets. */
export type GroupResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Group commit: items submitted while a write is under way are written together by the next
 * one, so under load many requests share one transaction (one commit, one statement per table)
 * and an idle system writes a lone item at once. `write` gets the items of a group and returns
 * one result per item, in order; if it throws, every item of the group fails with that error.
 */
interface Waiter<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  readonly #write: (items: T[]) => Promise<GroupResult<R>[]>;
  readonly #maxItems: number;
  readonly #concurrency: number;
  readonly #gatherMs: number;
  #pending: Waiter<T, R>[] = [];
  #running = 0;
  #scheduled = false;
  /** The timer of a group gathering items (`gatherMs`). */
  #gather: NodeJS.Timeout | null = null;

  constructor(
    write: (items: T[]) => Promise<GroupResult<R>[]>,
    opts: {
      maxItems: number;
      concurrency: number;
      /**
       * How long a group waits for more items once its first is submitted (default 0: only those
       * of the same turn of the event loop). For writers whose items come spread out, one at a
       * time, and may wait that long to be written.
       */
      gatherMs?: number;
    },
  ) {
    this.#write = write;
    this.#maxItems = Math.max(1, opts.maxItems);
    this.#concurrency = Math.max(1, opts.concurrency);
    this.#gatherMs = Math.max(0, opts.gatherMs ?? 0);
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running >= this.#concurrency || this.#pending.length === 0) return;
    const full = this.#pending.length >= this.#maxItems;
    // A group gathering for `gatherMs` goes at once when it fills up.
    if (this.#scheduled && !(full && this.#gather)) return;
    if (this.#gather) clearTimeout(this.#gather);
    this.#gather = null;
    this.#scheduled = true;
    // Items that arrive in the same turn of the event loop (requests parsed together) join in,
    // or those of the next `gatherMs` (unless a whole group is waiting already).
    const run = () => {
      this.#gather = null;
      this.#scheduled = false;
      while (this.#running < this.#concurrency && this.#pending.length > 0) {
        const group = this.#pending.splice(0, this.#maxItems);
        this.#running++;
        this.#run(group).finally(() => {
          this.#running--;
          this.#schedule();
        });
      }
    };
    if (this.#gatherMs > 0 && !full) this.#gather = setTimeout(run, this.#gatherMs);
    else setImmediate(run);
  }

  async #run(group: Waiter<T, R>[]): Promise<void> {
    try {
      const results = await this.#write(group.map((g) => g.item));
      if (results.length !== group.length)
        throw new Error(`group writer returned ${results.length} results for ${group.length} items`);
      results.forEach((r, i) => {
        if (r.ok) group[i]!.resolve(r.value);
        else group[i]!.reject(r.error);
      });
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }
}
